// Renders a JSON progress stream (pull, import) as docker's jsonmessage does:
// on a terminal one line per layer id, redrawn in place; otherwise one line per
// status change, with byte-count updates left out.

import type { Readable } from 'node:stream';
import { jsonLines, type ProgressMessage } from '../client/index.js';
import { SystemError } from '../errdefs/index.js';
import { humanSize } from './units.js';

export interface ProgressTarget {
  write(s: string): void;
  isTTY: boolean;
  columns: number;
}

/** jsonmessage's JSONProgress.String(). */
export function progressString(d: ProgressMessage['progressDetail'], width: number): string {
  const current = d?.current ?? 0;
  const total = d?.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return humanSize(current).padStart(8);
  let pct = Math.trunc((current / total) * 100 / 2);
  if (pct > 50) pct = 50;
  const bar = width > 110 ? `[${'='.repeat(pct)}>${' '.repeat(50 - pct)}] ` : '';
  const numbers = current > total ? '' : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}

/**
 * Prints the stream to `out`; resolves with the aux objects seen (e.g. an
 * import's ID). An in-stream error rejects with its message.
 */
export async function displayProgress(body: Readable, out: ProgressTarget): Promise<Record<string, unknown>[]> {
  const aux: Record<string, unknown>[] = [];
  let ids = new Map<string, number>();
  for await (const jm of jsonLines<ProgressMessage>(body)) {
    if (jm.error !== undefined || jm.errorDetail?.message !== undefined) {
      throw new SystemError(jm.errorDetail?.message ?? jm.error ?? 'unknown error');
    }
    if (jm.aux !== undefined) { aux.push(jm.aux); continue; }
    const hasProgress = jm.progressDetail !== undefined;
    let diff = 0;
    if (jm.id !== undefined && jm.id !== '' && hasProgress) {
      let line = ids.get(jm.id);
      if (line === undefined) {
        line = ids.size;
        ids.set(jm.id, line);
        if (out.isTTY) out.write('\n');
      }
      diff = ids.size - line;
      if (out.isTTY) out.write(`\x1b[${diff}A`);
    } else {
      ids = new Map();
    }
    const prog = progressString(jm.progressDetail, out.columns);
    let endl = '';
    if (out.isTTY && jm.stream === undefined && hasProgress) {
      out.write('\x1b[2K\r');
      endl = '\r';
    } else if (hasProgress && prog !== '') {
      continue; // no progress bars off a terminal
    }
    let line = jm.id ? `${jm.id}: ` : '';
    if (hasProgress && out.isTTY) line += `${jm.status ?? ''} ${prog}${endl}`;
    else if (jm.stream !== undefined) line += `${jm.stream}${endl}`;
    else line += `${jm.status ?? ''}${endl}\n`;
    out.write(line);
    if (jm.id && out.isTTY && diff > 0) out.write(`\x1b[${diff}B`);
  }
  return aux;
}

export function stdoutTarget(): ProgressTarget {
  return { write: (s) => { process.stdout.write(s); }, isTTY: process.stdout.isTTY === true, columns: process.stdout.columns ?? 80 };
}

export function stderrTarget(): ProgressTarget {
  return { write: (s) => { process.stderr.write(s); }, isTTY: process.stderr.isTTY === true, columns: process.stderr.columns ?? 80 };
}

export function discardTarget(): ProgressTarget {
  return { write: () => {}, isTTY: false, columns: 80 };
}
