/**
 * `docker push`: every layer of the image goes up as a compressed blob (the one
 * it was pulled as, or gzip made once from its tar and kept), then the config,
 * then the manifest under the tag. Blobs the registry has are skipped; up to
 * five layers go up at once (dockerd's max-concurrent-uploads). Progress goes
 * out as dockerd's JSON messages.
 */
import { createRequire } from 'node:module';
import { pipeline } from 'node:stream/promises';
import { InvalidParameterError, NotFoundError } from '../errdefs/index.js';
import {
  RegistryClient, isInsecureRegistry, DOCKER_CONFIG, DOCKER_LAYER_GZIP, DOCKER_MANIFEST,
  type ImageManifest, type RegistryAuth,
} from '../distribution/index.js';
import { familiarName, fullString, type Reference } from '../pkg/reference/index.js';
import type { ImageRecord, ImageService } from './image-service.js';
import { byteProgress, layerStatus, shortId, type ProgressSink } from './progress.js';

// node:zlib on the first push that compresses, not with the daemon (~0.4 MB of RSS idle).
const nodeRequire = createRequire(import.meta.url);

export interface PushOptions {
  auth?: RegistryAuth;
  insecureRegistries: readonly string[];
  signal?: AbortSignal;
}

const MAX_CONCURRENT_UPLOADS = 5;

type LayerBlob = NonNullable<ImageRecord['layerBlobs']>[number];

export class Pusher {
  readonly #images: ImageService;

  constructor(images: ImageService) {
    this.#images = images;
  }

  /** Pushes the local image `ref` (tagged) to its registry; returns the manifest digest. */
  async push(ref: Reference, o: PushOptions, send: ProgressSink): Promise<string> {
    const images = this.#images;
    const tag = ref.tag ?? 'latest';
    const img = images.tryResolve(fullString({ ...ref, tag }));
    if (!img) throw new NotFoundError(`tag does not exist: ${familiarName(ref)}:${tag}`);
    const client = new RegistryClient({
      domain: ref.domain, insecure: isInsecureRegistry(ref.domain, o.insecureRegistries),
      ...(o.auth ? { auth: o.auth } : {}), ...(o.signal ? { signal: o.signal } : {}),
    });
    const repo = ref.path;
    send({ status: `The push refers to repository [${ref.domain}/${ref.path}]` });
    // dockerd lists layers top first.
    const order = img.diffIds.map((_d, i) => i).reverse();
    for (const i of order) layerStatus(send, shortId(img.diffIds[i] ?? ''), 'Preparing');
    await client.ping();
    const blobs: LayerBlob[] = new Array<LayerBlob>(img.diffIds.length);
    let next = 0;
    const work = async (): Promise<void> => {
      for (;;) {
        const k = next++;
        const i = order[k];
        if (i === undefined) return;
        blobs[i] = await this.#pushLayer(client, ref.domain, repo, img, i, send);
      }
    };
    if (order.length > MAX_CONCURRENT_UPLOADS) for (const i of order.slice(MAX_CONCURRENT_UPLOADS)) layerStatus(send, shortId(img.diffIds[i] ?? ''), 'Waiting');
    await Promise.all(Array.from({ length: Math.min(MAX_CONCURRENT_UPLOADS, order.length) }, work));
    // The config.
    const cfgInfo = await images.content.info(img.id);
    if (!(await client.hasBlob(repo, img.id))) {
      await client.uploadBlob(repo, img.id, cfgInfo.size, () => images.content.read(img.id));
    }
    // The manifest: the one it came with when it still names these blobs (its digest stays the same), else a new one.
    let manifestBytes: Buffer | undefined;
    let mediaType = DOCKER_MANIFEST;
    if (img.manifest) {
      const stored = await images.content.readAll(img.manifest.digest).catch(() => undefined);
      if (stored) {
        const m = JSON.parse(stored.toString('utf8')) as ImageManifest;
        if (m.config?.digest === img.id && m.layers?.length === blobs.length && m.layers.every((l, i) => l.digest === blobs[i]?.digest)) {
          manifestBytes = stored;
          mediaType = img.manifest.mediaType;
        }
      }
    }
    if (!manifestBytes) {
      const m: ImageManifest = {
        schemaVersion: 2, mediaType: DOCKER_MANIFEST,
        config: { mediaType: DOCKER_CONFIG, size: cfgInfo.size, digest: img.id },
        layers: blobs.map((b) => ({ mediaType: b.mediaType, size: b.size, digest: b.digest })),
      };
      manifestBytes = Buffer.from(JSON.stringify(m, null, 3));
    }
    const digest = await client.putManifest(repo, tag, manifestBytes, mediaType);
    const stored = await images.content.ingest(manifestBytes);
    const fresh = images.tryResolve(img.id) ?? img;
    const repoDigest = `${familiarName(ref)}@${stored.digest}`;
    images.update({
      ...fresh, layerBlobs: blobs,
      manifest: { digest: stored.digest, mediaType, size: manifestBytes.length },
      repoDigests: [...new Set([...fresh.repoDigests.filter((d) => !d.startsWith(`${familiarName(ref)}@`)), repoDigest])],
    });
    send({ status: `${tag}: digest: ${digest} size: ${manifestBytes.length}` });
    send({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: manifestBytes.length } });
    images.events.publish({ Type: 'image', Action: 'push', Actor: { ID: fullString({ ...ref, tag }), Attributes: { name: `${familiarName(ref)}:${tag}` } } });
    return digest;
  }

  async #pushLayer(client: RegistryClient, domain: string, repo: string, img: ImageRecord, i: number, send: ProgressSink): Promise<LayerBlob> {
    const id = shortId(img.diffIds[i] ?? '');
    const blob = await this.#compressed(img, i);
    const images = this.#images;
    if (await client.hasBlob(repo, blob.digest)) {
      layerStatus(send, id, 'Layer already exists');
      images.noteBlobSource(blob.digest, `${domain}/${repo}`);
      return blob;
    }
    // Known in another repository of the same registry: a cross-repository mount, no bytes sent.
    for (const src of images.blobSources(blob.digest).filter((s) => s.startsWith(`${domain}/`) && s !== `${domain}/${repo}`).reverse()) {
      const from = src.slice(domain.length + 1);
      if (await client.mountBlob(repo, blob.digest, from).catch(() => false)) {
        layerStatus(send, id, `Mounted from ${from}`);
        images.noteBlobSource(blob.digest, `${domain}/${repo}`);
        return blob;
      }
    }
    const tick = byteProgress(send, id, 'Pushing', blob.size);
    await client.uploadBlob(repo, blob.digest, blob.size, async () => {
      const s = await this.#images.content.read(blob.digest);
      let n = 0;
      s.on('data', (c: Buffer) => { n += c.length; tick(n); });
      return s;
    });
    layerStatus(send, id, 'Pushed');
    images.noteBlobSource(blob.digest, `${domain}/${repo}`);
    return blob;
  }

  /** The layer's compressed blob: the pulled one, or gzip of its tar made now and kept for next time. */
  async #compressed(img: ImageRecord, i: number): Promise<LayerBlob> {
    const content = this.#images.content;
    const known = img.layerBlobs?.[i];
    if (known && (await content.info(known.digest).then(() => true, () => false))) return known;
    for (const other of this.#images.list()) {
      const j = other.diffIds.indexOf(img.diffIds[i] ?? '');
      const b = j >= 0 ? other.layerBlobs?.[j] : undefined;
      if (b && (await content.info(b.digest).then(() => true, () => false))) return b;
    }
    const diffId = img.diffIds[i] ?? '';
    const tar = await content.info(diffId).catch(() => undefined);
    if (!tar) throw new InvalidParameterError(`layer ${diffId} of ${img.id} has neither a compressed blob nor its tar in the content store`);
    // ingest streams with backpressure, hashes, and leaves nothing behind on failure.
    const tarStream = await content.read(diffId);
    const zlib = nodeRequire('node:zlib') as typeof import('node:zlib');
    const gz = zlib.createGzip({ level: zlib.constants.Z_BEST_SPEED, chunkSize: 1 << 17 });
    const feeding = pipeline(tarStream, gz);
    feeding.catch(() => { /* destroys gz, so ingest fails too */ });
    const info = await content.ingest(gz);
    await feeding;
    return { digest: info.digest, size: info.size, mediaType: DOCKER_LAYER_GZIP };
  }
}
