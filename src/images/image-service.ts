import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ConflictError, InvalidParameterError, NotFoundError, messageOf } from '../errdefs/index.js';
import type { Store, Table } from '../store/index.js';
import type { ContentStore } from '../content/index.js';
import type { Snapshotter } from '../snapshots/index.js';
import type { EventBus } from '../events/index.js';
import type { Logger } from '../pkg/log/index.js';
import { decompressed, extractTar, unpackLayer, type LayerUnpacker } from '../pkg/archive/index.js';
import { parseReference, withDefaultTag, familiarString, fullString, type Reference } from '../pkg/reference/index.js';
import { buildBusyboxLayer, busyboxImageConfig } from './busybox-layer.js';
import { RegistryClient, isInsecureRegistry, type RegistryAuth } from '../distribution/index.js';
import { Puller } from './puller.js';
import { Pusher } from './pusher.js';
import { loadImages, pickImages, saveImages } from './archive.js';
import { platformMatches, platformMismatch, type Platform } from './platform.js';
import { commitContainer, type CommitRequest } from './commit.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProgressSink } from './progress.js';
import type { IdMapper } from '../pkg/idtools/index.js';

/** The image config JSON (OCI image-spec config / docker schema2). */
export interface ImageConfigFile {
  architecture: string;
  os: string;
  created?: string;
  author?: string;
  config?: {
    User?: string; Env?: string[] | null; Cmd?: string[] | null; Entrypoint?: string[] | null; WorkingDir?: string;
    Labels?: Record<string, string> | null; ExposedPorts?: Record<string, object> | null; Volumes?: Record<string, object> | null;
    StopSignal?: string; Healthcheck?: unknown; OnBuild?: string[] | null; Shell?: string[] | null;
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean; author?: string }[];
}

export interface ImageRecord {
  /** sha256:… of the config JSON. */
  id: string;
  created: string;
  /** Size of all layers as docker counts it (the sum of diskSizes), bytes. */
  size: number;
  diffIds: string[];
  chainIds: string[];
  /** Per-layer sizes of the uncompressed layer tars (what `save` writes as each blob's size). */
  layerSizes: number[];
  /**
   * Per-layer sizes as docker reports them (history SIZE, the image's Size): the bytes of the
   * layer's files, not of its tar. Absent in records from before it existed: layerSizes then.
   */
  diskSizes?: number[];
  parent: string;
  comment: string;
  repoDigests: string[];
  /** The registry manifest it was pulled or pushed as (bytes in the content store), when there is one. */
  manifest?: { digest: string; mediaType: string; size: number };
  /** The compressed layer blobs of that manifest, in the content store (pushed again as they are). */
  layerBlobs?: { digest: string; size: number; mediaType: string }[];
}

interface RefRecord { ref: string; id: string }
/** Where a blob is known to be (`domain/repository`): a push to the same registry mounts it from there. */
interface BlobSources { digest: string; repos: string[] }

export interface DeleteResponseItem { Untagged?: string; Deleted?: string }

export interface ImageServiceOptions {
  store: Store;
  content: ContentStore;
  snapshots: Snapshotter;
  events: EventBus;
  log: Logger;
  /** A private scratch directory under the data root (docker load unpacks there). */
  tmpRoot?: string;
  /** Registries reached over HTTP / without TLS verification besides loopback ones (daemon config). */
  insecureRegistries?: readonly string[];
  /** Mirrors tried before docker.io for its images (`scheme://host/`). */
  registryMirrors?: readonly string[];
  /** Containers using an image (wired by the daemon; images knows nothing of containers). */
  containersUsing: (imageId: string) => { id: string; running: boolean }[];
  /** `--userns-remap`: layers unpack with the host ids their container ids map to. */
  idMap?: IdMapper;
  /** Big pulled layers unpack on its worker thread (pkg/archive/unpacker.ts). */
  unpacker?: LayerUnpacker;
}

export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : `sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}`);
  }
  return out;
}

const shortHex = /^[a-f0-9]{1,64}$/;

export class ImageService {
  readonly #o: ImageServiceOptions;
  readonly #images: Table<ImageRecord>;
  /** Docker's size of each layer snapshot by chain ID, filled from the records on first use. */
  #diskSize: Map<string, number> | undefined;
  readonly #refs: Table<RefRecord>;
  readonly #sources: Table<BlobSources>;
  /**
   * Image-making operations in flight (pull, build, commit, load, import). Their blobs and
   * snapshots are not referenced by any image until they record theirs, so while any runs,
   * what a deleted image frees is left for collectGarbage() to take once none runs (the
   * part of containerd's leases pier needs: `core/leases/lease.go`).
   */
  #writers = 0;
  #gcPending = false;
  /** A deletion of layers and blobs under way: writers wait for it before they start. */
  #deleting: Promise<unknown> | undefined;

  constructor(o: ImageServiceOptions) {
    this.#o = o;
    this.#images = o.store.table<ImageRecord>('images');
    this.#refs = o.store.table<RefRecord>('image_refs');
    this.#sources = o.store.table<BlobSources>('blob_sources');
  }

  /** Image ID, reference or unique ID prefix → record. NotFoundError `No such image: <ref>`. */
  resolve(nameOrId: string): ImageRecord {
    const found = this.tryResolve(nameOrId);
    if (!found) {
      let shown = nameOrId;
      try {
        const r = parseReference(nameOrId);
        if (!r.digest) shown = familiarString(withDefaultTag(r));
      } catch { /* not a reference: show as given */ }
      throw new NotFoundError(`No such image: ${shown}`);
    }
    return found;
  }

  tryResolve(nameOrId: string): ImageRecord | undefined {
    let s = nameOrId;
    if (s.startsWith('sha256:')) {
      const hex = s.slice(7);
      if (!shortHex.test(hex)) return undefined;
      s = hex;
      return this.#byPrefix(s);
    }
    let ref: Reference | undefined;
    try {
      ref = parseReference(s);
    } catch {
      ref = undefined;
    }
    if (ref) {
      const rr = this.#refs.get(fullString(withDefaultTag(ref)));
      if (rr) return this.#images.get(rr.id);
      if (ref.digest) {
        const img = this.#images.all().find((i) => i.repoDigests.some((d) => d.endsWith(`@${ref.digest}`)));
        if (img) return img;
      }
    }
    if (shortHex.test(s) && s.length >= 1) return this.#byPrefix(s);
    return undefined;
  }

  #byPrefix(hex: string): ImageRecord | undefined {
    const ids = this.#images.idsWithPrefix(`sha256:${hex}`, 2);
    return ids.length === 1 && ids[0] ? this.#images.get(ids[0]) : undefined;
  }

  get(id: string): ImageRecord | undefined { return this.#images.get(id); }
  list(): ImageRecord[] { return this.#images.all(); }
  count(): number { return this.#images.count(); }

  /**
   * Runs an operation that makes layers, blobs and image records (pull, build, commit,
   * load, import). Deletions wait for every such operation to finish, and these wait
   * for a deletion under way, so a blob or snapshot an operation found present (and
   * so did not write) cannot be deleted under it before its image is recorded.
   */
  async writing<R>(fn: () => Promise<R>): Promise<R> {
    while (this.#deleting) await this.#deleting.catch(() => undefined);
    this.#writers++;
    try {
      return await fn();
    } finally {
      if (--this.#writers === 0 && this.#gcPending) {
        this.#gcPending = false;
        void this.collectGarbage().catch((err: unknown) => this.#o.log.warn('image garbage collection failed', { err: messageOf(err) }));
      }
    }
  }

  /** Runs `fn` while no writer runs, or defers the deletion to collectGarbage() (false) when one does; writers wait for it. */
  async #exclusiveDelete(fn: () => Promise<void>): Promise<boolean> {
    while (this.#deleting) await this.#deleting.catch(() => undefined);
    if (this.#writers > 0) { this.#gcPending = true; return false; }
    const p = fn();
    this.#deleting = p;
    try { await p; } finally { if (this.#deleting === p) this.#deleting = undefined; }
    return true;
  }

  /**
   * Mark and sweep: snapshots and blobs that no image references. Layer snapshots go top
   * down (a chain with a child — a container's layer, another image's — stays); unpack
   * snapshots (`pier-extract-*`) go too, as no writer runs. What a deleted image left while
   * writers ran, and what a crash left between "make the layer" and "record the image",
   * is collected here: the daemon runs it at start-up, after containers reconciled.
   */
  async collectGarbage(): Promise<{ snapshots: number; blobs: number }> {
    const out = { snapshots: 0, blobs: 0 };
    await this.#exclusiveDelete(async () => {
      const images = this.#images.all();
      const chains = new Set(images.flatMap((i) => i.chainIds));
      const blobs = new Set<string>();
      for (const i of images) {
        blobs.add(i.id);
        for (const d of i.diffIds) blobs.add(d);
        for (const b of i.layerBlobs ?? []) blobs.add(b.digest);
        if (i.manifest) blobs.add(i.manifest.digest);
      }
      for (let again = true; again;) {
        again = false;
        const snaps: { key: string; kind: string; parent: string }[] = [];
        for await (const s of this.#o.snapshots.list()) snaps.push(s);
        const parents = new Set(snaps.map((s) => s.parent));
        for (const s of snaps) {
          const garbage = s.kind === 'committed' ? !chains.has(s.key) && !parents.has(s.key) : s.key.startsWith('pier-extract-');
          if (!garbage) continue;
          await this.#o.snapshots.remove(s.key).then(() => { out.snapshots++; again = true; this.#diskSize?.delete(s.key); }, (err: unknown) => this.#o.log.warn('unreferenced snapshot kept', { snapshot: s.key, err: messageOf(err) }));
        }
      }
      for await (const b of this.#o.content.list()) {
        if (blobs.has(b.digest)) continue;
        await this.#o.content.delete(b.digest);
        out.blobs++;
      }
    });
    if (out.snapshots || out.blobs) this.#o.log.info('collected unreferenced image data', out);
    return out;
  }

  /** Familiar tags (`busybox:latest`) of an image. */
  tagsOf(id: string): string[] {
    return this.#refs.all().filter((r) => r.id === id).map((r) => familiarString(parseReference(r.ref)));
  }

  async config(id: string): Promise<ImageConfigFile> {
    return JSON.parse((await this.#o.content.readAll(id)).toString('utf8')) as ImageConfigFile;
  }

  /** Tags an image; moves the tag if it pointed elsewhere. */
  tag(id: string, target: string): void {
    const ref = parseReference(target);
    if (ref.digest) throw new InvalidParameterError(`refusing to create a tag with a digest reference`);
    const full = fullString(withDefaultTag(ref));
    this.#refs.put(full, { ref: full, id });
    this.#o.events.publish({ Type: 'image', Action: 'tag', Actor: { ID: id, Attributes: { name: familiarString(withDefaultTag(ref)) } } });
  }

  /**
   * Unpacks one layer tar (plain, gzip or zstd) into a new committed snapshot on
   * top of `parentChain`; the uncompressed tar is kept as a blob (its digest is
   * the diffID) unless `keepTar` is false (a pulled layer keeps its compressed
   * blob instead). With `expectDiffId` a layer whose content hashes otherwise is
   * refused. Nothing half-made is left on failure.
   */
  async applyLayer(body: Readable, parentChain: string, o: { keepTar?: boolean; expectDiffId?: string } = {}): Promise<{ diffId: string; chainId: string; size: number }> {
    const x = await this.extractLayer(body, o);
    return { ...x, chainId: await this.commitLayer(x, parentChain) };
  }

  /**
   * The first half of applyLayer: unpacks into an active snapshot of its own (no
   * parent: a layer's upper dir does not depend on the ones below, so layers of
   * one pull unpack in parallel). `commitLayer` then puts it in its chain.
   */
  async extractLayer(body: Readable, o: { keepTar?: boolean; expectDiffId?: string } = {}): Promise<{ key: string; diffId: string; size: number }> {
    const key = `pier-extract-${Date.now()}-${Math.random().toString(16).slice(2)}`;
    await this.#o.snapshots.prepare(key, '');
    const keep = o.keepTar !== false;
    const writer = keep ? await this.#o.content.writer() : undefined;
    try {
      const dir = await this.#o.snapshots.dir(key);
      let blob: { digest: string; size: number };
      try {
        if (writer) {
          // The uncompressed tar is kept: each chunk goes to the content store on its way to the extractor.
          const tarBytes = (async function* (): AsyncGenerator<Buffer> {
            for await (const chunk of decompressed(body)) { writer.write(chunk); yield chunk; }
          })();
          await extractTar(tarBytes, dir, { whiteouts: 'overlay', idMap: this.#o.idMap, inflated: true });
          blob = await writer.commit();
        } else {
          blob = await unpackLayer(body, dir, { whiteouts: 'overlay', idMap: this.#o.idMap });
        }
      } finally {
        // A failed extraction stops reading: the rest of `body` is drained, so whoever feeds it
        // does not wait on it (a pull's download goes on to report a bad blob by its digest)
        // and a request body can still be answered (destroying it would drop the connection).
        if (!body.readableEnded && !body.destroyed) body.resume();
      }
      const mismatch = diffIdMismatch(blob.digest, o.expectDiffId);
      if (mismatch) {
        if (writer) await this.#o.content.delete(blob.digest).catch(() => undefined);
        throw mismatch;
      }
      return { key, diffId: blob.digest, size: blob.size };
    } catch (err) {
      await writer?.abort().catch(() => undefined);
      await this.#o.snapshots.remove(key).catch(() => undefined);
      throw err;
    }
  }

  /** Whether layers can unpack on the worker thread (extractLayerFile). */
  get unpacksOffThread(): boolean { return this.#o.unpacker !== undefined; }

  /** Starts the unpacking worker ahead of layers that will use it. */
  prestartUnpacker(): void { this.#o.unpacker?.prestart(); }

  /**
   * extractLayer for a compressed layer blob of `size` bytes behind `fd`, on the unpacking
   * worker: the file may still be downloading (the worker follows it). `signal` stops it.
   */
  async extractLayerFile(fd: number, size: number, o: { expectDiffId?: string; signal?: AbortSignal }): Promise<{ key: string; diffId: string; size: number }> {
    const unpacker = this.#o.unpacker;
    if (!unpacker) throw new Error('extractLayerFile: no unpacking worker');
    const key = `pier-extract-${Date.now()}-${Math.random().toString(16).slice(2)}`;
    await this.#o.snapshots.prepare(key, '');
    try {
      const dir = await this.#o.snapshots.dir(key);
      const blob = await unpacker.unpackFile(fd, size, dir, {
        whiteouts: 'overlay', ...(this.#o.idMap ? { idMapping: this.#o.idMap.mapping } : {}), ...(o.signal ? { signal: o.signal } : {}),
      });
      const mismatch = diffIdMismatch(blob.digest, o.expectDiffId);
      if (mismatch) throw mismatch;
      return { key, diffId: blob.digest, size: blob.size };
    } catch (err) {
      await this.#o.snapshots.remove(key).catch(() => undefined);
      throw err;
    }
  }

  /** Commits an extracted layer as the chain on top of `parentChain` (or drops it when that chain exists already). */
  async commitLayer(x: { key: string; diffId: string }, parentChain: string): Promise<string> {
    const chainId = parentChain ? chainIds([parentChain, x.diffId])[1] ?? x.diffId : x.diffId;
    const exists = (): Promise<boolean> => this.#o.snapshots.stat(chainId).then(() => true, () => false);
    try {
      if (await exists()) await this.#o.snapshots.remove(x.key); // already unpacked: share it
      else await this.#o.snapshots.commit(chainId, x.key, { parent: parentChain });
      return chainId;
    } catch (err) {
      await this.#o.snapshots.remove(x.key).catch(() => undefined);
      if (await exists()) return chainId; // a concurrent pull committed the same chain first
      throw err;
    }
  }

  /**
   * Docker's size of each layer: the bytes of its files (its snapshot walked once, then
   * remembered by chain ID), so `docker images` and `docker history` match dockerd's figures.
   */
  async #diskSizes(chains: readonly string[]): Promise<number[]> {
    if (!this.#diskSize) {
      this.#diskSize = new Map();
      for (const r of this.#images.all()) r.diskSizes?.forEach((n, i) => { const c = r.chainIds[i]; if (c) this.#diskSize?.set(c, n); });
    }
    const known = this.#diskSize;
    return Promise.all(chains.map(async (c) => {
      let n = known.get(c);
      if (n === undefined) {
        n = (await this.#o.snapshots.usage(c)).bytes;
        known.set(c, n);
      }
      return n;
    }));
  }

  /** Records an image from its config bytes (already-applied layers); returns the record. */
  async recordImage(configBytes: Buffer, layerSizes: number[], opts: { comment?: string; manifest?: ImageRecord['manifest']; layerBlobs?: ImageRecord['layerBlobs']; repoDigest?: string } = {}): Promise<ImageRecord> {
    const blob = await this.#o.content.ingest(configBytes);
    const cfg = JSON.parse(configBytes.toString('utf8')) as ImageConfigFile;
    const diffIds = cfg.rootfs.diff_ids;
    const chains = chainIds(diffIds);
    const diskSizes = await this.#diskSizes(chains);
    const rec: ImageRecord = {
      id: blob.digest,
      created: cfg.created ?? new Date().toISOString(),
      size: diskSizes.reduce((a, b) => a + b, 0),
      diffIds,
      chainIds: chains,
      layerSizes,
      diskSizes,
      parent: '',
      comment: opts.comment ?? '',
      repoDigests: opts.repoDigest ? [opts.repoDigest] : [],
      ...(opts.manifest ? { manifest: opts.manifest } : {}),
      ...(opts.layerBlobs ? { layerBlobs: opts.layerBlobs } : {}),
    };
    const existing = this.#images.get(rec.id);
    if (!existing) {
      this.#images.put(rec.id, rec);
      return rec;
    }
    // Known already (pulled again, or from another registry): add what is new.
    const merged: ImageRecord = {
      ...existing,
      repoDigests: [...new Set([...existing.repoDigests, ...rec.repoDigests])],
      ...(!existing.manifest && rec.manifest ? { manifest: rec.manifest } : {}),
      ...(!existing.layerBlobs && rec.layerBlobs ? { layerBlobs: rec.layerBlobs } : {}),
    };
    this.#images.put(rec.id, merged);
    return merged;
  }

  /**
   * `docker pull`: resolves the reference at its registry (errors here, before
   * any progress, are the API's HTTP errors); `run` then pulls with progress.
   */
  pull(ref: Reference, o: { platform?: string; auth?: RegistryAuth; signal?: AbortSignal } = {}): Promise<{ run: (send: ProgressSink) => Promise<ImageRecord> }> {
    return new Puller(this).resolve(ref, { ...o, insecureRegistries: this.#o.insecureRegistries ?? [], registryMirrors: this.#o.registryMirrors ?? [] })
      .then((p) => ({ run: (send: ProgressSink) => this.writing(() => p.run(send)) }));
  }

  /** `docker push` of one tag; returns the manifest digest. Progress to `send`. */
  push(ref: Reference, send: ProgressSink, o: { auth?: RegistryAuth; signal?: AbortSignal } = {}): Promise<string> {
    // A push writes compressed layers and the manifest into the content store and names them in the record.
    return this.writing(() => new Pusher(this).push(ref, { ...o, insecureRegistries: this.#o.insecureRegistries ?? [] }, send));
  }

  /** Local tags of a repository (`docker push` without a tag pushes them all). */
  localTags(ref: Reference): string[] {
    const prefix = `${ref.domain}/${ref.path}:`;
    return this.#refs.all().map((r) => r.ref).filter((r) => r.startsWith(prefix)).map((r) => r.slice(prefix.length));
  }

  /** `docker login`'s check of credentials against a registry host (`docker.io` for Docker Hub). */
  async login(domain: string, auth: RegistryAuth): Promise<void> {
    await new RegistryClient({ domain, insecure: isInsecureRegistry(domain, this.#o.insecureRegistries ?? []), auth }).login();
  }

  /** The tags of a repository at its registry (`docker pull -a`). */
  async remoteTags(ref: Reference, auth?: RegistryAuth): Promise<string[]> {
    const c = new RegistryClient({ domain: ref.domain, insecure: isInsecureRegistry(ref.domain, this.#o.insecureRegistries ?? []), ...(auth ? { auth } : {}) });
    return c.listTags(ref.path);
  }

  /**
   * `docker save`: an archive stream of the named images. With `platform`, an image of another
   * platform is refused before anything is sent, as dockerd does.
   */
  async save(names: readonly string[], o: { platform?: Platform } = {}): Promise<Readable> {
    const picked = pickImages(this, names);
    if (o.platform) {
      for (const p of picked) {
        const cfg = await this.config(p.img.id);
        if (!platformMatches(cfg, o.platform)) throw platformMismatch(p.name, cfg, o.platform);
      }
    }
    return saveImages(this, picked);
  }

  /** `docker load`: the lines docker prints (`Loaded image: …`). With `platform`, images of other platforms are skipped. */
  load(body: Readable, o: { platform?: Platform } = {}): Promise<string[]> {
    return this.writing(() => loadImages(this, body, this.#o.tmpRoot ?? join(tmpdir(), 'pier-load'), o));
  }

  /** `docker commit`. */
  commit(r: CommitRequest): Promise<ImageRecord> {
    return this.writing(() => commitContainer(this, r));
  }

  /** Remembers that `repo` (`domain/path`) has the blob (pulled from or pushed there). */
  noteBlobSource(digest: string, repo: string): void {
    const cur = this.#sources.get(digest);
    if (cur?.repos.includes(repo)) return;
    this.#sources.put(digest, { digest, repos: [...(cur?.repos ?? []).slice(-15), repo] });
  }

  /** Repositories known to hold the blob. */
  blobSources(digest: string): string[] {
    return this.#sources.get(digest)?.repos ?? [];
  }

  /** Saves changed metadata of a known image (repo digests after a push …). */
  update(rec: ImageRecord): void {
    if (this.#images.get(rec.id)) this.#images.put(rec.id, rec);
  }

  /** The content store and snapshotter, for pull and push (images/puller.ts, pusher.ts). */
  get content(): ContentStore { return this.#o.content; }
  get snapshots(): Snapshotter { return this.#o.snapshots; }
  get events(): EventBus { return this.#o.events; }
  get log(): Logger { return this.#o.log; }
  /** The daemon's `--userns-remap` ids, when on. */
  get idMap(): IdMapper | undefined { return this.#o.idMap; }

  /** `docker import`: a rootfs tar becomes a one-layer image. */
  importRootfs(body: Readable, o: { repo?: string; tag?: string; message?: string; changes?: Partial<NonNullable<ImageConfigFile['config']>>; platform?: string }): Promise<ImageRecord> {
    return this.writing(() => this.#importRootfs(body, o));
  }

  async #importRootfs(body: Readable, o: { repo?: string; tag?: string; message?: string; changes?: Partial<NonNullable<ImageConfigFile['config']>>; platform?: string }): Promise<ImageRecord> {
    let target: string | undefined;
    if (o.repo) {
      const ref = parseReference(o.tag ? `${o.repo}:${o.tag}` : o.repo);
      target = fullString(withDefaultTag(ref));
    }
    const layer = await this.applyLayer(body, '');
    const created = new Date().toISOString();
    const cfg: ImageConfigFile = {
      architecture: 'amd64', os: 'linux', created,
      config: { ...(o.changes ?? {}) },
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      history: [{ created, created_by: '', comment: o.message || 'Imported from -' }],
    };
    const rec = await this.recordImage(Buffer.from(JSON.stringify(cfg)), [layer.size], { comment: o.message ?? '' });
    if (target) this.tag(rec.id, target);
    this.#o.events.publish({ Type: 'image', Action: 'import', Actor: { ID: rec.id, Attributes: target ? { name: familiarString(parseReference(target)) } : {} } });
    return rec;
  }

  /** Makes `busybox:latest` from the host's busybox-static when it is missing (no network needed). */
  async ensureBusybox(): Promise<void> {
    if (this.tryResolve('busybox:latest')) return;
    await this.writing(() => this.#makeBusybox());
  }

  async #makeBusybox(): Promise<void> {
    const layer = await buildBusyboxLayer();
    const applied = await this.applyLayer(Readable.from([layer.tar]), '');
    const cfg = busyboxImageConfig(applied.diffId as `sha256:${string}`, { created: '2024-01-01T00:00:00Z' });
    const rec = await this.recordImage(cfg, [applied.size]);
    this.#refs.put('docker.io/library/busybox:latest', { ref: 'docker.io/library/busybox:latest', id: rec.id });
    this.#o.log.info('created busybox:latest from the host busybox-static', { image: rec.id });
  }

  /**
   * `docker rmi`: untags a reference; deletes the image when no tag is left
   * and no container uses it. ConflictError with docker's wording otherwise.
   */
  async remove(nameOrId: string, o: { force: boolean; prune: boolean }): Promise<DeleteResponseItem[]> {
    const img = this.resolve(nameOrId);
    const out: DeleteResponseItem[] = [];
    const refs = this.#refs.all().filter((r) => r.id === img.id);
    const users = this.#o.containersUsing(img.id);
    const byId = img.id === nameOrId || img.id.slice(7).startsWith(nameOrId.replace(/^sha256:/, ''));
    let matchRef: RefRecord | undefined;
    if (!byId) {
      try {
        const full = fullString(withDefaultTag(parseReference(nameOrId)));
        matchRef = refs.find((r) => r.ref === full);
      } catch { /* an id prefix */ }
    }
    if (matchRef && (refs.length > 1 || (users.length === 0) || o.force)) {
      // Untag only; delete below if nothing else holds it.
      this.#refs.delete(matchRef.ref);
      const fam = familiarString(parseReference(matchRef.ref));
      out.push({ Untagged: fam });
      this.#o.events.publish({ Type: 'image', Action: 'untag', Actor: { ID: img.id, Attributes: { name: fam } } });
      if (refs.length > 1) return out;
    } else if (!matchRef) {
      if (refs.length > 1 && !o.force) {
        throw new ConflictError(`conflict: unable to delete ${img.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);
      }
    }
    if (users.length > 0) {
      const running = users.find((u) => u.running);
      if (running && (!o.force || true)) {
        if (out.length > 0) return out; // the tag went, the image stays for its containers
        throw new ConflictError(`conflict: unable to delete ${img.id.slice(7, 19)} (cannot be forced) - image is being used by running container ${running.id.slice(0, 12)}`);
      }
      if (!o.force) {
        if (out.length > 0) return out;
        throw new ConflictError(`conflict: unable to delete ${img.id.slice(7, 19)} (must be forced) - image is being used by stopped container ${users[0]?.id.slice(0, 12)}`);
      }
      if (out.length > 0) return out;
    }
    if (this.children(img.id).length > 0) {
      if (out.length > 0) return out; // untagged; the image stays for the images built on it
      throw new ConflictError(`conflict: unable to delete ${img.id.slice(7, 19)} (cannot be forced) - image has dependent child images`);
    }
    await this.#deleteImage(img, out);
    if (o.prune) await this.#pruneParents(img.parent, out);
    return out;
  }

  /** Images whose parent is `id` (a build's next step). */
  children(id: string): ImageRecord[] {
    return this.#images.all().filter((i) => i.parent === id);
  }

  /** Deletes the untagged, childless, unused parents a deleted image leaves (a build's intermediate images). */
  async #pruneParents(parentId: string, out: DeleteResponseItem[]): Promise<number> {
    let freed = 0;
    for (let id = parentId; id;) {
      const p = this.#images.get(id);
      if (!p || this.tagsOf(p.id).length > 0 || this.children(p.id).length > 0 || this.#o.containersUsing(p.id).length > 0) break;
      freed += await this.#deleteImage(p, out);
      id = p.parent;
    }
    return freed;
  }

  /** Untags every reference of `img`, deletes it and frees what nothing else uses; returns the bytes of layers freed. */
  async #deleteImage(img: ImageRecord, out: DeleteResponseItem[]): Promise<number> {
    for (const r of this.#refs.all().filter((x) => x.id === img.id)) {
      this.#refs.delete(r.ref);
      const fam = familiarString(parseReference(r.ref));
      out.push({ Untagged: fam });
      this.#o.events.publish({ Type: 'image', Action: 'untag', Actor: { ID: img.id, Attributes: { name: fam } } });
    }
    this.#images.delete(img.id);
    out.push({ Deleted: img.id });
    this.#o.events.publish({ Type: 'image', Action: 'delete', Actor: { ID: img.id, Attributes: {} } });
    return this.#releaseLayers(img);
  }

  /**
   * Removes snapshots and layer blobs that no remaining image uses (top down), or, while
   * an image-making operation runs, leaves them to collectGarbage(); returns the bytes freed.
   */
  async #releaseLayers(img: ImageRecord): Promise<number> {
    let freed = 0;
    const now = await this.#exclusiveDelete(async () => { freed = await this.#releaseLayersNow(img); });
    if (!now) {
      // Deferred: count what goes once the writers are done (the layers no other image uses).
      const used = new Set(this.#images.all().flatMap((i) => i.chainIds));
      for (let i = img.chainIds.length - 1; i >= 0 && !used.has(img.chainIds[i] ?? ''); i--) freed += (img.diskSizes ?? img.layerSizes)[i] ?? 0;
    }
    return freed;
  }

  async #releaseLayersNow(img: ImageRecord): Promise<number> {
    let freed = 0;
    const used = new Set<string>();
    for (const other of this.#images.all()) for (const c of other.chainIds) used.add(c);
    const usedDiffs = new Set<string>();
    for (const other of this.#images.all()) for (const d of other.diffIds) usedDiffs.add(d);
    for (let i = img.chainIds.length - 1; i >= 0; i--) {
      const c = img.chainIds[i];
      if (c === undefined || used.has(c)) break;
      try {
        await this.#o.snapshots.remove(c);
        freed += (img.diskSizes ?? img.layerSizes)[i] ?? 0;
        this.#diskSize?.delete(c);
      } catch (err) {
        this.#o.log.warn('layer snapshot kept', { snapshot: c, err });
        break;
      }
    }
    for (const d of img.diffIds) if (!usedDiffs.has(d)) await this.#o.content.delete(d);
    const usedBlobs = new Set<string>();
    for (const other of this.#images.all()) {
      for (const b of other.layerBlobs ?? []) usedBlobs.add(b.digest);
      if (other.manifest) usedBlobs.add(other.manifest.digest);
    }
    for (const b of [...(img.layerBlobs ?? []), ...(img.manifest ? [img.manifest] : [])]) {
      if (!usedBlobs.has(b.digest)) await this.#o.content.delete(b.digest);
    }
    // The config last: an image is whole until its record goes, and its config is read until then.
    if (!this.#images.get(img.id)) await this.#o.content.delete(img.id);
    return freed;
  }

  /**
   * `docker image prune`: dangling images (no tag), or with `all` every image no
   * container uses; `keep` filters out images (until / label filters).
   */
  async prune(o: { all: boolean; keep?: (img: ImageRecord) => boolean }): Promise<{ deleted: DeleteResponseItem[]; reclaimed: number }> {
    const deleted: DeleteResponseItem[] = [];
    let reclaimed = 0;
    for (const img of this.#images.all()) {
      if (!this.#images.get(img.id)) continue; // deleted above as a parent
      if (this.#o.containersUsing(img.id).length > 0) continue;
      if (this.children(img.id).length > 0) continue; // a parent goes with its last child
      const refs = this.#refs.all().filter((r) => r.id === img.id);
      if (!o.all && refs.length > 0) continue;
      if (o.keep?.(img)) continue;
      reclaimed += await this.#deleteImage(img, deleted);
      reclaimed += await this.#pruneParents(img.parent, deleted);
    }
    this.#o.events.publish({ Type: 'image', Action: 'prune', Actor: { ID: '', Attributes: { reclaimed: String(reclaimed) } } });
    return { deleted, reclaimed };
  }

  /** The committed snapshot (chain ID) a container's rootfs sits on, '' for an image with no layers. */
  topLayer(img: ImageRecord): string {
    return img.chainIds[img.chainIds.length - 1] ?? '';
  }
}

/** dockerd's refusal of a layer whose tar does not hash to the diff ID its image config names. */
function diffIdMismatch(digest: string, expected: string | undefined): InvalidParameterError | undefined {
  if (!expected || digest === expected) return undefined;
  return new InvalidParameterError(`failed to register layer: layer digest ${digest} does not match the image config's diff ID ${expected}`);
}
