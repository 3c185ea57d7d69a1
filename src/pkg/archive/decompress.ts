import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import { InvalidParameterError } from '../../errdefs/index.js';
import { HEAP_CHUNK } from '../streams/index.js';

// node:zlib loaded on the first compressed stream, not with the daemon: an idle pierd and one
// that only runs containers never inflate anything (~0.4 MB of RSS, measured).
const nodeRequire = createRequire(import.meta.url);
let zlibModule: typeof import('node:zlib') | undefined;
const zlib = (): typeof import('node:zlib') => (zlibModule ??= nodeRequire('node:zlib') as typeof import('node:zlib'));

export type Compression = 'none' | 'gzip' | 'zstd' | 'xz' | 'bzip2';

/** Names the compression of a stream from its first bytes (docker's DetectCompression). */
export function detectCompression(head: Uint8Array): Compression {
  const starts = (...m: number[]): boolean => m.every((b, i) => head[i] === b);
  if (starts(0x1f, 0x8b, 0x08)) return 'gzip';
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  if (starts(0x42, 0x5a, 0x68)) return 'bzip2';
  return 'none';
}

/** The inflating stream for `kind` (undefined for 'none'). */
export function decompressor(kind: Compression): Transform | undefined {
  switch (kind) {
    case 'none': return undefined;
    // 120 kB output chunks: zlib's default 16 kB makes inflate hop threads per chunk (~1.5x
    // slower, measured); 256 kB ones are mmap()ed fresh each (see HEAP_CHUNK), 12% slower still.
    case 'gzip': return zlib().createGunzip({ chunkSize: HEAP_CHUNK });
    case 'zstd':
      // node 22.15+ / 24 ship zstd in zlib.
      if (typeof zlib().createZstdDecompress === 'function') return zlib().createZstdDecompress({ chunkSize: HEAP_CHUNK });
      throw new InvalidParameterError('unsupported compression format zstd: this node has no zstd support');
    default:
      throw new InvalidParameterError(`unsupported compression format ${kind}`);
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk));
}

/**
 * The bytes of `input`, gunzipped (magic 1f 8b) or zstd-decompressed
 * (28 b5 2f fd) when compressed, passed through otherwise. Streams: nothing is
 * buffered beyond the few bytes needed to sniff the format.
 */
export async function* decompressed(
  input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  op: { signal?: AbortSignal } = {},
): AsyncGenerator<Buffer> {
  const it = (async function* all(): AsyncGenerator<unknown> { for await (const c of input) yield c; })();
  try {
    let head: Buffer = Buffer.alloc(0);
    let done = false;
    while (head.length < 6) {
      const r = await it.next();
      if (r.done === true) { done = true; break; }
      head = head.length === 0 ? toBuffer(r.value) : Buffer.concat([head, toBuffer(r.value)]);
    }
    async function* rest(): AsyncGenerator<Buffer> {
      if (head.length > 0) yield head;
      while (!done) {
        const r = await it.next();
        if (r.done === true) return;
        yield toBuffer(r.value);
      }
    }
    const z = decompressor(detectCompression(head));
    if (z === undefined) { yield* rest(); return; }
    const feeding = pipeline(Readable.from(rest()), z, op.signal ? { signal: op.signal } : {});
    // Any failure of the feed also destroys `z`, so the loop below sees it.
    feeding.catch(() => { /* reported through z */ });
    for await (const chunk of z) yield toBuffer(chunk);
    await feeding;
  } finally {
    await it.return(undefined);
  }
}
