import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { openSync, closeSync, readFileSync, mkdirSync, writeFileSync, writeSync, unlinkSync, existsSync, rmSync, constants as fsConstants } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { channel } from 'node:diagnostics_channel';
import { exec, ExecError, processIdentity, isProcessAlive, type ProcessIdentity, type ForkServer, type StreamChild } from '../kernel/index.js';
import { ConflictError, InvalidParameterError, NotFoundError, SystemError } from '../errdefs/index.js';
import type { Logger } from '../pkg/log/index.js';
import { monotonicMs } from '../pkg/clock/index.js';
import { ExitWatcher } from './exit-watcher.js';

export interface RuntimeOptions {
  /** Runtime name as shown by the API ("crun", "runc"). */
  name: string;
  /** Path of the runtime binary. */
  path: string;
  /** The runtime's private state dir (`--root`), so daemons side by side never collide. */
  stateRoot: string;
  conmonPath: string;
  /** Where conmon writes exit files. */
  exitDir: string;
  /** Path of the pier-attach helper binary. */
  attachHelper: string;
  /** pierd's fork server: conmon and pier-attach start through it when it runs. */
  forkServer?: ForkServer;
  log: Logger;
}

/**
 * A live attach: pier-attach's framed output (raw with a TTY) on `stdout`,
 * the container's stdin on `stdin`. 'close' once the helper is gone and its
 * output is drained; `exitCode` is null until then.
 */
export interface AttachHandle {
  readonly stdout: Readable;
  readonly stdin: Writable | null;
  readonly exitCode: number | null;
  kill(signal?: NodeJS.Signals): void;
  on(event: 'close', cb: () => void): this;
  once(event: 'close', cb: () => void): this;
}

/** An AttachHandle over a pier-attach started by the fork server (its stdio is one unix socket). */
class ForkedAttach extends EventEmitter implements AttachHandle {
  readonly stdout: Readable;
  readonly stdin: Writable | null;
  exitCode: number | null = null;
  readonly #child: StreamChild;

  constructor(child: StreamChild, socket: Readable & Writable, withStdin: boolean) {
    super();
    this.#child = child;
    // A fresh stream, so consumers may use 'data' or pipe() alike (the socket comes back paused).
    this.stdout = socket.pipe(new PassThrough());
    this.stdin = withStdin ? socket : null;
    let sockClosed = false;
    let code: number | undefined;
    const done = (): void => {
      if (!sockClosed || code === undefined || this.exitCode !== null) return;
      this.exitCode = code;
      this.emit('close');
    };
    socket.once('close', () => { sockClosed = true; done(); });
    socket.on('error', () => { /* the close that follows ends the attach */ });
    child.exited.then((c) => { code = c; done(); }, () => { code = 255; done(); });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.exitCode !== null) return;
    try { process.kill(this.#child.pid, signal); } catch { /* already gone */ }
  }
}

export interface CreateTaskOptions {
  bundle: string;
  /** k8s-file log conmon writes. */
  logPath: string;
  terminal: boolean;
  stdin: boolean;
  /** Keep the container's stdin open when an attached client leaves (docker's OpenStdin without StdinOnce). */
  leaveStdinOpen?: boolean;
  name: string;
  signal?: AbortSignal;
  /** Called once conmon runs (its attach socket appears while the runtime creates the container). */
  onSpawned?: () => void;
  /**
   * conmon starts at once but the runtime's create waits for this, so the
   * caller can finish the bundle (rootfs mount, config.json) while conmon loads.
   * When it rejects, conmon is killed before it creates anything, and create
   * rejects with the same error.
   */
  gate?: Promise<void>;
}

/** What the daemon records about a created task, to find it again after a restart. */
export interface TaskInfo { pid: number; pidStart: string; conmon: ProcessIdentity | undefined }

export interface ExecOptions {
  processFile: string;
  terminal: boolean;
  detach: boolean;
}

export interface ExecHandle {
  readonly pid: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Exit code of the exec'd process (for a detached exec: of the runtime call). */
  readonly exited: Promise<number>;
  kill(signal: NodeJS.Signals): void;
}

const traceCreate = channel('pier:runtime:create');
const traceStart = channel('pier:runtime:start');

/** The runtime's own error text from its stderr, without log decoration. */
function runtimeMessage(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const msgs = lines.map((l) => {
    try {
      const j = JSON.parse(l) as { msg?: unknown };
      return typeof j.msg === 'string' ? j.msg : l;
    } catch {
      return l;
    }
  });
  return msgs.join(': ');
}

/** Drives crun/runc through conmon (containers) and directly (exec, kill, pause, …). */
export class ConmonRuntime {
  readonly #o: RuntimeOptions;
  readonly exits: ExitWatcher;
  /** crun's sealed copy in pier-spawn (see useSealedCopy), while that pier-spawn lives. */
  #sealed: { path: string; pid: number } | undefined;

  constructor(opts: RuntimeOptions) {
    this.#o = opts;
    mkdirSync(opts.stateRoot, { recursive: true });
    this.exits = new ExitWatcher(opts.exitDir);
    this.exits.start();
  }

  get name(): string { return this.#o.name; }
  get path(): string { return this.#o.path; }

  /**
   * Has pier-spawn hold a sealed memfd copy of crun and runs crun from it.
   * crun re-executes itself from a private copy on every command (create, exec, delete …)
   * unless /proc/self/exe is already a sealed memfd (its CVE-2019-5736 defence:
   * a container must never be able to write the host's runtime binary); a copy
   * sealed once gives the same protection without the per-call copy, bind mount
   * and second exec: ~6 ms per crun run on this VM (bench/README.md). The
   * copy is checked by running it; if the kernel refuses to exec memfds
   * (vm.memfd_noexec) crun keeps running from its path.
   */
  async useSealedCopy(): Promise<void> {
    const fs = this.#o.forkServer;
    if (!fs?.running || !/(^|\/)crun$/.test(this.#o.path)) return;
    try {
      const sealed = await fs.seal(this.#o.path);
      const r = await fs.run(sealed.path, ['--version']);
      if (r.code !== 0) throw new SystemError(`the sealed copy does not run (${r.code}): ${r.stderr.trim()}`);
      this.#sealed = sealed;
    } catch (err) {
      this.#o.log.info('crun runs from its own path (no sealed copy)', { err: err instanceof Error ? err.message : String(err) });
    }
  }

  /** The path to exec crun by: the sealed copy while its holder lives. */
  #launchPath(): string {
    const s = this.#sealed;
    return s && this.#o.forkServer?.pid === s.pid ? s.path : this.#o.path;
  }

  #rt(args: string[], opts: { allowFailure?: boolean; input?: string } = {}): ReturnType<typeof exec> {
    return exec(this.#launchPath(), ['--root', this.#o.stateRoot, ...args], opts);
  }

  /**
   * Spawns conmon, which runs `<runtime> create` for the bundle and reports the
   * container's pid. Throws InvalidParameterError carrying the runtime's text
   * when create fails (the CLI maps "not found"/"permission denied" to 127/126).
   */
  async create(id: string, o: CreateTaskOptions): Promise<TaskInfo> {
    const t0 = monotonicMs();
    this.exits.clear(id);
    // conmon writes <persist>/exit before the exit-dir file and gives up if the dir is missing.
    mkdirSync(join(o.bundle, 'persist'), { recursive: true });
    const args = [
      '--api-version', '1', '-c', id, '-u', id, '-r', this.#launchPath(), '-b', o.bundle,
      '-p', join(o.bundle, 'pidfile'), '-n', o.name, '--exit-dir', this.#o.exitDir,
      '--persist-dir', join(o.bundle, 'persist'), '--full-attach', '-l', `k8s-file:${o.logPath}`,
      '--log-level', 'warning', '--conmon-pidfile', join(o.bundle, 'conmon.pid'),
      '--runtime-arg', '--root', '--runtime-arg', this.#o.stateRoot,
    ];
    if (o.terminal) args.push('-t');
    if (o.stdin) args.push('-i');
    if (o.stdin && o.leaveStdinOpen) args.push('--leave-stdin-open');
    const { sync, start, pid: conmonChild, onSpawnError } = await this.#startConmon(args, o.bundle);
    o.onSpawned?.();
    if (o.gate) {
      try {
        await o.gate;
      } catch (err) {
        // Still blocked on the start pipe: at EOF there it would go on and create.
        try { process.kill(conmonChild, 'SIGKILL'); } catch { /* gone */ }
        sync.destroy();
        throw err;
      }
    }
    // conmon waits on the start pipe before anything else (a hook for cgroup placement).
    start.end('0');
    start.on('error', () => { /* conmon closed it: nothing to tell */ });
    const msg = await new Promise<{ data: number; message?: string }>((resolve, reject) => {
      let buf = '';
      sync.setEncoding('utf8');
      sync.on('data', (s: string) => {
        buf += s;
        const nl = buf.indexOf('\n');
        const text = nl >= 0 ? buf.slice(0, nl) : buf;
        try {
          const j = JSON.parse(text) as { data: number; message?: string };
          sync.destroy();
          resolve(j);
        } catch {
          // incomplete line: wait for more
        }
      });
      sync.resume();
      sync.on('end', () => reject(new SystemError(`conmon exited without reporting the container pid: ${this.#conmonLog(o.bundle)}`)));
      sync.on('error', (e) => reject(new SystemError('conmon sync pipe failed', { cause: e })));
      onSpawnError((e) => reject(new SystemError(`Cannot run conmon: ${e.message}`, { cause: e })));
    });
    if (msg.data < 0) {
      await this.#rt(['delete', '--force', id], { allowFailure: true });
      const text = runtimeMessage(msg.message ?? this.#conmonLog(o.bundle));
      throw new InvalidParameterError(`failed to create task for container: ${normaliseStartError(text)}`);
    }
    const pid = msg.data;
    const conmonPid = Number.parseInt(readFileSafe(join(o.bundle, 'conmon.pid')) ?? '0', 10);
    const info: TaskInfo = { pid, pidStart: processIdentity(pid)?.startTime ?? '', conmon: conmonPid > 0 ? processIdentity(conmonPid) : undefined };
    if (traceCreate.hasSubscribers) traceCreate.publish({ id, ms: monotonicMs() - t0 });
    return info;
  }

  /**
   * Starts conmon for a container (new session, output to <bundle>/conmon.log)
   * with its sync pipe on fd 3 and start pipe on fd 4: one unix socket from the
   * fork server, or two pipes from Node's spawn without it.
   */
  async #startConmon(args: string[], bundle: string): Promise<{ sync: Readable; start: Writable; pid: number; onSpawnError: (cb: (e: Error) => void) => void }> {
    const fs = this.#o.forkServer;
    if (fs?.running) {
      const log = { append: join(bundle, 'conmon.log') };
      const child = await fs.spawn(this.#o.conmonPath, args, {
        stdio: ['null', log, log, 'main', 'main'],
        env: { _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' },
        detached: true,
      });
      const sock = child.socket;
      if (!sock) throw new SystemError('conmon has no sync stream');
      // Both pipes are this socket: half-closing our side ends the start pipe only.
      return { sync: sock, start: sock, pid: child.pid, onSpawnError: () => { /* reported by spawn() */ } };
    }
    const errFd = openSync(join(bundle, 'conmon.log'), 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.#o.conmonPath, args, {
        stdio: ['ignore', errFd, errFd, 'pipe', 'pipe'],
        env: { ...process.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' },
        detached: true,
      });
    } finally {
      closeSync(errFd);
    }
    child.unref();
    return { sync: child.stdio[3] as Readable, start: child.stdio[4] as Writable, pid: child.pid ?? 0, onSpawnError: (cb) => { child.on('error', cb); } };
  }

  #conmonLog(bundle: string): string {
    return (readFileSafe(join(bundle, 'conmon.log')) ?? '').trim().split('\n').slice(-3).join(' ');
  }

  /** `<runtime> start`: the created process begins running the user's command. */
  async start(id: string): Promise<void> {
    const t0 = monotonicMs();
    if (this.#startThroughFifo(id)) {
      if (traceStart.hasSubscribers) traceStart.publish({ id, ms: monotonicMs() - t0 });
      return;
    }
    try {
      await this.#rt(['start', id]);
    } catch (err) {
      const text = err instanceof ExecError ? runtimeMessage(err.result.stderr) : String(err);
      throw new InvalidParameterError(`failed to start container: ${normaliseStartError(text)}`, { cause: err });
    }
    if (traceStart.hasSubscribers) traceStart.publish({ id, ms: monotonicMs() - t0 });
  }

  /**
   * crun's `start` reads its state, then opens `<state>/<id>/exec.fifo`,
   * unlinks it and writes one byte, which lets the waiting init exec the
   * user's process; then it runs poststart hooks. pier's specs carry no hooks,
   * so pierd does the fifo write itself and saves a crun process (~20 ms of
   * dynamic loading on this VM) per start. False when this runtime is not
   * crun, or the fifo has no reader (the init is gone): `crun start` then
   * runs and reports the error in its own words.
   */
  #startThroughFifo(id: string): boolean {
    if (!/(^|\/)crun$/.test(this.#o.path)) return false;
    const fifo = join(this.#o.stateRoot, id, 'exec.fifo');
    let fd: number;
    try {
      fd = openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    } catch {
      return false;
    }
    try {
      if (readFileSafe(join(this.#o.stateRoot, id, 'config.json'))?.includes('"hooks"')) return false;
      unlinkSync(fifo);
      writeSync(fd, Buffer.from([0]));
      return true;
    } finally {
      closeSync(fd);
    }
  }

  /** Sends a signal to the container's init (or every process with `all`). */
  async kill(id: string, signal: number, opts: { all?: boolean } = {}): Promise<void> {
    const args = ['kill'];
    if (opts.all) args.push('--all');
    args.push(id, String(signal));
    const r = await this.#rt(args, { allowFailure: true });
    if (r.code !== 0) {
      const text = runtimeMessage(r.stderr);
      if (processGone(text)) {
        throw new ConflictError(`container ${id} is not running`);
      }
      throw new SystemError(`Cannot kill container ${id}: ${text}`);
    }
  }

  /** Removes the runtime's state for the container; idempotent. */
  async delete(id: string): Promise<void> {
    const r = await this.#rt(['delete', '--force', id], { allowFailure: true });
    if (r.code !== 0 && !/does not exist|not found|No such file/i.test(r.stderr)) {
      throw new SystemError(`Cannot delete task ${id}: ${runtimeMessage(r.stderr)}`);
    }
  }

  async pause(id: string): Promise<void> { await this.#rt(['pause', id]); }
  async resume(id: string): Promise<void> { await this.#rt(['resume', id]); }

  /** Pids of every process in the container. */
  async pids(id: string): Promise<number[]> {
    const r = await this.#rt(['ps', '--format', 'json', id]);
    const v: unknown = JSON.parse(r.stdout || '[]');
    return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : [];
  }

  /** Applies new resource limits (OCI linux.resources JSON). */
  async update(id: string, resources: unknown): Promise<void> {
    // The runtime cannot open /dev/stdin on Node's socketpair stdio: hand it a file.
    const file = join(this.#o.stateRoot, `update-${id}-${process.hrtime.bigint()}.json`);
    writeFileSync(file, JSON.stringify(resources));
    try {
      await this.#rt(['update', '--resources', file, id]);
    } catch (err) {
      const text = err instanceof ExecError ? runtimeMessage(err.result.stderr) : String(err);
      throw new InvalidParameterError(`Cannot update container ${id}: ${text}`, { cause: err });
    } finally {
      rmSync(file, { force: true });
    }
  }

  /** State as the runtime reports it, or undefined when it does not know the id. */
  async state(id: string): Promise<{ status: string; pid: number } | undefined> {
    const r = await this.#rt(['state', id], { allowFailure: true });
    if (r.code !== 0) return undefined;
    const j = JSON.parse(r.stdout) as { status?: string; pid?: number };
    return { status: j.status ?? 'unknown', pid: j.pid ?? 0 };
  }

  /** True when conmon (or, without it, the container process) is still alive. */
  isAlive(info: TaskInfo): boolean {
    if (info.conmon && isProcessAlive(info.conmon)) return true;
    return isProcessAlive({ pid: info.pid, startTime: info.pidStart });
  }

  /**
   * Runs a process inside the container. Attached non-TTY execs are a direct
   * child (`<runtime> exec`) with piped stdio; TTY execs allocate a terminal
   * through `script`-free means: the runtime's `--tty` needs a console socket,
   * so they run under conmon in exec mode via `execTty` instead.
   */
  async exec(id: string, o: ExecOptions): Promise<ExecHandle> {
    const logFile = `${o.processFile}.log`;
    const args = ['--root', this.#o.stateRoot, '--log', logFile, '--log-format', 'json', 'exec', '--process', o.processFile];
    if (o.detach) args.push('--detach');
    args.push(id);
    const finish = (code: number, errText: string): number => {
      const logged = runtimeMessage(readFileSafe(logFile) ?? '');
      rmSync(logFile, { force: true });
      if (code !== 0 && (logged || (o.detach && errText))) {
        // The runtime failed to start the process (crun exits 255 and logs why).
        throw new InvalidParameterError(`OCI runtime exec failed: exec failed: unable to start container process: ${normaliseStartError(logged || runtimeMessage(errText))}: unknown`);
      }
      return code;
    };
    const fs = this.#o.forkServer;
    const exe = this.#launchPath();
    if (fs?.running && o.detach) {
      const r = await fs.run(exe, args);
      const exited = Promise.resolve().then(() => finish(r.code, r.stderr));
      return { pid: 0, stdin: null, stdout: null, stderr: null, exited, kill: () => { /* already detached */ } };
    }
    if (fs?.running) {
      // Real pipes for the process (it may open /dev/stdout), relayed to us by pier-spawn.
      const child = await fs.spawn(exe, args, { stdio: ['pipe-main', 'pipe-main', 'pipe-extra'], wait: true });
      const sock = child.socket;
      const errSock = child.extra[0];
      if (!sock || !errSock) throw new SystemError('runtime exec started without its streams');
      const stdout = sock.pipe(new PassThrough());
      const stderr = errSock.pipe(new PassThrough());
      sock.on('error', () => { /* the close that follows ends the stream */ });
      errSock.on('error', () => { /* idem */ });
      const closed = (x: Readable): Promise<void> => new Promise((r) => { if (x.destroyed) r(); else x.once('close', () => r()); });
      let done = false;
      const exited = (async () => {
        const code = await child.exited;
        await Promise.all([closed(sock), closed(errSock)]);
        done = true;
        return finish(code, '');
      })();
      return {
        pid: child.pid, stdin: sock, stdout, stderr, exited,
        kill: (sig) => { if (!done) { try { process.kill(child.pid, sig); } catch { /* gone */ } } },
      };
    }
    const child = spawn(this.#o.path, args, {
      stdio: o.detach ? ['ignore', 'ignore', 'pipe'] : ['pipe', 'pipe', 'pipe'],
    });
    let errText = '';
    if (o.detach) child.stderr?.on('data', (b: Buffer) => { errText += b.toString(); });
    const exited = new Promise<number>((resolve, reject) => {
      child.on('error', (e) => reject(new SystemError(`Cannot run ${this.#o.name} exec: ${e.message}`, { cause: e })));
      child.on('close', (code, sig) => {
        try {
          resolve(finish(code ?? 128 + (sig === 'SIGKILL' ? 9 : 15), errText));
        } catch (err) {
          reject(err);
        }
      });
    });
    return {
      pid: child.pid ?? 0,
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: o.detach ? null : child.stderr,
      exited,
      kill: (s) => { child.kill(s); },
    };
  }

  /**
   * Runs a TTY exec session under conmon in exec mode (`-e -t --exec-attach`):
   * conmon allocates the terminal through the runtime's console socket and
   * serves it on `<dir>/attach`; we connect pier-attach before the process
   * starts, so no output is lost. Resolves once the process runs.
   */
  async execTerminal(id: string, o: { dir: string; processFile: string; execId: string; stdin: boolean }): Promise<ExecHandle> {
    mkdirSync(join(o.dir, 'exits'), { recursive: true });
    const args = [
      '--api-version', '1', '-c', id, '-u', o.execId, '-r', this.#launchPath(), '-b', o.dir, '-p', join(o.dir, 'pid'),
      '-n', o.execId, '--exit-dir', join(o.dir, 'exits'), '--full-attach', '-l', 'none', '--log-level', 'warning',
      '-e', '--exec-attach', '--exec-process-spec', o.processFile, '-t',
      '--runtime-arg', '--root', '--runtime-arg', this.#o.stateRoot,
    ];
    if (o.stdin) args.push('-i');
    const errFd = openSync(join(o.dir, 'conmon.log'), 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.#o.conmonPath, args, {
        stdio: ['ignore', errFd, errFd, 'pipe', 'pipe', 'pipe'],
        env: { ...process.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', _OCI_ATTACHPIPE: '5' },
        detached: true,
      });
    } finally {
      closeSync(errFd);
    }
    child.unref();
    const sync = child.stdio[3] as Readable;
    const start = child.stdio[4] as Writable;
    const attachPipe = (child.stdio as unknown as Readable[])[5] as Readable;
    start.on('error', () => { /* conmon gone: surfaced through the sync pipe */ });
    start.write('0');
    const lines = jsonLines(sync);
    await new Promise<void>((resolve, reject) => {
      attachPipe.once('data', () => { attachPipe.destroy(); resolve(); });
      attachPipe.once('end', () => reject(new SystemError(`conmon did not open the exec attach socket: ${this.#conmonLog(o.dir)}`)));
    });
    // TODO(#4): through the fork server, concurrent TTY execs sometimes never end (seen in 3 of 6
    // rounds of 7 concurrent execs); Node's spawn here until that is understood.
    const helper = await this.attach(o.dir, { terminal: true, stdout: true, stderr: true, stdin: o.stdin, nodeSpawn: true });
    start.end('1');
    const first = await lines.next();
    const pidMsg = first.value as { data: number; message?: string } | undefined;
    if (first.done || !pidMsg || pidMsg.data < 0) {
      helper.kill('SIGTERM');
      throw new InvalidParameterError(`OCI runtime exec failed: ${normaliseStartError(runtimeMessage(pidMsg?.message ?? this.#conmonLog(o.dir)))}`);
    }
    const exited = (async () => {
      const next = await lines.next().catch(() => ({ done: true, value: undefined }));
      const m = next.value as { data: number } | undefined;
      // conmon reports the exit status on the sync pipe and in <dir>/exits/<id>; wait for the output to drain too.
      await new Promise<void>((r) => { if (helper.exitCode !== null) r(); else helper.once('close', () => r()); });
      const fromFile = Number.parseInt(readFileSafe(join(o.dir, 'exits', id)) ?? '', 10);
      return Number.isFinite(fromFile) ? fromFile : m ? m.data : 255;
    })();
    return {
      pid: pidMsg.data, stdin: helper.stdin, stdout: helper.stdout, stderr: null, exited,
      kill: (s) => { try { process.kill(pidMsg.data, s); } catch { /* gone */ } },
    };
  }

  /**
   * Connects to a task's conmon attach socket through the pier-attach helper.
   * The helper's stdout carries Docker-framed output (raw when terminal).
   * Resolves once the connection is live.
   */
  async attach(bundle: string, o: { terminal: boolean; stdout: boolean; stderr: boolean; stdin: boolean; waitMs?: number; nodeSpawn?: boolean }): Promise<AttachHandle> {
    const sock = join(bundle, 'attach');
    if (!o.waitMs && !existsSync(sock)) throw new ConflictError('container is not running: no attach socket');
    const args: string[] = [];
    if (o.waitMs) args.push('--wait-ms', String(o.waitMs));
    if (o.terminal) args.push('--tty');
    if (o.stdout) args.push('--stdout');
    if (o.stderr) args.push('--stderr');
    if (o.stdin) args.push('--stdin');
    args.push(sock);
    const fs = o.nodeSpawn ? undefined : this.#o.forkServer;
    if (fs?.running) {
      const child = await fs.spawn(this.#o.attachHelper, args, { stdio: [o.stdin ? 'main' : 'null', 'main', 'extra', 'extra'], wait: true });
      const [errSock, ready] = child.extra;
      const main = child.socket;
      if (!main || !errSock || !ready) throw new SystemError('pier-attach started without its streams');
      await new Promise<void>((resolve, reject) => {
        let errText = '';
        errSock.on('data', (b: Buffer) => { errText += b.toString(); });
        errSock.resume();
        errSock.on('error', () => { /* helper gone */ });
        ready.once('data', () => { ready.destroy(); resolve(); });
        ready.resume();
        ready.on('error', () => { /* helper gone */ });
        child.exited.then((code) => reject(new SystemError(`Cannot attach: ${errText.trim() || `pier-attach exited ${code}`}`)), reject);
      });
      return new ForkedAttach(child, main, o.stdin);
    }
    const child = spawn(this.#o.attachHelper, args, { stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      const ready = child.stdio[3] as Readable;
      let errText = '';
      child.stderr?.on('data', (b: Buffer) => { errText += b.toString(); });
      ready.once('data', () => { ready.destroy(); resolve(); });
      child.once('error', (e) => reject(new SystemError(`Cannot run pier-attach: ${e.message}`, { cause: e })));
      child.once('exit', (code) => reject(new SystemError(`Cannot attach: ${errText.trim() || `pier-attach exited ${code}`}`)));
    });
    return child as ChildProcess & AttachHandle;
  }

  /** Asks conmon to resize the terminal (control FIFO). */
  resize(bundle: string, height: number, width: number): void {
    if (!writeCtl(join(bundle, 'ctl'), `1 ${height} ${width}\n`)) throw new NotFoundError('container has no terminal control');
  }

  /** Asks conmon to reopen its log file (after rotation). */
  reopenLog(bundle: string): void {
    writeCtl(join(bundle, 'ctl'), '2 0 0\n');
  }

  close(): void {
    this.exits.close();
  }
}

/**
 * Writes one command to conmon's control FIFO without blocking: opening a FIFO
 * whose reader is gone would block forever, so O_NONBLOCK, and ENXIO means
 * conmon has exited. Returns false when nobody is listening.
 */
function writeCtl(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
  } catch {
    return false; // ENOENT or ENXIO: no conmon behind it
  }
  try { writeFileSync(fd, text); return true; } catch { return false; } finally { closeSync(fd); }
}

/** Parses conmon's newline-delimited JSON sync messages. */
async function* jsonLines(r: Readable): AsyncGenerator<unknown> {
  let buf = '';
  for await (const chunk of r) {
    buf += String(chunk);
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield JSON.parse(line) as unknown;
    }
  }
  if (buf.trim()) yield JSON.parse(buf) as unknown;
}

function readFileSafe(p: string): string | undefined {
  try { return readFileSync(p, 'utf8'); } catch { return undefined; }
}

/**
 * The docker CLI picks its exit code from the start error's text (127 for
 * "executable file not found" / "no such file or directory", 126 for
 * "permission denied" / "is a directory"); crun words these differently.
 */
export function normaliseStartError(text: string): string {
  let t = text.replace(/^crun: /, '').replace(/^runc: /, '');
  if (/executable file .* not found|not found in \$PATH/i.test(t) && !/executable file not found/.test(t)) {
    t += ': executable file not found in $PATH';
  }
  if (/No such file or directory/.test(t) && !/no such file or directory/.test(t)) t = t.replace(/No such file or directory/g, 'no such file or directory');
  if (/Permission denied/.test(t)) t = t.replace(/Permission denied/g, 'permission denied');
  if (/Is a directory/.test(t)) t = t.replace(/Is a directory/g, 'is a directory');
  return t;
}

/**
 * Whether a runtime's failure says the container's process is gone: it exited (and its state
 * may already be deleted) before pierd heard of it. Callers answer docker's 409 "is not running".
 */
export function processGone(text: string): boolean {
  return /not running|No such process|container .* does not exist|not exist|error opening file `[^`]*\/status`: No such file or directory/i.test(text);
}
