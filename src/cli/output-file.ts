// Writing a command's `-o FILE` output the way docker 28 does (moby's
// atomicwriter): the destination is checked and a temporary file beside it
// opened before the daemon is asked for anything; the data lands in the
// temporary file, which is renamed over the destination (mode 0600) only once
// complete. Failures read like Go's *PathError: "open /dir/.tmp-out.tar123: …".

import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomInt } from 'node:crypto';
import { getSystemErrorMessage } from 'node:util';

/** Go's syscall error strings for the errnos a file write meets (libuv words some differently). */
const GO_ERRNO: Readonly<Record<string, string>> = {
  EACCES: 'permission denied', EPERM: 'operation not permitted', ENOENT: 'no such file or directory', ENOTDIR: 'not a directory',
  EISDIR: 'is a directory', EEXIST: 'file exists', EROFS: 'read-only file system', ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded', EIO: 'input/output error', ENAMETOOLONG: 'file name too long', ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files', ENFILE: 'too many open files in system', EFBIG: 'file too large', ETXTBSY: 'text file busy', EINVAL: 'invalid argument',
};

/** The text Go prints for a system error: "read-only file system". */
export function goErrnoText(err: unknown): string {
  const e = err as Partial<NodeJS.ErrnoException> | null;
  const known = typeof e?.code === 'string' ? GO_ERRNO[e.code] : undefined;
  if (known !== undefined) return known;
  if (typeof e?.errno === 'number') return getSystemErrorMessage(e.errno);
  return err instanceof Error ? err.message : String(err);
}

/** Go's *PathError text: "open /x: permission denied". */
export function goPathError(op: string, file: string, err: unknown): Error {
  return new Error(`${op} ${file}: ${goErrnoText(err)}`, { cause: err });
}

/** Go's filepath.Clean for the relative and absolute paths a user types. */
function goClean(p: string): string {
  if (p === '') return '.';
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** Go's filepath.Dir: "nodir/" → "nodir", "out.tar" → ".". */
export function goDir(p: string): string {
  return goClean(p.slice(0, p.lastIndexOf('/') + 1));
}

/** Go's filepath.Base: trailing slashes dropped, "" → ".". */
function goBase(p: string): string {
  const t = p.replace(/\/+$/, '');
  if (t === '') return p === '' ? '.' : '/';
  return t.slice(t.lastIndexOf('/') + 1);
}

/** What atomicwriter refuses to replace; undefined when `file` may be written. */
function checkDestination(file: string): string | undefined {
  if (file === '') return 'file name is empty';
  const dir = goDir(file);
  if (dir !== '.') {
    let isDir: boolean;
    try { isDir = fs.statSync(dir).isDirectory(); } catch (err) { return `invalid output path: ${goPathError('stat', dir, err).message}`; }
    if (!isDir) return `invalid output path: stat ${dir}: not a directory`;
  }
  let st: fs.Stats;
  try { st = fs.lstatSync(file); } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return goPathError('lstat', file, err).message;
  }
  if (st.isFile()) return undefined;
  if (st.isSymbolicLink()) return 'cannot write to a symbolic link directly';
  if (st.isFIFO()) return 'cannot write to a named pipe (FIFO)';
  if (st.isSocket()) return 'cannot write to a socket';
  if (st.isCharacterDevice()) return 'cannot write to a character device file';
  if (st.isBlockDevice()) return 'cannot write to a block device file';
  if (st.isDirectory()) return 'cannot write to a directory';
  return `unsupported file mode: ${st.mode.toString(8)}`;
}

/** A temporary file that becomes `-o FILE` on commit. */
export class AtomicFile {
  readonly #fd: number;
  readonly #tmp: string;
  readonly #dest: string;
  #done = false;
  /** Where to write; the caller ends it (stream.pipeline does). */
  readonly stream: fs.WriteStream;

  private constructor(fd: number, tmp: string, dest: string) {
    this.#fd = fd;
    this.#tmp = tmp;
    this.#dest = dest;
    this.stream = fs.createWriteStream('', { fd, autoClose: false });
  }

  /**
   * Checks `file` and opens the temporary file beside it. Throws an Error
   * with docker's text ("cannot write to a directory", "invalid output path:
   * stat /x: no such file or directory", "open /x/.tmp-f123: permission denied").
   */
  static create(file: string): AtomicFile {
    const bad = checkDestination(file);
    if (bad !== undefined) throw new Error(bad);
    const dest = path.resolve(file);
    for (let tries = 0; ; tries++) {
      const tmp = path.join(path.dirname(dest), `.tmp-${goBase(file)}${randomInt(2 ** 32)}`);
      try {
        return new AtomicFile(fs.openSync(tmp, 'wx', 0o600), tmp, dest);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries >= 10_000) throw goPathError('open', tmp, err);
      }
    }
  }

  /** Flushes, sets mode 0600 and renames over the destination. */
  commit(): void {
    if (this.#done) return;
    this.#done = true;
    try {
      try { fs.fsyncSync(this.#fd); } catch (err) { throw goPathError('sync', this.#tmp, err); }
      fs.closeSync(this.#fd);
      fs.chmodSync(this.#tmp, 0o600);
      try { fs.renameSync(this.#tmp, this.#dest); } catch (err) { throw new Error(`rename ${this.#tmp} ${this.#dest}: ${goErrnoText(err)}`, { cause: err }); }
    } finally {
      fs.rmSync(this.#tmp, { force: true });
    }
  }

  /** Closes and removes the temporary file (idempotent; a no-op after commit). */
  discard(): void {
    if (this.#done) return;
    this.#done = true;
    try { fs.closeSync(this.#fd); } catch { /* already closed */ }
    fs.rmSync(this.#tmp, { force: true });
  }

  /** A write error as Go reports it: "write /dir/.tmp-out.tar123: no space left on device". */
  writeError(err: unknown): Error {
    const e = err as Partial<NodeJS.ErrnoException> | null;
    return typeof e?.code === 'string' && e.syscall === 'write' ? goPathError('write', this.#tmp, err) : (err instanceof Error ? err : new Error(String(err)));
  }
}
