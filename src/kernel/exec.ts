import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { SystemError } from '../errdefs/index.js';
import { errnoText, ForkServerUnavailable, type ForkServer } from './fork-server.js';

export interface ExecOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  signal?: AbortSignal;
  /** Resolve instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
}
export interface ExecResult { code: number; stdout: string; stderr: string }

export class ExecError extends SystemError {
  readonly result: ExecResult;
  constructor(message: string, result: ExecResult, options?: { cause?: unknown }) {
    super(message, options);
    this.result = result;
  }
}

let forkServer: ForkServer | undefined;

/**
 * Routes exec() through pierd's fork server (native/pier-spawn) from now on;
 * undefined goes back to Node's spawn. Process-wide, like the process table.
 */
export function useForkServer(server: ForkServer | undefined): void {
  forkServer = server;
}

/** The fork server exec() uses now, if any. */
export function currentForkServer(): ForkServer | undefined {
  return forkServer?.running ? forkServer : undefined;
}

const resolved = new Map<string, string | undefined>();

/** The absolute path PATH gives for a bare program name (cached), undefined when none. */
export function resolveProgram(file: string): string | undefined {
  if (file.includes('/')) return file;
  if (resolved.has(file)) return resolved.get(file);
  let found: string | undefined;
  for (const dir of (process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    if (!dir.startsWith('/')) continue;
    try {
      accessSync(join(dir, file), fsConstants.X_OK);
      found = join(dir, file);
      break;
    } catch { /* next */ }
  }
  resolved.set(file, found);
  return found;
}

function settle(file: string, args: readonly string[], res: ExecResult, opts: ExecOptions): ExecResult {
  if (res.code !== 0 && !opts.allowFailure) {
    const detail = res.stderr.trim() || res.stdout.trim() || `exit status ${res.code}`;
    throw new ExecError(`${file} ${args[0] ?? ''} failed: ${detail}`, res);
  }
  return res;
}

/** Runs a program with an argument array (never a shell) and collects its output. */
export async function exec(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const server = forkServer;
  const path = server && opts.signal === undefined ? resolveProgram(file) : undefined;
  if (server && path) {
    try {
      const env = opts.env ? Object.fromEntries(Object.entries(opts.env).filter((e): e is [string, string] => e[1] !== undefined)) : undefined;
      const r = await server.run(path, args, {
        ...(env ? { env, clearEnv: true } : {}),
        ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
        ...(opts.input !== undefined ? { input: opts.input } : {}),
      });
      if (r.code < 0) throw new SystemError(`Cannot run ${file}: ${errnoText(-r.code)}`);
      return settle(file, args, r, opts);
    } catch (err) {
      if (!(err instanceof ForkServerUnavailable)) throw err;
      // The fork server is gone (it is restarted on the next call): fall back to Node's spawn.
    }
  }
  return nodeExec(file, args, opts);
}

function nodeExec(file: string, args: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    child.on('error', (e) => reject(new SystemError(`Cannot run ${file}: ${e.message}`, { cause: e })));
    child.on('close', (code, sig) => {
      const res: ExecResult = {
        code: code ?? 128 + (sig ? 9 : 0),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      try {
        resolve(settle(file, args, res, opts));
      } catch (err) {
        reject(err);
      }
    });
  });
}
