/** A minimal Engine API client over the daemon's unix socket, for the fault suite. */
import { request } from 'node:http';
import type { Readable } from 'node:stream';

export interface ApiResponse { status: number; body: string; json: unknown }

export class ApiError extends Error {
  constructor(readonly status: number, readonly body: string, what: string) { super(`${what}: ${status} ${body.slice(0, 300)}`); }
}

export class Api {
  constructor(readonly socket: string) {}

  /** One request; rejects on transport errors (a killed daemon) and after `timeoutMs`. */
  call(method: string, path: string, o: { body?: unknown; raw?: Readable | Buffer; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<ApiResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      let payload: Buffer | undefined;
      if (o.body !== undefined) { payload = Buffer.from(JSON.stringify(o.body)); headers['Content-Type'] = 'application/json'; }
      if (Buffer.isBuffer(o.raw)) payload = o.raw;
      const req = request({ socketPath: this.socket, path, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try { json = body ? JSON.parse(body) : undefined; } catch { json = undefined; }
          resolve({ status: res.statusCode ?? 0, body, json });
        });
        res.on('error', reject);
      });
      const timer = setTimeout(() => req.destroy(new Error(`${method} ${path}: timed out`)), o.timeoutMs ?? 60_000);
      req.on('close', () => clearTimeout(timer));
      req.on('error', reject);
      if (o.raw && !Buffer.isBuffer(o.raw)) o.raw.pipe(req);
      else req.end(payload);
    });
  }

  /** A call that must answer 2xx; returns the decoded JSON. */
  async ok<T = unknown>(method: string, path: string, o: Parameters<Api['call']>[2] = {}): Promise<T> {
    const r = await this.call(method, path, o);
    if (r.status < 200 || r.status >= 300) throw new ApiError(r.status, r.body, `${method} ${path}`);
    return r.json as T;
  }

  async ping(timeoutMs = 1000): Promise<boolean> {
    try { return (await this.call('GET', '/_ping', { timeoutMs })).status === 200; } catch { return false; }
  }

  /** Runs a command in a running container; its exit code (or throws). */
  async exec(id: string, cmd: string[], timeoutMs = 15_000): Promise<{ code: number; output: string }> {
    const e = await this.ok<{ Id: string }>('POST', `/containers/${id}/exec`, { body: { Cmd: cmd, AttachStdout: true, AttachStderr: true }, timeoutMs });
    const r = await this.call('POST', `/exec/${e.Id}/start`, { body: { Detach: false, Tty: false }, timeoutMs });
    if (r.status !== 200) throw new ApiError(r.status, r.body, `exec start in ${id}`);
    const info = await this.ok<{ ExitCode: number | null; Running: boolean }>('GET', `/exec/${e.Id}/json`, { timeoutMs });
    return { code: info.ExitCode ?? -1, output: r.body };
  }
}
