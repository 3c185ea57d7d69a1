import type { K8sRecord } from './k8s-record.js';
import { comparePositions, type LogPosition } from './tail.js';
import { nanosToDate } from './timestamp.js';

/** One log entry as docker's json-file would hold it and `GET /containers/{id}/logs` sends it. */
export interface LogEntry {
  readonly stream: 'stdout' | 'stderr';
  /** Millisecond view of `timeNano`. */
  readonly time: Date;
  /** Nanoseconds since the epoch: the time of the entry's first record. */
  readonly timeNano: bigint;
  /** The output, ending in `\n` unless the line was cut off (or longer than an entry may be). */
  readonly data: Buffer;
}

/**
 * docker's json-file splits lines longer than 16 KiB into several entries; an
 * entry here is joined from conmon's `P` records up to that size, so the
 * bytes a client sees are docker's.
 */
export const MAX_ENTRY_BYTES = 16 * 1024;

/** Bound on a line held back while a tail read cannot yet tell whether it is wanted. */
const MAX_HELD_BYTES = 1024 * 1024;

interface Pending {
  timeNano: bigint;
  parts: Buffer[];
  size: number;
  last: LogPosition;
}

/**
 * Joins conmon's records into entries, per stream: `P` records accumulate
 * until the `F` record that ends the line.
 *
 * With `firstWanted` (a tail read), entries whose last record lies before that
 * position are dropped: they were only read because a wanted entry began
 * among them.
 */
export class EntryAssembler {
  readonly #pending = new Map<'stdout' | 'stderr', Pending>();
  readonly #firstWanted: LogPosition | undefined;

  constructor(firstWanted?: LogPosition) {
    this.#firstWanted = firstWanted;
  }

  /** Adds a record read at `pos`; returns the entries it completes (zero or one). */
  push(rec: K8sRecord, pos: LogPosition): LogEntry[] {
    let p = this.#pending.size === 0 ? undefined : this.#pending.get(rec.stream);
    if (p === undefined && !rec.partial) {
      // The common case: a whole line in one record.
      if (this.#firstWanted !== undefined && comparePositions(pos, this.#firstWanted) < 0) return [];
      return [{ stream: rec.stream, time: nanosToDate(rec.timeNano), timeNano: rec.timeNano, data: rec.data }];
    }
    if (p === undefined) {
      p = { timeNano: rec.timeNano, parts: [], size: 0, last: pos };
      this.#pending.set(rec.stream, p);
    }
    p.parts.push(rec.data);
    p.size += rec.data.length;
    p.last = pos;
    const wanted = this.#firstWanted === undefined || comparePositions(pos, this.#firstWanted) >= 0;
    if (rec.partial) {
      // Before `firstWanted` a long line is kept whole (up to a bound): whether it is wanted shows only at its end.
      const full = wanted ? p.size >= MAX_ENTRY_BYTES : p.size > MAX_HELD_BYTES;
      if (!full) return [];
    }
    this.#pending.delete(rec.stream);
    return wanted ? [entry(rec.stream, p)] : [];
  }

  /** Entries still waiting for their end: output that stopped without a newline. Clears them. */
  flush(): LogEntry[] {
    const out: LogEntry[] = [];
    for (const [stream, p] of this.#pending) {
      if (this.#firstWanted === undefined || comparePositions(p.last, this.#firstWanted) >= 0) out.push(entry(stream, p));
    }
    this.#pending.clear();
    out.sort((a, b) => (a.timeNano < b.timeNano ? -1 : a.timeNano > b.timeNano ? 1 : 0));
    return out;
  }
}

function entry(stream: 'stdout' | 'stderr', p: Pending): LogEntry {
  const data = p.parts.length === 1 ? (p.parts[0] ?? Buffer.alloc(0)) : Buffer.concat(p.parts, p.size);
  return { stream, time: nanosToDate(p.timeNano), timeNano: p.timeNano, data };
}
