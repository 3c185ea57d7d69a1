// The contract between the registry and the place its bytes live.

import type { Readable } from 'node:stream';

export interface Op { readonly signal?: AbortSignal }

export interface StorageStat {
  readonly size: number;
  readonly modTime: Date;
  readonly isDirectory: boolean;
}

/**
 * StorageDriver: a tree of files addressed by relative `/`-separated paths
 * (`blobs/sha256/ab/ab12…`), modelled on distribution's
 * `registry/storage/driver.StorageDriver` so that an object-store driver (S3)
 * can implement it with the same registry logic on top.
 *
 * Vocabulary: a *path* names a file or a directory; it never starts with `/`
 * and has no empty, `.` or `..` components (drivers refuse them with
 * InvalidParameterError, so no caller can reach outside the driver's root).
 * Directories exist implicitly: writing `a/b/c` makes `a` and `a/b` listable.
 *
 * Consistency: `putContent` and `move` are atomic: a reader sees the old file,
 * or the whole new one, never a part; after they resolve the data is durable
 * (survives a crash). `append` is the only non-atomic write and is meant for
 * upload data that nobody reads until it is moved into place.
 *
 * Errors: a missing path is NotFoundError; everything else SystemError with the
 * driver's error as `cause`.
 */
export interface StorageDriver {
  /** Short name for logs ("filesystem"). */
  readonly name: string;

  /** The whole content of a small file (links, manifests). NotFoundError; InvalidParameterError when larger than `maxBytes`. */
  getContent(path: string, op?: Op & { maxBytes?: number }): Promise<Buffer>;

  /**
   * Atomically replaces `path` with `data` (temp file, fsync, rename). With
   * `durable: false` the fsync is skipped (scratch state that may be lost).
   */
  putContent(path: string, data: Uint8Array | string, op?: Op & { durable?: boolean }): Promise<void>;

  /** Streams bytes `start`..`end` (inclusive; default the whole file). NotFoundError. */
  reader(path: string, op?: Op & { start?: number; end?: number }): Promise<Readable>;

  /**
   * Appends everything `body` yields to `path` (created when missing) and
   * resolves with the file's new size. On failure part of the body may have
   * been written: callers stat the file to learn where it ends.
   */
  append(path: string, body: AsyncIterable<Uint8Array>, op?: Op): Promise<number>;

  /** Size, modification time and kind. NotFoundError. */
  stat(path: string, op?: Op): Promise<StorageStat>;

  /** Names (not paths) of a directory's direct children, unsorted. NotFoundError when it does not exist. */
  list(path: string, op?: Op): Promise<string[]>;

  /** Makes `src` durable, then atomically moves it to `dst`, replacing any file there. NotFoundError when `src` is missing. */
  move(src: string, dst: string, op?: Op): Promise<void>;

  /** Removes a file or a directory tree. Idempotent: a missing path is not an error. */
  delete(path: string, op?: Op): Promise<void>;
}
