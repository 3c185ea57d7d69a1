import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { ConflictError, InvalidParameterError, NotFoundError } from '../errdefs/index.js';
import type { Store, Table } from '../store/index.js';
import type { ContentStore } from '../content/index.js';
import type { Snapshotter } from '../snapshots/index.js';
import type { EventBus } from '../events/index.js';
import type { Logger } from '../pkg/log/index.js';
import { extractTar } from '../pkg/archive/index.js';
import { parseReference, withDefaultTag, familiarString, fullString, type Reference } from '../pkg/reference/index.js';
import { buildBusyboxLayer, busyboxImageConfig } from './busybox-layer.js';

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
  /** Unpacked size of all layers, bytes. */
  size: number;
  diffIds: string[];
  chainIds: string[];
  /** Per-layer unpacked sizes. */
  layerSizes: number[];
  parent: string;
  comment: string;
  repoDigests: string[];
}

interface RefRecord { ref: string; id: string }

export interface DeleteResponseItem { Untagged?: string; Deleted?: string }

export interface ImageServiceOptions {
  store: Store;
  content: ContentStore;
  snapshots: Snapshotter;
  events: EventBus;
  log: Logger;
  /** Containers using an image (wired by the daemon; images knows nothing of containers). */
  containersUsing: (imageId: string) => { id: string; running: boolean }[];
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

/** Passes a tar through, gunzipping it first when it starts with gzip's magic bytes. */
async function* maybeGunzip(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = src[Symbol.asyncIterator]();
  const head = await it.next();
  if (head.done) return;
  const rest = (async function* (): AsyncGenerator<Buffer> {
    yield head.value;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
  })();
  if (head.value[0] !== 0x1f || head.value[1] !== 0x8b) {
    yield* rest;
    return;
  }
  const gz = createGunzip();
  const feeding = pipeline(Readable.from(rest), gz);
  for await (const chunk of gz) yield chunk as Buffer;
  await feeding;
}

export class ImageService {
  readonly #o: ImageServiceOptions;
  readonly #images: Table<ImageRecord>;
  readonly #refs: Table<RefRecord>;

  constructor(o: ImageServiceOptions) {
    this.#o = o;
    this.#images = o.store.table<ImageRecord>('images');
    this.#refs = o.store.table<RefRecord>('image_refs');
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
   * Unpacks one layer tar (gzip or plain) into a new committed snapshot on top
   * of `parentChain`; the uncompressed tar is kept as a blob (its digest is the
   * diffID). Nothing half-made is left on failure.
   */
  async #applyLayer(body: Readable, parentChain: string): Promise<{ diffId: string; chainId: string; size: number }> {
    const key = `pier-extract-${Date.now()}-${Math.random().toString(16).slice(2)}`;
    await this.#o.snapshots.prepare(key, parentChain);
    const writer = await this.#o.content.writer();
    try {
      const dir = await this.#o.snapshots.dir(key);
      const tee = new Transform({
        transform(chunk: Buffer, _enc, cb) { writer.write(chunk); cb(null, chunk); },
      });
      const extracting = extractTar(tee, dir, { whiteouts: 'overlay' });
      await Promise.all([pipeline(body, maybeGunzip, tee), extracting]);
      const blob = await writer.commit();
      const parentRec = parentChain;
      const chainId = parentRec ? chainIds([parentRec, blob.digest])[1] ?? blob.digest : blob.digest;
      try {
        await this.#o.snapshots.stat(chainId);
        await this.#o.snapshots.remove(key); // already unpacked: share it
      } catch {
        await this.#o.snapshots.commit(chainId, key);
      }
      return { diffId: blob.digest, chainId, size: blob.size };
    } catch (err) {
      await writer.abort().catch(() => undefined);
      await this.#o.snapshots.remove(key).catch(() => undefined);
      throw err;
    }
  }

  /** Records an image from its config bytes (already-applied layers); returns the record. */
  async #record(configBytes: Buffer, layerSizes: number[], opts: { comment?: string } = {}): Promise<ImageRecord> {
    const blob = await this.#o.content.ingest(configBytes);
    const cfg = JSON.parse(configBytes.toString('utf8')) as ImageConfigFile;
    const diffIds = cfg.rootfs.diff_ids;
    const rec: ImageRecord = {
      id: blob.digest,
      created: cfg.created ?? new Date().toISOString(),
      size: layerSizes.reduce((a, b) => a + b, 0),
      diffIds,
      chainIds: chainIds(diffIds),
      layerSizes,
      parent: '',
      comment: opts.comment ?? '',
      repoDigests: [],
    };
    const existing = this.#images.get(rec.id);
    if (!existing) this.#images.put(rec.id, rec);
    return existing ?? rec;
  }

  /** `docker import`: a rootfs tar becomes a one-layer image. */
  async importRootfs(body: Readable, o: { repo?: string; tag?: string; message?: string; changes?: Partial<NonNullable<ImageConfigFile['config']>>; platform?: string }): Promise<ImageRecord> {
    let target: string | undefined;
    if (o.repo) {
      const ref = parseReference(o.tag ? `${o.repo}:${o.tag}` : o.repo);
      target = fullString(withDefaultTag(ref));
    }
    const layer = await this.#applyLayer(body, '');
    const created = new Date().toISOString();
    const cfg: ImageConfigFile = {
      architecture: 'amd64', os: 'linux', created,
      config: { ...(o.changes ?? {}) },
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      history: [{ created, created_by: '', comment: o.message || 'Imported from -' }],
    };
    const rec = await this.#record(Buffer.from(JSON.stringify(cfg)), [layer.size], { comment: o.message ?? '' });
    if (target) this.tag(rec.id, target);
    this.#o.events.publish({ Type: 'image', Action: 'import', Actor: { ID: rec.id, Attributes: target ? { name: familiarString(parseReference(target)) } : {} } });
    return rec;
  }

  /** Makes `busybox:latest` from the host's busybox-static when it is missing (no network needed). */
  async ensureBusybox(): Promise<void> {
    if (this.tryResolve('busybox:latest')) return;
    const layer = await buildBusyboxLayer();
    const applied = await this.#applyLayer(Readable.from([layer.tar]), '');
    const cfg = busyboxImageConfig(applied.diffId as `sha256:${string}`, { created: '2024-01-01T00:00:00Z' });
    const rec = await this.#record(cfg, [applied.size]);
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
    for (const r of this.#refs.all().filter((x) => x.id === img.id)) {
      this.#refs.delete(r.ref);
      const fam = familiarString(parseReference(r.ref));
      out.push({ Untagged: fam });
      this.#o.events.publish({ Type: 'image', Action: 'untag', Actor: { ID: img.id, Attributes: { name: fam } } });
    }
    this.#images.delete(img.id);
    out.push({ Deleted: img.id });
    this.#o.events.publish({ Type: 'image', Action: 'delete', Actor: { ID: img.id, Attributes: {} } });
    await this.#releaseLayers(img);
    await this.#o.content.delete(img.id);
    return out;
  }

  /** Removes snapshots and layer blobs that no remaining image uses (top down). */
  async #releaseLayers(img: ImageRecord): Promise<void> {
    const used = new Set<string>();
    for (const other of this.#images.all()) for (const c of other.chainIds) used.add(c);
    const usedDiffs = new Set<string>();
    for (const other of this.#images.all()) for (const d of other.diffIds) usedDiffs.add(d);
    for (let i = img.chainIds.length - 1; i >= 0; i--) {
      const c = img.chainIds[i];
      if (c === undefined || used.has(c)) break;
      try {
        await this.#o.snapshots.remove(c);
      } catch (err) {
        this.#o.log.warn('layer snapshot kept', { snapshot: c, err });
        break;
      }
    }
    for (const d of img.diffIds) if (!usedDiffs.has(d)) await this.#o.content.delete(d);
  }

  /** The committed snapshot (chain ID) a container's rootfs sits on, '' for an image with no layers. */
  topLayer(img: ImageRecord): string {
    return img.chainIds[img.chainIds.length - 1] ?? '';
  }
}
