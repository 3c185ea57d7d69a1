import type { FileHandle } from 'node:fs/promises';
import type { Line } from './line-cursor.js';
import { peekStreamAndTag } from './k8s-record.js';

const CHUNK = 64 * 1024;
/** How far past the N-th entry the scan may go to find where a wanted partial line began. */
const MAX_EXTENSION = 1024 * 1024;
/** Longer lines are not conmon records (it writes at most 8 KiB of text per record). */
const MAX_LINE = 1024 * 1024;

/** A byte position in the sequence of log files (oldest first). */
export interface LogPosition {
  readonly file: number;
  readonly offset: number;
}

export function comparePositions(a: LogPosition, b: LogPosition): number {
  return a.file !== b.file ? a.file - b.file : a.offset - b.offset;
}

/** An open log file and the size it had when the read began. */
export interface LogSource {
  readonly fh: FileHandle;
  readonly size: number;
}

/**
 * Yields the complete lines of `[0, size)` from last to first, reading
 * backwards in chunks so that a log of hundreds of MB is never held in
 * memory. An unterminated last line is skipped (it is still being written).
 */
export async function* linesBackward(fh: FileHandle, size: number): AsyncGenerator<Line> {
  const buf = Buffer.allocUnsafe(CHUNK);
  let end = size;
  // `tail` holds bytes after the last newline seen so far (the start of a line whose beginning is further back).
  let tail = Buffer.alloc(0);
  let first = true;
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    if (bytesRead !== end - start) return; // the file shrank under us: stop, forward reading copes
    let chunk = tail.length > 0 ? Buffer.concat([buf.subarray(0, bytesRead), tail]) : Buffer.from(buf.subarray(0, bytesRead));
    if (first) {
      first = false;
      const lastNl = chunk.lastIndexOf(0x0a);
      chunk = lastNl < 0 ? Buffer.alloc(0) : chunk.subarray(0, lastNl + 1);
      if (lastNl < 0) {
        // No newline in the last chunk: everything so far is one incomplete line.
        end = start;
        tail = Buffer.alloc(0);
        if (start === 0) return;
        first = true;
        continue;
      }
    }
    // chunk ends with '\n' (or with a line fragment that continues into `tail`, already merged).
    let lineEnd = chunk.length - 1; // index of the '\n' ending the current line
    while (lineEnd >= 0) {
      // (lastIndexOf counts a negative offset from the end, so guard the first byte)
      const prevNl = lineEnd === 0 ? -1 : chunk.lastIndexOf(0x0a, lineEnd - 1);
      if (prevNl < 0 && start > 0) break; // its beginning is in the previous chunk
      const lineStart = prevNl + 1;
      yield { offset: start + lineStart, bytes: chunk.subarray(lineStart, lineEnd + 1) };
      lineEnd = prevNl;
    }
    tail = lineEnd >= 0 ? Buffer.from(chunk.subarray(0, lineEnd + 1)) : Buffer.alloc(0);
    if (tail.length > MAX_LINE) {
      // Not a conmon record: skip this line and resynchronise on the previous newline.
      tail = Buffer.alloc(0);
      first = true;
    }
    end = start;
  }
}

/** Where reading must begin to produce the last N entries, and which entries to drop. */
export interface TailStart {
  /** First record to read. */
  readonly start: LogPosition;
  /** Entries whose last record lies before this position are not part of the tail. */
  readonly firstWanted: LogPosition;
}

/**
 * Finds where the last `n` log entries begin, scanning backwards from the end
 * of the newest file into older ones.
 *
 * An entry ends at an `F` record, or at the trailing `P` records of a stream
 * that has nothing after them (output cut off without a newline). Partial
 * records of the wanted entries may sit before records of other entries
 * (stdout `P`, stderr `F`, stdout `F`): the scan goes on until each wanted
 * entry's first record is found, and `firstWanted` lets the reader drop the
 * other entries it then reads.
 */
export async function findTailStart(sources: readonly LogSource[], n: number): Promise<TailStart> {
  const last = sources.length - 1;
  const eof: LogPosition = { file: last, offset: sources[last]?.size ?? 0 };
  if (n <= 0 || sources.length === 0) return { start: eof, firstWanted: eof };
  let ends = 0;
  let start: LogPosition = eof;
  let firstWanted: LogPosition = eof;
  const open = new Set<string>(); // streams whose wanted entry's beginning is still ahead (further back)
  const seen = new Set<string>(); // streams that have a record after the current one
  let extension = 0;
  for (let file = last; file >= 0; file--) {
    const src = sources[file];
    if (src === undefined) continue;
    for await (const line of linesBackward(src.fh, src.size)) {
      const rec = peekStreamAndTag(line.bytes);
      if (rec === undefined) continue;
      const pos: LogPosition = { file, offset: line.offset };
      const dangling = rec.partial && !seen.has(rec.stream);
      seen.add(rec.stream);
      if (!rec.partial || dangling) {
        // This record ends an entry; any wanted entry of this stream after it is now complete.
        open.delete(rec.stream);
        if (ends < n) {
          ends++;
          open.add(rec.stream);
          start = pos;
          firstWanted = pos;
        }
      } else if (open.has(rec.stream)) {
        start = pos;
      }
      if (ends >= n) {
        if (open.size === 0) return { start, firstWanted };
        extension += line.bytes.length;
        if (extension > MAX_EXTENSION) return { start, firstWanted };
      }
    }
  }
  // Fewer than n entries, or their beginnings reach the first file's start.
  return { start: ends < n ? { file: 0, offset: 0 } : start, firstWanted: ends < n ? { file: 0, offset: 0 } : firstWanted };
}
