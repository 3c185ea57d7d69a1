/**
 * harness/clients: small client-side helpers for end-to-end tests: a raw HTTP
 * request on the daemon's socket (or TCP), a docker CLI wrapper that asserts
 * success, stream collectors, a free loopback port and a process-exit waiter.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { run, dockerBin, type PrivateDaemon, type RunResult } from './pierd.js';

export interface RawResponse { status: number; headers: IncomingHttpHeaders; body: string }

export interface RawRequest {
  method?: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  /** unix socket path; default: the daemon's socket */
  socketPath?: string;
  /** TCP target instead of a unix socket */
  tcp?: { host: string; port: number };
  timeoutMs?: number;
}

/** One HTTP request to a daemon, the whole body read as text. */
export function rawRequest(d: Pick<PrivateDaemon, 'socket'> | undefined, r: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const target = r.tcp ? { host: r.tcp.host, port: r.tcp.port } : { socketPath: r.socketPath ?? d?.socket ?? '' };
    const headers: Record<string, string> = { ...(r.headers ?? {}) };
    if (r.body !== undefined) {
      headers['Content-Type'] ??= 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(r.body));
    }
    const req = request({ ...target, method: r.method ?? 'GET', path: r.path, headers, timeout: r.timeoutMs ?? 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`request ${r.method ?? 'GET'} ${r.path} timed out`)));
    req.on('error', reject);
    req.end(r.body);
  });
}

/** Parses a response body as JSON, failing the test with the body when it is not JSON. */
export function jsonBody(res: RawResponse): unknown {
  try {
    return JSON.parse(res.body);
  } catch {
    assert.fail(`expected a JSON body, got ${res.status}: ${JSON.stringify(res.body)}`);
  }
}

/** The real docker CLI bound to one daemon: `dk` runs, `ok` runs and asserts exit 0, returning stdout. */
export interface DockerCli {
  dk(...args: string[]): Promise<RunResult>;
  ok(...args: string[]): Promise<string>;
  /** `docker inspect -f <format> <name>`, trimmed */
  fmt(format: string, name: string): Promise<string>;
}

export function dockerCli(getDaemon: () => PrivateDaemon): DockerCli {
  const bin = dockerBin() ?? 'docker';
  const dk = (...args: string[]): Promise<RunResult> => run(bin, args, getDaemon());
  const ok = async (...args: string[]): Promise<string> => {
    const r = await dk(...args);
    assert.equal(r.code, 0, `docker ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  const fmt = async (format: string, name: string): Promise<string> => (await ok('inspect', '-f', format, name)).trim();
  return { dk, ok, fmt };
}

/** Reads a whole stream into one Buffer. */
export async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c));
  return Buffer.concat(chunks);
}

/** A loopback TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Waits for a child process to exit, with a deadline; resolves its code and signal. */
export function waitExit(p: ChildProcess, ms = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve({ code: p.exitCode, signal: p.signalCode });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process ${p.pid ?? '?'} did not exit within ${ms} ms`)), ms);
    p.once('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal }); });
  });
}

/** Whether a test file should skip (no root / no docker CLI); prints the reason once. */
export function e2eSkip(what: string, opts: { needsDocker?: boolean } = {}): string | false {
  const root = process.getuid?.() === 0;
  if (!root && process.env['CI'] === 'true') throw new Error('CI runs as root');
  const reason = !root ? 'needs root' : opts.needsDocker && !dockerBin() ? 'the docker CLI is not on PATH' : false;
  if (reason) console.log(`# skipping ${what}: ${reason}`);
  return reason;
}

/** A client process left running (attach, logs -f, events): its output so far and its exit. */
export interface LiveClient {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number>;
}

/** Starts a client binary against the daemon without waiting for it; stdin stays open until `proc.stdin.end()`. */
export function startClient(bin: string, args: string[], d: PrivateDaemon): LiveClient {
  const proc = spawn(bin, args, { env: d.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (b: Buffer) => { out += b.toString(); });
  proc.stderr?.on('data', (b: Buffer) => { err += b.toString(); });
  const exited = new Promise<number>((resolve) => proc.on('close', (code, sig) => resolve(code ?? (sig ? 128 + (osConstants.signals[sig] ?? 0) : -1))));
  return { proc, stdout: () => out, stderr: () => err, exited };
}
