/**
 * streams: writing to a consumer that may be slow or gone. A writer whose write() returned
 * false waits for 'drain' — or 'close', because a consumer that went away never drains and
 * its writer must not wait forever (a vanished client, a failed unpacking). And reading a
 * producer chunk by chunk, without the joining copies a Readable's own iterator makes.
 *
 * @example
 * if (!out.write(chunk)) await drained(out);
 */
import type { Readable, Writable } from 'node:stream';

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

/**
 * The chunks of `r` one by one, as they were pushed. A Readable's own async iterator calls
 * read(), which joins everything buffered into one new Buffer: a copy into fresh memory,
 * whose page faults cost more than the copy on this kind of VM.
 *
 * Up to `highWaterMark` bytes are held before `r` is paused. Ends when `r` ends, throws its
 * error (or a premature-close error when it is destroyed before its end), and destroys `r`
 * when the consumer stops early.
 */
export async function* chunksOf(r: Readable, highWaterMark = 1 << 20): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = (): void => { const w = wake; wake = undefined; w?.(); };
  const premature = (): Error => Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
  const onData = (c: Buffer): void => {
    queue.push(c);
    queued += c.length;
    if (queued >= highWaterMark) r.pause();
    notify();
  };
  const onEnd = (): void => { ended = true; notify(); };
  const onError = (err: unknown): void => { failure ??= err; notify(); };
  const onClose = (): void => { if (!ended) failure ??= premature(); notify(); };
  if (r.readableEnded) ended = true;
  else if (r.destroyed) failure = r.errored ?? premature();
  r.on('end', onEnd);
  r.on('error', onError);
  r.on('close', onClose);
  r.on('data', onData);
  try {
    for (;;) {
      const c = queue.shift();
      if (c !== undefined) {
        queued -= c.length;
        if (queued < highWaterMark / 2 && r.isPaused() && !r.destroyed) r.resume();
        yield c;
        continue;
      }
      if (failure !== undefined) throw failure;
      if (ended) return;
      await new Promise<void>((resolve) => { wake = resolve; });
    }
  } finally {
    r.off('data', onData);
    r.off('end', onEnd);
    r.off('error', onError);
    r.off('close', onClose);
    if (!ended && !r.destroyed) r.destroy();
  }
}

/**
 * The most a hot stream (inflate, blob and layer reads) should allocate per chunk: under
 * glibc's mmap threshold, which bin/pierd pins at 128 kB for idle RSS. A bigger buffer is
 * mmap()ed anew each time and each of its pages faults on first touch, which on this kind of
 * VM costs far more than the copy: 256 kB inflate chunks cost 48k page faults and ~1.2 s of
 * CPU per 200 MB inflated, 120 kB ones ~2k faults (measured). Smaller buffers come from the
 * heap, warm, and are used again.
 */
export const HEAP_CHUNK = 120 << 10;
