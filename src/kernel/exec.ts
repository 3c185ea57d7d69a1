import { spawn } from 'node:child_process';
import { SystemError } from '../errdefs/index.js';

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

/** Runs a program with an argument array (never a shell) and collects its output. */
export function exec(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
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
      if (res.code !== 0 && !opts.allowFailure) {
        const detail = res.stderr.trim() || res.stdout.trim() || `exit status ${res.code}`;
        reject(new ExecError(`${file} ${args[0] ?? ''} failed: ${detail}`, res));
        return;
      }
      resolve(res);
    });
  });
}
