import { parsePlatform, platformMismatch, platformText, type Platform } from './platform.js';
/**
 * `docker pull`: resolve the reference at its registry, pick the platform from
 * an index, fetch the config, download the missing layers (three at a time,
 * one transfer per blob however many pulls want it, digests verified as bytes
 * arrive), unpack them in order into shared snapshots, then record and tag the
 * image. Progress goes out as dockerd's JSON messages.
 */
import { closeSync, openSync } from 'node:fs';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { drained } from '../pkg/streams/index.js';
import { InvalidParameterError, NotFoundError, SystemError, UnavailableError } from '../errdefs/index.js';
import {
  RegistryClient, isIndex, isInsecureRegistry, isLayer, isManifest,
  type Descriptor, type ImageIndex, type ImageManifest, type RegistryAuth,
} from '../distribution/index.js';
import { familiarName, familiarString, fullString, withDefaultTag, type Reference } from '../pkg/reference/index.js';
import { chainIds, type ImageConfigFile, type ImageRecord, type ImageService } from './image-service.js';
import { byteProgress, layerStatus, shortId, type ProgressSink } from './progress.js';

export interface PullOptions {
  platform?: string;
  auth?: RegistryAuth;
  insecureRegistries: readonly string[];
  /** Tried in order before docker.io itself, for docker.io images (`scheme://host/`). */
  registryMirrors?: readonly string[];
  signal?: AbortSignal;
}

const MAX_CONCURRENT_DOWNLOADS = 3;
/**
 * Layers this big (compressed) unpack on the worker thread (pkg/archive/unpacker.ts); a smaller
 * one unpacks in pierd's thread sooner than the worker starts (~100 ms, once).
 */
const OFF_THREAD_MIN = 4 << 20;

/** Downloads in flight, by blob digest: a second pull of the same layer waits for the first. */
/** Transfers under way, by blob digest, with the signal of the pull that owns each. */
const inflight = new Map<string, { p: Promise<void>; owner: AbortSignal | undefined }>();

export class Puller {
  readonly #images: ImageService;
  #signal: AbortSignal | undefined;

  constructor(images: ImageService) {
    this.#images = images;
  }

  /**
   * Resolves `name` (with `tag` as the API passes it) to a manifest before any
   * progress is sent, so a missing image or refused login is an HTTP error;
   * then `run` pulls it, streaming progress.
   */
  async resolve(ref: Reference, o: PullOptions): Promise<{ run: (send: ProgressSink) => Promise<ImageRecord> }> {
    const r = withDefaultTag(ref);
    this.#signal = o.signal;
    const common = { ...(o.auth ? { auth: o.auth } : {}), ...(o.signal ? { signal: o.signal } : {}) };
    // docker.io images come from its mirrors first, in order, then from docker.io, as dockerd does.
    const mirrors = r.domain === 'docker.io' ? o.registryMirrors ?? [] : [];
    const clients = [
      ...mirrors.map((m) => new RegistryClient({ domain: r.domain, endpoint: new URL(m), insecure: isInsecureRegistry(new URL(m).host, o.insecureRegistries), ...common })),
      new RegistryClient({ domain: r.domain, insecure: isInsecureRegistry(r.domain, o.insecureRegistries), ...common }),
    ];
    return this.#resolveFrom(clients, 0, r, parsePlatform(o.platform), o);
  }

  /** The first endpoint from `start` that has the manifest; a mirror that fails, even mid-pull, hands over to the next. */
  async #resolveFrom(clients: readonly RegistryClient[], start: number, r: Reference, want: Platform, o: PullOptions): Promise<{ run: (send: ProgressSink) => Promise<ImageRecord> }> {
    for (let i = start; i < clients.length; i++) {
      const client = clients[i] as RegistryClient;
      const fallback = client.mirror !== undefined && i < clients.length - 1;
      let top;
      try {
        top = await client.getManifest(r.path, r.digest ?? r.tag ?? 'latest');
      } catch (err) {
        if (fallback && !o.signal?.aborted) {
          this.#images.log.info('registry mirror failed, trying the next endpoint', { mirror: client.mirror, ref: fullString(r), err: err instanceof Error ? err.message : String(err) });
          continue;
        }
        throw pullError(r, err);
      }
      return {
        run: async (send) => {
          try {
            return await this.#pull(client, r, top, want, send, Boolean(o.platform));
          } catch (err) {
            if (!fallback || o.signal?.aborted) throw err;
            this.#images.log.warn('pull from a registry mirror failed, falling back', { mirror: client.mirror, ref: fullString(r), err: err instanceof Error ? err.message : String(err) });
            return (await this.#resolveFrom(clients, i + 1, r, want, o)).run(send);
          }
        },
      };
    }
    throw new SystemError('no registry endpoint to pull from');
  }

  async #pull(client: RegistryClient, r: Reference, top: { bytes: Buffer; mediaType: string; digest: string },
    want: { os: string; architecture: string; variant?: string }, send: ProgressSink, explicit: boolean): Promise<ImageRecord> {
    const images = this.#images;
    send({ status: `Pulling from ${familiarName(r).replace(/^[^/]*\.[^/]*\//, '').replace(/^localhost(:\d+)?\//, '')}`, id: r.digest ?? r.tag ?? 'latest' });
    let manifest = top;
    if (isIndex(top.mediaType)) {
      const idx = JSON.parse(top.bytes.toString('utf8')) as ImageIndex;
      const pick = pickPlatform(idx.manifests ?? [], want);
      if (!pick) throw new NotFoundError(`no matching manifest for ${platformText(want)} in the manifest list entries`);
      manifest = await client.getManifest(r.path, pick.digest);
    }
    if (!isManifest(manifest.mediaType)) throw new InvalidParameterError(`unsupported manifest media type ${manifest.mediaType}`);
    const m = JSON.parse(manifest.bytes.toString('utf8')) as ImageManifest;
    if (!m.config?.digest || !Array.isArray(m.layers)) throw new InvalidParameterError('invalid manifest: no config or layers');
    for (const l of m.layers) {
      if (!isLayer(l.mediaType)) throw new InvalidParameterError(`unsupported layer media type ${l.mediaType}`);
    }
    const repoDigest = `${familiarName(r)}@${top.digest}`;
    const target = r.tag !== undefined ? fullString(r) : undefined;
    const done = async (rec: ImageRecord, fresh: boolean): Promise<ImageRecord> => {
      if (target) images.tag(rec.id, target);
      send({ status: `Digest: ${top.digest}` });
      send({ status: `Status: ${fresh ? 'Downloaded newer image' : 'Image is up to date'} for ${familiarString(r)}` });
      images.events.publish({ Type: 'image', Action: 'pull', Actor: { ID: familiarString(r), Attributes: { name: familiarString(r) } } });
      return rec;
    };
    const checkPlatform = (c: ImageConfigFile): void => {
      if (!explicit || isIndex(top.mediaType)) return;
      if (c.os !== want.os || c.architecture !== want.architecture) {
        throw platformMismatch(familiarString(r), c, want);
      }
    };
    const known = images.tryResolve(m.config.digest);
    if (known) {
      checkPlatform(await images.config(known.id));
      const rec = await images.recordImage(await images.content.readAll(m.config.digest), known.layerSizes, { repoDigest });
      return done(rec, false);
    }
    // The unpacking worker starts while the config and the snapshots are looked at.
    if (images.unpacksOffThread && m.layers.some((l) => l.size >= OFF_THREAD_MIN)) images.prestartUnpacker();
    // The config: small, verified, and it names the diff IDs the layers must hash to.
    const cfgBody = await client.getBlob(r.path, m.config.digest);
    const cfgInfo = await images.content.ingest(cfgBody, { digest: m.config.digest, size: m.config.size }).catch((err: unknown) => {
      throw new InvalidParameterError(`failed to verify the image config ${m.config.digest}: ${err instanceof Error ? err.message : String(err)}`);
    });
    const configBytes = await images.content.readAll(cfgInfo.digest);
    const cfg = JSON.parse(configBytes.toString('utf8')) as ImageConfigFile;
    checkPlatform(cfg);
    const diffIds = cfg.rootfs?.diff_ids ?? [];
    if (diffIds.length !== m.layers.length) {
      throw new InvalidParameterError(`invalid image: the config names ${diffIds.length} layers, the manifest ${m.layers.length}`);
    }
    const chains = chainIds(diffIds);
    const present = await Promise.all(chains.map((c) => images.snapshots.stat(c).then(() => true, () => false)));
    // Layers below the first missing one that exist are "Already exists"; everything above is fetched.
    let firstMissing = present.indexOf(false);
    if (firstMissing < 0) firstMissing = m.layers.length;
    // Each missing layer: download, then unpack into a snapshot of its own; three at a time.
    // Layers do not depend on each other until they are committed, in order, into the chain.
    const jobs = new Map<number, Promise<{ key: string; diffId: string; size: number }>>();
    const order: number[] = [];
    for (let i = 0; i < m.layers.length; i++) {
      const id = shortId((m.layers[i] as Descriptor).digest);
      if (i < firstMissing) { layerStatus(send, id, 'Already exists'); continue; }
      layerStatus(send, id, 'Pulling fs layer');
      order.push(i);
    }
    if (order.length > MAX_CONCURRENT_DOWNLOADS) for (const i of order.slice(MAX_CONCURRENT_DOWNLOADS)) layerStatus(send, shortId((m.layers[i] as Descriptor).digest), 'Waiting');
    let slots = MAX_CONCURRENT_DOWNLOADS;
    const waiting: (() => void)[] = [];
    const acquire = async (): Promise<void> => { if (slots > 0) { slots--; return; } await new Promise<void>((r) => waiting.push(r)); };
    const release = (): void => { const w = waiting.shift(); if (w) w(); else slots++; };
    for (const i of order) {
      const l = m.layers[i] as Descriptor;
      const job = (async () => {
        await acquire();
        let held = true;
        const free = (): void => { if (held) { held = false; release(); } };
        try {
          // The layer unpacks as its bytes arrive when this pull downloads it; when it is already
          // here, or another pull is fetching it, it unpacks from the content store afterwards.
          // A big layer unpacks on the worker thread, which follows the blob's file as it is written.
          const expectDiffId = diffIds[i] ?? '';
          const offThread = l.size >= OFF_THREAD_MIN && images.unpacksOffThread;
          let sink: PassThrough | undefined;
          let extracting: Promise<{ key: string; diffId: string; size: number }> | undefined;
          const stop = new AbortController();
          const tap: DownloadTap = offThread
            ? {
              onFile: (path) => {
                let fd: number;
                try { fd = openSync(path, 'r'); } catch { return; } // unpacked from the store afterwards
                extracting = images.extractLayerFile(fd, l.size, { expectDiffId, signal: stop.signal }).finally(() => closeSync(fd));
                extracting.catch(() => undefined);
              },
            }
            : {
              open: () => {
                sink = new PassThrough({ highWaterMark: 1 << 20 });
                extracting = images.extractLayer(sink, { keepTar: false, expectDiffId });
                extracting.catch(() => undefined);
                return sink;
              },
            };
          try {
            await this.#download(client, r.path, l, send, tap);
          } catch (err) {
            stop.abort(err);
            sink?.destroy(err instanceof Error ? err : new Error(String(err)));
            await extracting?.catch(() => undefined);
            throw err;
          }
          if (extracting) {
            // Downloaded: the next layer's download may start while this one finishes unpacking
            // (the slots count downloads, as max-concurrent-downloads does in dockerd).
            free();
            sink?.end();
            const x = await extracting;
            byteProgress(send, shortId(l.digest), 'Extracting', l.size)(l.size);
            return x;
          }
          return await this.#extract(l, expectDiffId, send, offThread);
        } finally {
          free();
        }
      })();
      job.catch(() => undefined);
      jobs.set(i, job);
    }
    const layerSizes: number[] = [];
    const committed = new Set<number>();
    try {
      for (let i = 0; i < m.layers.length; i++) {
        if (i < firstMissing) {
          const prev = images.list().find((x) => x.chainIds[i] === chains[i]);
          layerSizes.push(prev?.layerSizes[i] ?? 0);
          continue;
        }
        const x = await (jobs.get(i) as Promise<{ key: string; diffId: string; size: number }>);
        const chain = await images.commitLayer(x, chains[i - 1] ?? '');
        committed.add(i);
        if (chain !== chains[i]) throw new InvalidParameterError(`layer ${(m.layers[i] as Descriptor).digest} unpacked to chain ${chain}, expected ${chains[i]}`);
        layerSizes.push(x.size);
        layerStatus(send, shortId((m.layers[i] as Descriptor).digest), 'Pull complete');
      }
    } catch (err) {
      // Whatever was unpacked but not committed goes; committed chains stay for a retry to reuse.
      const settled = await Promise.allSettled([...jobs.entries()].filter(([i]) => !committed.has(i)).map(([, j]) => j));
      for (const s of settled) if (s.status === 'fulfilled') await images.snapshots.remove(s.value.key).catch(() => undefined);
      throw err;
    }
    for (const l of m.layers) images.noteBlobSource(l.digest, `${r.domain}/${r.path}`);
    // The manifest before the record that names it: a crash in between leaves an unreferenced blob for GC, never a record whose blob is missing.
    await images.content.ingest(manifest.bytes, { digest: manifest.digest });
    const rec = await images.recordImage(configBytes, layerSizes, {
      manifest: { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.bytes.length },
      layerBlobs: m.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType })),
      repoDigest,
    });
    return done(rec, true);
  }

  /** One compressed layer into the content store, verified; shared with any concurrent pull of it. */
  async #download(client: RegistryClient, repo: string, l: Descriptor, send: ProgressSink, tap: DownloadTap = {}): Promise<void> {
    const id = shortId(l.digest);
    const content = this.#images.content;
    if (await content.info(l.digest).then((i) => i.size === l.size, () => false)) {
      layerStatus(send, id, 'Download complete');
      return;
    }
    const shared = inflight.get(l.digest);
    let p = shared?.p;
    if (!p) {
      p = (async () => {
        const tick = byteProgress(send, id, 'Downloading', l.size);
        if (!tap.open) { await this.#downloadPooled(client, repo, l, send, tick, tap.onFile); return; }
        let n = 0;
        // This pull owns the transfer: the bytes also go to the tap's stream (the unpacking), at its pace.
        const also = tap.open?.();
        const signal = this.#signal;
        // A connection that drops mid-blob is picked up where it stopped (a Range request),
        // up to five times with a growing pause, as dockerd retries; the hash runs on throughout.
        const counted = (async function* (): AsyncGenerator<Uint8Array> {
          let body: AsyncIterable<Buffer> & { partial?: boolean } = await client.getBlob(repo, l.digest);
          let skip = 0;
          for (let attempt = 1; ; attempt++) {
            try {
              for await (const c0 of body) {
                let c = c0;
                if (skip > 0) { const cut = Math.min(skip, c.length); skip -= cut; c = c.subarray(cut); if (c.length === 0) continue; }
                n += c.length;
                if (n > l.size) throw new InvalidParameterError(`layer ${l.digest} is larger than the ${l.size} bytes its manifest says`);
                tick(n);
                // An unpacking that failed stops taking bytes; the download goes on, so a corrupt
                // blob is reported as such (its digest), not as the tar error it causes.
                if (also && !also.destroyed && !also.write(c)) await drained(also);
                yield c;
              }
              if (n >= l.size) return;
              throw new UnavailableError(`unexpected EOF after ${n} of ${l.size} bytes`);
            } catch (err) {
              if (err instanceof InvalidParameterError || attempt > 5 || signal?.aborted) throw err;
              const wait = 200 * attempt;
              send({ status: `Retrying in ${Math.ceil(wait / 1000)} second${wait > 1000 ? 's' : ''}`, progressDetail: {}, id });
              await new Promise((r) => setTimeout(r, wait));
              const again = await client.getBlob(repo, l.digest, n);
              skip = again.partial ? 0 : n; // a registry that ignores Range sends it all again
              body = again;
            }
          }
        })();
        try {
          await content.ingest(counted, { digest: l.digest, size: l.size }, tap.onFile ? { onFile: tap.onFile } : {});
        } catch (err) {
          throw new InvalidParameterError(`failed to verify layer ${l.digest}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }
      })().finally(() => inflight.delete(l.digest));
      inflight.set(l.digest, { p, owner: this.#signal });
    } else {
      try {
        await p;
      } catch (err) {
        // The pull that owned the transfer was cancelled by its client; this one was not: fetch it anew.
        if (this.#signal?.aborted || !shared?.owner?.aborted) throw err;
        return this.#download(client, repo, l, send, tap);
      }
    }
    await p;
    layerStatus(send, id, 'Verifying Checksum');
    layerStatus(send, id, 'Download complete');
  }

  /**
   * The transfer of a layer that nothing unpacks in-thread (a big layer: the worker follows its
   * file): the body is read into a few reused buffers, each going back to the pool once written,
   * not into new memory chunk by chunk (pkg/pooled-get). The retries are #download's.
   */
  async #downloadPooled(client: RegistryClient, repo: string, l: Descriptor, send: ProgressSink, tick: (n: number) => void, onFile?: (path: string) => void): Promise<void> {
    const signal = this.#signal;
    const w = await this.#images.content.writer(onFile ? { onFile } : {});
    try {
      let n = 0;
      let res = await client.getBlobPooled(repo, l.digest);
      let skip = 0;
      for (let attempt = 1; ; attempt++) {
        const from = res;
        try {
          for (let piece = await from.read(); piece !== null; piece = await from.read()) {
            const whole = piece;
            if (skip > 0) {
              const cut = Math.min(skip, piece.length);
              skip -= cut;
              piece = piece.subarray(cut);
              if (piece.length === 0) { from.release(whole); continue; }
            }
            n += piece.length;
            if (n > l.size) { from.release(whole); throw new InvalidParameterError(`layer ${l.digest} is larger than the ${l.size} bytes its manifest says`); }
            tick(n);
            w.write(piece, () => from.release(whole));
          }
          if (n >= l.size) break;
          throw new UnavailableError(`unexpected EOF after ${n} of ${l.size} bytes`);
        } catch (err) {
          from.destroy();
          if (err instanceof InvalidParameterError || attempt > 5 || signal?.aborted) throw err;
          const wait = 200 * attempt;
          send({ status: `Retrying in ${Math.ceil(wait / 1000)} second${wait > 1000 ? 's' : ''}`, progressDetail: {}, id: shortId(l.digest) });
          await new Promise((r) => setTimeout(r, wait));
          const again = await client.getBlobPooled(repo, l.digest, n);
          skip = again.partial ? 0 : n; // a registry that ignores Range sends it all again
          res = again;
        }
      }
      await w.commit({ digest: l.digest, size: l.size });
    } catch (err) {
      await w.abort();
      throw new InvalidParameterError(`failed to verify layer ${l.digest}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  /** Unpacks a downloaded layer into a snapshot of its own, checking its diff ID. */
  async #extract(l: Descriptor, diffId: string, send: ProgressSink, offThread: boolean): Promise<{ key: string; diffId: string; size: number }> {
    const id = shortId(l.digest);
    const tick = byteProgress(send, id, 'Extracting', l.size);
    if (offThread) {
      let fd: number;
      try { fd = openSync(this.#images.content.path(l.digest), 'r'); } catch { throw new NotFoundError(`content ${l.digest}: not found`); }
      try {
        const x = await this.#images.extractLayerFile(fd, l.size, { expectDiffId: diffId });
        tick(l.size);
        return x;
      } finally {
        closeSync(fd);
      }
    }
    const blob = await this.#images.content.read(l.digest);
    let n = 0;
    const counted = (async function* (): AsyncGenerator<Uint8Array> {
      for await (const c of blob as AsyncIterable<Buffer>) { n += c.length; tick(n); yield c; }
    })();
    return this.#images.extractLayer(readableFrom(counted), { keepTar: false, expectDiffId: diffId });
  }
}

/** Where a downloading blob's bytes also go: a stream fed chunk by chunk, or a reader of the blob's file. */
interface DownloadTap { open?: () => Writable; onFile?: (path: string) => void }

function readableFrom(it: AsyncIterable<Uint8Array>): Readable {
  return Readable.from(it, { objectMode: false });
}

/** The index entry for the wanted platform (variant optional, as containerd's matcher). */
function pickPlatform(list: Descriptor[], want: { os: string; architecture: string; variant?: string }): Descriptor | undefined {
  const cands = list.filter((d) => isManifest(d.mediaType) && d.platform?.os === want.os && d.platform?.architecture === want.architecture);
  if (want.variant) return cands.find((d) => d.platform?.variant === want.variant);
  return cands.find((d) => !d.platform?.variant || (want.architecture === 'arm64' && d.platform.variant === 'v8')) ?? cands[0];
}

/** docker's wording for a pull that cannot start. */
function pullError(r: Reference, err: unknown): unknown {
  if (err instanceof NotFoundError) {
    if (r.domain === 'docker.io') {
      return new NotFoundError(`pull access denied for ${familiarName(r)}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`, { cause: err });
    }
    return new NotFoundError(`manifest for ${familiarString(r)} not found: ${err.message}`, { cause: err });
  }
  return err;
}

