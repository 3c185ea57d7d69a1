// Blob uploads: bytes arrive (one or many requests) in uploads/<uuid>/data,
// hashed as they are written; only a verified digest moves them into blobs/.

import { createHash, randomUUID, type Hash } from 'node:crypto';
import { isNotFound } from '../errdefs/index.js';
import type { Digest } from '../pkg/digest/index.js';
import type { BlobInfo, BlobStore } from './blob-store.js';
import { isUploadId } from './repository-name.js';
import { RegistryError } from './registry-error.js';
import type { Op, StorageDriver } from './storage-driver.js';
import { blobPath, UPLOADS_DIR, uploadDataPath, uploadDir, uploadInfoPath } from './storage-paths.js';

/** What `uploads/<uuid>/info` holds: the upload's repository and start time. */
export interface UploadInfo {
  readonly repo: string;
  readonly startedAt: string;
}

/**
 * In-memory state of an upload this process has seen. `hash` covers exactly
 * the first `hashed` bytes of the data file; when that stops being true (a
 * failed PATCH, a restart) it is dropped and the file is re-read at the end.
 */
interface Session {
  readonly repo: string;
  hash: Hash | undefined;
  hashed: number;
  busy: boolean;
}

/** Where an append must start, and the Range a 416 reports. */
export interface AppendOptions extends Op {
  readonly start?: number;
}

export function rangeHeader(size: number): string {
  return `0-${Math.max(size - 1, 0)}`;
}

export class UploadStore {
  readonly #driver: StorageDriver;
  readonly #blobs: BlobStore;
  readonly #sessions = new Map<string, Session>();

  constructor(driver: StorageDriver, blobs: BlobStore) {
    this.#driver = driver;
    this.#blobs = blobs;
  }

  /** Starts an upload into `repo`; resolves with its ID. */
  async start(repo: string, op: Op = {}): Promise<string> {
    const id = randomUUID();
    const info: UploadInfo = { repo, startedAt: new Date().toISOString() };
    // Scratch state: a crash loses the upload, which the client restarts anyway.
    await this.#driver.putContent(uploadDataPath(id), '', { ...op, durable: false });
    await this.#driver.putContent(uploadInfoPath(id), JSON.stringify(info), { ...op, durable: false });
    this.#sessions.set(id, { repo, hash: createHash('sha256'), hashed: 0, busy: false });
    return id;
  }

  async #session(repo: string, id: string, op: Op): Promise<Session> {
    const unknown = (): RegistryError => new RegistryError('BLOB_UPLOAD_UNKNOWN', { detail: { uuid: id } });
    if (!isUploadId(id)) throw unknown();
    let s = this.#sessions.get(id);
    if (s === undefined) {
      let info: unknown;
      try {
        info = JSON.parse((await this.#driver.getContent(uploadInfoPath(id), { ...op, maxBytes: 4096 })).toString('utf8'));
      } catch (err) {
        if (isNotFound(err) || err instanceof SyntaxError) throw unknown();
        throw err;
      }
      const r = typeof info === 'object' && info !== null ? (info as Record<string, unknown>)['repo'] : undefined;
      if (typeof r !== 'string') throw unknown();
      s = { repo: r, hash: undefined, hashed: 0, busy: false };
      this.#sessions.set(id, s);
    }
    // An upload belongs to the repository it was started in.
    if (s.repo !== repo) throw unknown();
    return s;
  }

  async #size(id: string, op: Op): Promise<number> {
    try {
      return (await this.#driver.stat(uploadDataPath(id), op)).size;
    } catch (err) {
      if (isNotFound(err)) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', { detail: { uuid: id }, cause: err });
      throw err;
    }
  }

  /** Bytes received so far. BLOB_UPLOAD_UNKNOWN. */
  async status(repo: string, id: string, op: Op = {}): Promise<number> {
    await this.#session(repo, id, op);
    return this.#size(id, op);
  }

  /**
   * Appends `body` and resolves with the new size. With `start`, the chunk
   * must begin where the data ends: otherwise 416 RANGE_INVALID with the
   * current Range, and nothing is written.
   */
  async append(repo: string, id: string, body: AsyncIterable<Uint8Array>, op: AppendOptions = {}): Promise<number> {
    const s = await this.#session(repo, id, op);
    if (s.busy) throw new RegistryError('BLOB_UPLOAD_INVALID', { message: 'another request is writing to this upload', detail: { uuid: id } });
    s.busy = true;
    try {
      const size = await this.#size(id, op);
      if (op.start !== undefined && op.start !== size) {
        throw new RegistryError('RANGE_INVALID', { status: 416, detail: { uuid: id, expected: size, got: op.start }, headers: { Range: rangeHeader(size) } });
      }
      const hash = s.hash !== undefined && s.hashed === size ? s.hash : undefined;
      s.hash = undefined; // valid again only once the append is known to have succeeded
      let counted = 0;
      const source = hash === undefined ? body : (async function* hashing() {
        for await (const chunk of body) {
          hash.update(chunk);
          counted += chunk.byteLength;
          yield chunk;
        }
      })();
      const newSize = await this.#driver.append(uploadDataPath(id), source, op);
      if (hash !== undefined && newSize === size + counted) {
        s.hash = hash;
        s.hashed = newSize;
      }
      return newSize;
    } finally {
      s.busy = false;
    }
  }

  /**
   * Finishes an upload: appends `finalBody` if any, checks the digest, then
   * moves the data into blobs/ and links it into `repo`. A mismatch removes
   * the upload and stores nothing (400 DIGEST_INVALID).
   */
  async complete(repo: string, id: string, expected: Digest, finalBody?: AsyncIterable<Uint8Array>, op: AppendOptions = {}): Promise<BlobInfo> {
    if (finalBody !== undefined) await this.append(repo, id, finalBody, op);
    const s = await this.#session(repo, id, op);
    if (s.busy) throw new RegistryError('BLOB_UPLOAD_INVALID', { message: 'another request is writing to this upload', detail: { uuid: id } });
    s.busy = true;
    try {
      const size = await this.#size(id, op);
      let actual: Digest;
      if (s.hash !== undefined && s.hashed === size) {
        actual = `sha256:${s.hash.digest('hex')}`;
        s.hash = undefined;
      } else {
        actual = await this.#rehash(id, op);
      }
      if (actual !== expected) {
        await this.#remove(id);
        throw new RegistryError('DIGEST_INVALID', { detail: { expected, actual } });
      }
      // Concurrent pushes of one blob: each upload has its own file and rename
      // replaces atomically with identical bytes, so any order is safe.
      if ((await this.#blobs.statGlobal(expected, op)) === undefined) {
        await this.#driver.move(uploadDataPath(id), blobPath(expected), op);
      }
      await this.#blobs.link(repo, expected, op);
      await this.#remove(id);
      return { digest: expected, size };
    } finally {
      s.busy = false;
    }
  }

  async #rehash(id: string, op: Op): Promise<Digest> {
    const hash = createHash('sha256');
    for await (const chunk of await this.#driver.reader(uploadDataPath(id), op)) hash.update(chunk as Buffer);
    return `sha256:${hash.digest('hex')}`;
  }

  async #remove(id: string): Promise<void> {
    this.#sessions.delete(id);
    await this.#driver.delete(uploadDir(id));
  }

  /** Cancels an upload and removes its data. BLOB_UPLOAD_UNKNOWN. */
  async cancel(repo: string, id: string, op: Op = {}): Promise<void> {
    await this.#session(repo, id, op);
    await this.#remove(id);
  }

  /** Removes uploads started more than `maxAgeMs` ago (abandoned by their clients); resolves with how many. */
  async purgeStale(maxAgeMs: number, op: Op & { now?: number } = {}): Promise<number> {
    let ids: string[];
    try {
      ids = await this.#driver.list(UPLOADS_DIR, op);
    } catch (err) {
      if (isNotFound(err)) return 0;
      throw err;
    }
    const now = op.now ?? Date.now();
    let purged = 0;
    for (const id of ids) {
      if (this.#sessions.get(id)?.busy === true) continue;
      let started: number;
      try {
        const info = JSON.parse((await this.#driver.getContent(uploadInfoPath(id), { maxBytes: 4096 })).toString('utf8')) as Partial<UploadInfo>;
        started = Date.parse(String(info.startedAt));
      } catch {
        // No readable info: a crash between creating data and info; age it by the directory.
        started = await this.#driver.stat(uploadDir(id)).then((st) => st.modTime.getTime(), () => 0);
      }
      if (!(now - started < maxAgeMs)) {
        await this.#remove(id);
        purged++;
      }
    }
    return purged;
  }
}
