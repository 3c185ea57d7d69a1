import { open, stat, type FileHandle } from 'node:fs/promises';
import { EntryAssembler, type LogEntry } from './entry-assembler.js';
import { parseK8sRecord } from './k8s-record.js';
import { LineCursor } from './line-cursor.js';
import { findTailStart, type LogPosition, type LogSource } from './tail.js';
import { Waker } from './waker.js';

export interface ReadLogsOptions {
  readonly stdout: boolean;
  readonly stderr: boolean;
  /** Keep reading as the container writes, until `done` resolves or `signal` aborts. */
  readonly follow: boolean;
  /** The last N entries (of both streams, like docker) before streams are selected; undefined or negative = all. */
  readonly tail?: number | undefined;
  /** Nanoseconds since the epoch; entries at or after it (docker keeps `time >= since`). 0n/undefined = unset. */
  readonly since?: bigint | undefined;
  /** Nanoseconds since the epoch; reading stops at the first entry after it. 0n/undefined = unset. */
  readonly until?: bigint | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Follow mode: resolves when the container has exited; the reader drains the log and ends. */
  readonly done?: Promise<void> | undefined;
  /** Follow mode: how often to look at the file when no change event arrives (default 250 ms). */
  readonly pollMs?: number | undefined;
}

/** The current log file and its rotated predecessors, oldest first (`[<p>.2, <p>.1]`). */
export interface LogPaths {
  readonly current: string;
  readonly rotated: readonly string[];
}

interface OpenFile extends LogSource {
  readonly key: string;
}

/**
 * Reads a container's conmon `k8s-file` log as docker log entries.
 *
 * Semantics follow docker's json-file reader: `tail` counts entries from the
 * end of the newest file backwards (without reading the whole log), then
 * `since`/`until` filter by time, then `stdout`/`stderr` select streams.
 * With `follow`, the reader then waits for more output, survives rotation
 * (the file renamed away and a new one created, or truncated in place), and
 * ends once `done` has resolved and the file is drained, or when `signal`
 * aborts. Breaking out of the iteration releases every file handle.
 */
export async function* readLogs(paths: LogPaths, opts: ReadLogsOptions): AsyncGenerator<LogEntry> {
  const since = opts.since ?? 0n;
  const until = opts.until ?? 0n;
  const wantStream = (s: 'stdout' | 'stderr'): boolean => (s === 'stdout' ? opts.stdout : opts.stderr);
  const { files, hasCurrent } = await openLogFiles(paths, new Set());
  const handles = new Set<FileHandle>(files.map((f) => f.fh));
  /** Files already read (or deliberately skipped by `tail`): a rotation shows as files not in here. */
  const known = new Set(files.map((f) => f.key));
  const waker = new Waker(opts.pollMs ?? 250);
  let untilTimer: NodeJS.Timeout | undefined;
  const onAbort = (): void => waker.wake();
  opts.signal?.addEventListener('abort', onAbort);
  try {
    const tail = opts.tail !== undefined && opts.tail >= 0 ? await findTailStart(files, opts.tail) : undefined;
    const start: LogPosition = tail?.start ?? { file: 0, offset: 0 };
    const asm = new EntryAssembler(tail?.firstWanted);
    const release = async (fh: FileHandle): Promise<void> => {
      handles.delete(fh);
      await fh.close();
    };
    for (const f of files.slice(0, start.file)) await release(f.fh);
    let stopped = false; // an entry after `until` was reached, or the signal aborted

    /** Feeds one file's lines through the assembler and filters; stops at `until`. */
    const feed = async function* (cursor: LineCursor, file: number, end?: number): AsyncGenerator<LogEntry> {
      for await (const line of cursor.lines(end)) {
        if (opts.signal?.aborted === true) {
          stopped = true;
          return;
        }
        const rec = parseK8sRecord(line.bytes);
        if (rec === undefined) continue;
        if (until !== 0n && rec.timeNano > until) {
          stopped = true;
          return;
        }
        for (const e of asm.push(rec, { file, offset: line.offset })) {
          if (e.timeNano >= since && wantStream(e.stream)) yield e;
        }
      }
    };

    // History: the rotated files, then the current one up to where it ends now.
    const last = files.length - 1;
    /** The file being followed: the newest one (conmon may still write to it even once renamed). */
    let followed: { cursor: LineCursor; key: string; file: number } | undefined;
    for (let i = start.file; i < files.length; i++) {
      const f = files[i];
      if (f === undefined) continue;
      const cursor = new LineCursor(f.fh, i === start.file ? start.offset : 0);
      // Without follow, the current file is read up to where it ends now, not chased while it grows.
      yield* feed(cursor, i, i === last && hasCurrent && !opts.follow ? (await f.fh.stat()).size : undefined);
      if (stopped) return;
      if (i === last) followed = { cursor, key: f.key, file: i };
      else await release(f.fh);
    }
    if (!opts.follow) {
      yield* flushed(asm, since, wantStream);
      return;
    }

    // Follow: wait for more output until the container is done.
    let done = false;
    const finish = (): void => {
      done = true;
      waker.wake();
    };
    void opts.done?.then(finish, finish);
    if (until !== 0n) {
      const ms = Number((until - BigInt(Date.now()) * 1_000_000n) / 1_000_000n);
      if (ms <= 0) done = true;
      else if (ms < 2 ** 31) untilTimer = setTimeout(finish, ms + 1);
    }
    waker.watch(paths.current);
    let fileIndex = files.length;
    for (;;) {
      if (opts.signal?.aborted === true) return;
      const finalPass = done;
      if (followed !== undefined) {
        yield* feed(followed.cursor, followed.file);
        if (stopped) return;
      }
      const st = await stat(paths.current).catch(() => undefined);
      if (st !== undefined && fileKey(st) !== followed?.key) {
        // Rotated (or created). Finish the followed file (its writer may have added more before
        // reopening), then read every file that appeared since, oldest first: several rotations
        // may have happened between two looks. The newest of them is followed next.
        if (followed !== undefined) {
          yield* feed(followed.cursor, followed.file);
          if (stopped) return;
          await release(followed.cursor.handle);
          followed = undefined;
        }
        const fresh = (await openLogFiles(paths, known)).files;
        for (const f of fresh) handles.add(f.fh);
        for (const [i, f] of fresh.entries()) {
          known.add(f.key);
          const cursor = new LineCursor(f.fh, 0);
          const file = fileIndex++;
          if (i === fresh.length - 1) {
            followed = { cursor, key: f.key, file };
            break;
          }
          yield* feed(cursor, file);
          if (stopped) return;
          await release(f.fh);
        }
        waker.watch(paths.current);
        if (followed === undefined) await waker.wait();
        continue;
      }
      if (st !== undefined && followed !== undefined && st.size < followed.cursor.position) {
        followed.cursor.reset(0); // truncated in place
        continue;
      }
      if (finalPass) {
        // Output cut off without a newline is still output (docker writes it as a last entry).
        yield* flushed(asm, since, wantStream);
        return;
      }
      await waker.wait();
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    clearTimeout(untilTimer);
    waker.unwatch();
    await Promise.all([...handles].map((fh) => fh.close().catch(() => undefined)));
  }
}

function* flushed(asm: EntryAssembler, since: bigint, want: (s: 'stdout' | 'stderr') => boolean): Generator<LogEntry> {
  for (const e of asm.flush()) if (e.timeNano >= since && want(e.stream)) yield e;
}

/** Identifies a file across renames; the birth time guards against a reused inode number. */
function fileKey(st: { dev: number; ino: number; birthtimeMs: number }): string {
  return `${st.dev}:${st.ino}:${st.birthtimeMs}`;
}

/**
 * Opens the current file first, then the rotated ones newest first: a
 * rotation racing with the opens then shows up as the same file twice (and
 * is dropped) rather than as a gap. Missing files and files in `skip` are
 * left out. The result is oldest first.
 */
async function openLogFiles(paths: LogPaths, skip: ReadonlySet<string>): Promise<{ files: OpenFile[]; hasCurrent: boolean }> {
  const out: OpenFile[] = [];
  const seen = new Set<string>();
  let hasCurrent = false;
  const order = [paths.current, ...[...paths.rotated].reverse()];
  try {
    for (const p of order) {
      const fh = await open(p, 'r').catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      });
      if (fh === undefined) continue;
      const st = await fh.stat();
      const key = fileKey(st);
      if (seen.has(key) || skip.has(key)) {
        await fh.close();
        continue;
      }
      seen.add(key);
      if (p === paths.current) hasCurrent = true;
      out.unshift({ fh, size: st.size, key });
    }
  } catch (err) {
    await Promise.all(out.map((f) => f.fh.close().catch(() => undefined)));
    throw err;
  }
  return { files: out, hasCurrent };
}
