// System endpoints: /_ping, /version, /info, /events, /system/df.

import type { PingResult, Response, Transport } from './transport.js';
import type { DiskUsage, InfoResponse, VersionResponse } from './types.js';

export class SystemClient {
  readonly #t: Transport;
  constructor(t: Transport) { this.#t = t; }

  /** Negotiates (once) and returns what /_ping said. */
  async ping(): Promise<PingResult> {
    await this.#t.apiVersion();
    const r = this.#t.pingResult;
    if (r === undefined) throw new Error('ping produced no result');
    return r;
  }

  version(): Promise<VersionResponse> { return this.#t.json('GET', '/version'); }

  info(): Promise<InfoResponse> { return this.#t.json('GET', '/info'); }

  /** POST /auth: the daemon checks the credentials against the registry. */
  auth(a: { username: string; password: string; serveraddress: string }): Promise<{ Status: string; IdentityToken?: string }> {
    return this.#t.json('POST', '/auth', { json: a });
  }

  df(): Promise<DiskUsage> { return this.#t.json('GET', '/system/df'); }

  /** GET /events: a JSON-lines stream; `since`/`until` are unix seconds (may carry .nanoseconds). */
  events(opts: { since?: string; until?: string; filters?: string; signal?: AbortSignal } = {}): Promise<Response> {
    const query = { since: opts.since, until: opts.until, filters: opts.filters };
    return this.#t.request('GET', '/events', opts.signal ? { query, signal: opts.signal } : { query });
  }
}
