import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { SystemError } from '../errdefs/index.js';

/**
 * The Node side of native/pier-spawn, pierd's fork server (see the protocol in
 * its header). Node's spawn forks the whole daemon synchronously on the event
 * loop (4-8 ms per helper here); pier-spawn forks a 100 kB process instead, and
 * pierd only opens a unix-socket connection per child.
 */

/** One child fd in stream mode. */
export type StreamFd =
  | 'null' // /dev/null
  | 'closed'
  | 'main' // the socket returned as `socket`
  | 'extra' // a socket of its own, returned in `extra` in order
  | 'pipe-main' // a pipe that pier-spawn relays to/from `socket` (fd 0: into the child)
  | 'pipe-extra' // the same through a socket of its own in `extra`
  | { append: string }; // a file opened for appending

export interface CaptureOptions {
  /** Entries added to (or replacing) pierd's environment. */
  env?: Record<string, string>;
  /** Start from an empty environment instead of pierd's. */
  clearEnv?: boolean;
  cwd?: string;
  input?: string | Buffer;
}

export interface CaptureResult { code: number; stdout: string; stderr: string }

export interface StreamOptions {
  stdio: readonly StreamFd[];
  env?: Record<string, string>;
  /** New session (setsid): the child outlives pierd's process group. */
  detached?: boolean;
  /** Keep the exit status so `exited` can report it. */
  wait?: boolean;
  cwd?: string;
}

/** The sockets come back paused: pipe() them, or add 'data' listeners and resume(). */
export interface StreamChild {
  pid: number;
  /** Present when a fd is 'main'. */
  socket: Socket | undefined;
  extra: Socket[];
  /** The exit status (128+n for a signal); only with `wait`. */
  exited: Promise<number>;
}

export class ForkServerUnavailable extends SystemError {}

function frame(tokens: readonly string[], input?: Buffer): Buffer {
  const body = Buffer.from(tokens.map((t) => `${t}\0`).join(''), 'utf8');
  const head = Buffer.alloc(4);
  const len = body.length + (input?.length ?? 0);
  head.writeUInt32LE(len, 0);
  return input ? Buffer.concat([head, body, input]) : Buffer.concat([head, body]);
}

function envTokens(env: Record<string, string> | undefined): string[] {
  const e = Object.entries(env ?? {}).map(([k, v]) => `${k}=${v}`);
  return [String(e.length), ...e];
}

export class ForkServer {
  readonly #binary: string;
  readonly #socketPath: string;
  #child: ChildProcess | undefined;
  #starting: Promise<void> | undefined;
  #closed = false;

  constructor(opts: { binary: string; socketPath: string }) {
    this.#binary = opts.binary;
    this.#socketPath = opts.socketPath;
  }

  /** Starts pier-spawn (again, when it died) and waits for its "ready". */
  start(): Promise<void> {
    if (this.#child && this.#child.exitCode === null && this.#child.signalCode === null && !this.#starting) return Promise.resolve();
    this.#starting ??= new Promise<void>((resolve, reject) => {
      const child = spawn(this.#binary, [], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, PIER_SPAWN_SOCKET: this.#socketPath } });
      this.#child = child;
      let out = '';
      const onData = (b: Buffer): void => {
        out += b.toString();
        if (out.includes('ready\n')) {
          child.stdout?.off('data', onData);
          child.stdout?.resume();
          // From now on pier-spawn must not keep pierd alive (it exits when pierd's end of stdin closes).
          child.unref();
          (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
          (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.once('error', (e) => reject(new ForkServerUnavailable(`Cannot run ${this.#binary}: ${e.message}`, { cause: e })));
      child.once('exit', (code, sig) => {
        reject(new ForkServerUnavailable(`pier-spawn exited (${sig ?? code ?? '?'})`));
        if (this.#child === child) this.#child = undefined;
      });
      child.stdin?.on('error', () => { /* it is gone: the exit handler says so */ });
    }).finally(() => { this.#starting = undefined; });
    return this.#starting;
  }

  /** pier-spawn's pid while it runs. */
  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }

  /**
   * A sealed in-memory copy of the executable at `path`, held by pier-spawn, as
   * a path to exec (`/proc/<pier-spawn>/fd/<n>`); valid while `pid` stays the same.
   */
  async seal(path: string): Promise<{ path: string; pid: number }> {
    const s = await this.#connect();
    const pid = this.#child?.pid;
    const line = await readLine(s, () => { s.write(frame(['seal', path])); });
    s.destroy();
    const m = /^x (-?\d+)$/.exec(line);
    if (!m || pid === undefined) throw new ForkServerUnavailable(`pier-spawn gave no answer for seal ${path}`);
    const rc = Number(m[1]);
    if (rc < 0) throw Object.assign(new SystemError(`seal ${path}: ${errnoText(-rc)}`), { errno: -rc });
    return { path: `/proc/${pid}/fd/${rc}`, pid };
  }

  get running(): boolean {
    return !this.#closed && this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async #connect(): Promise<Socket> {
    if (this.#closed) throw new ForkServerUnavailable('fork server closed');
    if (!this.running) await this.start();
    return new Promise<Socket>((resolve, reject) => {
      const s = connect(this.#socketPath);
      s.once('connect', () => { s.off('error', reject); resolve(s); });
      s.once('error', (e) => reject(new ForkServerUnavailable(`pier-spawn: ${e.message}`, { cause: e })));
    });
  }

  /** Runs file with args, collecting stdout and stderr. `code` < 0 is -errno from exec. */
  async run(file: string, args: readonly string[], o: CaptureOptions = {}): Promise<CaptureResult> {
    const input = o.input === undefined ? undefined : Buffer.isBuffer(o.input) ? o.input : Buffer.from(o.input);
    const flags = o.clearEnv ? 'E' : '.';
    const tokens = ['run', flags, o.cwd ?? '', '3', input ? 'i' : 'n', 'c', 'c', ...envTokens(o.env), String(args.length + 1), file, ...args];
    const s = await this.#connect();
    return new Promise<CaptureResult>((resolve, reject) => {
      const chunks: Buffer[] = [];
      s.on('data', (b: Buffer) => chunks.push(b));
      s.once('error', (e) => reject(new ForkServerUnavailable(`pier-spawn: ${e.message}`, { cause: e })));
      s.once('close', () => {
        const all = Buffer.concat(chunks);
        const nl = all.indexOf(10);
        const m = nl > 0 ? /^x (-?\d+) (\d+) (\d+)$/.exec(all.subarray(0, nl).toString('latin1')) : null;
        if (!m) {
          reject(new ForkServerUnavailable(`pier-spawn gave no answer for ${file}`));
          return;
        }
        const olen = Number(m[2]);
        const elen = Number(m[3]);
        const start = nl + 1;
        resolve({
          code: Number(m[1]),
          stdout: all.subarray(start, start + olen).toString('utf8'),
          stderr: all.subarray(start + olen, start + olen + elen).toString('utf8'),
        });
      });
      s.end(frame(tokens, input));
    });
  }

  /** Starts a long-lived child whose chosen fds are unix sockets held by pierd. */
  async spawn(file: string, args: readonly string[], o: StreamOptions): Promise<StreamChild> {
    const extra: Socket[] = [];
    const specs: string[] = [];
    let hasMain = false;
    try {
      for (const fd of o.stdio) {
        if (fd === 'null') specs.push('n');
        else if (fd === 'closed') specs.push('-');
        else if (fd === 'main') { specs.push('s'); hasMain = true; }
        else if (fd === 'pipe-main') { specs.push('r'); hasMain = true; }
        else if (fd === 'extra' || fd === 'pipe-extra') {
          const s = await this.#connect();
          const tok = await readLine(s, () => { s.write(frame(['hold'])); });
          const m = /^h (\d+)$/.exec(tok);
          if (!m) throw new ForkServerUnavailable('pier-spawn refused to hold a stream');
          extra.push(s);
          specs.push(`${fd === 'pipe-extra' ? 'r' : ''}h${m[1] ?? ''}`);
        } else specs.push(`a${fd.append}`);
      }
      if (!hasMain) throw new SystemError('fork server spawn needs a main stream');
      const flags = `${o.detached ? 'd' : ''}${o.wait ? 'w' : ''}` || '.';
      const s = await this.#connect();
      const line = await readLine(s, () => {
        s.write(frame(['run', flags, o.cwd ?? '', String(specs.length), ...specs, ...envTokens(o.env), String(args.length + 1), file, ...args]));
      });
      const p = /^p (\d+)$/.exec(line);
      if (!p) {
        s.destroy();
        const e = /^e (\d+)$/.exec(line);
        throw new SystemError(`Cannot run ${file}: ${e ? errnoText(Number(e[1])) : 'pier-spawn refused the request'}`);
      }
      const pid = Number(p[1]);
      const exited = o.wait ? this.#wait(pid) : Promise.resolve(0);
      exited.catch(() => { /* surfaced to whoever awaits it */ });
      return { pid, socket: s, extra, exited };
    } catch (err) {
      for (const e of extra) e.destroy();
      throw err;
    }
  }

  /** mount(2) done by pier-spawn (no mount(8) process). Throws SystemError with the errno's text. */
  async mount(source: string, target: string, fstype: string, flags: number, data: string): Promise<void> {
    await this.#simple(['mount', source, target, fstype, String(flags), data], `mount ${target}`);
  }

  /** umount2(2) done by pier-spawn; flags 2 is MNT_DETACH. Rejects with `code` set to the errno. */
  async umount(target: string, flags = 0): Promise<void> {
    await this.#simple(['umount', target, String(flags)], `umount ${target}`);
  }

  async #simple(tokens: string[], what: string): Promise<void> {
    const s = await this.#connect();
    const line = await readLine(s, () => { s.write(frame(tokens)); });
    s.destroy();
    const m = /^x (-?\d+)$/.exec(line);
    if (!m) throw new ForkServerUnavailable(`pier-spawn gave no answer for ${what}`);
    const rc = Number(m[1]);
    if (rc < 0) throw Object.assign(new SystemError(`${what}: ${errnoText(-rc)}`), { errno: -rc });
  }

  async #wait(pid: number): Promise<number> {
    const s = await this.#connect();
    const line = await readLine(s, () => { s.write(frame(['wait', String(pid)])); });
    s.destroy();
    const m = /^x (-?\d+)$/.exec(line);
    if (!m) throw new ForkServerUnavailable(`pier-spawn lost child ${pid}`);
    return Number(m[1]);
  }

  close(): void {
    this.#closed = true;
    this.#child?.stdin?.end();
    this.#child = undefined;
  }
}

/**
 * Reads one "\n"-terminated line from s, then pauses s and puts back what
 * followed so the next consumer sees the child's bytes from the first one.
 */
function readLine(s: Socket, send: () => void): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const onData = (b: Buffer): void => {
      buf = buf.length ? Buffer.concat([buf, b]) : b;
      const nl = buf.indexOf(10);
      if (nl < 0) return;
      cleanup();
      s.pause();
      const rest = buf.subarray(nl + 1);
      if (rest.length) s.unshift(rest);
      resolve(buf.subarray(0, nl).toString('utf8'));
    };
    const onEnd = (): void => { cleanup(); reject(new ForkServerUnavailable('pier-spawn closed the connection')); };
    const onError = (e: Error): void => { cleanup(); reject(new ForkServerUnavailable(`pier-spawn: ${e.message}`, { cause: e })); };
    const cleanup = (): void => { s.off('data', onData); s.off('end', onEnd); s.off('close', onEnd); s.off('error', onError); };
    s.on('data', onData);
    s.once('end', onEnd);
    s.once('close', onEnd);
    s.once('error', onError);
    send();
  });
}

const ERRNO: Record<number, string> = {
  1: 'operation not permitted', 2: 'no such file or directory', 8: 'exec format error', 13: 'permission denied',
  16: 'device or resource busy', 20: 'not a directory', 22: 'invalid argument', 36: 'file name too long',
};
export function errnoText(n: number): string {
  return ERRNO[n] ?? `errno ${n}`;
}
