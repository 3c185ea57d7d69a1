import { InvalidParameterError } from '../../errdefs/index.js';

/** Prefix of an OCI/aufs whiteout entry: `a/.wh.b` deletes `a/b` from the layers below. */
export const WHITEOUT_PREFIX = '.wh.';
/** Prefix of whiteout meta files (aufs); only the opaque marker has a meaning. */
export const WHITEOUT_META_PREFIX = '.wh..wh.';
/** `a/.wh..wh..opq` hides everything the layers below have in `a`. */
export const WHITEOUT_OPAQUE = '.wh..wh..opq';
/** Default limit on an entry's name or link target, in bytes (Linux PATH_MAX). */
export const DEFAULT_MAX_PATH_LENGTH = 4096;

/**
 * Cleans a tar entry name into a root-relative path with no `.`, `..` or empty
 * components ('' is the root itself). A leading `/` is dropped, as docker does:
 * names are relative to the destination, and `..` at the root of an absolute name
 * stays at the root (like Go's `filepath.Clean("/../x")` = `/x`). A relative name
 * whose `..` climbs above the root is refused with InvalidParameterError.
 */
export function cleanEntryName(name: string, what = name): string {
  if (name.includes('\0')) throw refuse(what, 'name contains a NUL byte');
  const absolute = name.startsWith('/');
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0) out.pop();
      else if (!absolute) throw refuse(what, 'path escapes the destination');
      continue;
    }
    out.push(part);
  }
  return out.join('/');
}

/** Splits a cleaned path into its parent ('' = root) and its last component. */
export function splitPath(clean: string): { dir: string; base: string } {
  const i = clean.lastIndexOf('/');
  return i < 0 ? { dir: '', base: clean } : { dir: clean.slice(0, i), base: clean.slice(i + 1) };
}

/** Joins root-relative components, treating '' as the root. */
export function joinRel(dir: string, base: string): string {
  return dir === '' ? base : base === '' ? dir : `${dir}/${base}`;
}

/** The InvalidParameterError an unsafe or unsupported entry is refused with. */
export function refuse(name: string, why: string): InvalidParameterError {
  return new InvalidParameterError(`refusing to extract "${name}": ${why}`);
}
