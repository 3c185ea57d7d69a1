import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { InvalidParameterError } from '../../errdefs/index.js';

/** A content digest as OCI writes it: `sha256:` followed by 64 lowercase hex digits. */
export type Digest = `sha256:${string}`;

const digestRe = /^sha256:[a-f0-9]{64}$/;
const anyAlgRe = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** True when `s` is a well-formed sha256 digest. */
export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && digestRe.test(s);
}

/**
 * Checks `s` and returns it typed as a Digest. Throws InvalidParameterError with
 * go-digest's wording ("invalid checksum digest format", "unsupported digest
 * algorithm", "invalid checksum digest length"), which docker clients print.
 */
export function parseDigest(s: string): Digest {
  if (isDigest(s)) return s;
  if (!anyAlgRe.test(s)) throw new InvalidParameterError(`invalid checksum digest format: "${s}"`);
  const [alg = '', hex = ''] = s.split(':', 2);
  if (alg !== 'sha256') throw new InvalidParameterError(`unsupported digest algorithm: "${s}"`);
  if (hex.length !== 64) throw new InvalidParameterError(`invalid checksum digest length: "${s}"`);
  throw new InvalidParameterError(`invalid checksum digest format: "${s}"`);
}

/** The hex part of a digest (docker's image IDs are shown as the first 12 of these). */
export function digestHex(d: Digest): string {
  return d.slice('sha256:'.length);
}

/** sha256 of bytes held in memory (configs, manifests: never layers). */
export function digestOf(buf: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(buf).digest('hex')}`;
}

/** Incremental sha256: feed chunks, then read `digest()` once. */
export class Digester {
  readonly #hash: Hash = createHash('sha256');
  #size = 0;
  #result: Digest | undefined;
  update(chunk: Uint8Array): void {
    if (this.#result !== undefined) throw new Error('digester already finished');
    this.#hash.update(chunk);
    this.#size += chunk.byteLength;
  }
  /** Bytes seen so far. */
  get size(): number { return this.#size; }
  /** Finishes the hash; later calls return the same value. */
  digest(): Digest {
    this.#result ??= `sha256:${this.#hash.digest('hex')}`;
    return this.#result;
  }
}

/**
 * A pass-through stream that hashes and counts every byte flowing through it.
 * Read `digest()` and `size` once the stream has finished (after `pipeline()`
 * resolves), e.g. to verify a blob while it is written to disk.
 */
export class DigestingStream extends Transform {
  readonly #digester = new Digester();
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#digester.update(chunk);
    cb(null, chunk);
  }
  get size(): number { return this.#digester.size; }
  digest(): Digest { return this.#digester.digest(); }
}

/** Hashes a whole stream without keeping it: `{ digest, size }`. */
export async function digestStream(
  input: AsyncIterable<Uint8Array>,
  op: { signal?: AbortSignal } = {},
): Promise<{ digest: Digest; size: number }> {
  const d = new Digester();
  for await (const chunk of input) {
    op.signal?.throwIfAborted();
    d.update(chunk);
  }
  return { digest: d.digest(), size: d.size };
}
