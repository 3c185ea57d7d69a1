import {
  chmodSync, closeSync, constants, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync,
  mkdirSync, openSync, symlinkSync, write, writeSync, writev, type Stats,
} from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import type { ExtractEvents, Header } from 'tar-stream';
import { InvalidParameterError, PierError, SystemError } from '../../errdefs/index.js';
import { nullLogger, type Logger } from '../log/index.js';
import { findTool, mkfifo, mknod, mknodAll, setXattrs, type DeviceNode, type Xattr } from './host-tools.js';
import { RootResolver } from './resolve-in-root.js';
import {
  cleanEntryName, DEFAULT_MAX_PATH_LENGTH, joinRel, refuse, splitPath,
  WHITEOUT_META_PREFIX, WHITEOUT_OPAQUE, WHITEOUT_PREFIX,
} from './tar-path.js';

/**
 * How `.wh.` entries are applied. `overlay`: the destination is an overlayfs
 * upper dir, so `a/.wh.b` becomes a 0/0 char device `a/b` and `a/.wh..wh..opq`
 * the xattr `trusted.overlay.opaque=y` on `a`. `none`: the destination is a
 * plain rootfs, so the whiteout deletes `a/b` (or empties `a`, keeping what this
 * archive put there). `literal`: `.wh.` names are ordinary names (`docker cp`).
 */
export type WhiteoutMode = 'overlay' | 'none' | 'literal';

/**
 * A tar header as tar-stream decodes it: `type` is null for a type flag it does
 * not know (GNU sparse files …); `pax` holds the entry's PAX records.
 */
export interface TarHeader {
  name: string;
  size: number;
  mode: number;
  mtime: Date;
  type: Header['type'] | null;
  linkname: string | null;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  pax?: Record<string, string> | null;
}

type Entry = ExtractEvents['entry'][1];

export interface ExtractOptions {
  whiteouts: WhiteoutMode;
  signal?: AbortSignal;
  /** Longest entry name or link target accepted, in bytes (default 4096). */
  maxPathLength?: number;
  /** Refuse to replace a directory by a non-directory or the reverse (`docker cp`). */
  noOverwriteDirNonDir?: boolean;
  /** Keep the archive's uid/gid (default true). Without root a failing lchown is ignored. */
  chown?: boolean;
  /** Called with each header before the entry is applied. */
  onEntry?: (header: TarHeader) => void;
  /** `--userns-remap`: the archive's ids are the container's; files get the host ids they map to (an id outside the map refuses the archive). */
  idMap?: { toHost(uid: number, gid: number): { uid: number; gid: number } } | undefined;
  log?: Logger;
  /** The input is an uncompressed tar already (a layer inflated on its way in): taken as it is, not sniffed for gzip or zstd once more. */
  inflated?: boolean;
}

export interface ExtractResult { files: number; bytes: number }

type Prepared = { rel: string; host: string; keep: boolean };

const writeFlags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** Files at least this big are written asynchronously (smaller ones: the thread hop costs more than the write). */
const ASYNC_WRITE_MIN = 1 << 20;
const WRITES_IN_FLIGHT = 4;
const WRITE_BATCH = 1 << 20;

/** Writes all of `bufs`, in order from `pos`, on libuv's thread pool (a short writev finishes with plain writes). */
function writevAllAt(fd: number, bufs: Buffer[], pos: number): Promise<void> {
  return new Promise((resolve, reject) => {
    writev(fd, bufs, pos, (err, n) => {
      if (err) { reject(err); return; }
      if (n === bufs.reduce((t, b) => t + b.length, 0)) { resolve(); return; }
      const rest = Buffer.concat(bufs).subarray(n);
      const step = (off: number): void => {
        if (off >= rest.length) { resolve(); return; }
        write(fd, rest, off, rest.length - off, pos + n + off, (e, m) => (e ? reject(e) : step(off + m)));
      };
      step(0);
    });
  });
}

function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function lstatOrUndefined(p: string): Stats | undefined {
  try { return lstatSync(p); } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

async function drain(entry: Entry): Promise<void> {
  for await (const _ of entry as AsyncIterable<unknown>) { /* entries without a body: skip any stray bytes */ }
}

/** Applies the entries of one archive to one directory; see extractTar. */
const CLIENT_ERRNOS = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EEXIST', 'ENOTEMPTY', 'ELOOP', 'ENAMETOOLONG', 'EINVAL', 'EPERM', 'EACCES', 'EROFS', 'EXDEV', 'EMLINK']);

export class TarExtractor {
  readonly #r: RootResolver;
  readonly #o: ExtractOptions;
  readonly #log: Logger;
  readonly #maxLen: number;
  readonly #asRoot = process.getuid?.() === 0;
  readonly #dirTimes: { host: string; mtime: Date }[] = [];
  readonly #whiteouts: (DeviceNode & { uid: number; gid: number })[] = [];
  readonly #xattrs: Xattr[] = [];
  /** Root-relative paths this archive wrote (whiteouts mode 'none' must not delete them). */
  readonly #written = new Set<string>();
  files = 0;
  bytes = 0;

  constructor(destDir: string, opts: ExtractOptions) {
    this.#r = new RootResolver(destDir, { cache: true });
    this.#o = opts;
    this.#log = opts.log ?? nullLogger;
    this.#maxLen = opts.maxPathLength ?? DEFAULT_MAX_PATH_LENGTH;
  }

  async handle(entry: Entry): Promise<void> {
    // tar-stream's declared header type is narrower than what it decodes (null type, string PAX map).
    const h = entry.header as unknown as TarHeader;
    const raw = h.name;
    try {
      this.#o.onEntry?.(h);
      await this.#apply(entry, h, raw);
    } catch (err) {
      await drain(entry).catch(() => { /* the archive is abandoned anyway */ });
      if (err instanceof PierError || (err instanceof Error && err.name === 'AbortError')) throw err;
      // What the archive asks for and the tree refuses (a file where a directory is, a name procfs
      // will not take) is the archive's fault: 400. A disk that is full or failing stays a 500.
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && CLIENT_ERRNOS.has(code)) throw new InvalidParameterError(`cannot extract "${raw}": ${code}`, { cause: err });
      throw new SystemError(`cannot extract "${raw}"`, { cause: err });
    }
  }

  async #apply(entry: Entry, h: TarHeader, raw: string): Promise<void> {
    if (Buffer.byteLength(raw) > this.#maxLen) throw refuse(raw.slice(0, 64) + '…', `name is longer than ${this.#maxLen} bytes`);
    const name = cleanEntryName(raw);
    const { dir, base } = splitPath(name);
    if (this.#o.whiteouts !== 'literal' && base.startsWith(WHITEOUT_PREFIX)) {
      await drain(entry);
      await this.#whiteout(dir, base, h, raw);
      return;
    }
    switch (h.type) {
      case 'file': case 'contiguous-file': await this.#file(entry, h, name); break;
      case 'directory': await drain(entry); await this.#dir(h, name); break;
      case 'symlink': await drain(entry); await this.#symlink(h, name, raw); break;
      case 'link': await drain(entry); await this.#hardlink(h, name, raw); break;
      case 'character-device': case 'block-device': await drain(entry); await this.#device(h, name, raw); break;
      case 'fifo': {
        await drain(entry);
        const p = await this.#prepare(name, false);
        await mkfifo(p.host, h.mode ?? 0o644);
        this.#meta(p.host, h, 'other');
        break;
      }
      default: throw refuse(raw, `unsupported tar entry type ${h.type ?? 'unknown'}`);
    }
    this.files++;
  }

  /** Applies deferred work: whiteout nodes, xattrs, then directory times. */
  async finish(): Promise<ExtractResult> {
    if (this.#whiteouts.length > 0) {
      await mknodAll(this.#whiteouts);
      for (const w of this.#whiteouts) this.#chown(w.path, w.uid, w.gid);
    }
    if (this.#xattrs.length > 0 && !(await setXattrs(this.#xattrs))) {
      this.#log.debug('extended attributes skipped: setfattr (package attr) is not installed', { count: this.#xattrs.length });
    }
    for (let i = this.#dirTimes.length - 1; i >= 0; i--) {
      const d = this.#dirTimes[i];
      if (d === undefined) continue;
      try { lutimesSync(d.host, d.mtime, d.mtime); } catch (err) {
        // A later entry or whiteout removed the directory: nothing to stamp.
        if (errnoOf(err) !== 'ENOENT' && errnoOf(err) !== 'ENOTDIR') throw err;
      }
    }
    return { files: this.files, bytes: this.bytes };
  }

  async #file(entry: Entry, h: TarHeader, name: string): Promise<void> {
    const p = await this.#prepare(name, false);
    const fd = openSync(p.host, writeFlags, 0o600);
    try {
      let pos = 0;
      if ((h.size ?? 0) < ASYNC_WRITE_MIN) {
        for await (const c of entry as AsyncIterable<Buffer>) {
          this.#o.signal?.throwIfAborted();
          for (let off = 0; off < c.length;) {
            const n = writeSync(fd, c, off, c.length - off, pos);
            off += n;
            pos += n;
          }
        }
      } else {
        // A big file's bytes are written by libuv's threads, a few chunks in flight: pierd's one
        // thread meanwhile parses, hashes and inflates the next ones (a pull is CPU-bound here).
        // Chunks are gathered into ~1 MiB writev calls: each hop to the pool costs the main thread.
        const inFlight = new Set<Promise<void>>();
        let failed: unknown;
        let batch: Buffer[] = [];
        let batched = 0;
        const flush = (): void => {
          const w = writevAllAt(fd, batch, pos).catch((err: unknown) => { failed ??= err; });
          pos += batched;
          batch = [];
          batched = 0;
          inFlight.add(w);
          void w.finally(() => inFlight.delete(w));
        };
        try {
          for await (const c of entry as AsyncIterable<Buffer>) {
            this.#o.signal?.throwIfAborted();
            if (failed !== undefined) throw failed;
            batch.push(c);
            batched += c.length;
            if (batched < WRITE_BATCH) continue;
            flush();
            if (inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(inFlight);
          }
          if (batched > 0) flush();
        } finally {
          await Promise.all(inFlight);
        }
        if (failed !== undefined) throw failed;
      }
      this.bytes += pos;
      const { uid, gid, mtime } = this.#ids(h);
      if (this.#o.chown !== false) this.#tolerantChown(() => fchownSync(fd, uid, gid));
      fchmodSync(fd, (h.mode ?? 0o644) & 0o7777);
      futimesSync(fd, mtime, mtime);
    } finally {
      closeSync(fd);
    }
    this.#collectXattrs(p.host, h);
  }

  async #dir(h: TarHeader, name: string): Promise<void> {
    const p = await this.#prepare(name, true);
    if (!p.keep) mkdirSync(p.host, { mode: 0o700 });
    this.#meta(p.host, h, 'dir');
    this.#r.rememberDir(p.rel);
  }

  async #symlink(h: TarHeader, name: string, raw: string): Promise<void> {
    const target = h.linkname ?? '';
    if (target === '' || target.includes('\0')) throw refuse(raw, 'symlink has no valid target');
    if (Buffer.byteLength(target) > this.#maxLen) throw refuse(raw, `link target is longer than ${this.#maxLen} bytes`);
    // The target is stored as data and never followed here: later entries
    // that pass through it are resolved inside the root (RootResolver).
    const p = await this.#prepare(name, false);
    symlinkSync(target, p.host);
    this.#meta(p.host, h, 'symlink');
  }

  async #hardlink(h: TarHeader, name: string, raw: string): Promise<void> {
    const ln = h.linkname ?? '';
    if (Buffer.byteLength(ln) > this.#maxLen) throw refuse(raw, `link target is longer than ${this.#maxLen} bytes`);
    let target: string;
    try { target = cleanEntryName(ln); } catch (err) {
      if (err instanceof InvalidParameterError) throw refuse(raw, `hard link target "${ln}" escapes the destination`);
      throw err;
    }
    if (target === '') throw refuse(raw, 'hard link to the destination root');
    const t = splitPath(target);
    // The target's parents are resolved in the root; its last component is
    // not followed, as link(2) does not follow it either.
    const tHost = this.#r.host(joinRel(await this.#r.resolveRel(t.dir, { followFinal: true }), t.base));
    const tst = lstatOrUndefined(tHost);
    if (tst === undefined) throw refuse(raw, `hard link target "${ln}" does not exist in the destination`);
    if (tst.isDirectory()) throw refuse(raw, `hard link target "${ln}" is a directory`);
    const self = splitPath(name);
    const selfHost = this.#r.host(joinRel(await this.#r.resolveRel(self.dir, { followFinal: true }), self.base));
    if (selfHost === tHost) return;
    const p = await this.#prepare(name, false);
    linkSync(tHost, p.host);
  }

  async #device(h: TarHeader, name: string, raw: string): Promise<void> {
    const isWhiteout = h.type === 'character-device' && (h.devmajor ?? 0) === 0 && (h.devminor ?? 0) === 0;
    if (isWhiteout && this.#o.whiteouts === 'none') {
      await this.#remove(name);
      return;
    }
    if (isWhiteout && this.#o.whiteouts === 'overlay') {
      const p = await this.#prepare(name, false);
      const { uid, gid } = this.#ids(h);
      this.#whiteouts.push({ path: p.host, kind: 'c', major: 0, minor: 0, mode: 0, uid, gid });
      return;
    }
    if (!this.#asRoot) throw refuse(raw, 'device nodes can only be created by root');
    const p = await this.#prepare(name, false);
    await mknod({
      path: p.host, kind: h.type === 'block-device' ? 'b' : 'c',
      major: h.devmajor ?? 0, minor: h.devminor ?? 0, mode: h.mode ?? 0o600,
    });
    this.#meta(p.host, h, 'other');
  }

  async #whiteout(dir: string, base: string, h: TarHeader, raw: string): Promise<void> {
    if (base === WHITEOUT_OPAQUE) {
      const parent = await this.#r.resolveRel(dir, { followFinal: true });
      if (this.#o.whiteouts === 'overlay') {
        if ((await findTool('setfattr')) === undefined) {
          throw new SystemError(`cannot apply opaque whiteout "${raw}": setfattr is not installed (Debian package attr)`);
        }
        await this.#mkdirs(parent, raw);
        this.#xattrs.push({ path: this.#r.host(parent), name: 'trusted.overlay.opaque', value: Buffer.from('y') });
        return;
      }
      let children: string[] = [];
      try { children = await readdir(this.#r.host(parent)); } catch (err) {
        if (errnoOf(err) !== 'ENOENT' && errnoOf(err) !== 'ENOTDIR') throw err;
      }
      for (const c of children) {
        const rel = joinRel(parent, c);
        if (this.#written.has(rel)) continue;
        await rm(this.#r.host(rel), { recursive: true, force: true });
        this.#r.forget(rel);
      }
      return;
    }
    if (base.startsWith(WHITEOUT_META_PREFIX)) return; // aufs bookkeeping (.wh..wh.plnk …): no meaning here
    const victim = base.slice(WHITEOUT_PREFIX.length);
    if (victim === '' || victim === '.' || victim === '..') throw refuse(raw, 'invalid whiteout name');
    const name = joinRel(dir, victim);
    if (this.#o.whiteouts === 'none') { await this.#remove(name); return; }
    const p = await this.#prepare(name, false);
    const { uid, gid } = this.#ids(h);
    this.#whiteouts.push({ path: p.host, kind: 'c', major: 0, minor: 0, mode: 0, uid, gid });
  }

  /** Whiteout in a plain rootfs: delete `name` unless this archive wrote it. */
  async #remove(name: string): Promise<void> {
    const { dir, base } = splitPath(name);
    if (name === '') return;
    const rel = joinRel(await this.#r.resolveRel(dir, { followFinal: true }), base);
    if (this.#written.has(rel)) return;
    await rm(this.#r.host(rel), { recursive: true, force: true });
    this.#r.forget(rel);
  }

  /**
   * Finds where `name` goes (parents resolved in the root and created when
   * missing) and clears the way: an existing directory is kept for a
   * directory entry, anything else is removed (never written through).
   */
  async #prepare(name: string, isDir: boolean): Promise<Prepared> {
    if (name === '') {
      if (!isDir) throw refuse('/', 'cannot replace the destination root with a non-directory');
      return { rel: '', host: this.#r.root, keep: true };
    }
    const { dir, base } = splitPath(name);
    const parent = await this.#r.resolveRel(dir, { followFinal: true });
    await this.#mkdirs(parent, name);
    const rel = joinRel(parent, base);
    const host = this.#r.host(rel);
    const st = lstatOrUndefined(host);
    if (this.#o.whiteouts === 'none') this.#written.add(rel);
    if (st === undefined) return { rel, host, keep: false };
    if (isDir && st.isDirectory()) return { rel, host, keep: true };
    if (this.#o.noOverwriteDirNonDir) {
      const shown = `/${name}`;
      if (st.isDirectory()) throw new InvalidParameterError(`cannot overwrite directory "${shown}" with non-directory "${shown}"`);
      if (isDir) throw new InvalidParameterError(`cannot overwrite non-directory "${shown}" with directory "${shown}"`);
    }
    await rm(host, { recursive: true, force: true });
    this.#r.forget(rel);
    return { rel, host, keep: false };
  }

  async #mkdirs(rel: string, name: string): Promise<void> {
    if (rel === '' || this.#r.knownDir(rel)) return;
    try {
      const host = this.#r.host(rel);
      const first = mkdirSync(host, { recursive: true, mode: 0o755 });
      if (first !== undefined && this.#o.idMap && this.#o.chown !== false) {
        // Parents the archive did not list belong to the container's root, not the host's.
        const root = this.#o.idMap.toHost(0, 0);
        for (let p = host; p.length >= first.length; p = p.slice(0, p.lastIndexOf('/'))) this.#chown(p, root.uid, root.gid);
      }
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'EEXIST' || code === 'ENOTDIR') throw refuse(name, 'a parent path is not a directory');
      throw err;
    }
    this.#r.rememberDir(rel);
  }

  #ids(h: TarHeader): { uid: number; gid: number; mtime: Date } {
    const num = (s: string | undefined): number | undefined => (s !== undefined && /^\d+(\.\d+)?$/.test(s) ? Number(s) : undefined);
    const paxTime = num(h.pax?.['mtime']);
    const uid = num(h.pax?.['uid']) ?? h.uid ?? 0;
    const gid = num(h.pax?.['gid']) ?? h.gid ?? 0;
    const mtime = paxTime !== undefined ? new Date(paxTime * 1000) : (h.mtime ?? new Date(0));
    return { ...(this.#o.idMap ? this.#o.idMap.toHost(uid, gid) : { uid, gid }), mtime };
  }

  #meta(host: string, h: TarHeader, kind: 'dir' | 'symlink' | 'other'): void {
    const { uid, gid, mtime } = this.#ids(h);
    if (this.#o.chown !== false) this.#chown(host, uid, gid);
    // chmod after chown: chown clears setuid/setgid.
    if (kind !== 'symlink') chmodSync(host, (h.mode ?? (kind === 'dir' ? 0o755 : 0o644)) & 0o7777);
    if (kind === 'dir') this.#dirTimes.push({ host, mtime });
    else lutimesSync(host, mtime, mtime);
    this.#collectXattrs(host, h);
  }

  #chown(host: string, uid: number, gid: number): void {
    this.#tolerantChown(() => lchownSync(host, uid, gid));
  }

  #tolerantChown(fn: () => void): void {
    try { fn(); } catch (err) {
      // Without root, keeping foreign owners is impossible; the files stay ours.
      if (this.#asRoot || (errnoOf(err) !== 'EPERM' && errnoOf(err) !== 'EINVAL')) throw err;
    }
  }

  #collectXattrs(host: string, h: TarHeader): void {
    for (const [key, value] of Object.entries(h.pax ?? {})) {
      if (!key.startsWith('SCHILY.xattr.')) continue;
      const name = key.slice('SCHILY.xattr.'.length);
      if (name.startsWith('trusted.overlay.')) {
        // Overlay's own bookkeeping (redirects, origins) must never come from an image.
        this.#log.debug('ignoring overlay xattr from archive', { path: host, name });
      } else if (value.includes('\uFFFD')) {
        // tar-stream decodes PAX values as UTF-8, so binary values arrive damaged.
        this.#log.debug('ignoring xattr with a binary value', { path: host, name });
      } else {
        this.#xattrs.push({ path: host, name, value: Buffer.from(value) });
      }
    }
  }
}
