import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { ForbiddenError, SystemError } from '../errdefs/index.js';

/**
 * docker's authorization plugins (`authorization-plugins` in daemon.json, `--authorization-plugin`):
 * every API request goes to each plugin in order as `AuthZPlugin.AuthZReq`, and every answer the
 * router builds as `AuthZPlugin.AuthZRes`, before the client sees it. A plugin that says no gives
 * a 403 with its message; one that fails, times out or cannot be found denies too (fail closed),
 * with docker's "plugin X failed with error: …".
 *
 * Bodies go to the plugins as docker sends them: the request's only when it is JSON and at most
 * 1 MiB, the response's when it is JSON; both base64 (Go's []byte). Streamed answers (logs, events,
 * archives, attach) are checked at the request only: their bytes are sent as they come.
 */

/** The part of a plugin client the authorizer uses (pkg/plugins' PluginClient). */
export interface AuthzPlugin {
  readonly name: string;
  activate(): Promise<string[]>;
  call(method: string, body: unknown, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export const AUTHZ_MAX_BODY = 1 << 20;
const TIMEOUT_MS = 10_000;

/** Request bodies read for the plugins, handed back to the route's JSON reader. */
const buffered = new WeakMap<IncomingMessage, Buffer>();

/** The body the authorizer already read for `req`, if it did. */
export function bufferedBody(req: IncomingMessage): Buffer | undefined {
  return buffered.get(req);
}

function headerMap(h: Record<string, string | string[] | number | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    // Go's canonical header names (Content-Type), as docker passes them.
    const name = k.split('-').map((p) => (p ? p[0]?.toUpperCase() + p.slice(1).toLowerCase() : p)).join('-');
    out[name] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

function isJson(contentType: string | undefined): boolean {
  return /^application\/json\b/i.test((contentType ?? '').split(';')[0]?.trim() ?? '');
}

export class Authorizer {
  readonly #plugins: () => Promise<AuthzPlugin[]>;
  #resolved: Promise<AuthzPlugin[]> | undefined;

  /** `plugins` is called once, on the first request: the clients in the configured order. */
  constructor(plugins: () => Promise<AuthzPlugin[]>) {
    this.#plugins = plugins;
  }

  #all(): Promise<AuthzPlugin[]> {
    this.#resolved ??= this.#plugins();
    this.#resolved.catch(() => { this.#resolved = undefined; });
    return this.#resolved;
  }

  /**
   * Asks every plugin about a request before it runs. Reads a small JSON body first (kept for
   * the route). Throws ForbiddenError on a denial, SystemError when a plugin fails.
   */
  async request(req: IncomingMessage, withBody: boolean): Promise<{ uri: string; headers: Record<string, string>; body?: string }> {
    let body: Buffer | undefined;
    const len = Number(req.headers['content-length'] ?? NaN);
    if (withBody && isJson(req.headers['content-type']) && Number.isFinite(len) && len > 0 && len <= AUTHZ_MAX_BODY) {
      const chunks: Buffer[] = [];
      let n = 0;
      for await (const c of req) { n += (c as Buffer).length; chunks.push(c as Buffer); if (n > AUTHZ_MAX_BODY) break; }
      body = Buffer.concat(chunks);
      buffered.set(req, body);
    }
    const base = {
      uri: req.url ?? '/',
      headers: headerMap(req.headers),
      ...(body ? { body: body.toString('base64') } : {}),
    };
    await this.#ask('AuthZPlugin.AuthZReq', {
      User: '', UserAuthNMethod: '', RequestMethod: req.method ?? 'GET', RequestURI: base.uri,
      RequestHeaders: base.headers, ...(base.body !== undefined ? { RequestBody: base.body } : {}),
    });
    return base;
  }

  /** Asks every plugin about an answer before it is sent; throws as `request` does. */
  async response(req: IncomingMessage, asked: { uri: string; headers: Record<string, string>; body?: string }, status: number, headers: OutgoingHttpHeaders, body: Buffer | undefined): Promise<void> {
    const h = headerMap(headers as Record<string, string | string[] | number | undefined>);
    await this.#ask('AuthZPlugin.AuthZRes', {
      User: '', UserAuthNMethod: '', RequestMethod: req.method ?? 'GET', RequestURI: asked.uri,
      RequestHeaders: asked.headers, ...(asked.body !== undefined ? { RequestBody: asked.body } : {}),
      ResponseStatusCode: status, ResponseHeaders: h,
      ...(body && isJson(h['Content-Type']) ? { ResponseBody: body.toString('base64') } : {}),
    });
  }

  async #ask(method: string, payload: Record<string, unknown>): Promise<void> {
    let plugins: AuthzPlugin[];
    try {
      plugins = await this.#all();
    } catch (err) {
      throw new SystemError(err instanceof Error ? err.message : String(err));
    }
    for (const p of plugins) {
      let answer: Record<string, unknown>;
      try {
        const impl = await p.activate();
        if (!impl.includes('authz')) throw new Error(`plugin ${p.name} does not implement authz`);
        answer = await p.call(method, payload, TIMEOUT_MS);
      } catch (err) {
        throw new SystemError(`plugin ${p.name} failed with error: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (answer['Allow'] !== true) {
        const msg = typeof answer['Msg'] === 'string' ? answer['Msg'] : '';
        throw new ForbiddenError(`authorization denied by plugin ${p.name}: ${msg}`);
      }
    }
  }
}
