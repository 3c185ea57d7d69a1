// Mark and sweep over the blob store (distribution `registry/storage/garbagecollect.go`).
//
// Run it with the server stopped, as distribution requires: a blob uploaded
// but not yet referenced by a manifest (a push in progress) is unreferenced
// and would be swept.

import { isNotFound, messageOf, SystemError } from '../errdefs/index.js';
import { isDigest, type Digest } from '../pkg/digest/index.js';
import { listRepositories } from './list-repositories.js';
import { MANIFEST_MAX_BYTES } from './manifest-store.js';
import { parseManifest } from './parse-manifest.js';
import type { RevisionRecord } from './manifest-store.js';
import type { Op, StorageDriver } from './storage-driver.js';
import { BLOBS_DIR, blobPath, layerLinkPath, layersDir, revisionsDir } from './storage-paths.js';

export interface GcOptions extends Op {
  /** Only report what would be deleted. */
  readonly dryRun?: boolean;
  /** Progress lines (`blob eligible for deletion: …`); default none. */
  readonly onLine?: (line: string) => void;
}

export interface GcResult {
  readonly marked: number;
  /** The blobs deleted (or, in a dry run, that would be). */
  readonly swept: readonly Digest[];
}

async function listOrEmpty(driver: StorageDriver, path: string, op: Op): Promise<string[]> {
  try {
    return await driver.list(path, op);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

const HEX64 = /^[a-f0-9]{64}$/;

/**
 * Marks every blob a manifest revision of any repository references (the
 * manifest itself, its config and layers, an index's children, the subject),
 * then deletes the others and the repository links to them.
 */
export async function garbageCollect(driver: StorageDriver, opts: GcOptions = {}): Promise<GcResult> {
  const op: Op = opts.signal ? { signal: opts.signal } : {};
  const say = opts.onLine ?? (() => {});
  const marked = new Set<Digest>();
  const repos = await listRepositories(driver, op);

  for (const repo of repos) {
    for (const hex of (await listOrEmpty(driver, revisionsDir(repo), op)).filter((h) => HEX64.test(h))) {
      const digest: Digest = `sha256:${hex}`;
      marked.add(digest);
      let bytes: Buffer;
      let mediaType: string | undefined;
      try {
        const rev = JSON.parse((await driver.getContent(`${revisionsDir(repo)}/${hex}`, op)).toString('utf8')) as RevisionRecord;
        mediaType = rev.mediaType;
        bytes = await driver.getContent(blobPath(digest), { ...op, maxBytes: MANIFEST_MAX_BYTES });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        say(`${repo}: manifest ${digest} has no content, skipping`);
        continue;
      }
      let m;
      try {
        m = parseManifest(bytes, mediaType);
      } catch (err) {
        // Its references are unknown, so nothing may be swept.
        throw new SystemError(`cannot parse manifest ${digest} of ${repo}; nothing deleted: ${messageOf(err)}`, { cause: err });
      }
      say(`${repo}: marking manifest ${digest}`);
      for (const d of [m.config, ...m.layers, ...m.manifests, m.subject]) {
        if (d !== undefined && isDigest(d.digest)) marked.add(d.digest);
      }
    }
  }

  const swept: Digest[] = [];
  for (const prefix of (await listOrEmpty(driver, BLOBS_DIR, op)).sort()) {
    // Temp files (`.pier-tmp-*`) and anything else not named by a digest are left alone.
    for (const hex of (await listOrEmpty(driver, `${BLOBS_DIR}/${prefix}`, op)).filter((h) => HEX64.test(h) && h.startsWith(prefix)).sort()) {
      const digest: Digest = `sha256:${hex}`;
      if (marked.has(digest)) continue;
      say(`blob eligible for deletion: ${digest}`);
      swept.push(digest);
      if (!opts.dryRun) await driver.delete(blobPath(digest), op);
    }
  }

  if (!opts.dryRun && swept.length > 0) {
    const gone = new Set(swept.map((d) => d.slice('sha256:'.length)));
    // Repositories that only have blobs (a push that never sent its manifest) hold links too.
    for (const repo of await listRepositories(driver, { ...op, marker: '_layers' })) {
      for (const hex of await listOrEmpty(driver, layersDir(repo), op)) {
        if (gone.has(hex)) await driver.delete(layerLinkPath(repo, `sha256:${hex}`), op);
      }
    }
  }
  say(`${marked.size} blobs marked, ${swept.length} blobs eligible for deletion${opts.dryRun ? ' (dry run: nothing deleted)' : ''}`);
  return { marked: marked.size, swept };
}
