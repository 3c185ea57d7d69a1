// Bearer token authentication as Docker's registry token spec describes
// (distribution `docs/spec/auth/token.md`, `jwt.md`, `scope.md`): the
// registry's access controller, which answers 401 with a Bearer challenge and
// verifies the JWTs clients come back with, and the token server at `/token`
// on the same listener that issues them.
//
// Access model (kept simple on purpose):
//   - users of the htpasswd file, authenticated with Basic at /token, get every
//     action they ask for on every repository: `pull` (GET, HEAD) and `push`
//     (PUT, POST, PATCH and DELETE; `delete` and `*` are granted too, since
//     distribution's and containers/image's clients ask for those), and
//     `registry:catalog:*` (GET /v2/_catalog);
//   - anonymous requests (no credentials) get `pull` on every repository when
//     `anonymousPull` is set, otherwise a token with no access at all (it opens
//     only GET /v2/, so the registry answers 401 insufficient_scope elsewhere);
//   - wrong credentials get no token: 401.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Htpasswd } from './htpasswd.js';
import { parseBasicAuth } from './htpasswd.js';
import { InvalidTokenError, newTokenId, TokenKey } from './jwt.js';
import { RegistryError } from './registry-error.js';
import { isRepositoryName } from './repository-name.js';
import { sendJson } from './respond.js';
import type { Route } from './route.js';

/** The path of the built-in token endpoint. */
export const TOKEN_PATH = '/token';

const DEFAULT_TTL_SECONDS = 300;
/** Clock skew tolerated on `exp` and `nbf`, as distribution's `token.Leeway`. */
const LEEWAY_SECONDS = 60;
const MAX_FORM_BYTES = 16 << 10;
const MAX_SCOPES = 32;

export interface TokenOptions {
  /** Signs and verifies the tokens; a fresh EC P-256 key (ES256) when absent, so tokens die with the process. */
  readonly key?: TokenKey;
  /** Anonymous requests get `pull` on every repository (otherwise no access). */
  readonly anonymousPull?: boolean;
  /** Token lifetime, `expires_in` (default 300 s). */
  readonly ttlSeconds?: number;
  /** The clock, in ms since the epoch (tests move it). */
  readonly now?: () => number;
}

/** One entry of the `access` claim (distribution `token.ResourceActions`). */
export interface ResourceActions {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

/** One action a request needs on one resource (distribution `auth.Access`). */
export interface Access {
  readonly type: 'repository' | 'registry';
  readonly name: string;
  readonly action: string;
}

/** What a verified token allows. */
export interface Grant {
  readonly subject: string;
  allows(a: Access): boolean;
}

/**
 * The access a request needs, as distribution's `appendAccessRecords`: GET and
 * HEAD pull; PUT, POST and PATCH pull and push; DELETE `delete` (which a `push`
 * grant covers here); the catalog `registry:catalog:*`; /v2/ only a valid token.
 */
export function requiredAccess(route: Route, method: string): Access[] {
  if (route.kind === 'base') return [];
  if (route.kind === 'catalog') return [{ type: 'registry', name: 'catalog', action: '*' }];
  const repo = (action: string): Access => ({ type: 'repository', name: route.name, action });
  switch (method) {
    case 'GET': case 'HEAD': return [repo('pull')];
    case 'DELETE': return [repo('delete')];
    default: return [repo('pull'), repo('push')];
  }
}

/** `type:name:actions` scope strings, one per resource, actions merged in order (the challenge's `scope`). */
export function scopeStrings(needs: readonly Access[]): string[] {
  const byResource = new Map<string, string[]>();
  for (const n of needs) {
    const key = `${n.type}:${n.name}`;
    const actions = byResource.get(key) ?? [];
    if (!actions.includes(n.action)) actions.push(n.action);
    byResource.set(key, actions);
  }
  return [...byResource].map(([k, actions]) => `${k}:${actions.join(',')}`);
}

/** True when `actions` (of a token entry for the resource) allow `action`: the same name, `*`, or `push` for `delete`. */
function actionAllowed(actions: readonly string[], action: string): boolean {
  return actions.includes(action) || actions.includes('*') || (action === 'delete' && actions.includes('push'));
}

/** Parses the `scope` parameters (each may hold several, space-separated). undefined when one is malformed. */
export function parseScopes(values: readonly string[]): ResourceActions[] | undefined {
  const out: ResourceActions[] = [];
  for (const s of values.flatMap((v) => v.split(' ')).filter((v) => v !== '')) {
    // `type[(class)]:name:actions`; the name may not hold a colon in a repository, but the last colon ends it.
    const m = /^([a-z0-9]+)(?:\([a-z0-9]+\))?:(.+):([a-z*]*(?:,[a-z*]*)*)$/.exec(s);
    if (!m?.[1] || !m[2]) return undefined;
    out.push({ type: m[1], name: m[2], actions: [...new Set((m[3] ?? '').split(',').filter((a) => a !== ''))] });
  }
  return out.length > MAX_SCOPES ? undefined : out;
}

const USER_REPOSITORY_ACTIONS = new Set(['pull', 'push', 'delete', '*']);
const ANONYMOUS_REPOSITORY_ACTIONS = new Set(['pull']);

interface TokenAuthConfig extends TokenOptions {
  /** The service name: `service` in challenges, `aud` and `iss` of tokens. */
  readonly service: string;
  /** The users who authenticate at /token. */
  readonly htpasswd?: Htpasswd | undefined;
  /** https in the advertised realm URL. */
  readonly tls: boolean;
  /** `host:port` for the realm URL when a request has no usable Host header. */
  readonly fallbackHost: () => string;
}

const HOST_RE = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The access controller and token server of one RegistryServer. */
export class TokenAuth {
  readonly key: TokenKey;
  readonly service: string;
  readonly #cfg: TokenAuthConfig;
  readonly #ttl: number;
  readonly #now: () => number;

  constructor(cfg: TokenAuthConfig) {
    this.#cfg = cfg;
    this.key = cfg.key ?? TokenKey.generate();
    this.service = cfg.service.replace(/["\\\r\n]/g, '');
    this.#ttl = cfg.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    this.#now = cfg.now ?? Date.now;
  }

  /** `http(s)://<Host header>/token`: the realm clients are sent to. */
  realm(req: IncomingMessage): string {
    const host = req.headers.host;
    return `${this.#cfg.tls ? 'https' : 'http'}://${host !== undefined && HOST_RE.test(host) ? host : this.#cfg.fallbackHost()}${TOKEN_PATH}`;
  }

  /** The `WWW-Authenticate` value for a refusal of `needs` (distribution `authChallenge.challengeParams`). */
  challenge(req: IncomingMessage, needs: readonly Access[], error?: 'invalid_token' | 'insufficient_scope'): string {
    let c = `Bearer realm="${this.realm(req)}",service="${this.service}"`;
    const scope = scopeStrings(needs).join(' ');
    if (scope !== '') c += `,scope="${scope}"`;
    if (error !== undefined) c += `,error="${error}"`;
    return c;
  }

  #refuse(req: IncomingMessage, needs: readonly Access[], message: string, error?: 'invalid_token' | 'insufficient_scope'): RegistryError {
    return new RegistryError('UNAUTHORIZED', {
      message,
      detail: needs.map((n) => ({ Type: n.type, Name: n.name, Action: n.action })),
      headers: { 'WWW-Authenticate': this.challenge(req, needs, error) },
    });
  }

  /**
   * Checks the request's Bearer token against `needs`. Resolves with what the
   * token allows; throws 401 UNAUTHORIZED with a challenge when there is no
   * token, it is invalid (signature, expiry, audience, issuer) or it lacks a need.
   */
  authorize(req: IncomingMessage, needs: readonly Access[]): Grant {
    const m = /^Bearer\s+([A-Za-z0-9_.-]+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m?.[1]) throw this.#refuse(req, needs, 'authentication required');
    let grant: Grant;
    try {
      grant = this.#verify(m[1]);
    } catch (err) {
      if (err instanceof InvalidTokenError) throw this.#refuse(req, needs, err.message, 'invalid_token');
      throw err;
    }
    const missing = needs.filter((n) => !grant.allows(n));
    if (missing.length > 0) throw this.#refuse(req, needs, 'insufficient scope: the token does not grant the access this request needs', 'insufficient_scope');
    return grant;
  }

  /** The grant of a token this server signed; InvalidTokenError otherwise. */
  #verify(token: string): Grant {
    const c = this.key.verify(token);
    const now = Math.floor(this.#now() / 1000);
    if (c['iss'] !== this.service) throw new InvalidTokenError('token issued by another issuer');
    const aud = c['aud'];
    if (!(aud === this.service || (Array.isArray(aud) && aud.includes(this.service)))) throw new InvalidTokenError('token is for another service');
    const exp = c['exp'];
    if (typeof exp !== 'number') throw new InvalidTokenError('token has no expiry');
    if (now > exp + LEEWAY_SECONDS) throw new InvalidTokenError('token expired');
    const nbf = c['nbf'];
    if (nbf !== undefined && (typeof nbf !== 'number' || now + LEEWAY_SECONDS < nbf)) throw new InvalidTokenError('token not valid yet');
    const access = c['access'] ?? [];
    if (!Array.isArray(access)) throw new InvalidTokenError('malformed token access claim');
    const entries: ResourceActions[] = [];
    for (const e of access as unknown[]) {
      const r = e as Partial<Record<keyof ResourceActions, unknown>> | null;
      if (typeof r !== 'object' || r === null || typeof r.type !== 'string' || typeof r.name !== 'string' || !Array.isArray(r.actions) || !r.actions.every((a) => typeof a === 'string')) {
        throw new InvalidTokenError('malformed token access claim');
      }
      entries.push({ type: r.type, name: r.name, actions: r.actions as string[] });
    }
    const subject = typeof c['sub'] === 'string' ? c['sub'] : '';
    return {
      subject,
      allows: (a) => entries.some((e) => e.type === a.type && e.name === a.name && actionAllowed(e.actions, a.action)),
    };
  }

  /** What `user` (undefined: anonymous) is granted of `requested`, per the access model above. */
  grant(user: string | undefined, requested: readonly ResourceActions[]): ResourceActions[] {
    const out: ResourceActions[] = [];
    for (const r of requested) {
      let allowed: ReadonlySet<string> = new Set();
      if (r.type === 'repository' && isRepositoryName(r.name)) {
        allowed = user !== undefined ? USER_REPOSITORY_ACTIONS : this.#cfg.anonymousPull === true ? ANONYMOUS_REPOSITORY_ACTIONS : allowed;
      } else if (r.type === 'registry' && r.name === 'catalog' && user !== undefined) {
        allowed = new Set(['*']);
      }
      const actions = r.actions.filter((a) => allowed.has(a));
      if (actions.length === 0) continue;
      const same = out.find((o) => o.type === r.type && o.name === r.name);
      if (same) (same.actions as string[]).push(...actions.filter((a) => !same.actions.includes(a)));
      else out.push({ type: r.type, name: r.name, actions });
    }
    return out;
  }

  /** A signed token for `user` (undefined: anonymous) with `access`. */
  issue(user: string | undefined, access: readonly ResourceActions[]): { token: string; expiresIn: number; issuedAt: string } {
    const nowMs = this.#now();
    const iat = Math.floor(nowMs / 1000);
    const token = this.key.sign({
      iss: this.service, sub: user ?? '', aud: this.service,
      exp: iat + this.#ttl, nbf: iat, iat, jti: newTokenId(), access,
    });
    return { token, expiresIn: this.#ttl, issuedAt: new Date(iat * 1000).toISOString() };
  }

  /**
   * The token endpoint: GET with `service` and `scope` parameters and optional
   * Basic credentials (the docker flow), or POST of an OAuth2 password grant
   * (`grant_type=password&username=…&password=…&service=…&scope=…`, which
   * containerd tries first).
   */
  async serve(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    let params = query;
    let creds = undefined as { username: string; password: string } | undefined;
    let explicit = false;
    if (method === 'GET' || method === 'HEAD') {
      explicit = req.headers.authorization !== undefined;
      creds = parseBasicAuth(req.headers.authorization);
    } else if (method === 'POST') {
      params = new URLSearchParams((await readForm(req)).toString('utf8'));
      const grantType = params.get('grant_type');
      if (grantType !== 'password') {
        throw new RegistryError('UNSUPPORTED', { status: 400, message: `unsupported grant_type ${JSON.stringify(grantType)}: only "password" (or GET with Basic credentials)` });
      }
      explicit = true;
      const username = params.get('username');
      if (username !== null) creds = { username, password: params.get('password') ?? '' };
    } else {
      throw new RegistryError('UNSUPPORTED', { message: `method ${method} not allowed here`, headers: { Allow: 'GET, HEAD, POST' } });
    }
    const service = params.get('service');
    if (service !== null && service !== this.service) {
      throw new RegistryError('UNSUPPORTED', { status: 400, message: `this token server issues tokens for service "${this.service}", not ${JSON.stringify(service)}` });
    }
    const scopes = parseScopes(params.getAll('scope'));
    if (scopes === undefined) throw new RegistryError('UNSUPPORTED', { status: 400, message: 'invalid scope: want type:name:actions, e.g. repository:team/app:pull,push' });
    if (explicit) {
      const users = this.#cfg.htpasswd;
      if (creds === undefined || users === undefined || !(await users.verify(creds))) {
        throw new RegistryError('UNAUTHORIZED', { message: 'invalid username or password', headers: { 'WWW-Authenticate': `Basic realm="${this.service}"` } });
      }
    }
    const user = creds?.username;
    const { token, expiresIn, issuedAt } = this.issue(user, this.grant(user, scopes));
    sendJson(req, res, 200, { token, access_token: token, expires_in: expiresIn, issued_at: issuedAt }, { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  }
}

async function readForm(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.byteLength;
    if (size > MAX_FORM_BYTES) throw new RegistryError('SIZE_INVALID', { status: 413, message: 'token request body too large' });
    chunks.push(b);
  }
  return Buffer.concat(chunks, size);
}
