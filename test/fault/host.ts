/** Read-only views of the host the fault suite checks: mounts, links, cgroups, processes, nft. */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points at or under `root`. */
export function mountsUnder(root: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => unescapeMount(l.split(' ')[4] ?? ''))
    .filter((m) => m === root || m.startsWith(root + '/'));
}

export interface Link { name: string; master?: string; kind?: string }

export function links(): Link[] {
  const out = execFileSync('ip', ['-j', '-d', 'link', 'show'], { encoding: 'utf8' });
  const v = JSON.parse(out) as { ifname: string; master?: string; linkinfo?: { info_kind?: string } }[];
  return v.map((l) => ({ name: l.ifname, ...(l.master ? { master: l.master } : {}), ...(l.linkinfo?.info_kind ? { kind: l.linkinfo.info_kind } : {}) }));
}

export function nftTables(): string[] {
  try {
    return execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).split('\n').map((l) => l.trim().split(' ').pop() ?? '').filter(Boolean);
  } catch { return []; }
}

/** Container ids that have a cgroup under `/pier` in any hierarchy (v1 controllers or v2). */
export function pierCgroups(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const roots = existsSync('/sys/fs/cgroup/cgroup.controllers') ? ['/sys/fs/cgroup'] : readdirSync('/sys/fs/cgroup').map((d) => join('/sys/fs/cgroup', d));
  for (const r of roots) {
    let names: string[] = [];
    try { names = readdirSync(join(r, 'pier'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name); } catch { continue; }
    for (const n of names) out.set(n, [...(out.get(n) ?? []), join(r, 'pier', n)]);
  }
  return out;
}

export interface Proc { pid: number; argv: string[] }

/** Processes whose command line mentions `needle`. */
export function processesMentioning(needle: string): Proc[] {
  const out: Proc[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (argv.some((a) => a.includes(needle))) out.push({ pid: Number(e), argv });
    } catch { /* gone meanwhile */ }
  }
  return out;
}

export function alive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch { return false; }
}

export function listDir(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}
