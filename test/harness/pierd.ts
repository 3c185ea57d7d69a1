/**
 * harness: starts a private pierd (own data root, exec root, socket) for an
 * end-to-end test, and tears it down leaving nothing on the host.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { before, after } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, existsSync, chmodSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'node:http';
import { promisify } from 'node:util';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const execFileP = promisify(execFile);

export interface PrivateDaemon {
  root: string;
  socket: string;
  host: string;
  env: NodeJS.ProcessEnv;
  proc: ChildProcess;
  logText(): string;
  /** kill -9 the daemon (containers keep running) */
  crash(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Skips (or, under CI=true, fails) a test that needs root. */
export function requireRoot(t: { skip(msg: string): void }): boolean {
  if (isRoot()) return true;
  if (process.env['CI'] === 'true') throw new Error('this end-to-end test needs root, and CI runs as root');
  t.skip('needs root');
  return false;
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', method: 'GET', timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
    req.end();
  });
}

async function waitFor(cond: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** `netns`: run the daemon inside that network namespace (/run/netns/<name>), as a simulated host. */
export async function startDaemon(opts: { extraArgs?: string[]; netns?: string; rootMode?: number } = {}): Promise<PrivateDaemon> {
  const root = mkdtempSync('/tmp/pier-e2e-');
  // --userns-remap needs its roots' parents traversable by the remapped root (o+x), as dockerd does.
  if (opts.rootMode !== undefined) chmodSync(root, opts.rootMode);
  const socket = join(root, 'pier.sock');
  const logFile = join(root, 'pierd.log');
  const args = ['-H', `unix://${socket}`, '--data-root', join(root, 'data'), '--exec-root', join(root, 'exec'), '--pidfile', join(root, 'pierd.pid'), ...(opts.extraArgs ?? [])];
  const launch = async (): Promise<ChildProcess> => {
    const { openSync, closeSync } = await import('node:fs');
    const fd = openSync(logFile, 'a');
    const p = opts.netns
      ? spawn('nsenter', [`--net=/run/netns/${opts.netns}`, '--', join(repoRoot, 'bin', 'pierd'), ...args], { stdio: ['ignore', fd, fd] })
      : spawn(join(repoRoot, 'bin', 'pierd'), args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    await waitFor(() => ping(socket), 15_000, 'pierd to answer /_ping');
    return p;
  };
  const d: PrivateDaemon = {
    root, socket, host: `unix://${socket}`,
    env: { ...process.env, DOCKER_HOST: `unix://${socket}`, PIER_HOST: `unix://${socket}` },
    proc: await launch(),
    logText: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    crash: async () => {
      const p = d.proc;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await exited;
    },
    restart: async () => { d.proc = await launch(); },
    stop: async () => {
      // Remove every container, then stop the daemon and drop its roots.
      try {
        const { stdout } = await execFileP(join(repoRoot, 'bin', 'pier'), ['ps', '-aq'], { env: d.env });
        const ids = stdout.split('\n').filter(Boolean);
        if (ids.length) await execFileP(join(repoRoot, 'bin', 'pier'), ['rm', '-f', ...ids], { env: d.env });
      } catch { /* daemon already gone: the sweep below still cleans */ }
      const p = d.proc;
      if (p.exitCode === null) {
        const exited = new Promise((r) => p.once('exit', r));
        p.kill('SIGTERM');
        await exited;
      }
      await sweep(root);
      rmSync(root, { recursive: true, force: true });
    },
  };
  return d;
}

/** Kills conmon/container processes and unmounts anything under root. */
export async function sweep(root: string): Promise<void> {
  const { stdout } = await execFileP('pgrep', ['-f', root]).catch(() => ({ stdout: '' }));
  for (const pid of stdout.split('\n').filter(Boolean).map(Number)) {
    if (pid !== process.pid) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(root)).sort().reverse();
  for (const m of mounts) await execFileP('umount', ['-l', m]).catch(() => undefined);
}

export interface RunResult { code: number; stdout: string; stderr: string }

/**
 * Runs a client binary (pier or docker) against the daemon. stdin gets `input`
 * and then EOF, or with `holdStdin` stays open (and silent) until the child exits.
 */
export function run(bin: string, args: string[], d: PrivateDaemon, opts: { input?: string; timeoutMs?: number; holdStdin?: boolean } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const p = spawn(bin, args, { env: d.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    p.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr }); });
    p.stdin.on('error', () => undefined);
    if (opts.holdStdin) {
      p.on('exit', () => p.stdin.destroy());
      if (opts.input) p.stdin.write(opts.input);
    } else {
      p.stdin.end(opts.input ?? '');
    }
  });
}

export const pierBin = join(repoRoot, 'bin', 'pier');
export function dockerBin(): string | undefined {
  for (const p of ['/usr/local/bin/docker', '/usr/bin/docker']) if (existsSync(p)) return p;
  return undefined;
}

export async function poll<T>(fn: () => Promise<T | undefined> | T | undefined, ms = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Registers the suite hooks every e2e file needs: a private pierd before the
 * tests (handed over through `set`), and after them its log tail when a test
 * failed, then its removal.
 */
export function usePrivateDaemon(skip: string | false, set: (d: PrivateDaemon) => void, opts: { extraArgs?: string[] } = {}): void {
  let daemon: PrivateDaemon | undefined;
  before(async () => {
    if (skip) return;
    daemon = await startDaemon(opts);
    set(daemon);
  });
  after(async (t) => {
    if (!daemon) return;
    if (process.exitCode) t.diagnostic(daemon.logText().slice(-4000));
    await daemon.stop();
  });
}
