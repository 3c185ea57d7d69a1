import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import { ConflictError, InvalidParameterError, PierError, SystemError } from '../../errdefs/index.js';
import { decompressed } from './decompress.js';
import { TarExtractor, type ExtractOptions, type ExtractResult } from './extractor.js';

export type { ExtractOptions, ExtractResult, TarHeader, WhiteoutMode } from './extractor.js';

/** tar-stream's and zlib's complaints about the bytes themselves, not about us. */
function asInputError(err: unknown): unknown {
  if (err instanceof PierError || !(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new InvalidParameterError(`invalid compressed archive: ${err.message}`, { cause: err });
  }
  if (/tar header|Unexpected end of data|Header exceeds max size|Invalid header|Size mismatch/i.test(err.message)) {
    return new InvalidParameterError(`invalid tar archive: ${err.message}`, { cause: err });
  }
  return err;
}

/**
 * Extracts a tar stream (plain, gzip or zstd: detected from the magic bytes)
 * into `destDir`, which must exist. Nothing is buffered: file bodies stream
 * straight to disk.
 *
 * Safety: no entry can write outside `destDir`. Names are cleaned (a leading
 * `/` is dropped, as docker does; a `..` that climbs out is refused), every
 * parent component is resolved with `destDir` as `/` (a symlink `link -> /etc`
 * makes `link/passwd` land in `destDir/etc/passwd`), existing files are removed
 * and recreated, never written through, and hard-link targets are resolved the
 * same way. Device nodes need root.
 *
 * Kept: modes (setuid, sticky), uid/gid (unless `chown: false`), mtimes
 * (directories last), symlinks, hard links, and `SCHILY.xattr.*` PAX records,
 * applied with one `setfattr --restore` run at the end (skipped, with a debug
 * log, when the `attr` package is absent; binary values are skipped because
 * tar-stream decodes PAX values as UTF-8).
 *
 * Failure leaves a partly written tree: extract into a fresh directory and
 * remove it on failure, which is what `extractTarAtomic` does.
 *
 * Throws InvalidParameterError for a refused or malformed archive (the message
 * names the entry: `refusing to extract "../x": path escapes the destination`),
 * SystemError for host failures, and the signal's AbortError when aborted.
 */
export async function extractTar(
  input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  destDir: string,
  opts: ExtractOptions,
): Promise<ExtractResult> {
  opts.signal?.throwIfAborted();
  const ex = tarExtract();
  const x = new TarExtractor(destDir, opts);
  const sig = opts.signal ? { signal: opts.signal } : {};
  // The input's own failure (truncated, corrupt, reset) also destroys the
  // entry being written; report the cause, not that symptom.
  let inputErr: unknown;
  ex.on('error', (err: unknown) => { inputErr ??= err; });
  const feed = pipeline(opts.inflated ? input : decompressed(input, sig), ex, sig);
  feed.catch(() => { /* surfaced through the entry iterator or awaited below */ });
  try {
    for await (const entry of ex) {
      opts.signal?.throwIfAborted();
      await x.handle(entry);
    }
    await feed;
    return await x.finish();
  } catch (err) {
    ex.destroy();
    const ours = err instanceof PierError && !(err instanceof SystemError);
    throw asInputError(inputErr !== undefined && !ours ? inputErr : err);
  }
}

/**
 * Extracts into `<finalDir>.pier-tmp-<random>` and renames it to `finalDir`
 * on success; on failure the temporary directory is removed, so `finalDir`
 * either holds the whole archive or does not exist. Nothing is fsynced (layers
 * can be extracted again from the content store after a crash; start-up GC
 * removes leftover `.pier-tmp-` directories). ConflictError when `finalDir`
 * already exists.
 */
export async function extractTarAtomic(
  input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  finalDir: string,
  opts: ExtractOptions,
): Promise<ExtractResult> {
  const tmp = `${finalDir}.pier-tmp-${randomBytes(6).toString('hex')}`;
  await mkdir(tmp, { mode: 0o755 });
  try {
    const res = await extractTar(input, tmp, opts);
    try {
      await rename(tmp, finalDir);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') {
        throw new ConflictError(`cannot extract into "${finalDir}": it already exists`, { cause: err });
      }
      throw err;
    }
    return res;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
