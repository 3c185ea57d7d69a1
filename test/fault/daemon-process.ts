/**
 * The pierd under test: started, SIGKILLed and restarted by the fault suite,
 * with its log kept in one file and the part of it each start wrote at hand.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Api } from './api.js';

export interface DaemonPaths { root: string; socket: string; dataRoot: string; execRoot: string; log: string; pidfile: string }

export function daemonPaths(root: string): DaemonPaths {
  return {
    root, socket: join(root, 'pier.sock'), dataRoot: join(root, 'data'), execRoot: join(root, 'exec'),
    log: join(root, 'pierd.log'), pidfile: join(root, 'pierd.pid'),
  };
}

export class StartupError extends Error {}

export class DaemonProcess {
  readonly paths: DaemonPaths;
  readonly api: Api;
  #proc: ChildProcess | undefined;
  #logOffset = 0;
  readonly #bin: string;
  readonly #extraArgs: readonly string[];

  constructor(o: { repoRoot: string; root: string; extraArgs?: readonly string[] }) {
    this.paths = daemonPaths(o.root);
    this.api = new Api(this.paths.socket);
    this.#bin = join(o.repoRoot, 'bin', 'pierd');
    this.#extraArgs = o.extraArgs ?? [];
  }

  get pid(): number | undefined { return this.#proc?.exitCode === null ? this.#proc.pid : undefined; }

  /** Starts pierd and waits until it answers /_ping; StartupError if it exits or stays silent past `boundMs`. */
  async start(boundMs = 30_000): Promise<number> {
    const p = this.paths;
    this.#logOffset = existsSync(p.log) ? statSync(p.log).size : 0;
    const fd = openSync(p.log, 'a');
    const t0 = Date.now();
    const proc = spawn(this.#bin, ['-H', `unix://${p.socket}`, '--data-root', p.dataRoot, '--exec-root', p.execRoot, '--pidfile', p.pidfile, ...this.#extraArgs], { stdio: ['ignore', fd, fd], detached: true }); // own process group: a Ctrl-C reaches the suite, which cleans up, not pierd
    closeSync(fd);
    this.#proc = proc;
    let exited: number | string | null = null;
    proc.once('exit', (code, sig) => { exited = code ?? sig ?? 'unknown'; });
    while (Date.now() - t0 < boundMs) {
      if (exited !== null) throw new StartupError(`pierd exited during start-up (${String(exited)}): ${this.startupLog().slice(-2000)}`);
      if (await this.api.ping(500)) return Date.now() - t0;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new StartupError(`pierd did not answer /_ping within ${boundMs} ms: ${this.startupLog().slice(-2000)}`);
  }

  /** kill -9: what a power cut or the OOM killer does to the daemon (its containers live on under conmon). */
  async crash(): Promise<void> {
    const proc = this.#proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await gone;
  }

  /** A clean stop (SIGTERM), bounded. */
  async stop(boundMs = 30_000): Promise<void> {
    const proc = this.#proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), boundMs);
    await gone;
    clearTimeout(t);
  }

  /** What the daemon logged since its last start. */
  startupLog(): string {
    try { return readFileSync(this.paths.log).subarray(this.#logOffset).toString('utf8'); } catch { return ''; }
  }
}
