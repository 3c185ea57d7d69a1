import type { Readable } from 'node:stream';

export type Op = { signal?: AbortSignal };
/** For ingest: `onFile` is told the temporary file a streamed blob is written to, as it is created (a reader may follow it). */
export type IngestOp = Op & { onFile?: (path: string) => void };

/** OCI descriptor (the fields pier uses). */
export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface BlobInfo { digest: string; size: number; createdAt: Date }

export interface ContentProvider {
  /** NotFoundError when absent. */
  info(digest: string, op?: Op): Promise<BlobInfo>;
  /** Streams a blob; NotFoundError when absent. */
  read(digest: string, op?: Op): Promise<Readable>;
  readAll(digest: string, op?: Op): Promise<Buffer>;
  /** The file holding a blob's bytes (for a reader on another thread: the layer unpacking worker). */
  path(digest: string): string;
}

/** A blob being written: bytes in, digest out; nothing is visible before commit. */
export interface IngestWriter {
  /** Hashes `chunk` and queues it for the file; `written` is called once the file has it (or the write failed), when the caller may reuse its memory. */
  write(chunk: Uint8Array, written?: () => void): void;
  /** Verifies (when expected is given), renames into place; returns the committed blob. */
  commit(expected?: { digest?: string; size?: number }): Promise<BlobInfo>;
  abort(): Promise<void>;
}

export interface ContentIngester {
  /** Hash while streaming to a temp file; check size+digest; rename. Present already → no write. */
  ingest(body: AsyncIterable<Uint8Array> | Uint8Array, expected?: { digest?: string; size?: number }, op?: IngestOp): Promise<BlobInfo>;
  /** A blob written piece by piece; `op.onFile` is told its temporary file once it exists. */
  writer(op?: IngestOp): Promise<IngestWriter>;
}

export interface ContentStore extends ContentProvider, ContentIngester {
  /** Idempotent. */
  delete(digest: string, op?: Op): Promise<void>;
  list(op?: Op): AsyncIterable<BlobInfo>;
}
