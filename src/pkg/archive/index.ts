/**
 * archive: safe, streaming tar extraction and creation for layers, imports,
 * exports and `docker cp`.
 *
 * - `extractTar` applies a (gzip/zstd/plain) tar to a directory without ever
 *   writing outside it: names are cleaned, parents resolved in the root
 *   (RESOLVE_IN_ROOT semantics, so symlinks cannot lead out), hard-link targets
 *   checked, device nodes only as root. Whiteouts become overlay whiteouts
 *   (`overlay`), deletions (`none`) or plain names (`literal`).
 *   `extractTarAtomic` extracts next to the final directory and renames it in.
 * - `createTar` streams a directory (or some paths in it) as a tar, with hard
 *   links, owners, modes, optional xattrs and overlay whiteout conversion.
 * - `statPath` / `resolveInRoot` answer "what is at this container path"
 *   without following symlinks out of the root.
 *
 * Node has no mknod/mkfifo/setxattr: those run coreutils `mknod`/`mkfifo`
 * and the `attr` package's `setfattr`/`getfattr` (xattrs are skipped when
 * `attr` is absent; opaque overlay whiteouts then fail with SystemError).
 *
 * @example
 * const layer = await content.open(digest);
 * await extractTarAtomic(layer.stream(), upperDir, { whiteouts: 'overlay', signal });
 * const tar = createTar(rootfs, { paths: ['etc/hostname'], rename: { from: 'etc/hostname', to: 'hostname' } });
 */
export { extractTar, extractTarAtomic } from './extract-tar.js';
export type { ExtractOptions, ExtractResult, TarHeader, WhiteoutMode } from './extract-tar.js';
export { createTar, type CreateTarOptions } from './create-tar.js';
export { statPath, goFileMode, rfc3339Nano, GoFileMode, type PathStat } from './stat-path.js';
export { resolveInRoot, RootResolver } from './resolve-in-root.js';
export { detectCompression, decompressed, type Compression } from './decompress.js';
export { cleanEntryName, WHITEOUT_PREFIX, WHITEOUT_OPAQUE, WHITEOUT_META_PREFIX } from './tar-path.js';
