// `pier container prune`, `pier image prune` and `pier system prune` (containers and images).

import * as readline from 'node:readline';
import { encodeFilters } from '../../pkg/filters/index.js';
import { type Handler, writeErr, writeOut } from '../context.js';
import { filterMap } from '../formatting.js';
import { humanSize } from '../units.js';

/** Asks on stdout, reads one line of stdin; only y/Y confirms (EOF = no). */
export async function confirm(question: string): Promise<boolean> {
  writeOut(question);
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
    });
    return /^y(es)?$/i.test(answer.trim());
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
  const images = all ? '  - all images without at least one container associated to them' : '  - all dangling images';
  if (!ctx.flags.bool('force') && !(await confirm(`WARNING! This will remove:\n  - all stopped containers\n${images}\n\nAre you sure you want to continue? [y/N] `))) return 0;
  writeErr('pier system prune: networks and build cache are not pruned yet\n');
  let space = await pruneContainers(ctx);
  space += await pruneImages(ctx, all);
  writeOut(`Total reclaimed space: ${humanSize(space)}\n`);
  return 0;
};
