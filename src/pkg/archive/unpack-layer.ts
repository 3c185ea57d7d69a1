import { createHash } from 'node:crypto';
import { decompressed } from './decompress.js';
import { extractTar } from './extract-tar.js';
import type { ExtractOptions } from './extractor.js';

/** A layer's diff ID (the sha256 of its uncompressed tar) and that tar's size. */
export interface UnpackedLayer { digest: string; size: number }

/**
 * Inflates a layer (gzip, zstd or plain), hashes the tar on its way through and
 * extracts it into `dir` with extractTar's rules. The same code runs in pierd's
 * thread and in the unpacking worker (unpacker.ts).
 */
export async function unpackLayer(
  input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  dir: string,
  opts: ExtractOptions,
): Promise<UnpackedLayer> {
  const hash = createHash('sha256');
  let size = 0;
  const sig = opts.signal ? { signal: opts.signal } : {};
  const tar = (async function* (): AsyncGenerator<Buffer> {
    for await (const chunk of decompressed(input, sig)) {
      hash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  })();
  await extractTar(tar, dir, { ...opts, inflated: true });
  return { digest: `sha256:${hash.digest('hex')}`, size };
}
