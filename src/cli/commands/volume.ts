// `pier volume create|ls|inspect|rm|prune`, as docker 28's cli/command/volume does them:
// create's flags and request, the ls table (formatter/volume.go), inspect's
// re-marshalled volume.Volume, rm's joined errors and prune's prompt and report.

import type { Volume, VolumeCreateRequest } from '../../client/index.js';
import { messageOf } from '../../errdefs/index.js';
import { encodeFilters } from '../../pkg/filters/index.js';
import { parseTemplate, type Template } from '../../pkg/gotemplate/index.js';
import { type CommandContext, type Handler, StatusError, writeOut } from '../context.js';
import { type Row, filterMap, goEscape, goQuote, renderRows } from '../formatting.js';
import { kvMap } from '../opts.js';
import { humanSize } from '../units.js';
import { labelHeader, labelProblem, naturalLess } from './network.js';
import { confirm, pruneVolumes } from './prune.js';

// ---- ls formatting -----------------------------------------------------------------------

export const VOLUME_DEFAULT_TABLE = 'table {{.Driver}}\t{{.Name}}';
/** `ls --cluster`: swarm's columns (pier has no cluster volumes, so only the header shows). */
export const VOLUME_CLUSTER_TABLE = 'table {{.Name}}\t{{.Group}}\t{{.Driver}}\t{{.Availability}}\t{{.Status}}';
export const VOLUME_HEADERS: Record<string, string> = {
  ID: 'ID', Name: 'VOLUME NAME', Group: 'GROUP', Driver: 'DRIVER', Scope: 'SCOPE', Availability: 'AVAILABILITY',
  Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE', Status: 'STATUS',
};

/** The header row's data: the titles, and Label as a method (docker's SubHeaderContext). */
export const VOLUME_HEADER_CONTEXT = { ...VOLUME_HEADERS, Label: labelHeader } as unknown as Record<string, string>;

/** docker's NewVolumeFormat: the template a --format/--quiet pair stands for. */
export function volumeListFormat(format: string, quiet: boolean): string {
  if (format === 'table') return quiet ? '{{.Name}}' : VOLUME_DEFAULT_TABLE;
  if (format === 'raw') return quiet ? 'name: {{.Name}}' : 'name: {{.Name}}\\ndriver: {{.Driver}}\\n';
  return format;
}

/**
 * The row a volume template sees (docker's volumeContext). Labels are joined in
 * key order: docker walks a Go map, whose order is random.
 */
export function volumeRow(v: Volume): Row {
  const labels = v.Labels ?? {};
  const usage = v.UsageData ?? undefined;
  const cluster = v.ClusterVolume ?? undefined;
  const spec = (cluster?.['Spec'] ?? {}) as { Group?: string; Availability?: string };
  let status = 'N/A';
  if (cluster) {
    const info = cluster['Info'] as { VolumeID?: string } | undefined;
    const published = (cluster['PublishStatus'] as unknown[] | undefined)?.length ?? 0;
    status = !info?.VolumeID ? 'pending creation' : published === 0 ? 'created' : published === 1 ? 'in use (1 node)' : `in use (${published} nodes)`;
  }
  return {
    Name: v.Name,
    Driver: v.Driver,
    Scope: v.Scope,
    Mountpoint: v.Mountpoint,
    Labels: Object.entries(labels).map(([k, val]) => `${k}=${val}`).sort().join(','),
    Links: usage ? String(usage.RefCount) : 'N/A',
    Size: usage ? humanSize(usage.Size) : 'N/A',
    Group: cluster ? (spec.Group ?? '') : 'N/A',
    Availability: cluster ? (spec.Availability ?? '') : 'N/A',
    Status: status,
    Label: (name: string): string => labels[name] ?? '',
  };
}

/** `--format json`: the row's methods without arguments (docker's MarshalJSON of a context). */
export const rowJson = (r: Row): Record<string, unknown> => Object.fromEntries(Object.entries(r).filter(([, v]) => typeof v !== 'function'));

/** `volume ls` in the order docker prints it (sortorder.NaturalLess by name). */
export function renderVolumeList(volumes: readonly Volume[], opts: { format: string; quiet: boolean; cluster: boolean }): string {
  let list = [...volumes];
  let format = opts.format;
  if (format === '' && !opts.cluster) format = 'table';
  else if (opts.cluster) {
    // docker filters client-side, and --cluster overrides --format
    list = list.filter((v) => v.ClusterVolume !== undefined && v.ClusterVolume !== null);
    format = opts.quiet ? 'table' : VOLUME_CLUSTER_TABLE;
  }
  list.sort((a, b) => (naturalLess(a.Name, b.Name) ? -1 : naturalLess(b.Name, a.Name) ? 1 : 0));
  return renderRows(volumeListFormat(format, opts.quiet), list.map(volumeRow), { defaultTable: VOLUME_DEFAULT_TABLE, headers: VOLUME_HEADER_CONTEXT, json: rowJson });
}

// ---- inspect -----------------------------------------------------------------------------

/** Go's map marshalling: keys sorted, at every level of a map[string]interface{}. */
function sortedMap(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedMap);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, sortedMap(o[k])]));
}

/**
 * The volume as docker's CLI re-marshals its volume.Volume: fields in struct
 * order, ClusterVolume/CreatedAt/Status/UsageData only when set, maps sorted.
 */
export function volumeStruct(v: Volume): Record<string, unknown> {
  return {
    ...(v.ClusterVolume ? { ClusterVolume: v.ClusterVolume } : {}),
    ...(v.CreatedAt ? { CreatedAt: v.CreatedAt } : {}),
    Driver: v.Driver ?? '',
    Labels: sortedMap(v.Labels ?? null),
    Mountpoint: v.Mountpoint ?? '',
    Name: v.Name ?? '',
    Options: sortedMap(v.Options ?? null),
    Scope: v.Scope ?? '',
    ...(v.Status && Object.keys(v.Status).length > 0 ? { Status: sortedMap(v.Status) } : {}),
    ...(v.UsageData ? { UsageData: { Size: v.UsageData.Size, RefCount: v.UsageData.RefCount } } : {}),
  };
}

/** A Go map for a template: nil prints `map[]` and is false, but `json` still writes `null`. */
function goMap(m: Record<string, unknown> | null | undefined): Record<string, unknown> {
  if (m) return { ...m };
  const empty: Record<string, unknown> = {};
  Object.defineProperty(empty, 'toJSON', { value: () => null, enumerable: false });
  return empty;
}

/** What `volume inspect -f` sees: the Go struct, so unset fields are zero values, not missing keys. */
export function volumeTemplateData(v: Volume): Record<string, unknown> {
  const data: Record<string, unknown> = {
    ClusterVolume: v.ClusterVolume ?? null,
    CreatedAt: v.CreatedAt ?? '',
    Driver: v.Driver ?? '',
    Labels: goMap(v.Labels),
    Mountpoint: v.Mountpoint ?? '',
    Name: v.Name ?? '',
    Options: goMap(v.Options),
    Scope: v.Scope ?? '',
    Status: goMap(v.Status),
    UsageData: v.UsageData ?? null,
  };
  Object.defineProperty(data, 'toJSON', { value: () => volumeStruct(v), enumerable: false });
  return data;
}

/** inspect's JSON: an array indented 4 spaces (json.MarshalIndent), or compact for "json". */
export function volumeInspectJson(volumes: readonly Volume[], compact: boolean): string {
  if (volumes.length === 0) return '[]\n';
  return `${goEscape(JSON.stringify(volumes.map(volumeStruct), null, compact ? undefined : 4))}\n`;
}

// ---- commands ----------------------------------------------------------------------------

const CREATE_USAGE = '[OPTIONS] [VOLUME]';

/** A flag value docker rejects while parsing flags: usage error, exit 125. */
function usageError(ctx: CommandContext, usage: string, flag: string, raw: string, why: string): StatusError {
  return new StatusError(125, `invalid argument ${goQuote(raw)} for "${flag}" flag: ${why}\n\nUsage:  ${ctx.path} ${usage}\n\nRun '${ctx.path} --help' for more information`);
}

/** docker's hasClusterVolumeOptionSet, "secrets" (not "secret") and all. */
const CLUSTER_FLAGS = ['group', 'scope', 'sharing', 'availability', 'type', 'secrets', 'limit-bytes', 'required-bytes'];

/** The ClusterVolumeSpec docker sends when a cluster flag is set (the daemon refuses it without swarm). */
function clusterSpec(ctx: CommandContext): Record<string, unknown> {
  const f = ctx.flags;
  const topology = (long: string): Array<{ Segments: Record<string, string> }> => f.list(long).map((t) => ({ Segments: kvMap(t.split(',')) }));
  const secrets = Object.entries(kvMap(f.list('secret'))).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([Key, Secret]) => ({ Key, Secret }));
  const type = f.string('type') ?? 'block';
  const requisite = topology('topology-required');
  const preferred = topology('topology-preferred');
  const group = f.string('group') ?? '';
  const availability = f.string('availability') ?? 'active';
  return {
    ...(group !== '' ? { Group: group } : {}),
    AccessMode: {
      Scope: f.string('scope') ?? 'single', Sharing: f.string('sharing') ?? 'none',
      ...(type === 'mount' ? { MountVolume: {} } : type === 'block' ? { BlockVolume: {} } : {}),
    },
    ...(secrets.length > 0 ? { Secrets: secrets } : {}),
    AccessibilityRequirements: { ...(requisite.length > 0 ? { Requisite: requisite } : {}), ...(preferred.length > 0 ? { Preferred: preferred } : {}) },
    CapacityRange: {},
    ...(availability !== '' ? { Availability: availability } : {}),
  };
}

/**
 * docker's create request: empty maps and strings are left out (omitempty),
 * map keys sorted as Go marshals them (the daemon may compare the bytes).
 */
export function volumeCreateRequest(o: { name: string; driver: string; opts: Record<string, string>; labels: Record<string, string>; cluster?: Record<string, unknown> }): VolumeCreateRequest {
  const sorted = (m: Record<string, string>): Record<string, string> => sortedMap(m) as Record<string, string>;
  return {
    ...(o.cluster ? { ClusterVolumeSpec: o.cluster } : {}),
    ...(o.driver !== '' ? { Driver: o.driver } : {}),
    ...(Object.keys(o.opts).length > 0 ? { DriverOpts: sorted(o.opts) } : {}),
    ...(Object.keys(o.labels).length > 0 ? { Labels: sorted(o.labels) } : {}),
    ...(o.name !== '' ? { Name: o.name } : {}),
  };
}

export const volumeCreateCommand: Handler = async (ctx) => {
  const f = ctx.flags;
  for (const l of f.list('label')) {
    const why = labelProblem(l);
    if (why !== undefined) throw usageError(ctx, CREATE_USAGE, '--label', l, why);
  }
  let name = f.string('name') ?? '';
  const arg = ctx.args[0];
  if (arg !== undefined) {
    if (name !== '') throw new StatusError(1, 'conflicting options: cannot specify a volume-name through both --name and as a positional arg');
    name = arg;
  }
  const cluster = CLUSTER_FLAGS.some((c) => f.changed(c)) ? clusterSpec(ctx) : undefined;
  const vol = await ctx.client().volumes.create(volumeCreateRequest({
    name, driver: f.string('driver') ?? 'local', opts: kvMap(f.list('opt')), labels: kvMap(f.list('label')), ...(cluster ? { cluster } : {}),
  }));
  writeOut(`${vol.Name}\n`);
};

export const volumeListCommand: Handler = async (ctx) => {
  const f = ctx.flags;
  const filters = filterMap(f.list('filter'));
  const res = await ctx.client().volumes.list(Object.keys(filters).length > 0 ? { filters: encodeFilters(filters) } : {});
  writeOut(renderVolumeList(res.Volumes ?? [], { format: f.string('format') ?? '', quiet: f.bool('quiet'), cluster: f.bool('cluster') }));
};

/**
 * docker's inspect.Inspect over typed volumes: output waits until every name
 * was tried; then the errors, joined, end the command with exit 1.
 */
export const volumeInspectCommand: Handler = async (ctx) => {
  const fmt = ctx.flags.string('format') ?? '';
  let tpl: Template | undefined;
  if (fmt !== '' && fmt !== 'json') {
    try { tpl = parseTemplate(fmt); } catch (err) { throw new StatusError(64, messageOf(err)); }
  }
  const found: Volume[] = [];
  const errs: string[] = [];
  let lines = '';
  for (const name of ctx.args) {
    try {
      const v = await ctx.client().volumes.inspect(name);
      if (!tpl) { found.push(v); continue; }
      try { lines += `${tpl.execute(volumeTemplateData(v))}\n`; } catch (err) { errs.push(`template parsing error: ${messageOf(err)}`); }
    } catch (err) {
      errs.push(messageOf(err));
    }
  }
  if (tpl) writeOut(lines === '' ? '\n' : lines);
  else writeOut(volumeInspectJson(found, fmt === 'json'));
  if (errs.length > 0) throw new StatusError(1, errs.join('\n'));
};

/** Each name printed once removed; the failures, joined, go to stderr at the end (errors.Join), exit 1. */
export const volumeRemoveCommand: Handler = async (ctx) => {
  const client = ctx.client();
  const errs: string[] = [];
  for (const name of ctx.args) {
    try {
      await client.volumes.remove(name, { force: ctx.flags.bool('force') });
    } catch (err) {
      errs.push(messageOf(err));
      continue;
    }
    writeOut(`${name}\n`);
  }
  if (errs.length > 0) throw new StatusError(1, errs.join('\n'));
};

export const VOLUME_PRUNE_WARNING = 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ';
export const VOLUME_PRUNE_ALL_WARNING = 'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ';

export const volumePruneCommand: Handler = async (ctx) => {
  const filters = filterMap(ctx.flags.list('filter'));
  const all = ctx.flags.bool('all');
  if (all) {
    if ('all' in filters) throw new StatusError(1, 'conflicting options: cannot specify both --all and --filter all=1');
    filters['all'] = ['true'];
  }
  if (!ctx.flags.bool('force') && !(await confirm(all ? VOLUME_PRUNE_ALL_WARNING : VOLUME_PRUNE_WARNING))) return 0;
  const { text, space } = await pruneVolumes(ctx, filters);
  writeOut(`${text}Total reclaimed space: ${humanSize(space)}\n`);
  return 0;
};
