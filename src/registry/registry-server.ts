// The HTTP(S) server: auth (Basic, or Bearer tokens with the token endpoint
// at /token), routing to the endpoint handlers, the read-only and delete
// switches, and turning every failure into a spec error body.

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { nullLogger, type Logger } from '../pkg/log/index.js';
import { BlobStore } from './blob-store.js';
import { deleteBlob, getBlob } from './blob-handlers.js';
import type { Htpasswd } from './htpasswd.js';
import { parseBasicAuth } from './htpasswd.js';
import { apiBase, catalog, listReferrers, listTags } from './listing-handlers.js';
import { deleteManifest, getManifest, putManifest } from './manifest-handlers.js';
import { ManifestStore } from './manifest-store.js';
import { RegistryError, RegistryErrors, toRegistryError } from './registry-error.js';
import { checkRepositoryName } from './repository-name.js';
import type { RegistryStores, RequestContext, RouteHandler, RouteOf } from './request-context.js';
import { API_VERSION, API_VERSION_HEADER, sendError } from './respond.js';
import { parseRoute, type Route, type RouteKind } from './route.js';
import type { StorageDriver } from './storage-driver.js';
import { requiredAccess, TOKEN_PATH, TokenAuth, type TokenOptions } from './token-auth.js';
import { cancelUpload, patchUpload, putUpload, startUpload, uploadStatus } from './upload-handlers.js';
import { UploadStore } from './upload-store.js';

export interface RegistryServerOptions {
  readonly storage: StorageDriver;
  /** Refuse every write: push, delete, upload (405 UNSUPPORTED). */
  readonly readOnly?: boolean;
  /** Allow DELETE of manifests, tags and blobs (otherwise 405 UNSUPPORTED, distribution's default). */
  readonly allowDelete?: boolean;
  /** Require HTTP basic auth with these users; with `token`, the users who log in at /token. */
  readonly htpasswd?: Htpasswd;
  /** The basic auth realm; with `token`, the token service name (default "pier-registry"). */
  readonly realm?: string;
  /**
   * Bearer token auth (Docker's registry token spec) instead of Basic: a token
   * endpoint at /token issues JWTs, the API accepts only them. Access model in token-auth.ts.
   */
  readonly token?: TokenOptions;
  /** Serve HTTPS (TLS 1.2 and later) with this PEM certificate and key. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** 5xx errors are logged here with their stack; the default logs nothing. */
  readonly logger?: Logger;
  /** Uploads started longer ago are removed when the server starts (default 24 h). */
  readonly staleUploadAgeMs?: number;
}

export interface ListenOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

interface Endpoint<R extends Route> {
  readonly handler: RouteHandler<R>;
  /** Changes storage: refused in read-only mode. */
  readonly write?: boolean;
  /** Deletes content: needs `allowDelete`. */
  readonly delete?: boolean;
}

type EndpointTable = { readonly [K in RouteKind]: Readonly<Record<string, Endpoint<RouteOf<K>>>> };

const endpoints: EndpointTable = {
  'base': { GET: { handler: apiBase }, HEAD: { handler: apiBase } },
  'catalog': { GET: { handler: catalog } },
  'tags': { GET: { handler: listTags } },
  'manifest': {
    GET: { handler: getManifest }, HEAD: { handler: getManifest },
    PUT: { handler: putManifest, write: true },
    DELETE: { handler: deleteManifest, write: true, delete: true },
  },
  'blob': { GET: { handler: getBlob }, HEAD: { handler: getBlob }, DELETE: { handler: deleteBlob, write: true, delete: true } },
  'upload-start': { POST: { handler: startUpload, write: true } },
  'upload': {
    GET: { handler: uploadStatus }, HEAD: { handler: uploadStatus },
    PATCH: { handler: patchUpload, write: true }, PUT: { handler: putUpload, write: true },
    // Cancelling an upload is not deleting content: allowed without `allowDelete`.
    DELETE: { handler: cancelUpload, write: true },
  },
  'referrers': { GET: { handler: listReferrers } },
};

const DAY_MS = 24 * 60 * 60_000;
const PURGE_INTERVAL_MS = 60 * 60_000;

function isClientGone(err: unknown, req: IncomingMessage, res: ServerResponse): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return req.destroyed || res.destroyed || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ABORT_ERR';
}

/**
 * RegistryServer: an OCI distribution-spec v2 registry over a StorageDriver.
 *
 * Lifecycle: construct, `listen()` (purges stale uploads, then binds; purges again hourly), serve,
 * `close()` (stops accepting, lets in-flight requests finish for a moment, then
 * cuts the rest; idempotent).
 */
export class RegistryServer {
  readonly #opts: RegistryServerOptions;
  readonly #stores: RegistryStores;
  readonly #server: Server;
  readonly #log: Logger;
  readonly #challenge: string;
  readonly #token: TokenAuth | undefined;
  #url: string | undefined;
  #closing: Promise<void> | undefined;
  #purgeTimer: NodeJS.Timeout | undefined;

  constructor(opts: RegistryServerOptions) {
    this.#opts = opts;
    this.#log = opts.logger ?? nullLogger;
    const driver = opts.storage;
    const blobs = new BlobStore(driver);
    this.#stores = { driver, blobs, uploads: new UploadStore(driver, blobs), manifests: new ManifestStore(driver, blobs) };
    this.#challenge = `Basic realm="${(opts.realm ?? 'pier-registry').replace(/["\\\r\n]/g, '')}"`;
    this.#token = opts.token === undefined ? undefined : new TokenAuth({
      ...opts.token, service: opts.realm ?? 'pier-registry', htpasswd: opts.htpasswd, tls: opts.tls !== undefined,
      fallbackHost: () => (this.#url ?? 'localhost').replace(/^https?:\/\//, ''),
    });
    // No request timeout: a layer of hundreds of MB on a slow link takes longer than node's 300 s default.
    const serverOpts = { requestTimeout: 0, keepAliveTimeout: 30_000 };
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => { void this.#handle(req, res); };
    this.#server = opts.tls
      ? createHttpsServer({ ...serverOpts, cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' }, onRequest)
      : createHttpServer(serverOpts, onRequest);
  }

  /** The stores behind the server (GC and tests read them). */
  get stores(): RegistryStores { return this.#stores; }

  /** `http(s)://host:port` once listening. */
  get url(): string {
    if (this.#url === undefined) throw new Error('registry server is not listening');
    return this.#url;
  }

  /** Purges stale uploads, then listens. Rejects with the listen error (EADDRINUSE…). */
  async listen(opts: ListenOptions): Promise<{ url: string; host: string; port: number }> {
    await this.#purgeStale();
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(opts.port, opts.host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    // Abandoned uploads keep disk space (and a hash in memory): sweep them hourly too.
    this.#purgeTimer = setInterval(() => { void this.#purgeStale(); }, PURGE_INTERVAL_MS);
    this.#purgeTimer.unref();
    const addr = this.#server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.#url = `${this.#opts.tls ? 'https' : 'http'}://${host}:${addr.port}`;
    return { url: this.#url, host: addr.address, port: addr.port };
  }

  async #purgeStale(): Promise<void> {
    try {
      const n = await this.#stores.uploads.purgeStale(this.#opts.staleUploadAgeMs ?? DAY_MS);
      if (n > 0) this.#log.info('purged stale uploads', { count: n });
    } catch (err) {
      this.#log.warn('cannot purge stale uploads', { err });
    }
  }

  /** Stops the server; in-flight requests get `graceMs` to finish. Idempotent. */
  close(graceMs = 2000): Promise<void> {
    clearInterval(this.#purgeTimer);
    this.#closing ??= new Promise<void>((resolve) => {
      if (!this.#server.listening) { resolve(); return; }
      const timer = setTimeout(() => this.#server.closeAllConnections(), graceMs);
      timer.unref();
      this.#server.close(() => { clearTimeout(timer); resolve(); });
      this.#server.closeIdleConnections();
    });
    return this.#closing;
  }

  /** The token access controller and token server (token auth only); its `key` signs the tokens. */
  get tokenAuth(): TokenAuth | undefined { return this.#token; }

  async #authenticate(req: IncomingMessage, route: Route, query: URLSearchParams): Promise<void> {
    if (this.#token !== undefined) {
      const method = req.method ?? 'GET';
      const grant = this.#token.authorize(req, requiredAccess(route, method));
      // A cross-repository mount reads `from`: without pull there, it is an ordinary upload (end-11), as if never asked.
      const from = route.kind === 'upload-start' && method === 'POST' ? query.get('from') : null;
      if (from !== null && !grant.allows({ type: 'repository', name: from, action: 'pull' })) {
        query.delete('mount');
        query.delete('from');
      }
      return;
    }
    const users = this.#opts.htpasswd;
    if (users === undefined) return;
    const creds = parseBasicAuth(req.headers.authorization);
    if (creds !== undefined && (await users.verify(creds))) return;
    throw new RegistryError('UNAUTHORIZED', { headers: { 'WWW-Authenticate': this.#challenge } });
  }

  /** The endpoint for this method, or why it is refused (405 UNSUPPORTED, as distribution answers). */
  #endpoint(route: Route, method: string): Endpoint<Route> {
    const table = endpoints[route.kind] as Readonly<Record<string, Endpoint<Route>>>;
    const allowed = Object.keys(table);
    const ep = table[method];
    if (ep === undefined) {
      throw new RegistryError('UNSUPPORTED', { message: `method ${method} not allowed here`, headers: { Allow: allowed.join(', ') } });
    }
    if (ep.write === true && this.#opts.readOnly === true) {
      // distribution in read-only mode does not route write methods at all: 405.
      const reads = allowed.filter((m) => table[m]?.write !== true).join(', ');
      throw new RegistryError('UNSUPPORTED', { message: 'the registry is in read-only mode', headers: { Allow: reads } });
    }
    if (ep.delete === true && this.#opts.allowDelete !== true) {
      // distribution's answer when `storage.delete.enabled` is false.
      throw new RegistryError('UNSUPPORTED', { message: 'deletes are disabled on this registry' });
    }
    return ep;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader(API_VERSION_HEADER, API_VERSION);
    try {
      const raw = req.url ?? '/';
      const q = raw.indexOf('?');
      const pathname = q < 0 ? raw : raw.slice(0, q);
      const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
      if (this.#token !== undefined && pathname === TOKEN_PATH) {
        await this.#token.serve(req, res, query);
        return;
      }
      const route = parseRoute(pathname);
      if (route === undefined) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 19 });
        res.end(req.method === 'HEAD' ? undefined : '404 page not found\n');
        return;
      }
      if ('name' in route) checkRepositoryName(route.name);
      await this.#authenticate(req, route, query);
      const ep = this.#endpoint(route, req.method ?? 'GET');
      const ctx: RequestContext = { req, res, query, stores: this.#stores };
      await ep.handler(ctx, route);
    } catch (err) {
      this.#fail(req, res, err);
    }
  }

  #fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    if (err instanceof RegistryErrors) { sendError(req, res, err); return; }
    const e = toRegistryError(err);
    if (e.status >= 500) {
      if (isClientGone(err, req, res)) {
        this.#log.debug('client went away', { method: req.method, path: req.url, err });
      } else {
        this.#log.error('request failed', { method: req.method, path: req.url, err });
      }
    }
    sendError(req, res, e);
  }
}
