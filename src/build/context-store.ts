/**
 * The build context without unpacking it: the client's tar is written once,
 * sequentially, to one spill file, while an in-memory index records every
 * entry (type, mode, owner, times, link target, where its bytes sit in the
 * spill file) and each file's sha256. A cached rebuild then needs no file
 * created at all: COPY's checksum comes from the index; only a COPY that runs
 * reads the bytes back, straight into the container's rootfs.
 *
 * Names are cleaned (`./a//b/` → `a/b`; `..` cannot climb above the root);
 * symlinks are resolved inside the index, and one that leads out of the context
 * is refused when a COPY source goes through it.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync, createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { extract as tarExtract } from 'tar-stream';
import { InvalidParameterError } from '../errdefs/index.js';
import { decompressed } from '../pkg/archive/index.js';
import { PatternMatcher, parseDockerignore } from '../pkg/dockerignore/index.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface CtxEntry {
  /** Clean path relative to the context root ('' is the root). */
  name: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  size: number;
  /** Symlink target. */
  link?: string;
  /** Byte offset of a file's content in the spill file. */
  offset?: number;
  /** sha256 (hex) of a file's content. */
  sha?: string;
}

const PLAIN = /^(?!\.{1,2}(\/|$))(?!.*\/\.{0,2}(\/|$))[^/](.*[^/])?$/s;

function clean(raw: string): string {
  if (PLAIN.test(raw) && !raw.includes('//')) return raw; // already clean: the common case
  const out: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') { out.pop(); continue; }
    out.push(part);
  }
  return out.join('/');
}

const parentOf = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const baseOf = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

export class ContextStore {
  readonly #entries = new Map<string, CtxEntry>();
  readonly #children = new Map<string, Set<string>>();
  readonly #spill: string;
  #fd: number;

  private constructor(spill: string) {
    this.#spill = spill;
    this.#fd = openSync(spill, 'w+', 0o600);
    this.#entries.set('', { name: '', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0), size: 0 });
  }

  /** Reads a (plain or compressed) context tar into a spill file and an index. */
  static async receive(body: Readable, spill: string, signal?: AbortSignal): Promise<ContextStore> {
    const store = new ContextStore(spill);
    try {
      await store.#read(body, signal);
    } catch (err) {
      store.close();
      throw err;
    }
    return store;
  }

  async #read(body: Readable, signal?: AbortSignal): Promise<void> {
    const ex = tarExtract();
    let pos = 0;
    const links: { name: string; target: string; h: { mode: number; uid: number; gid: number; mtime: Date } }[] = [];
    const done = new Promise<void>((resolve, reject) => {
      ex.on('entry', (h, stream, next) => {
        const name = clean(h.name);
        const base = { name, mode: (h.mode ?? 0o644) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0, mtime: h.mtime ?? new Date(0) };
        if (h.type === 'file' || h.type === 'contiguous-file') {
          const hash = createHash('sha256');
          const offset = pos;
          let size = 0;
          stream.on('data', (data: unknown) => {
            const chunk = data as Buffer;
            hash.update(chunk);
            this.#append(chunk, pos);
            pos += chunk.length;
            size += chunk.length;
          });
          stream.on('end', () => {
            if (name) this.#add({ ...base, type: 'file', size, offset, sha: hash.digest('hex') });
            next();
          });
          stream.on('error', reject);
          return;
        }
        stream.resume();
        stream.on('end', () => {
          if (name === '' && h.type === 'directory') { next(); return; }
          if (h.type === 'directory') this.#add({ ...base, type: 'dir', size: 0 });
          else if (h.type === 'symlink') this.#add({ ...base, type: 'symlink', size: 0, link: h.linkname ?? '' });
          else if (h.type === 'link') links.push({ name, target: clean(h.linkname ?? ''), h: base });
          else if (name) this.#add({ ...base, type: 'other', size: 0 });
          next();
        });
      });
      ex.on('finish', resolve);
      ex.on('error', reject);
    });
    // The read loop below may fail first (the client went away): `done` then rejects unawaited.
    done.catch(() => { /* awaited below when the loop gets that far; its error is the loop's */ });
    const onAbort = (): void => { ex.destroy(new InvalidParameterError('the client went away while sending the build context')); };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const chunk of decompressed(body as AsyncIterable<Uint8Array>)) {
        if (!ex.write(chunk)) await new Promise<void>((r) => { ex.once('drain', () => r()); });
      }
      ex.end(undefined);
      await done;
      this.#flush();
      this.#bytes = pos;
    } catch (err) {
      throw new InvalidParameterError(`failed to read the build context: ${(err as Error).message}`);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    // Hard links share their target's bytes.
    for (const l of links) {
      const t = this.#entries.get(l.target);
      if (t?.type === 'file') this.#add({ ...t, ...l.h, name: l.name });
    }

  }

  // Small files arrive as small chunks: they are gathered and written 1 MiB at a time.
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #pendingAt = 0;

  #append(chunk: Buffer, at: number): void {
    if (this.#pendingBytes === 0) this.#pendingAt = at;
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes >= 1 << 20) this.#flush();
  }

  #flush(): void {
    if (this.#pendingBytes === 0) return;
    const buf = this.#pending.length === 1 ? (this.#pending[0] ?? Buffer.alloc(0)) : Buffer.concat(this.#pending, this.#pendingBytes);
    let off = 0;
    while (off < buf.length) off += writeSync(this.#fd, buf, off, buf.length - off, this.#pendingAt + off);
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  #add(e: CtxEntry): void {
    if (!e.name) return;
    // Parents a tar left out are directories (0755, root).
    const parent = parentOf(e.name);
    if (!this.#entries.has(parent)) this.#add({ name: parent, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: e.mtime, size: 0 });
    const old = this.#entries.get(e.name);
    if (old?.type === 'dir' && e.type !== 'dir') this.#drop(e.name);
    this.#entries.set(e.name, e);
    let kids = this.#children.get(parent);
    if (!kids) { kids = new Set(); this.#children.set(parent, kids); }
    kids.add(baseOf(e.name));
  }

  #drop(name: string): void {
    for (const k of this.#children.get(name) ?? []) this.#drop(name ? `${name}/${k}` : k);
    this.#children.delete(name);
    this.#entries.delete(name);
    this.#children.get(parentOf(name))?.delete(baseOf(name));
  }

  /** Bytes of file content held in the spill file. */
  get bytes(): number { return this.#bytes; }
  #bytes = 0;

  get(name: string): CtxEntry | undefined { return this.#entries.get(clean(name)); }

  /** Child names of a directory, sorted as Go sorts strings (bytewise). */
  children(dir: string): string[] {
    return [...(this.#children.get(dir) ?? [])].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  /** A file's content (whole: context files are read one at a time). */
  read(e: CtxEntry): Buffer {
    const buf = Buffer.allocUnsafe(e.size);
    let off = 0;
    while (off < e.size) {
      const n = readSync(this.#fd, buf, off, e.size - off, (e.offset ?? 0) + off);
      if (n <= 0) break;
      off += n;
    }
    return buf;
  }

  /** The first `n` bytes of a file. */
  head(e: CtxEntry, n: number): Buffer {
    const buf = Buffer.alloc(Math.min(n, e.size));
    if (buf.length) readSync(this.#fd, buf, 0, buf.length, e.offset ?? 0);
    return buf;
  }

  /** A file's content as a stream (ADD of an archive). */
  stream(e: CtxEntry): Readable {
    if (e.size === 0) return Readable.from([]);
    return createReadStream(this.#spill, { start: e.offset ?? 0, end: (e.offset ?? 0) + e.size - 1 });
  }

  /** Text of a file, or undefined when there is none by that name. */
  text(name: string): string | undefined {
    const e = this.get(name);
    return e?.type === 'file' ? this.read(e).toString('utf8') : undefined;
  }

  /**
   * Applies `.dockerignore` (when the context has one): ignored entries leave the
   * index; `keep` (the Dockerfile) stays readable until `forget` drops it.
   */
  applyDockerignore(): PatternMatcher | undefined {
    const text = this.text('.dockerignore');
    if (text === undefined) return undefined;
    const m = new PatternMatcher(parseDockerignore(text));
    const walk = (dir: string): void => {
      for (const k of this.children(dir)) {
        const p = dir ? `${dir}/${k}` : k;
        const e = this.#entries.get(p);
        if (!e) continue;
        if (m.matches(p)) {
          if (e.type === 'dir' && m.exclusions() && m.mayMatchInside(p)) { walk(p); continue; }
          if (p === '.dockerignore') continue; // read below, then dropped if ignored
          this.#drop(p);
          continue;
        }
        if (e.type === 'dir') walk(p);
      }
    };
    walk('');
    return m;
  }

  /** Drops one entry (the Dockerfile or .dockerignore when ignored). */
  forget(name: string): void { this.#drop(clean(name)); }

  /**
   * Resolves `path` in the context as the kernel would with the context as `/`:
   * symlinks followed (`final` too when asked); one that leads out of the context
   * is an error. Returns the entry's clean name, or undefined when absent.
   */
  resolve(path: string, final = true): string | undefined {
    const parts = clean(path).split('/').filter(Boolean);
    const done: string[] = [];
    let hops = 0;
    while (parts.length) {
      const p = parts.shift() ?? '';
      const cur = [...done, p].join('/');
      const e = this.#entries.get(cur);
      if (!e) return undefined;
      if (e.type === 'symlink' && (parts.length > 0 || final)) {
        if (++hops > 40) throw new InvalidParameterError(`too many levels of symbolic links: ${path}`);
        const target = e.link ?? '';
        if (target.startsWith('/')) throw new EscapeError(path, target);
        const joined = [...done, ...target.split('/')];
        const stack: string[] = [];
        for (const seg of joined) {
          if (seg === '' || seg === '.') continue;
          if (seg === '..') { if (stack.length === 0) throw new EscapeError(path, target); stack.pop(); continue; }
          stack.push(seg);
        }
        done.length = 0;
        parts.unshift(...stack);
        continue;
      }
      done.push(p);
    }
    return done.join('/');
  }

  close(): void {
    if (this.#fd >= 0) {
      try { closeSync(this.#fd); } catch { /* closed */ }
      this.#fd = -1;
    }
  }
}

export class EscapeError extends InvalidParameterError {
  constructor(path: string, target: string) {
    super(`forbidden path outside the build context: ${path} (symlink to ${target})`);
  }
}
