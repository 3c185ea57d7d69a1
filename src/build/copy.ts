/**
 * COPY and ADD: which files a source pattern names (globs, symlinks followed in
 * the source root only), the checksum the cache compares (content, names, modes,
 * link targets, never times), and the copy into a container's rootfs with
 * docker's rules (a directory's contents are copied, a file into a directory
 * that exists or a path ending in `/`, owner root or `--chown`, `--chmod`).
 */
import { createHash } from 'node:crypto';
import {
  chmodSync, closeSync, copyFileSync, lchownSync, lstatSync, mkdirSync, openSync, readSync, readdirSync, readlinkSync,
  rmSync, statSync, symlinkSync, utimesSync, lutimesSync, writeSync, type Stats,
} from 'node:fs';
import { posix } from 'node:path';
import { InvalidParameterError, NotFoundError } from '../errdefs/index.js';
import { RootResolver } from '../pkg/archive/index.js';
import type { ContextStore, CtxEntry } from './context-store.js';

export interface SourceMatch {
  /** Host path of the matched entry (symlinks in the source root already followed). */
  host: string;
  /** The name it had in the pattern match (for `file` destinations: its base name). */
  name: string;
  isDir: boolean;
}

const GLOB = /[*?[]/;

function matchComponent(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) { re += `\\${pattern[++i] ?? ''}`; }
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) { re += '\\['; continue; }
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('!') || cls.startsWith('^')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\]\\/]/g, '\\$&');
  }
  try { return new RegExp(`${re}$`).test(name); } catch { return false; }
}

/** Host path inside `root` for a root-relative path, symlinks resolved in the root. */
function inRoot(root: string, rel: string): string {
  const r = new RootResolver(root);
  // resolveRel is async in the resolver; a synchronous walk suffices here (the context is ours).
  let cur = r.root;
  const parts = rel.split('/').filter((p) => p && p !== '.');
  let hops = 0;
  while (parts.length) {
    const p = parts.shift() ?? '';
    if (p === '..') { cur = cur === r.root ? cur : posix.dirname(cur); continue; }
    const next = `${cur}/${p}`;
    let st: Stats | undefined;
    try { st = lstatSync(next); } catch { st = undefined; }
    if (st?.isSymbolicLink()) {
      if (++hops > 255) throw new InvalidParameterError(`too many levels of symbolic links: ${rel}`);
      const target = readlinkSync(next);
      if (target.startsWith('/')) cur = r.root;
      parts.unshift(...target.split('/').filter((x) => x && x !== '.'));
      continue;
    }
    cur = next;
  }
  return cur;
}

/**
 * Expands one COPY/ADD source against `root`, a stage's or an image's rootfs:
 * `..` stops at the root and symlinks resolve inside it (context sources go
 * through the context store's index instead: matchContext).
 */
export function matchSources(root: string, src: string, what: string): SourceMatch[] {
  const clean = posix.normalize(src.startsWith('/') ? `.${src}` : src);
  const rel = clean.replace(/^(\.\.\/)+/, '').replace(/^\.\/?/, '').replace(/\/$/, '');
  const notFound = (): Error => new NotFoundError(`${what} failed: stat ${rel || '.'}: file does not exist`);
  if (!GLOB.test(rel)) {
    const host = inRoot(root, rel);
    let st: Stats;
    try { st = statSync(host); } catch { throw notFound(); }
    return [{ host, name: posix.basename(rel) || '.', isDir: st.isDirectory() }];
  }
  // Glob: component by component, lexical order as Go's filepath.Glob.
  let frontier: { host: string; rel: string }[] = [{ host: root, rel: '' }];
  for (const part of rel.split('/')) {
    const next: { host: string; rel: string }[] = [];
    for (const f of frontier) {
      if (!GLOB.test(part)) {
        const h = `${f.host}/${part}`;
        try { lstatSync(h); next.push({ host: h, rel: f.rel ? `${f.rel}/${part}` : part }); } catch { /* no match */ }
        continue;
      }
      let names: string[];
      try { names = readdirSync(f.host).sort(); } catch { continue; }
      for (const n of names) if (matchComponent(part, n)) next.push({ host: `${f.host}/${n}`, rel: f.rel ? `${f.rel}/${n}` : n });
    }
    frontier = next;
  }
  if (frontier.length === 0) throw new NotFoundError(`${what} failed: no source files were specified`);
  return frontier.map((f) => {
    const host = inRoot(root, f.rel);
    let st: Stats;
    try { st = statSync(host); } catch { throw notFound(); }
    return { host, name: posix.basename(f.rel), isDir: st.isDirectory() };
  });
}

function hashFile(path: string, h: ReturnType<typeof createHash>): void {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 16);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally { closeSync(fd); }
}

/** Checksum of what a source match would copy: names, types, modes, link targets, file contents. */
export function checksumSources(matches: readonly SourceMatch[]): string {
  const h = createHash('sha256');
  const walk = (host: string, rel: string): void => {
    const st = lstatSync(host);
    const kind = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? 'f' : 'o';
    h.update(`${rel}\0${kind}\0${(st.mode & 0o7777).toString(8)}\0`);
    if (kind === 'f') hashFile(host, h);
    else if (kind === 'l') h.update(readlinkSync(host));
    h.update('\0');
    if (kind === 'd') for (const n of readdirSync(host).sort()) walk(`${host}/${n}`, `${rel}/${n}`);
  };
  for (const m of matches) {
    // The top entry is followed (stat, not lstat): a symlinked source copies its target.
    const st = statSync(m.host);
    h.update(`@${m.name}\0${st.isDirectory() ? 'd' : 'f'}\0${(st.mode & 0o7777).toString(8)}\0`);
    if (st.isDirectory()) for (const n of readdirSync(m.host).sort()) walk(`${m.host}/${n}`, n);
    else hashFile(m.host, h);
  }
  return h.digest('hex');
}

export interface CopyOptions {
  uid: number;
  gid: number;
  /** `--chmod`: the mode of every copied file and directory. */
  mode?: number;
}

/** Makes every missing directory of `rel` (root-relative) with mode 0755, owned by root (docker's MkdirAll for COPY). */
function mkdirAllInRoot(root: string, rel: string, own?: { uid: number; gid: number }): string {
  let cur = root;
  const r = new RootResolver(root);
  for (const p of rel.split('/').filter(Boolean)) {
    const next = `${cur}/${p}`;
    let st: Stats | undefined;
    try { st = lstatSync(next); } catch { st = undefined; }
    if (st?.isSymbolicLink()) { cur = inRoot(r.root, posix.relative(r.root, next)); mkdirSync(cur, { recursive: true }); continue; }
    if (st && !st.isDirectory()) throw new InvalidParameterError(`mkdir ${posix.relative(root, next)}: not a directory`);
    if (!st) {
      mkdirSync(next, { mode: 0o755 });
      if (own) lchownSync(next, own.uid, own.gid);
    }
    cur = next;
  }
  return cur;
}

function copyEntry(src: string, st: Stats, dst: string, o: CopyOptions): number {
  let existing: Stats | undefined;
  try { existing = lstatSync(dst); } catch { existing = undefined; }
  if (st.isDirectory()) {
    if (existing && !existing.isDirectory()) { rmSync(dst, { force: true }); existing = undefined; }
    if (!existing) mkdirSync(dst);
    let n = 1;
    for (const name of readdirSync(src)) {
      const s = `${src}/${name}`;
      n += copyEntry(s, lstatSync(s), `${dst}/${name}`, o);
    }
    chmodSync(dst, o.mode ?? (st.mode & 0o7777));
    lchownSync(dst, o.uid, o.gid);
    utimesSync(dst, st.atime, st.mtime);
    return n;
  }
  if (existing) rmSync(dst, { recursive: true, force: true });
  if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(src), dst);
    lchownSync(dst, o.uid, o.gid);
    lutimesSync(dst, st.atime, st.mtime);
    return 1;
  }
  if (!st.isFile()) return 0; // sockets, fifos and devices of the context are not copied
  copyFileSync(src, dst);
  lchownSync(dst, o.uid, o.gid);
  chmodSync(dst, o.mode ?? (st.mode & 0o7777));
  utimesSync(dst, st.atime, st.mtime);
  return 1;
}

/**
 * Copies matched sources to `dest` (absolute, in the container) inside `root`.
 * A destination ending in `/`, or an existing directory, receives sources by name;
 * a directory source gives its contents.
 */
export function copyInto(root: string, matches: readonly SourceMatch[], dest: string, o: CopyOptions): number {
  const destIsDir = dest.endsWith('/') || matches.length > 1;
  const rel = posix.normalize(dest).replace(/^\/+/, '').replace(/\/$/, '');
  const own = { uid: o.uid, gid: o.gid };
  let n = 0;
  for (const m of matches) {
    const st = statSync(m.host);
    if (st.isDirectory()) {
      const target = mkdirAllInRoot(root, rel, own);
      for (const name of readdirSync(m.host)) {
        const s = `${m.host}/${name}`;
        n += copyEntry(s, lstatSync(s), `${target}/${name}`, o);
      }
      continue;
    }
    let into = destIsDir;
    if (!into && rel !== '') {
      try { into = statSync(inRoot(root, rel)).isDirectory(); } catch { into = false; }
    }
    if (into || rel === '') {
      const dir = mkdirAllInRoot(root, rel, own);
      n += copyEntry(m.host, st, `${dir}/${m.name}`, o);
    } else {
      const dir = mkdirAllInRoot(root, posix.dirname(rel) === '.' ? '' : posix.dirname(rel), own);
      n += copyEntry(m.host, st, `${dir}/${posix.basename(rel)}`, o);
    }
  }
  return n;
}

// ---- sources in the build context (the indexed tar, nothing unpacked) -------------------


export interface ContextMatch {
  /** Resolved entry name in the context. */
  entry: string;
  /** Base name as matched (a file source keeps it at a directory destination). */
  name: string;
  isDir: boolean;
}

/** Expands one COPY/ADD source in the context: `..` leaving it and symlinks out of it are refused. */
export function matchContext(ctx: ContextStore, src: string, what: string): ContextMatch[] {
  const clean = posix.normalize(src.startsWith('/') ? `.${src}` : src);
  if (clean === '..' || clean.startsWith('../')) {
    throw new InvalidParameterError(`${what} failed: forbidden path outside the build context: ${src} ()`);
  }
  const rel = clean.replace(/^\.\/?/, '').replace(/\/$/, '');
  const one = (name: string): ContextMatch => {
    let resolved: string | undefined;
    try { resolved = ctx.resolve(name, true); } catch (err) { throw new InvalidParameterError(`${what} failed: ${(err as Error).message}`); }
    const e = resolved === undefined ? undefined : ctx.get(resolved);
    if (resolved === undefined || !e) throw new NotFoundError(`${what} failed: file not found in build context or excluded by .dockerignore: stat ${name || '.'}: file does not exist`);
    return { entry: resolved, name: posix.basename(name) || '.', isDir: e.type === 'dir' };
  };
  if (!GLOB.test(rel)) return [one(rel)];
  let frontier: string[] = [''];
  for (const part of rel.split('/')) {
    const next: string[] = [];
    for (const dir of frontier) {
      let real: string | undefined;
      try { real = dir === '' ? '' : ctx.resolve(dir, true); } catch { real = undefined; }
      if (real === undefined || ctx.get(real)?.type !== 'dir') continue;
      if (!GLOB.test(part)) {
        if (ctx.get(real ? `${real}/${part}` : part)) next.push(dir ? `${dir}/${part}` : part);
        continue;
      }
      for (const n of ctx.children(real)) if (matchComponent(part, n)) next.push(dir ? `${dir}/${n}` : n);
    }
    frontier = next;
  }
  if (frontier.length === 0) throw new NotFoundError(`${what} failed: no source files were specified`);
  return frontier.map(one);
}

/** The same checksum as checksumSources, from the index (content hashes recorded on arrival). */
export function checksumContext(ctx: ContextStore, matches: readonly ContextMatch[]): string {
  const h = createHash('sha256');
  const walk = (name: string, rel: string): void => {
    const e = ctx.get(name);
    if (!e) return;
    const kind = e.type === 'dir' ? 'd' : e.type === 'symlink' ? 'l' : e.type === 'file' ? 'f' : 'o';
    h.update(`${rel}\0${kind}\0${e.mode.toString(8)}\0`);
    if (kind === 'f') h.update(e.sha ?? '');
    else if (kind === 'l') h.update(e.link ?? '');
    h.update('\0');
    if (kind === 'd') for (const n of ctx.children(name)) walk(`${name}/${n}`, `${rel}/${n}`);
  };
  for (const m of matches) {
    const e = ctx.get(m.entry);
    if (!e) continue;
    h.update(`@${m.name}\0${e.type === 'dir' ? 'd' : 'f'}\0${e.mode.toString(8)}\0`);
    if (e.type === 'dir') for (const n of ctx.children(m.entry)) walk(m.entry ? `${m.entry}/${n}` : n, n);
    else h.update(e.sha ?? '');
  }
  return h.digest('hex');
}

function writeEntry(ctx: ContextStore, e: CtxEntry, dst: string, o: CopyOptions): number {
  let existing: Stats | undefined;
  try { existing = lstatSync(dst); } catch { existing = undefined; }
  if (e.type === 'dir') {
    if (existing && !existing.isDirectory()) { rmSync(dst, { force: true }); existing = undefined; }
    if (!existing) mkdirSync(dst);
    let n = 1;
    for (const name of ctx.children(e.name)) {
      const child = ctx.get(e.name ? `${e.name}/${name}` : name);
      if (child) n += writeEntry(ctx, child, `${dst}/${name}`, o);
    }
    chmodSync(dst, o.mode ?? e.mode);
    lchownSync(dst, o.uid, o.gid);
    utimesSync(dst, e.mtime, e.mtime);
    return n;
  }
  if (existing) rmSync(dst, { recursive: true, force: true });
  if (e.type === 'symlink') {
    symlinkSync(e.link ?? '', dst);
    lchownSync(dst, o.uid, o.gid);
    lutimesSync(dst, e.mtime, e.mtime);
    return 1;
  }
  if (e.type !== 'file') return 0;
  const fd = openSync(dst, 'wx', 0o600);
  try {
    const data = ctx.read(e);
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
  } finally { closeSync(fd); }
  lchownSync(dst, o.uid, o.gid);
  chmodSync(dst, o.mode ?? e.mode);
  utimesSync(dst, e.mtime, e.mtime);
  return 1;
}

/** copyInto for context sources: the same destination rules, bytes read from the spill file. */
export function copyFromContext(ctx: ContextStore, root: string, matches: readonly ContextMatch[], dest: string, o: CopyOptions): number {
  const destIsDir = dest.endsWith('/') || matches.length > 1;
  const rel = posix.normalize(dest).replace(/^\/+/, '').replace(/\/$/, '');
  const own = { uid: o.uid, gid: o.gid };
  let n = 0;
  for (const m of matches) {
    const e = ctx.get(m.entry);
    if (!e) continue;
    if (e.type === 'dir') {
      const target = mkdirAllInRoot(root, rel, own);
      for (const name of ctx.children(m.entry)) {
        const child = ctx.get(m.entry ? `${m.entry}/${name}` : name);
        if (child) n += writeEntry(ctx, child, `${target}/${name}`, o);
      }
      continue;
    }
    let into = destIsDir;
    if (!into && rel !== '') {
      try { into = statSync(inRoot(root, rel)).isDirectory(); } catch { into = false; }
    }
    if (into || rel === '') n += writeEntry(ctx, e, `${mkdirAllInRoot(root, rel, own)}/${m.name}`, o);
    else n += writeEntry(ctx, e, `${mkdirAllInRoot(root, posix.dirname(rel) === '.' ? '' : posix.dirname(rel), own)}/${posix.basename(rel)}`, o);
  }
  return n;
}
