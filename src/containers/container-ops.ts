import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { exec as run } from '../kernel/index.js';

/** One entry of `docker diff`: Kind 0 modified, 1 added, 2 deleted. */
export interface Change { Path: string; Kind: 0 | 1 | 2 }

async function existsIn(lowers: readonly string[], rel: string): Promise<boolean> {
  for (const l of lowers) {
    try { await lstat(join(l, rel)); return true; } catch { /* not in this layer */ }
  }
  return false;
}

async function opaqueDirs(upper: string): Promise<Set<string>> {
  const r = await run('getfattr', ['-R', '-h', '--absolute-names', '-n', 'trusted.overlay.opaque', upper], { allowFailure: true }).catch(() => undefined);
  const out = new Set<string>();
  if (!r) return out;
  for (const line of r.stdout.split('\n')) {
    const m = /^# file: (.*)$/.exec(line);
    if (m?.[1]) out.add(m[1]);
  }
  return out;
}

/**
 * Walks a container's upper dir against its image layers: whiteouts (0/0 char
 * devices) are deletions, paths absent below are additions, the rest changes.
 * Parents of changed paths show as changed, as docker reports them.
 */
export async function diffUpper(upper: string, lowers: readonly string[]): Promise<Change[]> {
  const out: Change[] = [];
  const opaque = await opaqueDirs(upper);
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(upper, rel), { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const p = join(upper, r);
      const st = await lstat(p);
      if (st.isCharacterDevice() && st.rdev === 0) {
        out.push({ Path: `/${r}`, Kind: 2 });
        continue;
      }
      const inLower = await existsIn(lowers, r);
      out.push({ Path: `/${r}`, Kind: inLower && !opaque.has(p) ? 0 : 1 });
      if (e.isDirectory()) await walk(r);
    }
  };
  await walk('');
  return out;
}
