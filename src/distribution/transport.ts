/**
 * HTTP(S) to a registry with keep-alive: one request helper that resolves the
 * response head, with docker's wording for connection failures.
 */
import type { Agent, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { UnavailableError } from '../errdefs/index.js';

// node:http and node:https come from getBuiltinModule on first use, not ESM imports: the ESM
// facade of node:http alone adds ~15 MB to pierd's idle RSS (its undici getters; see
// api/server.ts), and a daemon that never pulls should not pay for TLS either.
let agents: { http: Agent; https: Agent; insecure: Agent } | undefined;
function getAgents(): { http: Agent; https: Agent; insecure: Agent } {
  if (!agents) {
    const http = process.getBuiltinModule('node:http');
    const https = process.getBuiltinModule('node:https');
    agents = {
      http: new http.Agent({ keepAlive: true, maxSockets: 16 }),
      https: new https.Agent({ keepAlive: true, maxSockets: 16, minVersion: 'TLSv1.2' }),
      insecure: new https.Agent({ keepAlive: true, maxSockets: 16, minVersion: 'TLSv1.2', rejectUnauthorized: false }),
    };
  }
  return agents;
}

export interface SendOptions {
  method: string;
  url: URL;
  headers?: OutgoingHttpHeaders;
  body?: Buffer | Readable;
  /** Skip TLS verification (an insecure registry). */
  insecure?: boolean;
  signal?: AbortSignal;
}

/** A network-level failure (no HTTP answer): docker says `Get "<url>": dial tcp …`. */
export class TransportError extends UnavailableError {
  readonly errno: string;
  constructor(message: string, errno: string, cause: unknown) {
    super(message, { cause });
    this.errno = errno;
  }
}

function dialText(method: string, url: URL, err: NodeJS.ErrnoException): string {
  const verb = method[0] + method.slice(1).toLowerCase();
  const hostPort = `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
  const what = err.code === 'ECONNREFUSED' ? `dial tcp ${hostPort}: connect: connection refused`
    : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' ? `dial tcp: lookup ${url.hostname}: no such host`
      : err.code === 'ETIMEDOUT' ? `dial tcp ${hostPort}: i/o timeout`
        : err.code === 'ECONNRESET' ? `read tcp ${hostPort}: connection reset by peer`
          : /wrong version number|ssl3_get_record|packet length too long|EPROTO/i.test(`${err.code} ${err.message}`) ? 'http: server gave HTTP response to HTTPS client'
            : err.message;
  return `${verb} "${url.href}": ${what}`;
}

/** A failed connection as docker words it. */
export function transportError(method: string, url: URL, err: NodeJS.ErrnoException): TransportError {
  return new TransportError(dialText(method, url, err), err.code ?? '', err);
}

export function send(o: SendOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const https = o.url.protocol === 'https:';
    const a = getAgents();
    const request = https ? process.getBuiltinModule('node:https').request : process.getBuiltinModule('node:http').request;
    const req = request(o.url, {
      method: o.method,
      headers: o.headers ?? {},
      agent: https ? (o.insecure ? a.insecure : a.https) : a.http,
      ...(o.signal ? { signal: o.signal } : {}),
    }, resolve);
    req.on('error', (err: NodeJS.ErrnoException) => reject(transportError(o.method, o.url, err)));
    if (o.body === undefined) req.end();
    else if (Buffer.isBuffer(o.body)) req.end(o.body);
    else {
      o.body.on('error', (e) => req.destroy(e));
      o.body.pipe(req);
    }
  });
}

/** Reads a whole (small) response body; refuses more than `limit` bytes. */
export async function readBody(res: IncomingMessage, limit = 16 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    n += (c as Buffer).length;
    if (n > limit) { res.destroy(); throw new UnavailableError(`response from ${res.url ?? 'registry'} exceeds ${limit} bytes`); }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}
