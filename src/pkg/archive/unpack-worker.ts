/**
 * The unpacking worker, a worker thread of pierd (see unpacker.ts). It reads a
 * layer's compressed bytes from a file descriptor — the content store's file as
 * pierd's thread downloads into it, following it as it grows, or a stored blob —
 * and inflates, hashes and extracts them on its own core.
 *
 * Nothing crosses between the threads but small messages: the bytes go through
 * the page cache, read into a few 1 MiB buffers that are used again and again
 * (fresh memory costs its page faults, which on this kind of VM cost more than
 * the copy). A buffer goes back to the pool once zlib has consumed it.
 *
 * In: start {id, fd, size, dir, whiteouts, idMapping?}, abort {id, message}.
 * Out: done {id, digest, size}, error {id, error}.
 */
import { read } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { CanceledError } from '../../errdefs/index.js';
import { IdMapper, type IdMapping } from '../idtools/index.js';
import { chunksOf, drained } from '../streams/index.js';
import { decompressor, detectCompression } from './decompress.js';
import { unpackLayer } from './unpack-layer.js';
import { errorToWire, type WhiteoutMode } from './unpack-wire.js';

type In =
  | { t: 'start'; id: number; fd: number; size: number; dir: string; whiteouts: WhiteoutMode; idMapping?: IdMapping }
  | { t: 'abort'; id: number; message: string };

const SLAB = 1 << 20;
/** How long a reader that caught up with the download waits before it looks again. */
const FOLLOW_MS = 2;

const pool: Buffer[] = [];
const acquire = (): Buffer => pool.pop() ?? Buffer.allocUnsafeSlow(SLAB);
const release = (b: Buffer): void => { if (pool.length < 16) pool.push(b); };

function readAt(fd: number, buf: Buffer, len: number, pos: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, 0, len, pos, (err, n) => (err ? reject(err) : resolve(n))));
}

interface Job { fd: number; size: number; aborted?: Error; stopped?: boolean }

/** The layer's tar: its compressed bytes read from `job.fd` (as they arrive) and inflated. */
async function* tarOf(job: Job): AsyncGenerator<Buffer> {
  let pos = 0;
  // The next slab of compressed bytes, at least `min` of them (or the rest); waits while the download is behind.
  const next = async (min = 1): Promise<{ slab: Buffer; n: number }> => {
    const slab = acquire();
    let n = 0;
    try {
      for (;;) {
        if (job.aborted) throw job.aborted;
        if (job.stopped) throw new CanceledError('unpacking stopped');
        const got = await readAt(job.fd, slab.subarray(n), Math.min(SLAB - n, job.size - pos), pos);
        n += got;
        pos += got;
        if (n >= min || pos >= job.size) return { slab, n };
        if (got === 0) await new Promise((r) => setTimeout(r, FOLLOW_MS));
      }
    } catch (err) {
      release(slab);
      throw err;
    }
  };
  if (job.size === 0) return;
  // Enough bytes to tell the compression by its magic number, however the download's writes fell.
  let cur = await next(6);
  const z = decompressor(detectCompression(cur.slab.subarray(0, Math.min(cur.n, 6))));
  if (!z) {
    // A plain tar: each slab is copied out (its bytes end up in writes still in flight).
    for (;;) {
      yield Buffer.from(cur.slab.subarray(0, cur.n));
      release(cur.slab);
      if (pos >= job.size) return;
      cur = await next();
    }
  }
  const feeding = (async () => {
    for (;;) {
      const { slab, n } = cur;
      const room = z.write(slab.subarray(0, n), () => release(slab));
      if (pos >= job.size) break;
      if (!room) await drained(z);
      cur = await next();
    }
    z.end();
  })();
  feeding.catch((err: unknown) => z.destroy(err instanceof Error ? err : new Error(String(err))));
  try {
    yield* chunksOf(z);
    await feeding;
  } finally {
    job.stopped = true; // the extraction ended (or failed): stop reading
  }
}

const port = parentPort;
if (!port) throw new Error('unpack-worker runs as a worker thread');
const jobs = new Map<number, Job>();
port.on('message', (m: In) => {
  if (m.t === 'abort') {
    const job = jobs.get(m.id);
    if (job) job.aborted ??= new CanceledError(m.message);
    return;
  }
  const job: Job = { fd: m.fd, size: m.size };
  jobs.set(m.id, job);
  const idMap = m.idMapping ? new IdMapper(m.idMapping) : undefined;
  unpackLayer(tarOf(job), m.dir, { whiteouts: m.whiteouts, ...(idMap ? { idMap } : {}) }).then(
    (r) => port.postMessage({ t: 'done', id: m.id, digest: r.digest, size: r.size }),
    (err: unknown) => port.postMessage({ t: 'error', id: m.id, error: errorToWire(job.aborted ?? err) }),
  ).finally(() => jobs.delete(m.id));
});
