/**
 * httpget: GET a URL with node:http/https, following redirects. pierd runs V8 in
 * lite mode (no WebAssembly), so the global fetch (undici parses HTTP with a
 * WebAssembly llhttp) is not available there: `docker import URL`, a build's
 * `remote=` context and `ADD <url>` use this instead.
 *
 * @example
 * const res = await httpGet('http://127.0.0.1:8000/rootfs.tar', { signal });
 * if (res.status !== 200) throw …; res.body.pipe(out);
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

export interface HttpGetResponse {
  status: number;
  statusText: string;
  /** The final URL after redirects. */
  url: string;
  headers: IncomingMessage['headers'];
  body: Readable;
}

export async function httpGet(url: string, o: { signal?: AbortSignal; maxRedirects?: number } = {}): Promise<HttpGetResponse> {
  let current = new URL(url);
  for (let hops = 0; ; hops++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:') throw new Error(`unsupported protocol scheme "${current.protocol.replace(/:$/, '')}"`);
    const mod = process.getBuiltinModule(current.protocol === 'https:' ? 'node:https' : 'node:http') as typeof import('node:http');
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = mod.get(current, { ...(o.signal ? { signal: o.signal } : {}), headers: { 'User-Agent': 'pier' } }, resolve);
      req.on('error', reject);
    });
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (status >= 300 && status < 400 && location && hops < (o.maxRedirects ?? 10)) {
      res.resume();
      current = new URL(location, current);
      continue;
    }
    return { status, statusText: res.statusMessage ?? '', url: current.href, headers: res.headers, body: res };
  }
}

/** The whole body (for small payloads: a Dockerfile, a context tar). */
export async function readBody(body: Readable, limit = 1 << 30): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    const b = c as Buffer;
    n += b.length;
    if (n > limit) throw new Error(`response larger than ${limit} bytes`);
    parts.push(b);
  }
  return Buffer.concat(parts, n);
}
