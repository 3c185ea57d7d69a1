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
 * Per-entry metadata calls (lstat, open, chown, utimes …) are synchronous:
 * microseconds each, between awaits, and 2.5–5x faster than the promise API's
 * thread-pool round trips on a real layer (53k-file /usr/share: extract 14 s
 * vs 37 s, create 2.8 s vs 13.8 s; GNU tar 15.5 s / 1.6 s on the same host).
 * Bodies still stream chunk by chunk, so the event loop is never held long.
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
export { unpackLayer, type UnpackedLayer } from './unpack-layer.js';
export { LayerUnpacker } from './unpacker.js';
export { cleanEntryName, WHITEOUT_PREFIX, WHITEOUT_OPAQUE, WHITEOUT_META_PREFIX } from './tar-path.js';
