import { bufferedBody } from './authz.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import sjson from 'secure-json-parse';
import { CanceledError, InvalidParameterError, TooLargeError } from '../errdefs/index.js';
import { API_VERSION, MIN_API_VERSION } from '../pkg/engine/index.js';

/** Request context handed to route handlers. */
export interface Ctx {
  readonly req: IncomingMessage;
  readonly method: string;
  readonly path: string;
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  /** Negotiated API version of this request, e.g. "1.50". */
  readonly version: string;
  /** Set for plain requests. */
  readonly res?: ServerResponse;
  /** Set for hijacked (Connection: Upgrade) requests: the raw socket, with `head` already consumed into `head`. */
  readonly socket?: Duplex;
  readonly head?: Buffer;
  readonly signal: AbortSignal;
}

export type Reply =
  | { status?: number; json: unknown; headers?: Record<string, string> }
  | { status: number; text?: string; headers?: Record<string, string> }
  | undefined;

export type Handler = (ctx: Ctx) => Promise<Reply> | Reply;

export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'Api-Version': API_VERSION,
  'Docker-Experimental': 'false',
  'Ostype': 'linux',
  'Server': 'Docker/28.2.2-pier (linux)',
};

export function versionLess(a: string, b: string): boolean {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 < b1 || (a1 === b1 && a2 < b2);
}

/** Strips `/vX.Y`, checks the range; returns the version and the bare path. */
export function splitVersion(path: string): { version: string; path: string } {
  const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(path);
  if (!m || !m[1] || !m[2]) return { version: API_VERSION, path };
  const v = m[1];
  if (versionLess(API_VERSION, v)) {
    throw new InvalidParameterError(`client version ${v} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  if (versionLess(v, MIN_API_VERSION)) {
    throw new InvalidParameterError(`client version ${v} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  return { version: v, path: m[2] };
}

/** The default bound on a JSON request body (`--max-json-body`); tar bodies stream to disk and have none. */
export const DEFAULT_MAX_JSON_BODY = 32 * 1024 * 1024;
/** A JSON body that stops arriving for this long is abandoned (a slow client cannot hold a request forever). */
export const JSON_BODY_IDLE_MS = 60_000;
/** Deeper nesting than this is refused before parsing: no API body needs it, and recursion over it would overflow. */
export const MAX_JSON_DEPTH = 512;

const bodyLimits = new WeakMap<IncomingMessage, number>();
/** The server sets the configured bound on each request; readJson enforces it. */
export function setJsonBodyLimit(req: IncomingMessage, bytes: number): void { bodyLimits.set(req, bytes); }

function tooLarge(limit: number): TooLargeError {
  return new TooLargeError(`request body too large: the limit for a JSON body is ${limit} bytes`);
}

/** Reads a whole (small) body: bounded in size, abandoned after `idleMs` without data. */
function readSmallBody(req: IncomingMessage, limit: number, idleMs: number): Promise<Buffer> {
  const cl = Number(req.headers['content-length'] ?? 0);
  if (Number.isFinite(cl) && cl > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err?: unknown): void => {
      clearTimeout(timer);
      req.off('data', onData); req.off('end', onEnd); req.off('error', onError); req.off('close', onClose);
      if (err) reject(err); else resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(() => done(new InvalidParameterError(`timed out reading the request body: nothing arrived for ${idleMs / 1000} s`)), idleMs);
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) { done(tooLarge(limit)); return; }
      chunks.push(c);
      timer.refresh();
    };
    const onEnd = (): void => done();
    const onError = (err: Error): void => done(err);
    const onClose = (): void => { if (!req.complete) done(new CanceledError('the client went away while sending the request body')); };
    req.on('data', onData); req.on('end', onEnd); req.on('error', onError); req.on('close', onClose);
  });
}

/** Whether `text` nests arrays/objects deeper than `max` (strings skipped); linear, no recursion. */
export function jsonTooDeep(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) { if (++depth > max) return true; }
    else if (c === 93 || c === 125) depth--;
  }
  return false;
}

/** Parses untrusted JSON text: prototype-poisoning safe, depth-bounded, errors as 400. */
export function parseJsonText(text: string): unknown {
  if (jsonTooDeep(text, MAX_JSON_DEPTH)) throw new InvalidParameterError(`invalid JSON: nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return sjson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' });
  } catch (err) {
    throw new InvalidParameterError(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Reads a JSON body (bounded, prototype-poisoning safe). Empty body → undefined. */
export async function readJson(req: IncomingMessage, prefix?: Buffer): Promise<unknown> {
  checkJsonContentType(req);
  const limit = bodyLimits.get(req) ?? DEFAULT_MAX_JSON_BODY;
  // Read already by the authorization plugins' check: the same bytes.
  const early = bufferedBody(req);
  const body = early ?? await readSmallBody(req, limit, JSON_BODY_IDLE_MS);
  if (body.length + (prefix?.length ?? 0) > limit) throw tooLarge(limit);
  const text = (prefix?.length ? Buffer.concat([prefix, body]) : body).toString('utf8').trim();
  if (!text) return undefined;
  return parseJsonText(text);
}

/**
 * moby CheckForJSON: a request with a body must say it is JSON; an empty one
 * may omit the header (dockerode sends no body and no Content-Type for `{}`).
 */
export function checkJsonContentType(req: IncomingMessage): void {
  const ct = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (ct === '' && !hasBody) return;
  if (ct === 'application/json') return;
  throw new InvalidParameterError(`unsupported Content-Type header (${req.headers['content-type'] ?? ''}): must be 'application/json'`);
}

/** moby BoolValue: "", 0, no, false, none → false; anything else true; absent → dflt. */
export function qbool(q: URLSearchParams, key: string, dflt = false): boolean {
  const v = q.get(key);
  if (v === null) return dflt;
  const s = v.trim().toLowerCase();
  return !(s === '' || s === '0' || s === 'no' || s === 'false' || s === 'none');
}

export function qint(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidParameterError(`invalid value for ${key}: "${v}": invalid syntax`);
  return n;
}

/** Writes a JSON reply the way dockerd does (exact content type, trailing newline). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
