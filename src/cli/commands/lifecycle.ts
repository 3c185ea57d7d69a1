// stop, restart, kill, pause, unpause, rm, wait, rename: one call per
// container (in parallel), the name echoed on success, errors joined at the end.

import { isNotFound, messageOf } from '../../errdefs/index.js';
import { type CommandContext, type Handler, StatusError, writeErr, writeOut } from '../context.js';

/** Runs `op` for every argument concurrently; prints successes in order; fails with all errors joined. */
async function eachContainer(ctx: CommandContext, op: (id: string) => Promise<string | undefined | void>, opts: { tolerate?: (err: unknown) => boolean } = {}): Promise<void> {
  const results = await Promise.allSettled(ctx.args.map((a) => op(a)));
  const errs: string[] = [];
  results.forEach((r, i) => {
    const name = ctx.args[i] ?? '';
    if (r.status === 'fulfilled') { writeOut(`${typeof r.value === 'string' ? r.value : name}\n`); return; }
    if (opts.tolerate?.(r.reason)) { writeErr(`${messageOf(r.reason)}\n`); return; }
    errs.push(messageOf(r.reason));
  });
  if (errs.length > 0) throw new StatusError(1, errs.join('\n'));
}

function timeoutOf(ctx: CommandContext): number | undefined {
  return ctx.flags.changed('timeout') ? ctx.flags.int('timeout') : undefined;
}

function stopOpts(ctx: CommandContext): { timeout?: number; signal?: string } {
  const o: { timeout?: number; signal?: string } = {};
  const t = timeoutOf(ctx);
  if (t !== undefined) o.timeout = t;
  const s = ctx.flags.string('signal');
  if (s) o.signal = s;
  return o;
}

export const stopCommand: Handler = async (ctx) => {
  const o = stopOpts(ctx);
  await eachContainer(ctx, (id) => ctx.client().containers.stop(id, o));
};

export const restartCommand: Handler = async (ctx) => {
  const o = stopOpts(ctx);
  await eachContainer(ctx, (id) => ctx.client().containers.restart(id, o));
};

export const killCommand: Handler = async (ctx) => {
  const sig = ctx.flags.string('signal');
  await eachContainer(ctx, (id) => ctx.client().containers.kill(id, sig));
};

export const pauseCommand: Handler = async (ctx) => {
  await eachContainer(ctx, (id) => ctx.client().containers.pause(id));
};

export const unpauseCommand: Handler = async (ctx) => {
  await eachContainer(ctx, (id) => ctx.client().containers.unpause(id));
};

export const rmCommand: Handler = async (ctx) => {
  const force = ctx.flags.bool('force');
  const o = { force, volumes: ctx.flags.bool('volumes'), link: ctx.flags.bool('link') };
  await eachContainer(ctx, async (raw) => {
    const id = raw.replace(/^\/+|\/+$/g, '');
    if (id === '') throw new Error('container name cannot be empty');
    await ctx.client().containers.remove(id, o);
  }, { tolerate: (err) => force && isNotFound(err) });
};

export const waitCommand: Handler = async (ctx) => {
  const errs: string[] = [];
  for (const id of ctx.args) {
    try {
      const w = await ctx.client().containers.wait(id);
      const r = await w.result;
      writeOut(`${r.StatusCode}\n`);
    } catch (err) {
      errs.push(messageOf(err));
    }
  }
  if (errs.length > 0) throw new StatusError(1, errs.join('\n'));
};

export const renameCommand: Handler = async (ctx) => {
  const oldName = (ctx.args[0] ?? '').trim();
  const newName = (ctx.args[1] ?? '').trim();
  if (oldName === '' || newName === '') throw new StatusError(1, 'Error: Neither old nor new names may be empty');
  try {
    await ctx.client().containers.rename(oldName, newName);
  } catch (err) {
    writeErr(`${messageOf(err)}\n`);
    throw new StatusError(1, `Error: failed to rename container named ${oldName}`);
  }
};
