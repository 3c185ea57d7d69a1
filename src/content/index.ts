/**
 * content: the content-addressed blob store (sha256). Blobs are immutable and
 * addressed by digest; a write becomes visible only once committed (hashed
 * while streaming to a pier-prefixed temp file, size and digest checked, then
 * renamed into place).
 *
 * @example
 * const info = await content.ingest({ digest, size }, body);
 * const r = await content.open(digest); for await (const b of r.stream()) ...
 */
export { LocalContentStore } from './local-store.js';
export type { ContentStore, ContentProvider, ContentIngester, BlobInfo, Descriptor, IngestWriter, IngestOp } from './store.js';
