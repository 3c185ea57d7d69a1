import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';

// An ESM `import` of node:http evaluates every export of its facade, including the
// lazy undici getters (fetch, WebSocket): ~13 MB of RSS and ~15 ms the daemon never
// uses. require() keeps them lazy.
const { createServer } = createRequire(import.meta.url)('node:http') as typeof import('node:http');
import type { Duplex } from 'node:stream';
import { channel } from 'node:diagnostics_channel';
import type { Logger } from '../pkg/log/index.js';
import { monotonicMs } from '../pkg/clock/index.js';
import { NotFoundError } from '../errdefs/index.js';
import { errorStatus } from './errors.js';
import { COMMON_HEADERS, sendJson, splitVersion, type Ctx } from './http.js';
import type { Router } from './router.js';
import type { Authorizer } from './authz.js';

const traceRequest = channel('pier:api:request');

/** Builds the Engine API HTTP server around a route table; `authz` puts authorization plugins in front of it. */
export function createApiServer(router: Router, log: Logger, opts: { authz?: Authorizer } = {}): Server {
  const authz = opts.authz;
  let reqSeq = 0;
  const server = createServer({ keepAliveTimeout: 60_000, requestTimeout: 0, headersTimeout: 60_000 });

  const dispatch = async (req: IncomingMessage, res: ServerResponse | undefined, socket: Duplex | undefined, head: Buffer | undefined): Promise<void> => {
    const t0 = monotonicMs();
    const rid = ++reqSeq;
    const url = new URL(req.url ?? '/', 'http://pier');
    const ac = new AbortController();
    const abort = (): void => ac.abort();
    if (res) res.on('close', () => { if (!res.writableFinished) abort(); });
    if (socket) socket.on('close', abort);
    let status = 200;
    try {
      const { version, path } = splitVersion(url.pathname);
      const m = router.match(req.method ?? 'GET', path);
      if (m === undefined || m === 'method') {
        throw new NotFoundError(m === 'method' ? `page not found` : 'page not found');
      }
      const ctx: Ctx = {
        req, method: req.method ?? 'GET', path, params: m.params, query: url.searchParams, version, signal: ac.signal,
        ...(res ? { res } : {}), ...(socket ? { socket } : {}), ...(head ? { head } : {}),
      };
      if (socket && !m.hijack) {
        socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{"message":"this endpoint does not upgrade"}\n');
        return;
      }
      const asked = authz ? await authz.request(req, !socket) : undefined;
      const reply = await m.handler(ctx);
      if (!res || res.headersSent || res.writableEnded) return;
      if (authz && asked) {
        // The answer as it would go out, shown to the plugins first; a denial replaces it.
        const built = reply === undefined ? { status: 204, headers: { ...COMMON_HEADERS }, body: undefined }
          : 'json' in reply ? { status: reply.status ?? 200, headers: { ...COMMON_HEADERS, 'Content-Type': 'application/json', ...reply.headers }, body: Buffer.from(JSON.stringify(reply.json) + '\n') }
            : { status: reply.status, headers: { ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...reply.headers }, body: Buffer.from(reply.text ?? '') };
        await authz.response(req, asked, built.status, built.headers, built.body);
      }
      if (reply === undefined) {
        status = 204;
        res.writeHead(204, COMMON_HEADERS);
        res.end();
      } else if ('json' in reply) {
        status = reply.status ?? 200;
        sendJson(res, status, reply.json, reply.headers);
      } else {
        status = reply.status;
        const text = reply.text ?? '';
        res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...reply.headers });
        res.end(text);
      }
    } catch (err) {
      const e = errorStatus(err);
      status = e.status;
      if (e.status >= 500) log.error('request failed', { req: rid, method: req.method, url: req.url, err });
      else log.debug('request refused', { req: rid, method: req.method, url: req.url, status: e.status, message: e.message });
      if (e.canceled) { res?.destroy(); socket?.destroy(); return; }
      if (res && !res.headersSent) {
        if (e.status === 304) { res.writeHead(304, COMMON_HEADERS); res.end(); }
        else sendJson(res, e.status, { message: e.message });
      } else if (res) {
        res.destroy();
      } else if (socket && !socket.destroyed) {
        const body = JSON.stringify({ message: e.message }) + '\n';
        socket.end(`HTTP/1.1 ${e.status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nApi-Version: ${COMMON_HEADERS['Api-Version']}\r\n\r\n${body}`);
      }
    } finally {
      if (log.enabled('debug')) log.debug('request', { req: rid, method: req.method, url: req.url, status, ms: +(monotonicMs() - t0).toFixed(2) });
      if (traceRequest.hasSubscribers) traceRequest.publish({ method: req.method, url: req.url, status, ms: monotonicMs() - t0 });
    }
  };

  server.on('request', (req, res) => { void dispatch(req, res, undefined, undefined); });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => { /* client vanished mid-stream: the handler's close path cleans up */ });
    void dispatch(req, undefined, socket, head);
  });
  server.on('clientError', (err, socket) => {
    if (!socket.writable) return;
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n' + JSON.stringify({ message: `bad request: ${err.message}` }) + '\n');
  });
  return server;
}
