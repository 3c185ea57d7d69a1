// Blobs are stored once, globally, by digest; a repository sees a blob only
// through its link (distribution's "linked blob store"). Deleting a blob from a
// repository removes the link; `garbageCollect` removes unreferenced bytes.

import type { Readable } from 'node:stream';
import { isNotFound } from '../errdefs/index.js';
import type { Digest } from '../pkg/digest/index.js';
import { RegistryError } from './registry-error.js';
import type { Op, StorageDriver } from './storage-driver.js';
import { blobPath, layerLinkPath } from './storage-paths.js';

export interface BlobInfo {
  readonly digest: Digest;
  readonly size: number;
}

export class BlobStore {
  readonly #driver: StorageDriver;

  constructor(driver: StorageDriver) {
    this.#driver = driver;
  }

  /** Size of a blob stored anywhere in the registry, or undefined. */
  async statGlobal(digest: Digest, op: Op = {}): Promise<BlobInfo | undefined> {
    try {
      const st = await this.#driver.stat(blobPath(digest), op);
      return { digest, size: st.size };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** True when `repo` links the blob (whether or not its bytes are still there). */
  async isLinked(repo: string, digest: Digest, op: Op = {}): Promise<boolean> {
    try {
      await this.#driver.stat(layerLinkPath(repo, digest), op);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** The blob as `repo` sees it. BLOB_UNKNOWN when not linked or its bytes are gone. */
  async stat(repo: string, digest: Digest, op: Op = {}): Promise<BlobInfo> {
    const [linked, info] = await Promise.all([this.isLinked(repo, digest, op), this.statGlobal(digest, op)]);
    if (!linked || info === undefined) throw new RegistryError('BLOB_UNKNOWN', { detail: { digest } });
    return info;
  }

  /** Streams bytes `start`..`end` (inclusive) of a blob already checked with `stat`. */
  async open(digest: Digest, op: Op & { start?: number; end?: number } = {}): Promise<Readable> {
    try {
      return await this.#driver.reader(blobPath(digest), op);
    } catch (err) {
      if (isNotFound(err)) throw new RegistryError('BLOB_UNKNOWN', { detail: { digest }, cause: err });
      throw err;
    }
  }

  /** Makes the blob part of `repo`. Idempotent. */
  async link(repo: string, digest: Digest, op: Op = {}): Promise<void> {
    await this.#driver.putContent(layerLinkPath(repo, digest), digest, op);
  }

  /** Removes the blob from `repo` (its bytes stay until GC). BLOB_UNKNOWN when not linked. */
  async unlink(repo: string, digest: Digest, op: Op = {}): Promise<void> {
    if (!(await this.isLinked(repo, digest, op))) throw new RegistryError('BLOB_UNKNOWN', { detail: { digest } });
    await this.#driver.delete(layerLinkPath(repo, digest), op);
  }

  /**
   * Cross-repository mount: links a blob `from` has (or, without `from`, any
   * blob the registry holds) into `repo`. Resolves undefined when it cannot,
   * and the client then uploads as usual.
   */
  async mount(repo: string, digest: Digest, from: string | undefined, op: Op = {}): Promise<BlobInfo | undefined> {
    const info = await this.statGlobal(digest, op);
    if (info === undefined) return undefined;
    if (from !== undefined && !(await this.isLinked(from, digest, op))) return undefined;
    await this.link(repo, digest, op);
    return info;
  }

  /** Stores small bytes (a manifest) under their digest, unless already there. */
  async putBytes(digest: Digest, bytes: Uint8Array, op: Op = {}): Promise<void> {
    if ((await this.statGlobal(digest, op)) !== undefined) return;
    await this.#driver.putContent(blobPath(digest), bytes, op);
  }

  /** Reads small bytes (a manifest). undefined when missing. */
  async getBytes(digest: Digest, maxBytes: number, op: Op = {}): Promise<Buffer | undefined> {
    try {
      return await this.#driver.getContent(blobPath(digest), { ...op, maxBytes });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}
