// `pier container prune` and `pier system prune` (containers only for now).

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

export const containerPruneCommand: Handler = async (ctx) => {
  if (!ctx.flags.bool('force') && !(await confirm('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] '))) return 0;
  const space = await pruneContainers(ctx);
  writeOut(`Total reclaimed space: ${humanSize(space)}\n`);
  return 0;
};

export const systemPruneCommand: Handler = async (ctx) => {
  if (!ctx.flags.bool('force') && !(await confirm('WARNING! This will remove:\n  - all stopped containers\n\nAre you sure you want to continue? [y/N] '))) return 0;
  writeErr('pier system prune: only stopped containers are pruned for now (networks, images and build cache are not)\n');
  const space = await pruneContainers(ctx);
  writeOut(`Total reclaimed space: ${humanSize(space)}\n`);
  return 0;
};
