import { lstatSync, readlinkSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { SystemError } from '../../errdefs/index.js';

/** Linux's limit on symlinks followed while resolving one path (MAXSYMLINKS is 40; openat2 allows more). */
const MAX_LINKS = 255;

function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/**
 * Resolves paths inside a root directory the way openat2(RESOLVE_IN_ROOT) does:
 * every symlink met on the way is read and its target evaluated with `root` as
 * `/`, and `..` stops at the root, so the result is always `root` or below it.
 * Components that do not exist are kept lexically.
 *
 * A resolver may cache directories it has seen to be real directories; whoever
 * changes the tree through it must call `forget()` for paths it removes. The
 * check and the later use are separate system calls, so a process that swaps a
 * directory for a symlink in between can still win the race: only use this on
 * trees that no untrusted process is changing at the same time (a fresh layer
 * dir, a stopped container), which is how pier uses it.
 *
 * The lstat/readlink calls are synchronous on purpose: each blocks the event
 * loop for microseconds, and a layer makes hundreds of thousands of them, where
 * the promise API's thread-pool round trip measured several times slower.
 */
export class RootResolver {
  readonly root: string;
  readonly #dirs = new Set<string>();
  readonly #cache: boolean;

  constructor(root: string, opts: { cache?: boolean } = {}) {
    this.root = resolvePath(root);
    this.#cache = opts.cache ?? false;
  }

  /** Host path of a root-relative path ('' = the root). Never resolves symlinks. */
  host(rel: string): string {
    return rel === '' ? this.root : `${this.root}/${rel}`;
  }

  /** Records that `rel` (already resolved) is a real directory. */
  rememberDir(rel: string): void {
    if (this.#cache) this.#dirs.add(rel);
  }

  /** True when `rel` is cached as a real directory. */
  knownDir(rel: string): boolean {
    return this.#dirs.has(rel);
  }

  /** Drops cached knowledge about `rel` and everything below it. */
  forget(rel: string): void {
    if (this.#dirs.size === 0) return;
    if (rel === '') { this.#dirs.clear(); return; }
    const prefix = `${rel}/`;
    for (const d of this.#dirs) if (d === rel || d.startsWith(prefix)) this.#dirs.delete(d);
  }

  /**
   * Resolves `p` (absolute or relative, both taken from the root) to a
   * root-relative path without symlinks. With `followFinal: false` the last
   * component is returned as is even when it is a symlink (lstat semantics).
   */
  async resolveRel(p: string, opts: { followFinal: boolean }): Promise<string> {
    const todo = p.split('/').reverse();
    const cur: string[] = [];
    let links = 0;
    let missing = false;
    while (todo.length > 0) {
      const part = todo.pop();
      if (part === undefined || part === '' || part === '.') continue;
      if (part === '..') {
        cur.pop();
        // A missing component may have been popped: look again from here on.
        missing = false;
        continue;
      }
      const last = !todo.some((x) => x !== '' && x !== '.');
      cur.push(part);
      if (missing || (last && !opts.followFinal)) continue;
      const rel = cur.join('/');
      if (this.#dirs.has(rel)) continue;
      let st;
      try {
        st = lstatSync(this.host(rel));
      } catch (err) {
        const code = errnoOf(err);
        if (code === 'ENOENT' || code === 'ENOTDIR') { missing = true; continue; }
        throw new SystemError(`cannot resolve "${p}" in "${this.root}"`, { cause: err });
      }
      if (st.isDirectory()) { this.rememberDir(rel); continue; }
      if (!st.isSymbolicLink()) continue;
      if (++links > MAX_LINKS) throw new SystemError(`cannot resolve "${p}" in "${this.root}": too many levels of symbolic links`);
      const target = readlinkSync(this.host(rel));
      cur.pop();
      if (target.startsWith('/')) cur.length = 0;
      for (const t of target.split('/').reverse()) todo.push(t);
    }
    return cur.join('/');
  }

  /** Like `resolveRel` but returns the host path. */
  async resolve(p: string, opts: { followFinal: boolean }): Promise<string> {
    return this.host(await this.resolveRel(p, opts));
  }
}

/**
 * The host path of `p` inside `root`, following symlinks with `root` as `/`
 * (RESOLVE_IN_ROOT semantics), so the result never leaves `root`. With
 * `followFinal: false` a symlink in the last component is not followed.
 *
 * @example
 * await resolveInRoot('/var/lib/pier/ctr/rootfs', '/etc/../etc/passwd', { followFinal: true })
 */
export async function resolveInRoot(root: string, p: string, opts: { followFinal: boolean }): Promise<string> {
  return new RootResolver(root).resolve(p, opts);
}
