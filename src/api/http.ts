import { bufferedBody } from './authz.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import sjson from 'secure-json-parse';
import { InvalidParameterError } from '../errdefs/index.js';
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

const MAX_JSON = 10 * 1024 * 1024;

/** Reads a JSON body (bounded, prototype-poisoning safe). Empty body → undefined. */
export async function readJson(req: IncomingMessage, prefix?: Buffer): Promise<unknown> {
  checkJsonContentType(req);
  const chunks: Buffer[] = prefix && prefix.length ? [prefix] : [];
  let size = prefix?.length ?? 0;
  // Read already by the authorization plugins' check: the same bytes.
  const early = bufferedBody(req);
  if (early) { chunks.push(early); size += early.length; }
  for await (const c of early ? [] : req) {
    const b = c as Buffer;
    size += b.length;
    if (size > MAX_JSON) throw new InvalidParameterError(`request body too large: more than ${MAX_JSON} bytes`);
    chunks.push(b);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return undefined;
  try {
    return sjson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' });
  } catch (err) {
    throw new InvalidParameterError(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
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
