import { randomBytes } from 'node:crypto';
import { rm, readdir } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { InvalidParameterError, messageOf } from '../errdefs/index.js';
import type { ImageService } from '../images/index.js';
import type { ContainerService, CreateRequest } from '../containers/index.js';
import type { Store, Table } from '../store/index.js';
import type { Logger } from '../pkg/log/index.js';
import { parseReference, withDefaultTag, fullString, familiarString, type Reference } from '../pkg/reference/index.js';
import { Builder, BuildError, type BuildMessage, type BuildOptions, type CacheEntry } from './builder.js';
import { openBuildContext, type BuildContext } from './context.js';
import type { ContextStore } from './context-store.js';

export interface BuildServiceOptions {
  images: ImageService;
  containers: ContainerService;
  store: Store;
  log: Logger;
  /** Scratch space for contexts (under the data root). */
  tmpRoot: string;
  /** Where `RUN --mount=type=cache` directories are kept. */
  cacheMountRoot: string;
  /** Where contexts kept for pier's client live (emptied at start-up). */
  contextRoot: string;
  containerRequest: (body: Record<string, unknown>) => CreateRequest;
}

export interface BuildRequest extends BuildOptions {
  /** pier's client: a key for this directory's context (its files' metadata), to keep it for the next build. */
  contextKey?: string;
  dockerfile: string;
  /** `remote=`: a git URL, or an http(s) URL of a tar or a Dockerfile. */
  remote: string;
}

/** `docker build` (the legacy /build endpoint's semantics) and the build cache. */
export class BuildService {
  readonly #o: BuildServiceOptions;
  readonly #cache: Table<CacheEntry>;
  /** Contexts kept for pier's client, by key (most recently used last). */
  readonly #kept = new Map<string, { ctx: BuildContext; dir: string; users: number; bytes: number }>();

  constructor(o: BuildServiceOptions) {
    this.#o = o;
    this.#cache = o.store.table<CacheEntry>('build_cache');
  }

  /** Parses `t` values up front, so a bad tag is a 400 before anything is built. */
  static parseTags(tags: readonly string[]): Reference[] {
    return tags.map((t) => {
      try {
        const r = withDefaultTag(parseReference(t));
        if (r.digest) throw new Error('digest');
        return r;
      } catch {
        throw new InvalidParameterError(/[A-Z]/.test(t.split(':')[0] ?? '') ? `invalid reference format: repository name (${t.split(':')[0] ?? t}) must be lowercase` : 'invalid reference format');
      }
    });
  }

  /**
   * Runs one build from a context tar (or `remote`), streaming docker's build
   * messages to `send`. Resolves the image ID; a failure is sent as docker's error
   * message and rethrown. Nothing is tagged unless the whole build succeeded.
   */
  async build(body: Readable, req: BuildRequest, send: (m: BuildMessage) => void, signal?: AbortSignal): Promise<string | undefined> {
    const tags = BuildService.parseTags(req.tags);
    const dir = `${this.#o.tmpRoot}/build-${randomBytes(8).toString('hex')}`;
    let builder: Builder | undefined;
    let store: ContextStore | undefined;
    const t0 = Date.now();
    let kept: { ctx: BuildContext; dir: string; users: number; bytes: number } | undefined;
    // RUN steps come and go on the default bridge: keep it for the whole build.
    const unhold = this.#o.containers.holdNetworking();
    try {
      let ctx: BuildContext;
      const key = req.contextKey;
      kept = key ? this.#kept.get(key) : undefined;
      if (key && kept) {
        kept.users++;
        this.#kept.delete(key);
        this.#kept.set(key, kept); // most recently used
        ctx = kept.ctx;
        body.resume();
      } else if (key && !req.remote) {
        const keepDir = `${this.#o.contextRoot}/${key.slice(0, 16)}-${randomBytes(4).toString('hex')}`;
        ctx = await openBuildContext(body, { dir: keepDir, dockerfile: req.dockerfile, remote: '', ...(signal ? { signal } : {}) });
        kept = { ctx, dir: keepDir, users: 1, bytes: ctx.store.bytes };
        const old = this.#kept.get(key);
        this.#kept.set(key, kept);
        if (old && old.users === 0) { old.ctx.store.close(); await rm(old.dir, { recursive: true, force: true }).catch(() => undefined); }
      } else {
        ctx = await openBuildContext(body, { dir, dockerfile: req.dockerfile, remote: req.remote, ...(signal ? { signal } : {}) });
        store = ctx.store;
      }
      const started = Date.now();
      this.#o.log.debug('build context ready', { ms: started - t0 });
      builder = new Builder({ images: this.#o.images, containers: this.#o.containers, cache: this.#cache, containerRequest: this.#o.containerRequest, cacheMountRoot: this.#o.cacheMountRoot, scratch: dir }, req, ctx.store, send, signal);
      const b = builder;
      // The whole build is one image-making operation: an rmi meanwhile leaves the layers it
      // shares with this build's steps to the image GC, which runs once no build runs.
      const id = await this.#o.images.writing(async () => {
        const built = await b.build(ctx.dockerfile);
        send({ aux: { ID: built } });
        const shortId = built.replace(/^sha256:/, '').slice(0, 12);
        if (req.quiet) send({ stream: `${built}\n` });
        else send({ stream: `Successfully built ${shortId}\n` });
        for (const r of tags) {
          this.#o.images.tag(built, fullString(r));
          if (!req.quiet) send({ stream: `Successfully tagged ${familiarString(r)}\n` });
        }
        return built;
      });
      this.#o.log.info('build done', { image: id, ms: Date.now() - started });
      return id;
    } catch (err) {
      const code = err instanceof BuildError ? err.exitCode : undefined;
      const message = messageOf(err);
      send({ errorDetail: { ...(code !== undefined ? { code } : {}), message }, error: message });
      return undefined;
    } finally {
      unhold();
      await builder?.cleanup();
      store?.close();
      if (kept) { kept.users--; await this.#evict(); }
      await rm(dir, { recursive: true, force: true }).catch((err: unknown) => this.#o.log.warn('build context not removed', { dir, err: messageOf(err) }));
    }
  }

  hasContext(key: string): boolean { return this.#kept.has(key); }

  /** Keeps at most 4 contexts and 512 MiB of them, dropping the least recently used that no build uses. */
  async #evict(): Promise<void> {
    let bytes = [...this.#kept.values()].reduce((a, k) => a + k.bytes, 0);
    for (const [key, k] of this.#kept) {
      if (this.#kept.size <= 4 && bytes <= 512 * 1024 * 1024) break;
      if (k.users > 0) continue;
      this.#kept.delete(key);
      bytes -= k.bytes;
      k.ctx.store.close();
      await rm(k.dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** Drops every kept context (daemon shutdown). */
  async close(): Promise<void> {
    for (const [key, k] of this.#kept) {
      this.#kept.delete(key);
      k.ctx.store.close();
      await rm(k.dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** `docker builder prune`: forgets every cached step and empties the RUN cache mounts. */
  async prune(): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }> {
    const ids = this.#cache.ids();
    for (const id of ids) this.#cache.delete(id);
    let names: string[] = [];
    try { names = await readdir(this.#o.cacheMountRoot); } catch { names = []; }
    for (const n of names) await rm(`${this.#o.cacheMountRoot}/${n}`, { recursive: true, force: true });
    return { CachesDeleted: [...ids, ...names], SpaceReclaimed: 0 };
  }
}
