// Manifests of each repository: revisions (by digest), tags, and the referrers
// index. Manifest bytes live in the global blob store, byte for byte as pushed.

import { isNotFound } from '../errdefs/index.js';
import { digestOf, isDigest, type Digest } from '../pkg/digest/index.js';
import type { BlobStore } from './blob-store.js';
import { parseManifest, referrerDescriptor, type Descriptor, type ParsedManifest } from './parse-manifest.js';
import { RegistryError, RegistryErrors } from './registry-error.js';
import type { Op, StorageDriver } from './storage-driver.js';
import {
  referrerPath, referrersDir, repositoryPath, revisionPath, tagPath, tagsDir, MANIFESTS_DIR_NAME,
} from './storage-paths.js';

/** distribution's default limit on a manifest body; the spec asks registries to take at least 4 MiB. */
export const MANIFEST_MAX_BYTES = 4 << 20;

/** What a revision file holds: enough to serve the manifest without parsing it. */
export interface RevisionRecord {
  readonly mediaType: string;
  readonly size: number;
  /** The subject's digest, so a delete can drop the referrers entry. */
  readonly subject?: Digest;
}

export interface ManifestRef {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
}

export interface PutResult {
  readonly digest: Digest;
  readonly subject?: Digest;
}

/** A reference in a manifest URL: a tag, or a digest. */
export type Reference = { readonly tag: string } | { readonly digest: Digest };

/** Layers a registry never holds: foreign/non-distributable ones fetched from their `urls`. */
function isForeign(d: Descriptor): boolean {
  return (d.urls?.length ?? 0) > 0 && /foreign|nondistributable/.test(d.mediaType);
}

export class ManifestStore {
  readonly #driver: StorageDriver;
  readonly #blobs: BlobStore;

  constructor(driver: StorageDriver, blobs: BlobStore) {
    this.#driver = driver;
    this.#blobs = blobs;
  }

  async #read(path: string, op: Op): Promise<Buffer | undefined> {
    try {
      return await this.#driver.getContent(path, { ...op, maxBytes: 64 << 10 });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async #revision(repo: string, digest: Digest, op: Op): Promise<RevisionRecord | undefined> {
    const raw = await this.#read(revisionPath(repo, digest), op);
    if (raw === undefined) return undefined;
    return JSON.parse(raw.toString('utf8')) as RevisionRecord;
  }

  /** Every blob and child manifest `m` needs must already be in `repo`; MANIFEST_BLOB_UNKNOWN lists those missing. */
  async #verify(repo: string, m: ParsedManifest, op: Op): Promise<void> {
    const blobs = [...(m.config ? [m.config] : []), ...m.layers].filter((d) => !isForeign(d));
    const missing: Digest[] = [];
    await Promise.all([
      ...blobs.map(async (d) => {
        const linked = await this.#blobs.isLinked(repo, d.digest, op);
        if (!linked || (await this.#blobs.statGlobal(d.digest, op)) === undefined) missing.push(d.digest);
      }),
      // distribution reports a missing index child as MANIFEST_BLOB_UNKNOWN too (400): the
      // request is invalid, while MANIFEST_UNKNOWN (404) would say the URL names nothing.
      ...m.manifests.map(async (d) => {
        if ((await this.#revision(repo, d.digest, op)) === undefined) missing.push(d.digest);
      }),
    ]);
    if (missing.length > 0) {
      throw new RegistryErrors([...new Set(missing)].sort().map((digest) => new RegistryError('MANIFEST_BLOB_UNKNOWN', { detail: { digest } })));
    }
  }

  /**
   * Stores a manifest under `ref` (a tag, or the digest of `bytes`). Order for
   * crash safety: bytes, revision, referrers entry, then the tag, so a tag never
   * points at a manifest that is not fully there.
   */
  async put(repo: string, ref: Reference, bytes: Buffer, contentType: string | undefined, op: Op = {}): Promise<PutResult> {
    const digest = digestOf(bytes);
    if ('digest' in ref && ref.digest !== digest) {
      throw new RegistryError('DIGEST_INVALID', { detail: { expected: ref.digest, actual: digest } });
    }
    const m = parseManifest(bytes, contentType);
    await this.#verify(repo, m, op);
    await this.#blobs.putBytes(digest, bytes, op);
    const record: RevisionRecord = { mediaType: m.mediaType, size: bytes.byteLength, ...(m.subject ? { subject: m.subject.digest } : {}) };
    await this.#driver.putContent(revisionPath(repo, digest), JSON.stringify(record), op);
    if (m.subject) {
      await this.#driver.putContent(referrerPath(repo, m.subject.digest, digest), JSON.stringify(referrerDescriptor(m, digest, bytes.byteLength)), op);
    }
    if ('tag' in ref) await this.#driver.putContent(tagPath(repo, ref.tag), digest, op);
    return { digest, ...(m.subject ? { subject: m.subject.digest } : {}) };
  }

  /** Resolves a tag or digest to a stored manifest. MANIFEST_UNKNOWN. */
  async resolve(repo: string, ref: Reference, op: Op = {}): Promise<ManifestRef> {
    let digest: Digest;
    if ('tag' in ref) {
      const raw = (await this.#read(tagPath(repo, ref.tag), op))?.toString('utf8');
      if (raw === undefined || !isDigest(raw)) throw new RegistryError('MANIFEST_UNKNOWN', { detail: { tag: ref.tag } });
      digest = raw;
    } else {
      digest = ref.digest;
    }
    const rev = await this.#revision(repo, digest, op);
    if (rev === undefined) throw new RegistryError('MANIFEST_UNKNOWN', { detail: 'tag' in ref ? { tag: ref.tag } : { digest } });
    return { digest, mediaType: rev.mediaType, size: rev.size };
  }

  /** The manifest's bytes as pushed. MANIFEST_UNKNOWN. */
  async get(repo: string, ref: Reference, op: Op = {}): Promise<ManifestRef & { bytes: Buffer }> {
    const found = await this.resolve(repo, ref, op);
    const bytes = await this.#blobs.getBytes(found.digest, MANIFEST_MAX_BYTES, op);
    if (bytes === undefined) throw new RegistryError('MANIFEST_UNKNOWN', { detail: { digest: found.digest } });
    return { ...found, bytes };
  }

  /** Deletes a revision, every tag pointing at it and its referrers entry. MANIFEST_UNKNOWN. */
  async delete(repo: string, digest: Digest, op: Op = {}): Promise<void> {
    const rev = await this.#revision(repo, digest, op);
    if (rev === undefined) throw new RegistryError('MANIFEST_UNKNOWN', { detail: { digest } });
    for (const tag of await this.#tagNames(repo, op)) {
      if ((await this.#read(tagPath(repo, tag), op))?.toString('utf8') === digest) await this.#driver.delete(tagPath(repo, tag), op);
    }
    if (rev.subject !== undefined) await this.#driver.delete(referrerPath(repo, rev.subject, digest), op);
    await this.#driver.delete(revisionPath(repo, digest), op);
  }

  /** Removes a tag; the manifest stays. MANIFEST_UNKNOWN when there is no such tag. */
  async untag(repo: string, tag: string, op: Op = {}): Promise<void> {
    if ((await this.#read(tagPath(repo, tag), op)) === undefined) throw new RegistryError('MANIFEST_UNKNOWN', { detail: { tag } });
    await this.#driver.delete(tagPath(repo, tag), op);
  }

  async #tagNames(repo: string, op: Op): Promise<string[]> {
    try {
      return (await this.#driver.list(tagsDir(repo), op)).filter((t) => !t.startsWith('.'));
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  /** The repository's tags in lexical order. NAME_UNKNOWN when the repository has no manifests. */
  async tags(repo: string, op: Op = {}): Promise<string[]> {
    try {
      await this.#driver.stat(`${repositoryPath(repo)}/${MANIFESTS_DIR_NAME}`, op);
    } catch (err) {
      if (isNotFound(err)) throw new RegistryError('NAME_UNKNOWN', { detail: { name: repo } });
      throw err;
    }
    return (await this.#tagNames(repo, op)).sort();
  }

  /** Descriptors of the manifests in `repo` whose subject is `subject`, by digest. */
  async referrers(repo: string, subject: Digest, op: Op = {}): Promise<Descriptor[]> {
    let names: string[];
    try {
      names = await this.#driver.list(referrersDir(repo, subject), op);
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
    const out: Descriptor[] = [];
    for (const hex of names.filter((n) => /^[a-f0-9]{64}$/.test(n)).sort()) {
      const raw = await this.#read(`${referrersDir(repo, subject)}/${hex}`, op);
      if (raw !== undefined) out.push(JSON.parse(raw.toString('utf8')) as Descriptor);
    }
    return out;
  }
}
