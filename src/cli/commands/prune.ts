// `pier container prune`, `pier image prune`, `pier network prune` and `pier system prune`
// (containers, networks, with --volumes anonymous volumes, and images; build cache not yet).
// `pier volume prune` lives in volume.ts and uses pruneVolumes from here.

import * as readline from 'node:readline';
import { encodeFilters } from '../../pkg/filters/index.js';
import { type CommandContext, type Handler, StatusError, writeErr, writeOut } from '../context.js';
import { filterMap } from '../formatting.js';
import { humanSize } from '../units.js';
import { naturalLess } from './network.js';

/** Asks on stdout, reads one line of stdin; only y/Y confirms (EOF = no), as docker's prompt.Confirm. */
export async function confirm(question: string): Promise<boolean> {
  writeOut(question);
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
    });
    return /^y$/i.test(answer.trim());
  } finally {
    rl.close();
    process.stdin.pause();
  }
}

async function pruneContainers(ctx: Parameters<Handler>[0]): Promise<number> {
  const filters = filterMap(ctx.flags.list('filter'));
  const report = await ctx.client().containers.prune(Object.keys(filters).length > 0 ? encodeFilters(filters) : undefined);
  const deleted = report.ContainersDeleted ?? [];
  if (deleted.length > 0) writeOut(`Deleted Containers:\n${deleted.map((d) => `${d}\n`).join('')}\n`);
  return report.SpaceReclaimed ?? 0;
}

async function pruneImages(ctx: Parameters<Handler>[0], all: boolean): Promise<number> {
  const filters = filterMap(ctx.flags.list('filter'));
  if (all) filters['dangling'] = ['false'];
  const report = await ctx.client().images.prune(Object.keys(filters).length > 0 ? encodeFilters(filters) : undefined);
  const items = report.ImagesDeleted ?? [];
  if (items.length > 0) {
    writeOut(`Deleted Images:\n${items.map((i) => (i.Untagged !== undefined ? `untagged: ${i.Untagged}\n` : `deleted: ${i.Deleted ?? ''}\n`)).join('')}\n`);
  }
  return report.SpaceReclaimed ?? 0;
}

/** POST /networks/prune; docker's "Deleted Networks:" block, or '' when nothing went. */
async function pruneNetworks(ctx: Parameters<Handler>[0]): Promise<string> {
  const filters = filterMap(ctx.flags.list('filter'));
  const report = await ctx.client().networks.prune(Object.keys(filters).length > 0 ? encodeFilters(filters) : undefined);
  const names = report.NetworksDeleted ?? [];
  return names.length > 0 ? `Deleted Networks:\n${names.map((n) => `${n}\n`).join('')}` : '';
}

/** docker's "Deleted Volumes:" block (with the blank line Fprintln adds), or '' when nothing went. */
export function deletedVolumesText(names: readonly string[] | null | undefined): string {
  return names && names.length > 0 ? `Deleted Volumes:\n${names.map((n) => `${n}\n`).join('')}\n` : '';
}

/**
 * POST /volumes/prune with `filters` (docker's `all` filter included);
 * docker counts the space only when something was deleted.
 */
export async function pruneVolumes(ctx: CommandContext, filters: Readonly<Record<string, readonly string[]>>): Promise<{ text: string; space: number }> {
  const report = await ctx.client().volumes.prune(Object.keys(filters).length > 0 ? encodeFilters(filters) : undefined);
  const deleted = report.VolumesDeleted ?? [];
  return { text: deletedVolumesText(deleted), space: deleted.length > 0 ? (report.SpaceReclaimed ?? 0) : 0 };
}

export const networkPruneCommand: Handler = async (ctx) => {
  if (!ctx.flags.bool('force') && !(await confirm('WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] '))) return 0;
  const out = await pruneNetworks(ctx);
  if (out !== '') writeOut(`${out}\n`);
  return 0;
};

/**
 * docker's system prune confirmation: what goes, then the label/until filters
 * applied. pier prunes no build cache yet, so it is not promised.
 */
export function systemPruneWarning(opts: { all: boolean; volumes?: boolean; filters: Readonly<Record<string, readonly string[]>> }): string {
  const warnings = [
    'all stopped containers',
    'all networks not used by at least one container',
    ...(opts.volumes === true ? ['all anonymous volumes not used by at least one container'] : []),
    opts.all ? 'all images without at least one container associated to them' : 'all dangling images',
  ];
  const shown = ['label', 'label!', 'until'].flatMap((k) => (opts.filters[k] ?? []).map((v) => `${k}=${v}`)).sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
  let text = `WARNING! This will remove:${warnings.map((w) => `\n  - ${w}`).join('')}\n`;
  if (shown.length > 0) text += `\n  Items to be pruned will be filtered with:${shown.map((f) => `\n  - ${f}`).join('')}\n`;
  return `${text}\nAre you sure you want to continue? [y/N] `;
}

export const imagePruneCommand: Handler = async (ctx) => {
  const all = ctx.flags.bool('all');
  const warning = all ? 'WARNING! This will remove all images without at least one container associated to them.' : 'WARNING! This will remove all dangling images.';
  if (!ctx.flags.bool('force') && !(await confirm(`${warning}\nAre you sure you want to continue? [y/N] `))) return 0;
  const space = await pruneImages(ctx, all);
  writeOut(`Total reclaimed space: ${humanSize(space)}\n`);
  return 0;
};

export const containerPruneCommand: Handler = async (ctx) => {
  if (!ctx.flags.bool('force') && !(await confirm('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] '))) return 0;
  const space = await pruneContainers(ctx);
  writeOut(`Total reclaimed space: ${humanSize(space)}\n`);
  return 0;
};

export const systemPruneCommand: Handler = async (ctx) => {
  const all = ctx.flags.bool('all');
  const volumes = ctx.flags.bool('volumes');
  const filters = filterMap(ctx.flags.list('filter'));
  // docker checks this before it asks
  if (volumes && 'until' in filters) throw new StatusError(1, 'ERROR: The "until" filter is not supported with "--volumes"');
  const warning = systemPruneWarning({ all, volumes, filters });
  if (!ctx.flags.bool('force') && !(await confirm(warning))) return 0;
  writeErr('pier system prune: build cache is not pruned yet\n');
  let space = await pruneContainers(ctx);
  const networks = await pruneNetworks(ctx);
  if (networks !== '') writeOut(`${networks}\n`);
  if (volumes) {
    // docker's volume.RunPrune: anonymous volumes only, whatever -a says
    const v = await pruneVolumes(ctx, filters);
    writeOut(v.text);
    space += v.space;
  }
  space += await pruneImages(ctx, all);
  writeOut(`Total reclaimed space: ${humanSize(space)}\n`);
  return 0;
};
