/**
 * unpacker: layer unpacking on a worker thread, so a pull uses both cores.
 *
 * Unpacking a pulled layer in pierd's thread cost it ~0.5 s of CPU per 100 MB
 * of gzip layers (a sha256 pass over the tar, inflate bookkeeping, tar parsing,
 * file writes) on top of the download (HTTP, a sha256 pass, the blob's writes):
 * that thread was the bottleneck of `docker pull` from a local registry. Now
 * the download stays in pierd's thread and a worker (unpack-worker.ts) unpacks
 * from the content store's file as it grows, with the same code and refusals as
 * in-thread (unpack-layer.ts). Only small messages cross between the threads.
 *
 * The worker starts with the first big layer and ends after IDLE_MS without
 * one (it holds ~10 MB). Starting one costs ~100 ms of CPU and its first layers
 * run cold: a pull 12 s after the last took ~150-200 ms longer than one right
 * after it while the idle time was 10 s, so a minute's worth of pulls share one.
 * A worker that dies fails its layers with a SystemError; the next layer starts
 * a new one.
 *
 * @example
 * const { digest, size } = await unpacker.unpackFile(fd, blobSize, dir, { whiteouts: 'overlay', signal });
 */
import { existsSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { SystemError, messageOf } from '../../errdefs/index.js';
import type { IdMapping } from '../idtools/index.js';
import type { UnpackedLayer } from './unpack-layer.js';
import { errorFromWire, type WhiteoutMode, type WireError } from './unpack-wire.js';

const IDLE_MS = 60_000;

type Out = { t: 'done'; id: number; digest: string; size: number } | { t: 'error'; id: number; error: WireError };

/** The worker's file: beside the bundle when pierd runs from it, beside this module otherwise. */
function workerFile(): URL {
  const bundled = new URL('./pierd-unpack-worker.mjs', import.meta.url);
  return existsSync(bundled) ? bundled : new URL('./unpack-worker.js', import.meta.url);
}

export class LayerUnpacker {
  readonly #onEnd: (() => void) | undefined;
  readonly #idleMs: number;
  #worker: Worker | undefined;
  readonly #jobs = new Map<number, { w: Worker; settle: (r: { ok: UnpackedLayer } | { err: Error }) => void }>();
  #next = 1;
  #idle: NodeJS.Timeout | undefined;

  /** `onEnd` is called once an idle worker has ended (pierd returns the memory it held); `idleMs` is for tests. */
  constructor(o: { onEnd?: () => void; idleMs?: number } = {}) {
    this.#onEnd = o.onEnd;
    this.#idleMs = o.idleMs ?? IDLE_MS;
  }

  /**
   * Unpacks the layer blob of `size` bytes behind `fd` (read from offset 0; the file may
   * still be growing: the worker follows it until `size`) into `dir`. The caller keeps
   * `fd` open until this settles. Aborting `signal` stops the worker's reading (a failed
   * download); this settles only once the worker has stopped writing into `dir`.
   */
  async unpackFile(fd: number, size: number, dir: string, o: { whiteouts: WhiteoutMode; idMapping?: IdMapping; signal?: AbortSignal }): Promise<UnpackedLayer> {
    o.signal?.throwIfAborted();
    const w = this.#ensure();
    const id = this.#next++;
    const result = new Promise<{ ok: UnpackedLayer } | { err: Error }>((resolve) => this.#jobs.set(id, { w, settle: resolve }));
    w.postMessage({ t: 'start', id, fd, size, dir, whiteouts: o.whiteouts, ...(o.idMapping ? { idMapping: o.idMapping } : {}) });
    const onAbort = (): void => { w.postMessage({ t: 'abort', id, message: messageOf(o.signal?.reason) }); };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const r = await result;
      if ('err' in r) throw r.err;
      return r.ok;
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Starts the worker ahead of a layer that will need it, so its start (~100 ms) overlaps other work. */
  prestart(): void {
    this.#ensure();
    this.#idleSoon();
  }

  /** Ends the worker now (pierd's shutdown); layers still unpacking fail. */
  async close(): Promise<void> {
    if (this.#idle) { clearTimeout(this.#idle); this.#idle = undefined; }
    const w = this.#worker;
    this.#worker = undefined;
    if (w) await w.terminate();
  }

  #ensure(): Worker {
    if (this.#idle) { clearTimeout(this.#idle); this.#idle = undefined; }
    if (this.#worker) { this.#worker.ref(); return this.#worker; }
    // node:worker_threads on first use, not at pierd's start: a daemon that never pulls a big layer does not load it.
    const { Worker } = process.getBuiltinModule('node:worker_threads');
    const w = new Worker(workerFile(), { stdout: false, stderr: false });
    this.#worker = w;
    w.on('message', (m: Out) => this.#onMessage(m));
    const gone = (why: string): void => {
      if (this.#worker === w) this.#worker = undefined;
      for (const [id, job] of this.#jobs) {
        if (job.w !== w) continue;
        this.#jobs.delete(id);
        job.settle({ err: new SystemError(`the layer unpacking worker ${why}`) });
      }
    };
    w.on('error', (err) => gone(`failed: ${messageOf(err)}`));
    w.on('exit', (code) => gone(`exited (code ${code})`));
    return w;
  }

  #onMessage(m: Out): void {
    const job = this.#jobs.get(m.id);
    if (!job) return;
    this.#jobs.delete(m.id);
    job.settle(m.t === 'done' ? { ok: { digest: m.digest, size: m.size } } : { err: errorFromWire(m.error) });
    this.#idleSoon();
  }

  /** With no layer unpacking, the worker keeps no pierd alive and ends after IDLE_MS (then onEnd). */
  #idleSoon(): void {
    const w = this.#worker;
    if (this.#jobs.size > 0 || !w) return;
    w.unref();
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      if (this.#worker === w && this.#jobs.size === 0) void this.close().then(() => this.#onEnd?.());
    }, this.#idleMs);
    this.#idle.unref();
  }
}
