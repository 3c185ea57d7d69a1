import { existsSync, readFileSync, mkdirSync, rmdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from './exec.js';

export interface CgroupSetup { version: 1 | 2; root: string; notes: string[] }

/**
 * Detects the cgroup layout and makes it usable by crun: on a hybrid host, crun
 * refuses to run while a controller sits in the cgroup2 hierarchy, so any such
 * controller (hugetlb on these machines) is mounted as a v1 hierarchy instead.
 */
export async function prepareCgroups(root = '/sys/fs/cgroup'): Promise<CgroupSetup> {
  const notes: string[] = [];
  if (existsSync(join(root, 'cgroup.controllers'))) return { version: 2, root, notes };
  const unified = join(root, 'unified', 'cgroup.controllers');
  if (existsSync(unified)) {
    const stray = readFileSync(unified, 'utf8').trim().split(/\s+/).filter(Boolean);
    for (const c of stray) {
      const dir = join(root, c);
      if (existsSync(join(dir, 'cgroup.procs'))) continue;
      mkdirSync(dir, { recursive: true });
      const r = await exec('mount', ['-t', 'cgroup', '-o', c, 'cgroup', dir], { allowFailure: true });
      notes.push(r.code === 0 ? `moved the ${c} controller from cgroup2 to a v1 hierarchy for crun` : `could not mount the ${c} controller as v1: ${r.stderr.trim()}`);
    }
  }
  return { version: 1, root, notes };
}

/** Removes a container's cgroup directories (all v1 hierarchies, or the v2 one); idempotent. */
export function removeCgroup(setup: CgroupSetup, cgroupsPath: string): void {
  const dirs = setup.version === 2 ? [setup.root] : readdirSync(setup.root).map((d) => join(setup.root, d));
  for (const d of dirs) {
    try {
      rmdirSync(join(d, cgroupsPath));
    } catch {
      // absent already, or not a hierarchy: nothing to remove
    }
  }
}
