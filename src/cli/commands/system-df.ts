// `pier system df`: docker's four-row disk usage summary, or with -v the
// images, containers, local volumes and build cache sections (formatter/disk_usage.go).

import type { ContainerSummary, DiskUsage, ImageSummary, Volume } from '../../client/index.js';
import { parseTemplate } from '../../pkg/gotemplate/index.js';
import { type Handler, writeOut } from '../context.js';
import { PS_HEADERS, containerRow } from '../container-format.js';
import { type Row, goTimeString, renderRows, sortedJson } from '../formatting.js';
import { IMAGES_HEADERS, familiarName } from '../image-format.js';
import { humanDuration, humanSize } from '../units.js';
import { VOLUME_HEADER_CONTEXT, rowJson, volumeRow } from './volume.js';

const pct = (part: number, total: number): string => (total > 0 ? `${humanSize(part)} (${Math.trunc((part * 100) / total)}%)` : humanSize(part));

/** A build cache record as GET /system/df lists it (docker's build.CacheRecord). */
interface CacheRecord {
  ID?: string; Type?: string; Size: number; InUse: boolean; Shared: boolean;
  CreatedAt?: string; LastUsedAt?: string | null; UsageCount?: number;
}

/** docker's running/paused/restarting: a container in those states is active. */
const activeState = (s: string): boolean => s === 'running' || s === 'paused' || s === 'restarting';

/** The builder's size as docker's df counts it: shared records are left out. */
const builderSize = (cache: readonly CacheRecord[]): number => cache.reduce((n, b) => n + (b.Shared ? 0 : b.Size), 0);

export function dfRows(du: DiskUsage): Record<string, string>[] {
  const images = du.Images ?? [];
  const containers = du.Containers ?? [];
  const volumes = du.Volumes ?? [];
  const cache: readonly CacheRecord[] = du.BuildCache ?? [];
  let usedImg = 0;
  for (const i of images) if (i.Containers !== 0 && i.Size !== -1 && i.SharedSize !== -1) usedImg += i.Size - i.SharedSize;
  const imgTotal = du.LayersSize ?? 0;
  let ctrSize = 0;
  let ctrReclaim = 0;
  for (const c of containers) { ctrSize += c.SizeRw ?? 0; if (!activeState(c.State)) ctrReclaim += c.SizeRw ?? 0; }
  let volSize = 0;
  let volReclaim = 0;
  for (const v of volumes) { const s = v.UsageData?.Size ?? -1; if (s !== -1) { volSize += s; if ((v.UsageData?.RefCount ?? 0) === 0) volReclaim += s; } }
  const cacheSize = builderSize(cache);
  let cacheInUse = 0;
  for (const b of cache) if (b.InUse && !b.Shared) cacheInUse += b.Size;
  return [
    { Type: 'Images', TotalCount: String(images.length), Active: String(images.filter((i) => i.Containers > 0).length), Size: humanSize(imgTotal), Reclaimable: pct(imgTotal - usedImg, imgTotal) },
    { Type: 'Containers', TotalCount: String(containers.length), Active: String(containers.filter((c) => activeState(c.State)).length), Size: humanSize(ctrSize), Reclaimable: pct(ctrReclaim, ctrSize) },
    { Type: 'Local Volumes', TotalCount: String(volumes.length), Active: String(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length), Size: humanSize(volSize), Reclaimable: pct(volReclaim, volSize) },
    { Type: 'Build Cache', TotalCount: String(cache.length), Active: String(cache.filter((b) => b.InUse).length), Size: humanSize(cacheSize), Reclaimable: humanSize(cacheSize - cacheInUse) },
  ];
}

const DF_TABLE = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const DF_HEADERS = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };
const DF_RAW = 'type: {{.Type}}\\ntotal: {{.TotalCount}}\\nactive: {{.Active}}\\nsize: {{.Size}}\\nreclaimable: {{.Reclaimable}}\\n';

// ---- -v ----------------------------------------------------------------------------------

export const DF_IMAGE_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}';
export const DF_CONTAINER_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}';
export const DF_VOLUME_TABLE = 'table {{.Name}}\t{{.Links}}\t{{.Size}}';
export const DF_CACHE_TABLE = 'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}';
const CACHE_HEADERS = { ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE', Shared: 'SHARED' };

const isDangling = (i: ImageSummary): boolean => {
  const tags = i.RepoTags ?? [];
  const digests = i.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>';
};

/** df's image row: only the first tag names it (docker's verboseWrite); sizes as imageContext prints them. */
export function dfImageRow(i: ImageSummary, opts: { trunc: boolean; now: number }): Row {
  let repo = '<none>';
  let tag = '<none>';
  const first = i.RepoTags?.[0];
  if (first !== undefined && !isDangling(i)) {
    const slash = first.lastIndexOf('/');
    const colon = first.lastIndexOf(':');
    if (colon > slash) { repo = familiarName(first.slice(0, colon)); tag = first.slice(colon + 1); }
  }
  return {
    Repository: repo, Tag: tag,
    ID: opts.trunc ? i.Id.replace(/^sha256:/, '').slice(0, 12) : i.Id,
    Digest: '',
    CreatedSince: `${humanDuration(opts.now - i.Created * 1000)} ago`,
    CreatedAt: goTimeString(new Date(i.Created * 1000)),
    Size: humanSize(i.Size, 3),
    VirtualSize: humanSize(i.Size),
    SharedSize: i.SharedSize === -1 ? 'N/A' : humanSize(i.SharedSize),
    UniqueSize: i.Size === -1 || i.SharedSize === -1 ? 'N/A' : humanSize(i.Size - i.SharedSize),
    Containers: i.Containers === -1 ? 'N/A' : String(i.Containers),
  };
}

/** df's container row: ps's, without the virtual size. */
export function dfContainerRow(c: ContainerSummary, opts: { trunc: boolean; now: number }): Row {
  return containerRow({ ...c, SizeRootFs: 0 }, opts);
}

function cacheRow(b: CacheRecord, opts: { trunc: boolean; now: number }): Row {
  const since = (t: string | null | undefined): string => {
    const ms = t ? Date.parse(t) : Number.NaN;
    return Number.isNaN(ms) ? '' : `${humanDuration(opts.now - ms)} ago`;
  };
  const id = b.ID ?? '';
  return {
    ID: opts.trunc ? id.slice(0, 12) : id, CacheType: b.Type ?? '', Size: humanSize(b.Size),
    CreatedSince: since(b.CreatedAt), LastUsedSince: since(b.LastUsedAt), UsageCount: String(b.UsageCount ?? 0), Shared: String(b.Shared),
  };
}

/** What a -v template sees: docker's diskUsageContext of four lists. */
function verboseData(du: DiskUsage, trunc: boolean, now: number): Record<string, Row[]> {
  const data = {
    Images: (du.Images ?? []).map((i) => dfImageRow(i, { trunc, now })),
    Containers: (du.Containers ?? []).map((c) => dfContainerRow(c, { trunc, now })),
    Volumes: (du.Volumes ?? []).map((v) => volumeRow(v as unknown as Volume)),
    BuildCache: (du.BuildCache ?? []).map((b) => cacheRow(b, { trunc, now })),
  };
  return data;
}

/** `system df -v` in docker's table layout: four titled sections. */
export function dfVerboseTable(du: DiskUsage, now: number): string {
  const d = verboseData(du, true, now);
  const table = (format: string, rows: readonly Row[], headers: Record<string, string>): string => renderRows(format, rows, { defaultTable: format, headers });
  return `Images space usage:\n\n${table(DF_IMAGE_TABLE, d['Images'] ?? [], IMAGES_HEADERS)}` +
    `\nContainers space usage:\n\n${table(DF_CONTAINER_TABLE, d['Containers'] ?? [], PS_HEADERS)}` +
    `\nLocal Volumes space usage:\n\n${table(DF_VOLUME_TABLE, d['Volumes'] ?? [], VOLUME_HEADER_CONTEXT)}` +
    `\nBuild cache usage: ${humanSize(builderSize(du.BuildCache ?? []))}\n\n${table(DF_CACHE_TABLE, d['BuildCache'] ?? [], CACHE_HEADERS)}`;
}

/**
 * `-v` with any other format: one template run over the four lists (no
 * newline added, as docker executes it straight to stdout); `json` marshals them.
 */
export function dfVerboseTemplate(du: DiskUsage, format: string, now: number): string {
  let f = format.startsWith('table') ? format.slice('table'.length) : format;
  f = f.trim().replaceAll('\\t', '\t').replaceAll('\\n', '\n');
  const d = verboseData(du, format.startsWith('table'), now);
  if (format === 'json' || f === '{{json .}}') {
    const lists = ['Images', 'Containers', 'Volumes', 'BuildCache'].map((k) => `${JSON.stringify(k)}:[${(d[k] ?? []).map((r) => sortedJson(rowJson(r))).join(',')}]`);
    return `{${lists.join(',')}}`;
  }
  return parseTemplate(f).execute(d);
}

export const systemDfCommand: Handler = async (ctx) => {
  const du = await ctx.client().system.df();
  const format = ctx.flags.string('format') ?? '';
  if (ctx.flags.bool('verbose')) {
    writeOut(format === '' || format === 'table' ? dfVerboseTable(du, Date.now()) : dfVerboseTemplate(du, format, Date.now()));
    return;
  }
  writeOut(renderRows(format === 'raw' ? DF_RAW : format, dfRows(du), { defaultTable: DF_TABLE, headers: DF_HEADERS, json: (r) => r }));
};
