/**
 * A client for one registry (OCI distribution spec v2): version check, auth
 * (Basic, and Bearer tokens from the challenge's realm), manifests and blobs
 * by repository, monolithic streamed uploads and cross-repository mounts.
 * No image logic here: images/ drives it.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { ForbiddenError, InvalidParameterError, NotFoundError, SystemError, UnauthorizedError, UnavailableError } from '../errdefs/index.js';
import { parseChallenges, type Challenge } from './challenge.js';
import { MANIFEST_ACCEPT } from './media-types.js';
import { readBody, send, TransportError, transportError } from './transport.js';
import { pooledGet, type PooledResponse } from '../pkg/pooled-get/index.js';

/** What X-Registry-Auth carries (docker's AuthConfig). */
export interface RegistryAuth { username?: string; password?: string; identitytoken?: string; registrytoken?: string; serveraddress?: string }

export interface RegistryClientOptions {
  /** The reference's domain: `docker.io`, `127.0.0.1:5000` … */
  domain: string;
  /** Plain HTTP allowed (after HTTPS fails) and TLS not verified: docker's insecure registries. */
  insecure: boolean;
  /** A mirror to talk to instead of the domain's own host: its scheme is used as given. */
  endpoint?: URL;
  auth?: RegistryAuth;
  signal?: AbortSignal;
}

export interface FetchedManifest { bytes: Buffer; mediaType: string; digest: string }

const UA = 'pier/0.1.0 (linux; docker-compatible)';

/** docker.io's API host. */
export function registryHost(domain: string): string {
  return domain === 'docker.io' || domain === 'index.docker.io' ? 'registry-1.docker.io' : domain;
}

/** A registry's JSON error body → docker's text (`manifest unknown: manifest unknown`). */
function registryErrorText(status: number, body: Buffer): string {
  try {
    const j = JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string; detail?: unknown }[] };
    const e = j.errors?.[0];
    if (e?.code) {
      const code = e.code.toLowerCase().replace(/_/g, ' ');
      return e.message ? `${code}: ${e.message}` : code;
    }
  } catch { /* not JSON */ }
  const text = body.toString('utf8').trim().slice(0, 200);
  return text || `unexpected status code ${status}`;
}

function classify(status: number, text: string): Error {
  if (status === 401) return new UnauthorizedError(text);
  if (status === 403) return new ForbiddenError(text);
  if (status === 404) return new NotFoundError(text);
  if (status === 400 || status === 405 || status === 416) return new InvalidParameterError(text);
  if (status === 429 || status >= 500) return new UnavailableError(text);
  return new SystemError(text);
}

export class RegistryClient {
  readonly #o: RegistryClientOptions;
  readonly host: string;
  #base: URL | undefined;
  #challenge: Challenge | undefined;
  readonly #tokens = new Map<string, Promise<string | undefined>>();

  constructor(o: RegistryClientOptions) {
    this.#o = o;
    this.host = o.endpoint ? o.endpoint.host : registryHost(o.domain);
  }

  /** The mirror this client talks to, if it is one. */
  get mirror(): string | undefined { return this.#o.endpoint?.href; }

  /** `GET /v2/`: picks https (or http for an insecure registry) and learns the auth challenge. */
  async ping(): Promise<void> {
    if (this.#base) return;
    const schemes = this.#o.endpoint ? [this.#o.endpoint.protocol.replace(/:$/, '')] : this.#o.insecure ? ['https', 'http'] : ['https'];
    let last: unknown;
    for (const scheme of schemes) {
      const url = new URL(`${scheme}://${this.host}/v2/`);
      try {
        const res = await send({ method: 'GET', url, headers: { 'User-Agent': UA }, insecure: this.#o.insecure, ...(this.#o.signal ? { signal: this.#o.signal } : {}) });
        res.resume();
        if (res.statusCode === 401) this.#challenge = parseChallenges(res.headers['www-authenticate'])[0];
        else if ((res.statusCode ?? 0) >= 500 || (res.statusCode === 404 && !res.headers['docker-distribution-api-version'])) {
          throw new UnavailableError(`${url.href}: unexpected status ${res.statusCode}`);
        }
        this.#base = new URL(`${scheme}://${this.host}`);
        return;
      } catch (err) {
        last = err;
        if (!(err instanceof TransportError)) throw err;
      }
    }
    throw last;
  }

  /** The Authorization header for a scope (`repository:a/b:pull`), fetching a token when the registry wants one. */
  #authHeader(scope: string): Promise<string | undefined> {
    const c = this.#challenge;
    if (!c) return Promise.resolve(undefined);
    const a = this.#o.auth;
    const basic = a?.username ? `Basic ${Buffer.from(`${a.username}:${a.password ?? ''}`).toString('base64')}` : undefined;
    if (c.scheme === 'basic') return Promise.resolve(basic);
    if (c.scheme !== 'bearer') return Promise.resolve(undefined);
    if (a?.registrytoken) return Promise.resolve(`Bearer ${a.registrytoken}`);
    let p = this.#tokens.get(scope);
    if (!p) {
      p = this.#fetchToken(c, scope, basic);
      this.#tokens.set(scope, p);
      p.catch(() => this.#tokens.delete(scope));
    }
    return p;
  }

  async #fetchToken(c: Challenge, scope: string, basic: string | undefined): Promise<string | undefined> {
    const realm = c.params['realm'];
    if (!realm) throw new UnauthorizedError('the registry asked for a token but named no realm');
    const url = new URL(realm);
    if (c.params['service']) url.searchParams.set('service', c.params['service']);
    if (scope) url.searchParams.set('scope', scope);
    const headers: OutgoingHttpHeaders = { 'User-Agent': UA };
    if (basic) headers['Authorization'] = basic;
    const res = await send({ method: 'GET', url, headers, insecure: this.#o.insecure });
    const body = await readBody(res, 1 << 20);
    if (res.statusCode !== 200) {
      if (res.statusCode === 401) throw new UnauthorizedError('unauthorized: incorrect username or password');
      throw classify(res.statusCode ?? 0, `getting a token from ${url.origin}: ${registryErrorText(res.statusCode ?? 0, body)}`);
    }
    const j = JSON.parse(body.toString('utf8')) as { token?: string; access_token?: string };
    const tok = j.token ?? j.access_token;
    return tok ? `Bearer ${tok}` : undefined;
  }

  /** One request under `scope`; follows redirects (blob storage) without credentials. */
  async request(method: string, path: string, o: { scope: string; headers?: OutgoingHttpHeaders; body?: Buffer | Readable } = { scope: '' }): Promise<IncomingMessage> {
    await this.ping();
    const base = this.#base;
    if (!base) throw new UnavailableError(`no endpoint for ${this.host}`);
    const headers: OutgoingHttpHeaders = { 'User-Agent': UA, ...o.headers };
    const auth = await this.#authHeader(o.scope);
    if (auth) headers['Authorization'] = auth;
    let url = new URL(path, base);
    let res = await send({ method, url, headers, ...(o.body !== undefined ? { body: o.body } : {}), insecure: this.#o.insecure, ...(this.#o.signal ? { signal: this.#o.signal } : {}) });
    for (let hops = 0; hops < 5 && (method === 'GET' || method === 'HEAD') && [301, 302, 303, 307, 308].includes(res.statusCode ?? 0) && res.headers.location; hops++) {
      res.resume();
      const next = new URL(res.headers.location, url);
      const h: OutgoingHttpHeaders = { ...headers };
      if (next.host !== url.host) delete h['Authorization'];
      url = next;
      res = await send({ method, url, headers: h, insecure: this.#o.insecure, ...(this.#o.signal ? { signal: this.#o.signal } : {}) });
    }
    return res;
  }

  /** Throws the registry's error for a non-2xx answer (consuming its body). */
  async #check(res: IncomingMessage, what: string): Promise<void> {
    const st = res.statusCode ?? 0;
    if (st >= 200 && st < 300) return;
    const body = method(res) === 'HEAD' ? Buffer.alloc(0) : await readBody(res, 1 << 20).catch(() => Buffer.alloc(0));
    throw this.#refusal(st, body, what);
  }

  #refusal(status: number, body: Buffer, what: string): Error {
    if (status === 401 && body.length === 0) {
      // dockerd's words: no credentials for a Basic registry, or ones it refuses.
      return new UnauthorizedError(this.#o.auth?.username ? 'unauthorized: incorrect username or password' : 'no basic auth credentials');
    }
    return classify(status, `${what}: ${registryErrorText(status, body)}`);
  }

  /**
   * Checks credentials as `docker login` does: a token fetched with them (Bearer
   * registries) or `GET /v2/` answered 200 with them (Basic). UnauthorizedError when refused.
   */
  async login(): Promise<void> {
    await this.ping();
    const c = this.#challenge;
    if (!c) return; // the registry asks for nothing: any credentials "work", as with dockerd
    if (!this.#o.auth?.username && !this.#o.auth?.identitytoken) throw new UnauthorizedError('unauthorized: authentication required');
    if (c.scheme === 'bearer') { await this.#fetchToken(c, '', this.#basic()); return; }
    const res = await this.request('GET', '/v2/', { scope: '' });
    res.resume();
    if (res.statusCode === 401) throw new UnauthorizedError(`login attempt to ${new URL('/v2/', this.#base).href} failed with status: 401 Unauthorized`);
    await this.#check(res, 'login');
  }

  #basic(): string | undefined {
    const a = this.#o.auth;
    return a?.username ? `Basic ${Buffer.from(`${a.username}:${a.password ?? ''}`).toString('base64')}` : undefined;
  }

  static pullScope(repo: string): string { return `repository:${repo}:pull`; }
  static pushScope(repo: string): string { return `repository:${repo}:pull,push`; }

  /** A manifest or index by tag or digest, verified against its digest when fetched by digest. */
  async getManifest(repo: string, ref: string, scope = RegistryClient.pullScope(repo)): Promise<FetchedManifest> {
    const res = await this.request('GET', `/v2/${repo}/manifests/${ref}`, { scope, headers: { Accept: MANIFEST_ACCEPT.join(', ') } });
    if (res.statusCode === 404) {
      const body = await readBody(res, 1 << 20).catch(() => Buffer.alloc(0));
      throw new NotFoundError(registryErrorText(404, body));
    }
    await this.#check(res, `manifest ${repo}:${ref}`);
    const bytes = await readBody(res, 4 << 20);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (ref.startsWith('sha256:') && ref !== digest) throw new InvalidParameterError(`manifest verification failed for digest ${ref}`);
    const header = String(res.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    let mediaType = header;
    try {
      const j = JSON.parse(bytes.toString('utf8')) as { mediaType?: string; manifests?: unknown; layers?: unknown };
      mediaType = j.mediaType ?? (j.manifests ? 'application/vnd.oci.image.index.v1+json' : header || 'application/vnd.oci.image.manifest.v1+json');
    } catch {
      throw new InvalidParameterError(`manifest ${repo}:${ref} is not valid JSON`);
    }
    return { bytes, mediaType, digest };
  }

  /** Every tag of a repository (following `Link` pagination). */
  async listTags(repo: string): Promise<string[]> {
    const out: string[] = [];
    let path: string | undefined = `/v2/${repo}/tags/list`;
    for (let pages = 0; path && pages < 1000; pages++) {
      const res = await this.request('GET', path, { scope: RegistryClient.pullScope(repo) });
      await this.#check(res, `tags of ${repo}`);
      const j = JSON.parse((await readBody(res, 16 << 20)).toString('utf8')) as { tags?: string[] | null };
      out.push(...(j.tags ?? []));
      const link = /<([^>]+)>;\s*rel="?next"?/.exec(String(res.headers.link ?? ''));
      path = link?.[1];
    }
    return out;
  }

  /**
   * Streams a blob; the caller verifies the digest while consuming it. From
   * `offset` on (a Range request, to resume): `partial` says whether the
   * registry honoured it (206) or sent the whole blob again (200).
   */
  async getBlob(repo: string, digest: string, offset = 0): Promise<IncomingMessage & { partial?: boolean }> {
    const res = await this.request('GET', `/v2/${repo}/blobs/${digest}`, {
      scope: RegistryClient.pullScope(repo), ...(offset > 0 ? { headers: { Range: `bytes=${offset}-` } } : {}),
    });
    await this.#check(res, `blob ${digest}`);
    return Object.assign(res, { partial: res.statusCode === 206 });
  }

  /**
   * getBlob for a big blob: the body is read into a small pool of reused buffers
   * (pkg/pooled-get), not a new buffer per chunk. Each piece is the caller's until it
   * calls release(piece). Follows redirects as request() does.
   */
  async getBlobPooled(repo: string, digest: string, offset = 0): Promise<PooledResponse & { partial: boolean }> {
    await this.ping();
    const base = this.#base;
    if (!base) throw new UnavailableError(`no endpoint for ${this.host}`);
    const headers: Record<string, string> = { 'User-Agent': UA };
    if (offset > 0) headers['Range'] = `bytes=${offset}-`;
    const auth = await this.#authHeader(RegistryClient.pullScope(repo));
    if (auth) headers['Authorization'] = auth;
    let url = new URL(`/v2/${repo}/blobs/${digest}`, base);
    for (let hops = 0; ; hops++) {
      let res: PooledResponse;
      try {
        res = await pooledGet({ url, headers, insecure: this.#o.insecure, ...(this.#o.signal ? { signal: this.#o.signal } : {}) });
      } catch (err) {
        if (this.#o.signal?.aborted) throw err;
        throw transportError('GET', url, err as NodeJS.ErrnoException);
      }
      const st = res.statusCode;
      const location = res.headers['location'];
      if (hops < 5 && [301, 302, 303, 307, 308].includes(st) && location) {
        res.destroy();
        const next = new URL(location, url);
        if (next.host !== url.host) delete headers['Authorization'];
        url = next;
        continue;
      }
      if (st >= 200 && st < 300) return Object.assign(res, { partial: st === 206 });
      const parts: Buffer[] = [];
      let n = 0;
      try {
        for (let p = await res.read(); p !== null && n < 1 << 20; p = await res.read()) { parts.push(Buffer.from(p)); n += p.length; res.release(p); }
      } catch { /* the status says enough */ }
      res.destroy();
      throw this.#refusal(st, Buffer.concat(parts), `blob ${digest}`);
    }
  }

  async hasBlob(repo: string, digest: string, scope = RegistryClient.pushScope(repo)): Promise<boolean> {
    const res = await this.request('HEAD', `/v2/${repo}/blobs/${digest}`, { scope });
    res.resume();
    if (res.statusCode === 404) return false;
    await this.#check(res, `blob ${digest}`);
    return true;
  }

  /** Cross-repository mount; true when the registry linked it (201), false when an upload is needed. */
  async mountBlob(repo: string, digest: string, from: string): Promise<boolean> {
    const scope = `${RegistryClient.pushScope(repo)} repository:${from}:pull`;
    const res = await this.request('POST', `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`, { scope, headers: { 'Content-Length': '0' } });
    res.resume();
    if (res.statusCode === 201) return true;
    if (res.statusCode === 202 && res.headers.location) {
      // An upload was opened instead: cancel it, uploadBlob opens its own.
      const cancel = await this.request('DELETE', res.headers.location, { scope }).catch(() => undefined);
      cancel?.resume();
      return false;
    }
    await this.#check(res, `mount ${digest}`);
    return false;
  }

  /** Uploads a blob in one streamed PUT (POST to open the session first, as docker does). */
  async uploadBlob(repo: string, digest: string, size: number, body: () => Promise<Readable | Buffer> | Readable | Buffer): Promise<void> {
    const scope = RegistryClient.pushScope(repo);
    const open = await this.request('POST', `/v2/${repo}/blobs/uploads/`, { scope, headers: { 'Content-Length': '0' } });
    open.resume();
    await this.#check(open, `starting an upload of ${digest}`);
    const loc = open.headers.location;
    if (!loc) throw new SystemError(`the registry opened an upload for ${digest} without a location`);
    const u = new URL(loc, this.#base);
    u.searchParams.set('digest', digest);
    const res = await this.request('PUT', u.pathname + u.search, {
      scope, body: await body(), headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
    });
    await this.#check(res, `uploading ${digest}`);
    res.resume();
  }

  /** PUT a manifest under a tag or digest; returns the digest the registry reports (or ours). */
  async putManifest(repo: string, ref: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.request('PUT', `/v2/${repo}/manifests/${ref}`, {
      scope: RegistryClient.pushScope(repo), body: bytes, headers: { 'Content-Type': mediaType, 'Content-Length': String(bytes.length) },
    });
    await this.#check(res, `manifest ${repo}:${ref}`);
    res.resume();
    return String(res.headers['docker-content-digest'] ?? `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
  }
}

function method(res: IncomingMessage): string {
  return (res as unknown as { req?: { method?: string } }).req?.method ?? 'GET';
}
