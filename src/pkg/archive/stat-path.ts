import { lstat, stat } from 'node:fs/promises';
import { InvalidParameterError, NotFoundError, SystemError } from '../../errdefs/index.js';
import { RootResolver } from './resolve-in-root.js';

/**
 * What `HEAD/GET /containers/{id}/archive` reports in the
 * `X-Docker-Container-Path-Stat` header (base64 of this as JSON), with Go's
 * field meanings: `mode` is an `os.FileMode`, `mtime` RFC 3339 with nanoseconds.
 */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** Go `os.FileMode` type and special bits (io/fs). */
export const GoFileMode = {
  dir: 2 ** 31,
  append: 2 ** 30,
  exclusive: 2 ** 29,
  temporary: 2 ** 28,
  symlink: 2 ** 27,
  device: 2 ** 26,
  namedPipe: 2 ** 25,
  socket: 2 ** 24,
  setuid: 2 ** 23,
  setgid: 2 ** 22,
  charDevice: 2 ** 21,
  sticky: 2 ** 20,
} as const;

/** Converts a Unix st_mode into Go's os.FileMode bits. */
export function goFileMode(stMode: number): number {
  let m = stMode & 0o777;
  switch (stMode & 0o170000) {
    case 0o040000: m += GoFileMode.dir; break;
    case 0o120000: m += GoFileMode.symlink; break;
    case 0o010000: m += GoFileMode.namedPipe; break;
    case 0o140000: m += GoFileMode.socket; break;
    case 0o020000: m += GoFileMode.device + GoFileMode.charDevice; break;
    case 0o060000: m += GoFileMode.device; break;
    default: break;
  }
  if (stMode & 0o4000) m += GoFileMode.setuid;
  if (stMode & 0o2000) m += GoFileMode.setgid;
  if (stMode & 0o1000) m += GoFileMode.sticky;
  return m;
}

/** Formats a time given in nanoseconds since the epoch as Go's RFC3339Nano in UTC. */
export function rfc3339Nano(ns: bigint): string {
  const sec = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  const base = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  const f = frac === 0n ? '' : `.${frac.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `${base}${f}Z`;
}

function basename(p: string): string {
  const parts = p.split('/').filter((x) => x !== '' && x !== '.');
  return parts[parts.length - 1] ?? '/';
}

/**
 * Stats `ctrPath` inside `root` the way docker's archive endpoints do: parents
 * resolved in the root; the last component not followed, unless the path ends
 * in `/` or `/.`; for a symlink, `linkTarget` is where it leads, as an absolute
 * path inside the root. NotFoundError when nothing is there (the caller words
 * it `Could not find the file /x in container c`).
 */
export async function statPath(root: string, ctrPath: string): Promise<PathStat> {
  const r = new RootResolver(root);
  const followFinal = ctrPath.endsWith('/') || ctrPath.endsWith('/.');
  const host = await r.resolve(ctrPath, { followFinal });
  let st;
  try {
    // The root itself may be reached through a symlink (/proc/<pid>/root): follow that one.
    const isRoot = host.replace(/\/+$/, '') === root.replace(/\/+$/, '');
    st = isRoot ? await stat(host, { bigint: true }) : await lstat(host, { bigint: true });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new NotFoundError(`no such file or directory: "${ctrPath}"`, { cause: err });
    if (code === 'ENAMETOOLONG') throw new InvalidParameterError(`cannot stat "${ctrPath.slice(0, 200)}${ctrPath.length > 200 ? '…' : ''}": file name too long`);
    throw new SystemError(`cannot stat "${ctrPath}"`, { cause: err });
  }
  let linkTarget = '';
  if (st.isSymbolicLink()) linkTarget = `/${await r.resolveRel(ctrPath, { followFinal: true })}`;
  return {
    name: basename(ctrPath),
    size: Number(st.size),
    mode: goFileMode(Number(st.mode)),
    mtime: rfc3339Nano(st.mtimeNs),
    linkTarget,
  };
}
