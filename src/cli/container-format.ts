// How `pier ps` shows a container: docker's ContainerContext fields.

import type { ContainerSummary, PortSummary } from '../client/index.js';
import { parseImageRef } from './image-ref.js';
import { type Row, ellipsis, goQuote, goTimeString } from './formatting.js';
import { humanDuration, humanSize } from './units.js';

export const PS_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS',
  State: 'STATE', Status: 'STATUS', Size: 'SIZE', Names: 'NAMES', Labels: 'LABELS', Mounts: 'MOUNTS', Networks: 'NETWORKS',
  LocalVolumes: 'LOCAL VOLUMES', Platform: 'PLATFORM',
};

function joinHostPort(ip: string, port: string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** docker's DisplayablePorts: groups consecutive ports, host mappings last. */
export function displayablePorts(input: readonly PortSummary[] | null | undefined): string {
  const ports = [...(input ?? [])].sort((a, b) => {
    if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
    if ((a.IP ?? '') !== (b.IP ?? '')) return (a.IP ?? '') < (b.IP ?? '') ? -1 : 1;
    if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
    return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
  });
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  const form = (key: string, first: number, last: number): string => {
    const slash = key.lastIndexOf('/');
    const ip = slash >= 0 ? key.slice(0, slash) : '';
    const type = slash >= 0 ? key.slice(slash + 1) : key;
    let g = String(first);
    if (first !== last) g = `${g}-${last}`;
    if (ip !== '') g = `${joinHostPort(ip, g)}->${g}`;
    return `${g}/${type}`;
  };
  for (const p of ports) {
    const cur = p.PrivatePort;
    let key = p.Type;
    if (p.IP !== undefined && p.IP !== '') {
      if ((p.PublicPort ?? 0) !== cur) {
        hostMappings.push(`${joinHostPort(p.IP, String(p.PublicPort ?? 0))}->${cur}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) { groups.set(key, { first: cur, last: cur }); continue; }
    if (cur === g.last + 1) { g.last = cur; continue; }
    result.push(form(key, g.first, g.last));
    g.first = cur; g.last = cur;
  }
  for (const [k, g] of groups) result.push(form(k, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}

function imageColumn(c: ContainerSummary, trunc: boolean): string {
  if (c.Image === '') return '<no image>';
  if (!trunc) return c.Image;
  const short = (s: string): string => s.replace(/^sha256:/, '').slice(0, 12);
  if (short(c.ImageID) === short(c.Image)) return short(c.Image);
  if (parseImageRef(c.Image) === undefined) return c.Image;
  // ParseNormalizedNamed + TrimNamed (+ the tag when given) + FamiliarString: drop the digest and docker.io/library/
  return c.Image.replace(/@.*$/, '').replace(/^(?:index\.)?docker\.io\/(?:library\/(?=[^/]+$))?/, '');
}

/** The row a ps template sees (docker's ContainerContext). */
export function containerRow(c: ContainerSummary, opts: { trunc: boolean; now: number }): Row {
  const names = (c.Names ?? []).map((n) => n.slice(1));
  let shown = names;
  if (opts.trunc) { const top = names.find((n) => !n.includes('/')); if (top !== undefined) shown = [top]; }
  const labels = c.Labels ?? {};
  const mounts = (c.Mounts ?? []).map((m) => { const n = m.Name ? m.Name : m.Source; return opts.trunc ? ellipsis(n, 15) : n; });
  const srw = humanSize(c.SizeRw ?? 0, 3);
  return {
    ID: opts.trunc ? c.Id.slice(0, 12) : c.Id,
    Image: imageColumn(c, opts.trunc),
    Command: goQuote(opts.trunc ? ellipsis(c.Command, 20) : c.Command),
    CreatedAt: goTimeString(new Date(c.Created * 1000)),
    RunningFor: `${humanDuration(opts.now - c.Created * 1000)} ago`,
    Ports: displayablePorts(c.Ports),
    State: c.State,
    Status: c.Status,
    Size: (c.SizeRootFs ?? 0) > 0 ? `${srw} (virtual ${humanSize(c.SizeRootFs ?? 0, 3)})` : srw,
    Names: shown.join(','),
    Labels: Object.entries(labels).map(([k, v]) => `${k}=${v}`).sort().join(','),
    Mounts: mounts.join(','),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).join(','),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
    Platform: null,
    Label: (name: string): string => labels[name] ?? '',
  };
}
