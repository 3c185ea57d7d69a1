// `pier system df`: docker's four-row disk usage summary (or -v detail).

import type { DiskUsage } from '../../client/index.js';
import { type Handler, writeOut } from '../context.js';
import { renderRows } from '../formatting.js';
import { humanSize } from '../units.js';

const pct = (part: number, total: number): string => (total > 0 ? `${humanSize(part)} (${Math.trunc((part * 100) / total)}%)` : humanSize(part));

export function dfRows(du: DiskUsage): Record<string, string>[] {
  const images = du.Images ?? [];
  const containers = du.Containers ?? [];
  const volumes = du.Volumes ?? [];
  const cache = du.BuildCache ?? [];
  let usedImg = 0;
  for (const i of images) if (i.Containers !== 0 && i.Size !== -1 && i.SharedSize !== -1) usedImg += i.Size - i.SharedSize;
  const imgTotal = du.LayersSize ?? 0;
  let ctrSize = 0;
  let ctrReclaim = 0;
  for (const c of containers) { ctrSize += c.SizeRw ?? 0; if (c.State !== 'running' && c.State !== 'paused') ctrReclaim += c.SizeRw ?? 0; }
  let volSize = 0;
  let volReclaim = 0;
  for (const v of volumes) { const s = v.UsageData?.Size ?? -1; if (s !== -1) { volSize += s; if ((v.UsageData?.RefCount ?? 0) === 0) volReclaim += s; } }
  let cacheSize = 0;
  let cacheReclaim = 0;
  for (const b of cache) { cacheSize += b.Size; if (!b.InUse && !b.Shared) cacheReclaim += b.Size; }
  return [
    { Type: 'Images', TotalCount: String(images.length), Active: String(images.filter((i) => i.Containers > 0).length), Size: humanSize(imgTotal), Reclaimable: pct(imgTotal - usedImg, imgTotal) },
    { Type: 'Containers', TotalCount: String(containers.length), Active: String(containers.filter((c) => c.State === 'running' || c.State === 'paused').length), Size: humanSize(ctrSize), Reclaimable: pct(ctrReclaim, ctrSize) },
    { Type: 'Local Volumes', TotalCount: String(volumes.length), Active: String(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length), Size: humanSize(volSize), Reclaimable: pct(volReclaim, volSize) },
    { Type: 'Build Cache', TotalCount: String(cache.length), Active: String(cache.filter((b) => b.InUse).length), Size: humanSize(cacheSize), Reclaimable: humanSize(cacheReclaim) },
  ];
}

export const systemDfCommand: Handler = async (ctx) => {
  const du = await ctx.client().system.df();
  const rows = dfRows(du);
  writeOut(renderRows(ctx.flags.string('format') ?? '', rows, {
    defaultTable: 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}',
    headers: { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' },
    json: (r) => r,
  }));
};
