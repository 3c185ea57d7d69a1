// HTTP transport to the Engine API: unix socket or TCP, keep-alive, one
// version negotiation per process (HEAD /_ping, then GET on failure), error
// mapping, and the connection hijack attach/exec use.

import type * as HttpModule from 'node:http';

// Not an ESM import: the ESM facade of node:http evaluates its lazy undici getters,
// which costs every CLI start ~15 ms (see api/server.ts).
const http = process.getBuiltinModule('node:http');
import type * as net from 'node:net';
import type { Readable } from 'node:stream';
import sjson from 'secure-json-parse';
import { InvalidParameterError, SystemError } from '../errdefs/index.js';
import { connectError, isConnectFailure, responseError } from './errors.js';

/** The newest API version this client speaks. */
export const CLIENT_API_VERSION = '1.50';
/** Assumed when the daemon's /_ping carries no Api-Version header (docker's rule). */
const FALLBACK_API_VERSION = '1.24';
/** JSON bodies larger than this are refused (no daemon answer legitimately is). */
const JSON_LIMIT = 256 * 1024 * 1024;

export type QueryValue = string | number | boolean | undefined | readonly string[];
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  query?: Query;
  /** A JSON value to send (Content-Type: application/json). */
  json?: unknown;
  /** A raw body (a stream, or bytes), sent with `contentType`. */
  body?: Readable | Uint8Array | string;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Prefix the path with /vX.Y (default true). */
  versioned?: boolean;
}

export interface Response {
  readonly status: number;
  readonly headers: HttpModule.IncomingHttpHeaders;
  readonly body: HttpModule.IncomingMessage;
}

export interface Hijacked {
  readonly socket: net.Socket;
  /** Bytes that arrived with the 101 response, before the socket was handed over. */
  readonly head: Buffer;
  readonly contentType: string;
}

export interface PingResult {
  apiVersion: string;
  osType: string;
  experimental: boolean;
  builderVersion: string;
}

interface Endpoint { socketPath?: string; host?: string; port?: number }

/** TLS to a TCP daemon, as docker's client: the CA to check the daemon against (when verifying), a client certificate. */
export interface ClientTls { ca?: Buffer; cert?: Buffer; key?: Buffer; verify: boolean }

/** Parses `unix:///path`, `tcp://host:port`, `http://host:port` or a bare socket path. */
export function parseHost(host: string): Endpoint {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('/')) return { socketPath: host };
  const m = /^(?:tcp|http):\/\/(\[[^\]]+\]|[^:/]*)(?::(\d+))?\/?$/.exec(host);
  if (m) {
    const h = (m[1] ?? '').replace(/^\[|\]$/g, '');
    return { host: h === '' ? '127.0.0.1' : h, port: m[2] === undefined ? 2375 : Number(m[2]) };
  }
  throw new InvalidParameterError(`invalid host "${host}": unsupported protocol`);
}

/** Encodes a query the way docker's client does (keys sorted, arrays repeated). */
export function encodeQuery(q: Query | undefined): string {
  if (!q) return '';
  const parts: string[] = [];
  for (const k of Object.keys(q).sort()) {
    const v = q[k];
    if (v === undefined) continue;
    const vals = typeof v === 'object' ? v : [typeof v === 'boolean' ? (v ? '1' : '0') : String(v)];
    for (const x of vals) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(x)}`);
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export class Transport {
  readonly host: string;
  readonly #endpoint: Endpoint;
  readonly #agent: HttpModule.Agent;
  readonly #fixedVersion: string | undefined;
  readonly #tls: ClientTls | undefined;
  /** node:http, or node:https when talking TLS (loaded only then). */
  readonly #http: typeof HttpModule;
  #version: Promise<string> | undefined;
  #ping: PingResult | undefined;

  /** `version` pins the API version (DOCKER_API_VERSION): no downgrade, but still a ping. */
  constructor(host: string, opts: { version?: string; tls?: ClientTls } = {}) {
    this.host = host;
    this.#endpoint = parseHost(host);
    this.#tls = this.#endpoint.socketPath === undefined ? opts.tls : undefined;
    this.#http = this.#tls ? process.getBuiltinModule('node:https') as unknown as typeof HttpModule : http;
    this.#agent = new this.#http.Agent({ keepAlive: true, maxSockets: 16, ...this.#tlsOptions() } as HttpModule.AgentOptions);
    this.#fixedVersion = opts.version;
  }

  /** A socket error as the user should read it: nobody listening, or a TLS handshake that failed and why. */
  #connectFailure(err: Error): Error {
    if (isConnectFailure(err)) return connectError(this.host, err);
    const code = (err as { code?: string }).code ?? '';
    if (this.#tls && (code === 'ECONNRESET' || /socket hang up|alert|certificate|SSL/i.test(err.message))) {
      return new SystemError(`error during connect: ${this.host}: the TLS handshake failed (${err.message}): the daemon wants a client certificate signed by its CA (--tlscert, --tlskey, DOCKER_CERT_PATH), and ${this.#tls.verify ? 'its certificate must be signed by --tlscacert' : 'answers TLS only'}`, { cause: err });
    }
    if (!this.#tls && this.#endpoint.socketPath === undefined && (code === 'ECONNRESET' || /socket hang up|HTTPS server/i.test(err.message))) {
      return new SystemError(`error during connect: ${this.host} closed the connection: if the daemon listens with TLS, use --tlsverify (or DOCKER_TLS_VERIFY=1) and its certificates`, { cause: err });
    }
    return err;
  }

  #tlsOptions(): Record<string, unknown> {
    const t = this.#tls;
    if (!t) return {};
    return { ...(t.ca ? { ca: t.ca } : {}), ...(t.cert ? { cert: t.cert } : {}), ...(t.key ? { key: t.key } : {}), rejectUnauthorized: t.verify, minVersion: 'TLSv1.2' };
  }

  /** The /_ping result of the negotiation (undefined before the first request). */
  get pingResult(): PingResult | undefined { return this.#ping; }

  /** The API version in use: min(client's, daemon's), negotiated once. */
  apiVersion(): Promise<string> {
    this.#version ??= this.#negotiate();
    return this.#version;
  }

  async #negotiate(): Promise<string> {
    let res = await this.#raw('HEAD', '/_ping', { versioned: false });
    if (res.status !== 200 && res.status !== 500) {
      res.body.resume();
      res = await this.#raw('GET', '/_ping', { versioned: false });
    }
    res.body.resume();
    const h = (name: string): string => { const v = res.headers[name]; return typeof v === 'string' ? v : ''; };
    const daemon = h('api-version') || FALLBACK_API_VERSION;
    this.#ping = { apiVersion: daemon, osType: h('ostype'), experimental: h('docker-experimental') === 'true', builderVersion: h('builder-version') };
    if (this.#fixedVersion !== undefined) return this.#fixedVersion;
    return compareVersions(daemon, CLIENT_API_VERSION) < 0 ? daemon : CLIENT_API_VERSION;
  }

  async #path(path: string, opts: RequestOptions): Promise<string> {
    const prefix = opts.versioned === false ? '' : `/v${await this.apiVersion()}`;
    return `${prefix}${path}${encodeQuery(opts.query)}`;
  }

  #requestOptions(method: string, path: string, headers: Record<string, string>): HttpModule.RequestOptions {
    // servername '' (no TLS here): otherwise the agent derives one from the Host header and
    // tests it with net.isIP, whose first call compiles the IPv6 regex: 10-14 ms of CLI start-up.
    const base: HttpModule.RequestOptions & { servername: string } = { method, path, servername: '', headers: { 'User-Agent': 'Docker-Client/28.2.2 (linux)', ...headers } };
    if (this.#endpoint.socketPath !== undefined) {
      return { ...base, socketPath: this.#endpoint.socketPath, host: 'api.moby.localhost' };
    }
    return { ...base, host: this.#endpoint.host ?? '127.0.0.1', port: this.#endpoint.port ?? (this.#tls ? 2376 : 2375), ...this.#tlsOptions() };
  }

  /** Sends one request and resolves with the response head; no status check. */
  #raw(method: string, fullPath: string, opts: RequestOptions, agent: HttpModule.Agent | false = this.#agent): Promise<Response> {
    const headers: Record<string, string> = { ...opts.headers };
    let payload: Uint8Array | string | Readable | undefined;
    if (opts.json !== undefined) {
      payload = JSON.stringify(opts.json);
      headers['Content-Type'] = 'application/json';
    } else if (opts.body !== undefined) {
      payload = opts.body;
      if (opts.contentType !== undefined) headers['Content-Type'] = opts.contentType;
    }
    if (typeof payload === 'string') headers['Content-Length'] = String(Buffer.byteLength(payload));
    else if (payload instanceof Uint8Array) headers['Content-Length'] = String(payload.byteLength);
    const ro = { ...this.#requestOptions(method, fullPath, headers), agent };
    if (opts.signal) ro.signal = opts.signal;
    return new Promise<Response>((resolve, reject) => {
      const req = this.#http.request(ro, (res) => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }); });
      req.on('error', (err) => { reject(this.#connectFailure(err)); });
      if (payload === undefined || typeof payload === 'string' || payload instanceof Uint8Array) {
        req.end(payload);
      } else {
        payload.on('error', (err) => { req.destroy(err); });
        payload.pipe(req);
      }
    });
  }

  /** Sends a request; rejects with an errdefs error for any status ≥ 300. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const full = await this.#path(path, opts);
    const res = await this.#raw(method, full, opts);
    if (res.status >= 200 && res.status < 300) return res;
    const body = await readText(res.body, 64 * 1024);
    throw responseError({ status: res.status, statusText: res.body.statusMessage, contentType: header(res.headers, 'content-type'), body, url: full });
  }

  /** A request whose answer is JSON (empty body → undefined). */
  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, opts);
    const text = await readText(res.body, JSON_LIMIT);
    if (text.trim() === '') return undefined as T;
    return sjson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' }) as T;
  }

  /** A request whose body is drained and ignored. */
  async call(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const res = await this.request(method, path, opts);
    res.body.resume();
    await new Promise<void>((r) => { res.body.on('end', r); res.body.on('close', r); });
    return res;
  }

  /**
   * Upgrades the connection (Connection: Upgrade, Upgrade: tcp) and hands over
   * the raw socket. The daemon must answer 101; any other answer is an error.
   */
  async hijack(method: string, path: string, opts: RequestOptions = {}): Promise<Hijacked> {
    const full = await this.#path(path, opts);
    const headers: Record<string, string> = { ...opts.headers, Connection: 'Upgrade', Upgrade: 'tcp' };
    let payload: string | undefined;
    if (opts.json !== undefined) {
      payload = JSON.stringify(opts.json);
      headers['Content-Type'] = 'application/json';
    } else {
      headers['Content-Type'] = 'text/plain';
      payload = '';
    }
    headers['Content-Length'] = String(Buffer.byteLength(payload));
    const ro = { ...this.#requestOptions(method, full, headers), agent: false as const };
    return new Promise<Hijacked>((resolve, reject) => {
      const req = this.#http.request(ro);
      req.on('upgrade', (res, socket, head) => {
        resolve({ socket, head, contentType: header(res.headers, 'content-type') ?? '' });
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        void readText(res, 64 * 1024).then((body) => {
          if (status >= 200 && status < 300) reject(new SystemError(`unable to upgrade to tcp, received ${status}`));
          else reject(responseError({ status, statusText: res.statusMessage, contentType: header(res.headers, 'content-type'), body, url: full }));
        }, reject);
      });
      req.on('error', (err) => { reject(this.#connectFailure(err)); });
      req.end(payload);
    });
  }

  /** Closes idle keep-alive sockets. */
  close(): void { this.#agent.destroy(); }
}

export function header(h: HttpModule.IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Reads a whole body as UTF-8, refusing more than `limit` bytes. */
export async function readText(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c as string);
    size += b.length;
    if (size > limit) {
      body.destroy();
      throw new SystemError(`response body exceeds ${limit} bytes`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}
