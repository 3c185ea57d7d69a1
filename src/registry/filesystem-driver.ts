// StorageDriver on a local directory: every write goes to a temp file in the
// target's directory and is renamed into place, so a crash leaves either the
// old file or the new one (plus, at worst, a `.pier-tmp-*` file GC ignores).

import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidParameterError, NotFoundError, SystemError } from '../errdefs/index.js';
import type { Op, StorageDriver, StorageStat } from './storage-driver.js';

/** Prefix of the temp files `putContent` renames into place. */
export const TEMP_PREFIX = '.pier-tmp-';

/** Large reads and writes: fewer syscalls and event-loop turns per blob (blobs run to hundreds of MB). */
const READ_CHUNK = 1 << 20;
const WRITE_BUFFER = 4 << 20;

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

/** Validates a driver path: relative, `/`-separated, no empty, `.` or `..` components, no NUL. */
export function checkPath(path: string): string {
  const parts = path.split('/');
  if (path === '' || path.includes('\0') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new InvalidParameterError(`invalid storage path: "${path}"`);
  }
  return path;
}

/** FilesystemDriver implements StorageDriver under one root directory. */
export class FilesystemDriver implements StorageDriver {
  readonly name = 'filesystem';
  readonly #root: string;

  constructor(root: string) {
    this.#root = resolve(root);
  }

  get root(): string { return this.#root; }

  #abs(path: string): string {
    return join(this.#root, checkPath(path));
  }

  #wrap(err: unknown, what: string, path: string): Error {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return new NotFoundError(`${what}: path not found: "${path}"`, { cause: err });
    if (err instanceof InvalidParameterError || err instanceof NotFoundError) return err;
    return new SystemError(`${what} "${path}": ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }

  /** Opens for writing, creating missing parent directories. */
  async #openCreating(abs: string, flags: string): Promise<FileHandle> {
    try {
      return await open(abs, flags, 0o644);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
      await mkdir(dirname(abs), { recursive: true });
      return await open(abs, flags, 0o644);
    }
  }

  async getContent(path: string, op: Op & { maxBytes?: number } = {}): Promise<Buffer> {
    op.signal?.throwIfAborted();
    let fh: FileHandle | undefined;
    try {
      fh = await open(this.#abs(path), 'r');
      if (op.maxBytes !== undefined) {
        const { size } = await fh.stat();
        if (size > op.maxBytes) throw new InvalidParameterError(`file "${path}" is larger than ${op.maxBytes} bytes`);
      }
      return await fh.readFile();
    } catch (err) {
      throw this.#wrap(err, 'read', path);
    } finally {
      await fh?.close();
    }
  }

  async putContent(path: string, data: Uint8Array | string, op: Op & { durable?: boolean } = {}): Promise<void> {
    op.signal?.throwIfAborted();
    const abs = this.#abs(path);
    const tmp = join(dirname(abs), `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    try {
      const fh = await this.#openCreating(tmp, 'wx');
      try {
        await fh.writeFile(data);
        if (op.durable !== false) await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, abs);
    } catch (err) {
      // Best effort: the temp file may not exist (open failed); GC ignores leftovers.
      await unlink(tmp).catch(() => {});
      throw this.#wrap(err, 'write', path);
    }
  }

  async reader(path: string, op: Op & { start?: number; end?: number } = {}): Promise<Readable> {
    op.signal?.throwIfAborted();
    let fh: FileHandle;
    try {
      fh = await open(this.#abs(path), 'r');
    } catch (err) {
      throw this.#wrap(err, 'open', path);
    }
    const opts: { highWaterMark: number; start?: number; end?: number; signal?: AbortSignal } = { highWaterMark: READ_CHUNK };
    if (op.start !== undefined) opts.start = op.start;
    if (op.end !== undefined) opts.end = op.end;
    if (op.signal !== undefined) opts.signal = op.signal;
    return fh.createReadStream(opts);
  }

  async append(path: string, body: AsyncIterable<Uint8Array>, op: Op = {}): Promise<number> {
    op.signal?.throwIfAborted();
    const abs = this.#abs(path);
    try {
      const fh = await this.#openCreating(abs, 'a');
      const ws = fh.createWriteStream({ highWaterMark: WRITE_BUFFER });
      await pipeline(body, ws, op.signal ? { signal: op.signal } : {});
      return (await stat(abs)).size;
    } catch (err) {
      throw this.#wrap(err, 'append to', path);
    }
  }

  async stat(path: string, op: Op = {}): Promise<StorageStat> {
    op.signal?.throwIfAborted();
    try {
      const st = await stat(this.#abs(path));
      return { size: st.size, modTime: st.mtime, isDirectory: st.isDirectory() };
    } catch (err) {
      throw this.#wrap(err, 'stat', path);
    }
  }

  async list(path: string, op: Op = {}): Promise<string[]> {
    op.signal?.throwIfAborted();
    try {
      return await readdir(this.#abs(path));
    } catch (err) {
      throw this.#wrap(err, 'list', path);
    }
  }

  async move(src: string, dst: string, op: Op = {}): Promise<void> {
    op.signal?.throwIfAborted();
    const from = this.#abs(src);
    const to = this.#abs(dst);
    try {
      // fsync before the rename: after a crash the new name never points at unwritten data.
      const fh = await open(from, 'r');
      try { await fh.sync(); } finally { await fh.close(); }
      try {
        await rename(from, to);
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
        await mkdir(dirname(to), { recursive: true });
        await rename(from, to);
      }
    } catch (err) {
      throw this.#wrap(err, 'move', src);
    }
  }

  async delete(path: string, op: Op = {}): Promise<void> {
    op.signal?.throwIfAborted();
    try {
      await rm(this.#abs(path), { recursive: true, force: true });
    } catch (err) {
      throw this.#wrap(err, 'delete', path);
    }
  }
}
