// /containers/{id}/exec and /exec/* endpoints.

import type { Hijacked, Transport } from './transport.js';
import type { ExecCreateOptions, ExecInspect } from './types.js';

export class ExecClient {
  readonly #t: Transport;
  constructor(t: Transport) { this.#t = t; }

  async create(container: string, body: ExecCreateOptions): Promise<string> {
    const r = await this.#t.json<{ Id: string }>('POST', `/containers/${encodeURIComponent(container)}/exec`, { json: body });
    return r.Id;
  }

  /** Starts attached: the connection is hijacked (101) and carries the process's stdio. */
  startAttached(id: string, opts: { tty: boolean; consoleSize?: [number, number] }): Promise<Hijacked> {
    const json: Record<string, unknown> = { Detach: false, Tty: opts.tty };
    if (opts.consoleSize) json['ConsoleSize'] = opts.consoleSize;
    return this.#t.hijack('POST', `/exec/${encodeURIComponent(id)}/start`, { json });
  }

  /** Starts detached: no stream, the daemon answers once the process runs. */
  async startDetached(id: string, opts: { tty: boolean }): Promise<void> {
    await this.#t.call('POST', `/exec/${encodeURIComponent(id)}/start`, { json: { Detach: true, Tty: opts.tty } });
  }

  async resize(id: string, h: number, w: number): Promise<void> {
    await this.#t.call('POST', `/exec/${encodeURIComponent(id)}/resize`, { query: { h, w } });
  }

  inspect(id: string): Promise<ExecInspect> {
    return this.#t.json('GET', `/exec/${encodeURIComponent(id)}/json`);
  }
}
