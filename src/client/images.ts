// /images/* endpoints.

import type { Readable } from 'node:stream';
import type { Response, Transport } from './transport.js';
import type { ImageDeleteItem, ImageHistoryItem, ImageInspect, ImageSummary } from './types.js';

/** base64url of `{}`: what docker sends when it has no credentials. */
export const EMPTY_AUTH = 'e30=';

export class ImagesClient {
  readonly #t: Transport;
  constructor(t: Transport) { this.#t = t; }

  list(opts: { all?: boolean; filters?: string; digests?: boolean } = {}): Promise<ImageSummary[]> {
    return this.#t.json('GET', '/images/json', { query: { all: opts.all ? '1' : undefined, filters: opts.filters, digests: opts.digests ? '1' : undefined } });
  }

  inspect(name: string): Promise<ImageInspect> {
    return this.#t.json('GET', `/images/${name}/json`);
  }

  /** GET /images/{name}/history; `platform` is "os/arch[/variant]", sent as the OCI platform JSON. */
  history(name: string, opts: { platform?: string } = {}): Promise<ImageHistoryItem[]> {
    return this.#t.json('GET', `/images/${name}/history`, { query: { platform: opts.platform ? platformJson(opts.platform) : undefined } });
  }

  /** POST /images/create?fromImage=…: the progress stream (JSON lines). */
  pull(fromImage: string, opts: { tag?: string; platform?: string; auth?: string } = {}): Promise<Response> {
    return this.#t.request('POST', '/images/create', {
      query: { fromImage, tag: opts.tag || undefined, platform: opts.platform || undefined },
      headers: { 'X-Registry-Auth': opts.auth ?? EMPTY_AUTH },
    });
  }

  /** POST /images/{name}/push: the progress stream (JSON lines); no tag pushes every local tag. */
  push(name: string, opts: { tag?: string; auth?: string } = {}): Promise<Response> {
    return this.#t.request('POST', `/images/${name}/push`, {
      query: { tag: opts.tag || undefined },
      headers: { 'X-Registry-Auth': opts.auth ?? EMPTY_AUTH },
    });
  }

  /** GET /images/get?names=…: a docker-archive tar of the images. */
  save(names: readonly string[], opts: { platforms?: readonly string[] } = {}): Promise<Response> {
    const platform = (opts.platforms ?? []).map(platformJson);
    return this.#t.request('GET', '/images/get', { query: { names: [...names], platform: platform.length ? platform : undefined } });
  }

  /** POST /images/load: the archive as the body; JSON lines back. */
  load(body: Readable, opts: { quiet?: boolean; platforms?: readonly string[] } = {}): Promise<Response> {
    const platform = (opts.platforms ?? []).map(platformJson);
    return this.#t.request('POST', '/images/load', { query: { quiet: opts.quiet ? '1' : undefined, platform: platform.length ? platform : undefined }, body, contentType: 'application/x-tar' });
  }

  /** POST /commit: a container's changes as a new image; resolves its ID. */
  commit(container: string, o: { repo?: string; tag?: string; comment?: string; author?: string; pause?: boolean; changes?: string[] }): Promise<{ Id: string }> {
    return this.#t.json('POST', '/commit', {
      query: { container, repo: o.repo || undefined, tag: o.tag || undefined, comment: o.comment || undefined, author: o.author || undefined, pause: o.pause === false ? '0' : '1', changes: o.changes && o.changes.length ? o.changes : undefined },
      json: {},
    });
  }

  /** POST /build: the context tar as the body; docker's build stream (JSON lines) back. */
  build(body: Readable | undefined, query: Record<string, string | string[] | undefined>, o: { contextKey?: string } = {}): Promise<Response> {
    return this.#t.request('POST', '/build', {
      query, ...(body ? { body, contentType: 'application/x-tar' } : {}),
      headers: {
        'X-Registry-Config': EMPTY_AUTH,
        ...(o.contextKey ? { 'X-Pier-Context-Key': o.contextKey } : {}),
        ...(body ? {} : { 'Content-Length': '0' }),
      },
    });
  }

  /** POST /build/prune. */
  buildPrune(): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
    return this.#t.json('POST', '/build/prune');
  }

  /** POST /images/prune. */
  prune(filters?: string): Promise<{ ImagesDeleted: { Untagged?: string; Deleted?: string }[] | null; SpaceReclaimed: number }> {
    return this.#t.json('POST', '/images/prune', { query: { filters } });
  }

  /** POST /images/create?fromSrc=-: imports a rootfs tarball sent as the body. */
  import(body: Readable, opts: { repo?: string; tag?: string; message?: string; changes?: string[]; platform?: string }): Promise<Response> {
    return this.#t.request('POST', '/images/create', {
      query: { fromSrc: '-', repo: opts.repo || undefined, tag: opts.tag || undefined, message: opts.message || undefined, changes: opts.changes && opts.changes.length > 0 ? opts.changes : undefined, platform: opts.platform || undefined },
      body, contentType: 'application/x-tar',
    });
  }

  async tag(source: string, repo: string, tag?: string): Promise<void> {
    await this.#t.call('POST', `/images/${source}/tag`, { query: { repo, tag: tag || undefined } });
  }

  remove(name: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return this.#t.json('DELETE', `/images/${name}`, { query: { force: opts.force ? '1' : undefined, noprune: opts.noprune ? '1' : undefined } });
  }
}

/** "linux/arm64/v8" → `{"architecture":"arm64","os":"linux","variant":"v8"}` (the query form docker's client sends). */
export function platformJson(spec: string): string {
  const [os = '', architecture, variant] = spec.toLowerCase().split('/');
  return JSON.stringify({ ...(architecture ? { architecture } : {}), os, ...(variant ? { variant } : {}) });
}
