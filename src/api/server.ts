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
import { InvalidParameterError, NotFoundError, UnavailableError } from '../errdefs/index.js';
import { errorStatus } from './errors.js';
import { COMMON_HEADERS, DEFAULT_MAX_JSON_BODY, sendJson, setJsonBodyLimit, splitVersion, type Ctx } from './http.js';
import type { Router } from './router.js';
import type { Authorizer } from './authz.js';

const traceRequest = channel('pier:api:request');

/**
 * Bounds on what one client can make pierd hold (issue 10, "Limits on the API").
 * - maxHeaderSize: the request line and headers; past it Node's parser answers 431. Go's
 *   http.Server allows 1 MiB; 64 KiB leaves room for big X-Registry-Auth/X-Registry-Config heads.
 * - maxJsonBody: a JSON body (413 past it). Tar bodies (build context, load, import, archive
 *   PUT) stream to disk and are not bounded here.
 * - maxHijackedStreams: upgraded attach/exec sessions alive at once; one more gets a 503.
 * Slow clients: the head must arrive within HEADERS_TIMEOUT_MS (408), a JSON body must not stall
 * for JSON_BODY_IDLE_MS (http.ts), an idle keep-alive connection closes after KEEP_ALIVE_MS.
 * There is deliberately no requestTimeout and no socket idle timeout: `docker load` of a big
 * archive, a slow build upload, `logs -f`, `events` and attach legitimately take any time.
 */
export interface ApiLimits { maxHeaderSize: number; maxJsonBody: number; maxHijackedStreams: number }
export const DEFAULT_LIMITS: Readonly<ApiLimits> = { maxHeaderSize: 64 * 1024, maxJsonBody: DEFAULT_MAX_JSON_BODY, maxHijackedStreams: 1024 };
export const HEADERS_TIMEOUT_MS = 60_000;
export const KEEP_ALIVE_MS = 60_000;
/** After pierd ends its side of a hijacked stream, how long the client has to close its own. */
const HIJACK_LINGER_MS = 10_000;

/** The API server plus what only it can do: end the hijacked streams it no longer tracks as HTTP. */
export type ApiServer = Server & {
  /** Destroys every hijacked stream (daemon shutdown: server.close() would wait for them forever). */
  closeHijacked(): void;
  /** Hijacked streams alive now. */
  hijackedCount(): number;
};

/** How long a connection pierd has refused (431, 413 …) is read and emptied before it closes. */
const REFUSED_LINGER_MS = 2_000;

/**
 * After a final answer on a connection whose request pierd did not read to its end: keep
 * reading (and dropping) what the client still sends, for a while, before closing. Closing
 * a socket with unread bytes makes the kernel reset the connection, and a reset can throw
 * away the answer before the client reads it: 4 in 20 clients sending a 2 MB body after a
 * head past 64 KiB never saw their 431 (measured). What HTTP servers call a lingering close.
 */
function lingerAndClose(socket: Duplex | null | undefined): void {
  if (!socket || socket.destroyed) return;
  socket.on('data', () => { /* dropped: the request was refused */ });
  socket.resume();
  setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
}

/** Node's parser error codes → the status a client should see. */
function parserErrorStatus(code: string | undefined): [number, string] {
  if (code === 'HPE_HEADER_OVERFLOW') return [431, 'Request Header Fields Too Large'];
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT') return [408, 'Request Timeout'];
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return [413, 'Payload Too Large'];
  return [400, 'Bad Request'];
}

/** Builds the Engine API HTTP server around a route table; `authz` puts authorization plugins in front of it. */
export function createApiServer(router: Router, log: Logger, opts: {
  authz?: Authorizer; limits?: Partial<ApiLimits>;
  /** The slow-client timeouts, shorter in tests; Node checks heads every `checkMs` (default 30 s). */
  timeouts?: { headersMs?: number; keepAliveMs?: number; checkMs?: number };
} = {}): ApiServer {
  const authz = opts.authz;
  const limits: ApiLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  let reqSeq = 0;
  const t = opts.timeouts ?? {};
  const server = createServer({
    keepAliveTimeout: t.keepAliveMs ?? KEEP_ALIVE_MS, requestTimeout: 0, headersTimeout: t.headersMs ?? HEADERS_TIMEOUT_MS,
    maxHeaderSize: limits.maxHeaderSize, ...(t.checkMs !== undefined ? { connectionsCheckingInterval: t.checkMs } : {}),
  });
  // Hijacked sessions, counted from the upgrade to the session's own end: the socket closing, or
  // pierd ending its side (a half-open socket whose client sent CloseWrite and is never read again
  // may not emit 'close' for a long time; counting to 'close' only would leak the slot).
  const hijacked = new Set<Duplex>();
  /** Every upgraded socket until it closes, counted or not: shutdown destroys them all. */
  const upgraded = new Set<Duplex>();
  const track = (socket: Duplex): void => {
    hijacked.add(socket);
    let lingering: NodeJS.Timeout | undefined;
    const release = (): void => { hijacked.delete(socket); };
    socket.once('close', () => { release(); clearTimeout(lingering); });
    socket.once('finish', () => {
      release();
      // Our side is done; a client that never closes its own is cut after a grace period.
      lingering = setTimeout(() => socket.destroy(), HIJACK_LINGER_MS).unref();
    });
  };

  const dispatch = async (req: IncomingMessage, res: ServerResponse | undefined, socket: Duplex | undefined, head: Buffer | undefined): Promise<void> => {
    const t0 = monotonicMs();
    const rid = ++reqSeq;
    const ac = new AbortController();
    const abort = (): void => ac.abort();
    if (res) res.on('close', () => { if (!res.writableFinished) abort(); });
    if (socket) socket.on('close', abort);
    let status = 200;
    setJsonBodyLimit(req, limits.maxJsonBody);
    try {
      // Inside the try: a request target URL() refuses (`//[`) is a 400, not an unhandled rejection.
      let url: URL;
      try { url = new URL(req.url ?? '/', 'http://pier'); } catch { throw new InvalidParameterError(`invalid request URL: ${JSON.stringify((req.url ?? '').slice(0, 200))}`); }
      const { version, path } = splitVersion(url.pathname);
      const m = router.match(req.method ?? 'GET', path);
      if (m === undefined || m === 'method') {
        throw new NotFoundError(m === 'method' ? `page not found` : 'page not found');
      }
      const ctx: Ctx = {
        req, method: req.method ?? 'GET', path, params: m.params, query: url.searchParams, version, signal: ac.signal,
        ...(res ? { res } : {}), ...(socket ? { socket } : {}), ...(head ? { head } : {}),
      };
      if (socket && !m.hijack) throw new InvalidParameterError('this endpoint does not upgrade the connection: send it without "Connection: Upgrade"');
      if (socket) {
        if (hijacked.size >= limits.maxHijackedStreams) {
          throw new UnavailableError(`too many attach and exec streams open at once (${limits.maxHijackedStreams}, --max-hijacked-streams): close some and try again`);
        }
        track(socket);
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
      if (e.status >= 500 && e.status !== 501) log.error('request failed', { req: rid, method: req.method, url: req.url, err });
      else log.debug('request refused', { req: rid, method: req.method, url: req.url, status: e.status, message: e.message });
      if (e.canceled) { res?.destroy(); socket?.destroy(); return; }
      if (res && !res.headersSent) {
        if (e.status === 304) { res.writeHead(304, COMMON_HEADERS); res.end(); }
        // 413: the rest of the body is not read; the connection cannot carry another request.
        else {
          sendJson(res, e.status, { message: e.message }, e.status === 413 ? { Connection: 'close' } : {});
          if (e.status === 413) res.once('finish', () => lingerAndClose(res.socket));
        }
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
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    socket.on('error', () => { /* client vanished mid-stream: the handler's close path cleans up */ });
    void dispatch(req, undefined, socket, head);
  });
  const refused = new WeakSet<Duplex>();
  // A request Node's parser refuses (malformed, smuggling-shaped, a head too large or too slow):
  // answered once in JSON, then the connection closes. When a response to an earlier request on
  // this connection is already under way, nothing more can be said: the socket is just closed.
  // A request whose head was fine but whose body framing breaks (a bad chunk) was dispatched
  // already: its pending response carries the 400, and the handler finds the headers sent.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex & { _httpMessage?: ServerResponse | null }) => {
    // Refused already and lingering: the parser errs again on each chunk still arriving.
    if (refused.has(socket)) return;
    refused.add(socket);
    const pending = socket._httpMessage;
    if (!socket.writable || pending?.headersSent || err.code === 'ECONNRESET') { socket.destroy(); return; }
    const [status, text] = parserErrorStatus(err.code);
    const message = status === 431 ? `request header fields too large: the limit is ${limits.maxHeaderSize} bytes`
      : status === 408 ? 'timed out waiting for the request head' : `bad request: ${err.message}`;
    log.debug('request refused by the HTTP parser', { status, code: err.code, message: err.message });
    if (pending) {
      sendJson(pending, status, { message }, { Connection: 'close' });
      pending.once('finish', () => lingerAndClose(socket));
      return;
    }
    const body = JSON.stringify({ message }) + '\n';
    socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    lingerAndClose(socket);
  });
  // `Expect:` other than 100-continue: 417, as Go's server answers, in JSON like every other error.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    sendJson(res, 417, { message: `unsupported Expect header: ${JSON.stringify(String(req.headers.expect ?? '').slice(0, 200))}` }, { Connection: 'close' });
  });
  return Object.assign(server, {
    closeHijacked: (): void => { for (const s of upgraded) s.destroy(); upgraded.clear(); hijacked.clear(); },
    hijackedCount: (): number => hijacked.size,
  });
}
