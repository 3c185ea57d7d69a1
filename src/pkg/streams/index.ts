/**
 * streams: writing to a consumer that may be slow or gone. A writer whose write() returned
 * false waits for 'drain' — or 'close', because a consumer that went away never drains and
 * its writer must not wait forever (a vanished client, a failed unpacking).
 *
 * @example
 * if (!out.write(chunk)) await drained(out);
 */
import type { Writable } from 'node:stream';

/** Resolves when `w` has room again (or needs none), or is gone. */
export function drained(w: Writable): Promise<void> {
  if (!w.writableNeedDrain || w.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => { w.off('drain', done); w.off('close', done); resolve(); };
    w.on('drain', done);
    w.on('close', done);
  });
}

/** Writes `chunk`; when the buffer is full, resolves once it drains or `w` is gone. */
export function writeWithBackpressure(w: Writable, chunk: string | Uint8Array): Promise<void> | undefined {
  if (w.write(chunk) || w.destroyed) return undefined;
  return drained(w);
}
