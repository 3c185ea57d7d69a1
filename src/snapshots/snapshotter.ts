export type Op = { signal?: AbortSignal };

/** A mount to perform, as the runtime consumes it (containerd's lingua franca). */
export interface Mount { readonly type: string; readonly source: string; readonly options: readonly string[] }

export type SnapshotKind = 'active' | 'committed' | 'view';

export interface SnapshotInfo {
  readonly key: string;
  readonly kind: SnapshotKind;
  /** Committed parent name, '' for a base snapshot. */
  readonly parent: string;
  readonly created: string;
  readonly labels: Record<string, string>;
}

export interface Snapshotter {
  /** NotFoundError when absent. */
  stat(keyOrName: string, op?: Op): Promise<SnapshotInfo>;
  /** A writable snapshot on top of `parent` ('' for none). ConflictError if key exists; NotFoundError if parent is absent. */
  prepare(key: string, parent: string, op?: Op & { labels?: Record<string, string> }): Promise<Mount[]>;
  /** The mounts of an existing snapshot. */
  mounts(key: string, op?: Op): Promise<Mount[]>;
  /**
   * Makes active `key` the committed snapshot `name`; `key` is gone afterwards. ConflictError if name exists.
   * `parent` (committed) re-parents it: a layer unpacked on its own (prepared without a parent, in
   * parallel with the layers below it) takes its place in the chain when committed.
   */
  commit(name: string, key: string, op?: Op & { parent?: string }): Promise<void>;
  /** Removes a snapshot; ConflictError while it has children; idempotent for absent keys. */
  remove(keyOrName: string, op?: Op): Promise<void>;
  /** Host directory holding the snapshot's own files (its layer diff / upper dir). */
  dir(keyOrName: string): Promise<string>;
  usage(keyOrName: string, op?: Op): Promise<{ bytes: number; inodes: number }>;
  list(op?: Op): AsyncIterable<SnapshotInfo>;
}
