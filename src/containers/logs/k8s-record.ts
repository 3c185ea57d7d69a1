import { parseRfc3339Nano } from './timestamp.js';

/**
 * One line of conmon's `k8s-file` log (the CRI log format):
 * `<RFC3339Nano with local offset> <stdout|stderr> <F|P> <text>\n`.
 *
 * `F` marks the end of a line: the text conmon read included the newline.
 * `P` marks a partial line: conmon read no newline and added one to end the
 * record, so the output continues in the next record of the same stream.
 */
export interface K8sRecord {
  readonly timeNano: bigint;
  readonly stream: 'stdout' | 'stderr';
  readonly partial: boolean;
  /** The container's bytes, with the newline restored when the record is `F`. */
  readonly data: Buffer;
}

const SPACE = 0x20;
const NEWLINE = Buffer.from('\n');

/**
 * Parses one record. `line` may include the record's terminating `\n`; an
 * `F` record's data then shares its memory instead of being copied.
 * Leading NUL bytes are skipped (a file truncated under a writer that keeps
 * its offset reads back as a hole). Returns undefined for anything else that
 * is not a record.
 */
export function parseK8sRecord(line: Buffer): K8sRecord | undefined {
  const hasNl = line.length > 0 && line[line.length - 1] === 0x0a;
  const end = hasNl ? line.length - 1 : line.length;
  let start = 0;
  while (start < end && line[start] === 0) start++;
  const tsEnd = line.indexOf(SPACE, start);
  if (tsEnd < 0 || tsEnd - start > 40 || tsEnd > end) return undefined;
  const timeNano = fastTimestamp(line, start, tsEnd) ?? parseRfc3339Nano(line.toString('latin1', start, tsEnd));
  if (timeNano === undefined) return undefined;
  const header = parseStreamAndTag(line, tsEnd + 1, end);
  if (header === undefined) return undefined;
  const textStart = Math.min(header.textStart, end);
  let data: Buffer;
  if (header.partial) data = line.subarray(textStart, end);
  else if (hasNl) data = line.subarray(textStart);
  else data = Buffer.concat([line.subarray(textStart, end), NEWLINE]);
  return { timeNano, stream: header.stream, partial: header.partial, data };
}

/** One-entry cache: consecutive records mostly share their second. */
let cachedPrefix = '';
let cachedSeconds = 0n;

/**
 * conmon's fixed layout `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+hh:mm` without a regex
 * or a Date per record; undefined for any other layout (the slow path copes).
 */
function fastTimestamp(line: Buffer, start: number, end: number): bigint | undefined {
  if (end - start !== 35 || line[start + 19] !== 0x2e) return undefined;
  const prefix = line.toString('latin1', start, start + 19) + line.toString('latin1', start + 29, end);
  let nanos = 0;
  for (let i = start + 20; i < start + 29; i++) {
    const d = (line[i] ?? 0) - 0x30;
    if (d < 0 || d > 9) return undefined;
    nanos = nanos * 10 + d;
  }
  if (prefix !== cachedPrefix) {
    const seconds = parseRfc3339Nano(prefix);
    if (seconds === undefined) return undefined;
    cachedPrefix = prefix;
    cachedSeconds = seconds;
  }
  return cachedSeconds + BigInt(nanos);
}

/** Stream and tag of a record without parsing its timestamp (used when scanning backwards). */
export function peekStreamAndTag(line: Buffer): { stream: 'stdout' | 'stderr'; partial: boolean } | undefined {
  let start = 0;
  while (start < line.length && line[start] === 0) start++;
  const tsEnd = line.indexOf(SPACE, start);
  if (tsEnd < 0 || tsEnd - start > 40) return undefined;
  const end = line.length > 0 && line[line.length - 1] === 0x0a ? line.length - 1 : line.length;
  const h = parseStreamAndTag(line, tsEnd + 1, end);
  return h === undefined ? undefined : { stream: h.stream, partial: h.partial };
}

function parseStreamAndTag(line: Buffer, at: number, end: number): { stream: 'stdout' | 'stderr'; partial: boolean; textStart: number } | undefined {
  const streamEnd = at + 6;
  if (streamEnd + 1 >= end || line[streamEnd] !== SPACE) return undefined;
  const name = line.toString('latin1', at, streamEnd);
  if (name !== 'stdout' && name !== 'stderr') return undefined;
  const tag = line[streamEnd + 1];
  if (tag !== 0x46 /* F */ && tag !== 0x50 /* P */) return undefined;
  // "<tag> <text>"; a record may also end right after the tag.
  if (streamEnd + 2 < end && line[streamEnd + 2] !== SPACE) return undefined;
  return { stream: name, partial: tag === 0x50, textStart: streamEnd + 3 };
}

/** Formats a record the way conmon does (tests and tools that write k8s-file content). */
export function formatK8sRecord(r: { time: string; stream: 'stdout' | 'stderr'; partial: boolean; text: string }): string {
  return `${r.time} ${r.stream} ${r.partial ? 'P' : 'F'} ${r.text}\n`;
}
