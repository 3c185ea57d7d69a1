/**
 * `docker save` and `docker load`: the docker-archive format as docker 25+
 * writes it — an OCI image layout (oci-layout, index.json, blobs/sha256/…, layers
 * as plain tars named by their diff ID) plus docker's manifest.json and
 * repositories — and, on load, that, the older `<id>/layer.tar` archives, or a
 * bare OCI layout (layers possibly compressed). Several images per archive.
 */
import { platformMatches, type Platform } from './platform.js';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { InvalidParameterError, NotFoundError } from '../errdefs/index.js';
import { decompressed, extractTar } from '../pkg/archive/index.js';
import { HEAP_CHUNK } from '../pkg/streams/index.js';
import { familiarName, familiarString, fullString, parseReference, withDefaultTag } from '../pkg/reference/index.js';
import { chainIds, type ImageConfigFile, type ImageRecord, type ImageService } from './image-service.js';

const hex = (d: string): string => d.replace(/^sha256:/, '');

/** Streams an archive of the named images (names or IDs); NotFoundError before any byte. */
/** An image `save` writes, its tags, and the name it was asked for (for messages). */
export interface PickedImage { img: ImageRecord; tags: string[]; name: string }

/** The images `names` stand for, each once with all its asked-for tags (NotFoundError for an unknown one). */
export function pickImages(images: ImageService, names: readonly string[]): PickedImage[] {
  const picked: PickedImage[] = [];
  const add = (img: ImageRecord, tags: string[], name: string): void => {
    const prev = picked.find((p) => p.img.id === img.id);
    if (prev) prev.tags.push(...tags.filter((t) => !prev.tags.includes(t)));
    else picked.push({ img, tags, name });
  };
  for (const n of names) {
    // A bare repository name saves every tag of that repository (each image it names), as docker does.
    if (!/^(sha256:)?[0-9a-f]{6,64}$/.test(n)) {
      let ref;
      try { ref = parseReference(n); } catch { ref = undefined; }
      if (ref && ref.tag === undefined && ref.digest === undefined) {
        const repo = familiarName(ref);
        let found = false;
        for (const img of images.list()) {
          const tags = images.tagsOf(img.id).filter((t) => t.startsWith(`${repo}:`));
          if (tags.length) { add(img, tags, n); found = true; }
        }
        if (found) continue;
      }
    }
    const img = images.resolve(n);
    let tags: string[] = [];
    if (!/^(sha256:)?[0-9a-f]{6,64}$/.test(n)) {
      const ref = parseReference(n);
      // A bare repository name saves every tag of it that names this image, as docker does.
      tags = ref.tag === undefined && ref.digest === undefined
        ? images.tagsOf(img.id).filter((t) => t.startsWith(`${familiarName(ref)}:`))
        : ref.digest === undefined ? [familiarString(withDefaultTag(ref))] : [];
    }
    add(img, tags, n);
  }
  return picked;
}

/** The docker-archive (with an OCI layout beside it) of the picked images, streamed. */
export function saveImages(images: ImageService, picked: readonly PickedImage[]): Readable {
  const out = new PassThrough();
  const p = pack();
  p.pipe(out);
  void (async () => {
    const written = new Set<string>();
    const entry = (name: string, body: Buffer): Promise<void> => new Promise((res, rej) => {
      p.entry({ name, mode: 0o644, mtime: new Date(0) }, body, (e) => (e ? rej(e) : res()));
    });
    const dir = (name: string): Promise<void> => new Promise((res, rej) => {
      p.entry({ name, type: 'directory', mode: 0o755, mtime: new Date(0) }, (e) => (e ? rej(e) : res()));
    });
    await dir('blobs/');
    await dir('blobs/sha256/');
    const manifestJson: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
    const index: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const { img, tags } of picked) {
      const cfg = await images.content.readAll(img.id);
      if (!written.has(img.id)) { await entry(`blobs/sha256/${hex(img.id)}`, cfg); written.add(img.id); }
      const layers: { mediaType: string; digest: string; size: number }[] = [];
      for (let i = 0; i < img.diffIds.length; i++) {
        const d = img.diffIds[i] ?? '';
        const size = img.layerSizes[i] ?? 0;
        layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d, size });
        if (written.has(d)) continue;
        written.add(d);
        const src = await layerTar(images, img, i);
        await new Promise<void>((res, rej) => {
          const e = p.entry({ name: `blobs/sha256/${hex(d)}`, size, mode: 0o644, mtime: new Date(0) }, (err) => (err ? rej(err) : res()));
          src.on('error', (err) => e.destroy(err));
          src.pipe(e);
        });
      }
      const m = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: img.id, size: cfg.length }, layers,
      }));
      const md = `sha256:${createHash('sha256').update(m).digest('hex')}`;
      if (!written.has(md)) { await entry(`blobs/sha256/${hex(md)}`, m); written.add(md); }
      const refs = tags.length ? tags : [undefined];
      for (const t of refs) {
        index.push({
          mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: md, size: m.length,
          ...(t ? { annotations: { 'io.containerd.image.name': fullString(parseReference(t)), 'org.opencontainers.image.ref.name': withDefaultTag(parseReference(t)).tag ?? 'latest' } } : {}),
        });
        if (t) {
          const r = withDefaultTag(parseReference(t));
          const repo = familiarString({ domain: r.domain, path: r.path });
          (repositories[repo] ??= {})[r.tag ?? 'latest'] = hex(img.diffIds[img.diffIds.length - 1] ?? img.id);
        }
      }
      manifestJson.push({ Config: `blobs/sha256/${hex(img.id)}`, RepoTags: tags.length ? tags : null, Layers: img.diffIds.map((d) => `blobs/sha256/${hex(d)}`) });
    }
    await entry('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: index })));
    await entry('manifest.json', Buffer.from(JSON.stringify(manifestJson)));
    await entry('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    if (Object.keys(repositories).length) await entry('repositories', Buffer.from(JSON.stringify(repositories)));
    p.finalize();
  })().catch((err: unknown) => { p.destroy(err instanceof Error ? err : new Error(String(err))); out.destroy(err instanceof Error ? err : new Error(String(err))); });
  return out;
}

/** The plain tar of layer i: its kept tar blob, else its compressed blob decompressed. */
async function layerTar(images: ImageService, img: ImageRecord, i: number): Promise<Readable> {
  const d = img.diffIds[i] ?? '';
  if (await images.content.info(d).then(() => true, () => false)) return images.content.read(d);
  const candidates = [img, ...images.list()];
  for (const c of candidates) {
    const j = c.diffIds.indexOf(d);
    const b = j >= 0 ? c.layerBlobs?.[j] : undefined;
    if (b && (await images.content.info(b.digest).then(() => true, () => false))) {
      return Readable.from(decompressed(await images.content.read(b.digest)));
    }
  }
  throw new NotFoundError(`layer ${d} of image ${img.id} is not in the content store`);
}

/**
 * Loads an archive from `body`: unpacked (safely) into a private temp dir first,
 * since manifest.json may come last. Returns what docker prints per image.
 */
export async function loadImages(images: ImageService, body: Readable, tmpRoot: string, o: { platform?: Platform } = {}): Promise<string[]> {
  await mkdir(tmpRoot, { recursive: true });
  const dir = await mkdtemp(join(tmpRoot, 'load-'));
  try {
    await extractTar(body, dir, { whiteouts: 'literal' });
    const inside = (p: string): string => {
      const full = resolve(dir, p);
      if (full !== dir && !full.startsWith(dir + sep)) throw new InvalidParameterError(`invalid archive: ${p} points outside it`);
      return full;
    };
    const read = async (p: string): Promise<Buffer | undefined> => readFile(inside(p)).catch(() => undefined);
    const out: string[] = [];
    const manifest = await read('manifest.json');
    if (manifest) {
      const entries = archiveManifest(manifest);
      for (const e of entries) {
        const cfgBytes = await read(e.Config);
        if (!cfgBytes) throw new InvalidParameterError(`invalid archive: ${e.Config} is missing`);
        if (!wanted(cfgBytes, o.platform)) continue;
        const rec = await loadOne(images, cfgBytes, e.Layers.map((l) => inside(l)));
        out.push(...tagLoaded(images, rec, e.RepoTags ?? []));
      }
      return out;
    }
    const idx = await read('index.json');
    if (!idx) throw new InvalidParameterError('invalid archive: neither manifest.json nor index.json found');
    const index = archiveJson(idx, 'index.json') as { manifests?: unknown };
    if (index.manifests !== undefined && index.manifests !== null && !Array.isArray(index.manifests)) throw new InvalidParameterError('invalid archive: index.json manifests is not a list');
    for (const d of (index.manifests ?? []) as { digest: string; annotations?: Record<string, string> }[]) {
      if (!d || typeof d.digest !== 'string') throw new InvalidParameterError('invalid archive: an index.json manifest has no digest');
      const mb = await read(`blobs/sha256/${hex(d.digest)}`);
      if (!mb) throw new InvalidParameterError(`invalid archive: manifest ${d.digest} is missing`);
      const m = archiveJson(mb, `manifest ${d.digest}`) as { config?: { digest: string }; layers?: { digest: string }[] };
      if (!m.config) continue; // a nested index: not followed
      if (typeof m.config.digest !== 'string' || (m.layers !== undefined && (!Array.isArray(m.layers) || m.layers.some((l) => typeof l?.digest !== 'string')))) {
        throw new InvalidParameterError(`invalid archive: manifest ${d.digest} is malformed`);
      }
      const cfgBytes = await read(`blobs/sha256/${hex(m.config.digest)}`);
      if (!cfgBytes) throw new InvalidParameterError(`invalid archive: config ${m.config.digest} is missing`);
      if (!wanted(cfgBytes, o.platform)) continue;
      const rec = await loadOne(images, cfgBytes, (m.layers ?? []).map((l) => inside(`blobs/sha256/${hex(l.digest)}`)));
      const name = d.annotations?.['io.containerd.image.name'];
      out.push(...tagLoaded(images, rec, name ? [name] : []));
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Untrusted JSON from an archive: an object, or the archive is invalid (400, never a 500). */
function archiveJson(bytes: Buffer, what: string): Record<string, unknown> {
  let v: unknown;
  try { v = JSON.parse(bytes.toString('utf8')); } catch (err) {
    throw new InvalidParameterError(`invalid archive: ${what} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InvalidParameterError(`invalid archive: ${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

/** docker save's manifest.json: a list of { Config, RepoTags, Layers }, checked field by field. */
export function archiveManifest(bytes: Buffer): { Config: string; RepoTags: string[]; Layers: string[] }[] {
  let v: unknown;
  try { v = JSON.parse(bytes.toString('utf8')); } catch (err) {
    throw new InvalidParameterError(`invalid archive: manifest.json is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(v)) throw new InvalidParameterError('invalid archive: manifest.json is not a list');
  return v.map((e: unknown) => {
    const o = (e ?? {}) as Record<string, unknown>;
    const strs = (x: unknown): x is string[] => Array.isArray(x) && x.every((y) => typeof y === 'string');
    if (typeof e !== 'object' || e === null || typeof o['Config'] !== 'string' || !strs(o['Layers']) || (o['RepoTags'] != null && !strs(o['RepoTags']))) {
      throw new InvalidParameterError('invalid archive: a manifest.json entry needs Config (a string), Layers and RepoTags (lists of strings)');
    }
    return { Config: o['Config'], Layers: o['Layers'], RepoTags: (o['RepoTags'] ?? []) as string[] };
  });
}

/** `load --platform`: an image of another platform is skipped, as dockerd skips it. */
function wanted(cfgBytes: Buffer, platform: Platform | undefined): boolean {
  if (!platform) return true;
  let cfg: { os?: string; architecture?: string; variant?: string };
  try { cfg = JSON.parse(cfgBytes.toString('utf8')) as typeof cfg; } catch { throw new InvalidParameterError('invalid archive: an image config is not JSON'); }
  return platformMatches(cfg, platform);
}

async function loadOne(images: ImageService, cfgBytes: Buffer, layerFiles: string[]): Promise<ImageRecord> {
  const cfg = archiveJson(cfgBytes, 'an image config') as unknown as ImageConfigFile;
  if (!cfg.rootfs || typeof cfg.rootfs !== 'object') throw new InvalidParameterError('invalid archive: an image config has no rootfs');
  const diffIds = cfg.rootfs.diff_ids ?? [];
  if (!Array.isArray(diffIds) || diffIds.some((d) => typeof d !== 'string')) throw new InvalidParameterError('invalid archive: an image config has malformed rootfs.diff_ids');
  if (diffIds.length !== layerFiles.length) throw new InvalidParameterError(`invalid archive: the config names ${diffIds.length} layers, the archive ${layerFiles.length}`);
  const chains = chainIds(diffIds);
  const sizes: number[] = [];
  for (let i = 0; i < layerFiles.length; i++) {
    const chain = chains[i] ?? '';
    if (await images.snapshots.stat(chain).then(() => true, () => false)) {
      const owner = images.list().find((x) => x.chainIds[i] === chain);
      sizes.push(owner?.layerSizes[i] ?? 0);
      continue;
    }
    const applied = await images.applyLayer(createReadStream(layerFiles[i] ?? '', { highWaterMark: HEAP_CHUNK }), chains[i - 1] ?? '', { expectDiffId: diffIds[i] ?? '' });
    sizes.push(applied.size);
  }
  return images.recordImage(cfgBytes, sizes);
}

function tagLoaded(images: ImageService, rec: ImageRecord, tags: readonly string[]): string[] {
  const out: string[] = [];
  for (const t of tags) {
    const r = withDefaultTag(parseReference(t));
    images.tag(rec.id, fullString(r));
    out.push(`Loaded image: ${familiarString(r)}`);
  }
  if (tags.length === 0) out.push(`Loaded image ID: ${rec.id}`);
  images.events.publish({ Type: 'image', Action: 'load', Actor: { ID: rec.id, Attributes: tags[0] ? { name: familiarString(withDefaultTag(parseReference(tags[0]))) } : {} } });
  return out;
}
