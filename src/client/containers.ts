// /containers/* endpoints.

import type { Readable } from 'node:stream';
import sjson from 'secure-json-parse';
import { isNotModified } from '../errdefs/index.js';
import type { ContainerCreateRequest } from '../pkg/engine/index.js';
import { type Hijacked, type Response, type Transport, header, readText } from './transport.js';
import type {
  ChangeItem, ContainerInspect, ContainerPruneReport, ContainerSummary, ContainerUpdateResponse,
  CreateResponse, PathStat, TopResponse, WaitResponse,
} from './types.js';

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface AttachOptions {
  stdin?: boolean; stdout?: boolean; stderr?: boolean; logs?: boolean; stream?: boolean; detachKeys?: string;
}

export interface LogsOptions {
  stdout?: boolean; stderr?: boolean; follow?: boolean; timestamps?: boolean; details?: boolean;
  since?: string; until?: string; tail?: string; signal?: AbortSignal;
}

const p = (id: string): string => `/containers/${encodeURIComponent(id)}`;
const flag = (b: boolean | undefined): string | undefined => (b ? '1' : undefined);

export class ContainersClient {
  readonly #t: Transport;
  constructor(t: Transport) { this.#t = t; }

  create(body: ContainerCreateRequest, opts: { name?: string; platform?: string } = {}): Promise<CreateResponse> {
    return this.#t.json('POST', '/containers/create', { json: body, query: { name: opts.name || undefined, platform: opts.platform || undefined } });
  }

  inspect(id: string, opts: { size?: boolean } = {}): Promise<ContainerInspect> {
    return this.#t.json('GET', `${p(id)}/json`, { query: { size: flag(opts.size) } });
  }

  list(opts: { all?: boolean; limit?: number; size?: boolean; filters?: string } = {}): Promise<ContainerSummary[]> {
    return this.#t.json('GET', '/containers/json', {
      query: { all: flag(opts.all), limit: opts.limit !== undefined && opts.limit > 0 ? String(opts.limit) : undefined, size: flag(opts.size), filters: opts.filters },
    });
  }

  /** Starts a container; an already-running one (304) is success, as in docker. */
  async start(id: string): Promise<void> {
    await this.#ignore304(this.#t.call('POST', `${p(id)}/start`));
  }

  async stop(id: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    await this.#ignore304(this.#t.call('POST', `${p(id)}/stop`, { query: { t: opts.timeout, signal: opts.signal } }));
  }

  async restart(id: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    await this.#t.call('POST', `${p(id)}/restart`, { query: { t: opts.timeout, signal: opts.signal } });
  }

  async kill(id: string, signal?: string): Promise<void> {
    await this.#t.call('POST', `${p(id)}/kill`, { query: { signal: signal || undefined } });
  }

  async pause(id: string): Promise<void> { await this.#t.call('POST', `${p(id)}/pause`); }
  async unpause(id: string): Promise<void> { await this.#t.call('POST', `${p(id)}/unpause`); }

  async remove(id: string, opts: { force?: boolean; volumes?: boolean; link?: boolean } = {}): Promise<void> {
    await this.#t.call('DELETE', p(id), { query: { force: flag(opts.force), v: flag(opts.volumes), link: flag(opts.link) } });
  }

  async rename(id: string, name: string): Promise<void> {
    await this.#t.call('POST', `${p(id)}/rename`, { query: { name } });
  }

  async resize(id: string, h: number, w: number): Promise<void> {
    await this.#t.call('POST', `${p(id)}/resize`, { query: { h, w } });
  }

  /**
   * Opens a wait and resolves once the daemon has answered with headers (so a
   * later start cannot outrun it); `result` settles when the container reaches
   * `condition`.
   */
  async wait(id: string, condition?: WaitCondition, signal?: AbortSignal): Promise<{ result: Promise<WaitResponse> }> {
    const res = await this.#t.request('POST', `${p(id)}/wait`, signal ? { query: { condition }, signal } : { query: { condition } });
    const result = readText(res.body, 1024 * 1024).then((text) => {
      if (text.trim() === '') return { StatusCode: -1, Error: { Message: 'empty wait response' } };
      return sjson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' }) as WaitResponse;
    });
    result.catch(() => { /* observed by the caller; avoid an unhandled rejection when it isn't */ });
    return { result };
  }

  attach(id: string, o: AttachOptions): Promise<Hijacked> {
    return this.#t.hijack('POST', `${p(id)}/attach`, {
      query: { stdin: flag(o.stdin), stdout: flag(o.stdout), stderr: flag(o.stderr), logs: flag(o.logs), stream: flag(o.stream), detachKeys: o.detachKeys || undefined },
    });
  }

  logs(id: string, o: LogsOptions): Promise<Response> {
    const query = {
      stdout: flag(o.stdout), stderr: flag(o.stderr), follow: flag(o.follow), timestamps: flag(o.timestamps),
      details: flag(o.details), since: o.since, until: o.until, tail: o.tail,
    };
    return this.#t.request('GET', `${p(id)}/logs`, o.signal ? { query, signal: o.signal } : { query });
  }

  top(id: string, psArgs?: string): Promise<TopResponse> {
    return this.#t.json('GET', `${p(id)}/top`, { query: { ps_args: psArgs || undefined } });
  }

  changes(id: string): Promise<ChangeItem[] | null> { return this.#t.json('GET', `${p(id)}/changes`); }

  export(id: string): Promise<Response> { return this.#t.request('GET', `${p(id)}/export`); }

  stats(id: string, opts: { stream: boolean; oneShot?: boolean; signal?: AbortSignal }): Promise<Response> {
    const query = { stream: opts.stream ? '1' : '0', 'one-shot': flag(opts.oneShot) };
    return this.#t.request('GET', `${p(id)}/stats`, opts.signal ? { query, signal: opts.signal } : { query });
  }

  update(id: string, body: Record<string, unknown>): Promise<ContainerUpdateResponse> {
    return this.#t.json('POST', `${p(id)}/update`, { json: body });
  }

  prune(filters?: string): Promise<ContainerPruneReport> {
    return this.#t.json('POST', '/containers/prune', { query: { filters } });
  }

  /** HEAD archive: the stat of a path in the container. */
  async statPath(id: string, path: string): Promise<PathStat> {
    const res = await this.#t.request('HEAD', `${p(id)}/archive`, { query: { path } });
    res.body.resume();
    return decodePathStat(header(res.headers, 'x-docker-container-path-stat'));
  }

  /** GET archive: a tar of `path` (top entry = its basename) plus its stat. */
  async getArchive(id: string, path: string): Promise<{ stat: PathStat; body: Readable }> {
    const res = await this.#t.request('GET', `${p(id)}/archive`, { query: { path } });
    return { stat: decodePathStat(header(res.headers, 'x-docker-container-path-stat')), body: res.body };
  }

  async putArchive(id: string, path: string, body: Readable, opts: { copyUIDGID?: boolean; noOverwriteDirNonDir?: boolean } = {}): Promise<void> {
    await this.#t.call('PUT', `${p(id)}/archive`, {
      query: { path, noOverwriteDirNonDir: opts.noOverwriteDirNonDir === false ? undefined : 'true', copyUIDGID: opts.copyUIDGID ? 'true' : undefined },
      body, contentType: 'application/x-tar',
    });
  }

  async #ignore304(p: Promise<unknown>): Promise<void> {
    try { await p; } catch (err) { if (!isNotModified(err)) throw err; }
  }
}

/** Decodes the base64 JSON of X-Docker-Container-Path-Stat. */
export function decodePathStat(h: string | undefined): PathStat {
  if (h === undefined || h === '') return { name: '', size: 0, mode: 0, mtime: '', linkTarget: '' };
  const v = sjson.parse(Buffer.from(h, 'base64').toString('utf8'), undefined, { protoAction: 'remove', constructorAction: 'remove' }) as Partial<PathStat>;
  return { name: v.name ?? '', size: v.size ?? 0, mode: v.mode ?? 0, mtime: v.mtime ?? '', linkTarget: v.linkTarget ?? '' };
}
