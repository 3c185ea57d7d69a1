/**
 * backpressure: writing a stream to a client that reads slowly (or not at all) without
 * buffering it in pierd. A write that fills the socket's buffer waits for 'drain' — or for
 * 'close', since a client that goes away never drains and its writer must not wait forever.
 */
import type { Writable } from 'node:stream';

/** Writes `chunk`; when the buffer is full, resolves once it drains or the stream is gone. */
export function writeWithBackpressure(out: Writable, chunk: string | Uint8Array): Promise<void> | undefined {
  if (out.write(chunk) || out.destroyed) return undefined;
  return new Promise<void>((resolve) => {
    const done = (): void => { out.off('drain', done); out.off('close', done); resolve(); };
    out.on('drain', done);
    out.on('close', done);
  });
}
