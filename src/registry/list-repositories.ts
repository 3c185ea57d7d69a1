// The catalog: every repository name that holds manifests, found by walking
// repositories/ (distribution `registry/storage/catalog.go` walks the same way).

import { isNotFound } from '../errdefs/index.js';
import type { Op, StorageDriver } from './storage-driver.js';
import { MANIFESTS_DIR_NAME, REPOSITORIES_DIR } from './storage-paths.js';

/**
 * Repository names in lexical order. A name may also be a prefix of another
 * (`a` and `a/b`). A repository is a directory holding `marker` (default
 * `_manifests`: repositories with at least one manifest).
 */
export async function listRepositories(driver: StorageDriver, op: Op & { marker?: string } = {}): Promise<string[]> {
  const marker = op.marker ?? MANIFESTS_DIR_NAME;
  const found: string[] = [];
  const walk = async (name: string): Promise<void> => {
    let children: string[];
    try {
      children = await driver.list(name === '' ? REPOSITORIES_DIR : `${REPOSITORIES_DIR}/${name}`, op);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (name !== '' && children.includes(marker)) found.push(name);
    // `_manifests`, `_layers`, `_referrers` and temp files are not repository components.
    for (const c of children.filter((c) => !c.startsWith('_') && !c.startsWith('.')).sort()) {
      await walk(name === '' ? c : `${name}/${c}`);
    }
  };
  await walk('');
  return found.sort();
}
