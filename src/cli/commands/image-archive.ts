// `pier save`, `pier load` and `pier commit`, as docker's.

import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { messageOf } from '../../errdefs/index.js';
import { type Handler, StatusError, writeOut } from '../context.js';
import { parseImageRef } from '../image-ref.js';
import { AtomicFile } from '../output-file.js';
import { displayProgress, stdoutTarget, discardTarget } from '../progress.js';

export const saveCommand: Handler = async (ctx) => {
  const out = ctx.flags.string('output') ?? '';
  if (out === '') {
    if (process.stdout.isTTY) throw new StatusError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
    const res = await ctx.client().images.save(ctx.args, { platforms: ctx.flags.list('platform') });
    await pipeline(res.body, process.stdout, { end: false });
    return;
  }
  let file: AtomicFile;
  try { file = AtomicFile.create(out); } catch (err) { throw new StatusError(1, `failed to save image: ${messageOf(err)}`); }
  try {
    const res = await ctx.client().images.save(ctx.args, { platforms: ctx.flags.list('platform') });
    try { await pipeline(res.body, file.stream); } catch (err) { throw file.writeError(err); }
    file.commit();
  } finally {
    file.discard();
  }
};

export const loadCommand: Handler = async (ctx) => {
  const input = ctx.flags.string('input') ?? '';
  let body: NodeJS.ReadableStream;
  if (input) {
    try { fs.accessSync(input, fs.constants.R_OK); } catch (err) { throw new StatusError(1, messageOf(err)); }
    body = fs.createReadStream(input, { highWaterMark: 1 << 20 });
  } else {
    if (process.stdin.isTTY) throw new StatusError(1, 'requested load from stdin, but stdin is empty');
    body = process.stdin;
  }
  const res = await ctx.client().images.load(body as import('node:stream').Readable, { quiet: ctx.flags.bool('quiet'), platforms: ctx.flags.list('platform') });
  await displayProgress(res.body, ctx.flags.bool('quiet') ? discardTarget() : stdoutTarget());
};

export const commitCommand: Handler = async (ctx) => {
  const [container = '', target] = ctx.args;
  let repo = '';
  let tag = '';
  if (target !== undefined) {
    const ref = parseImageRef(target);
    if (!ref || ref.digest) throw new StatusError(1, 'invalid reference format');
    repo = target.replace(/@.*$/, '');
    const m = /:([^/:]+)$/.exec(repo);
    if (m?.[1]) { tag = m[1]; repo = repo.slice(0, -m[1].length - 1); }
  }
  const r = await ctx.client().images.commit(container, {
    ...(repo ? { repo } : {}), ...(tag ? { tag } : {}),
    ...(ctx.flags.string('message') ? { comment: ctx.flags.string('message') ?? '' } : {}),
    ...(ctx.flags.string('author') ? { author: ctx.flags.string('author') ?? '' } : {}),
    pause: ctx.flags.bool('pause', true), changes: ctx.flags.list('change'),
  });
  writeOut(`${r.Id}\n`);
};
