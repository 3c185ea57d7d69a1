// `pier images`, `history`, `rmi`, `tag`, `import`.

import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import { messageOf } from '../../errdefs/index.js';
import { encodeFilters } from '../../pkg/filters/index.js';
import { type Handler, StatusError, writeOut } from '../context.js';
import { filterMap, renderRows } from '../formatting.js';
import {
  HISTORY_DEFAULT_TABLE, HISTORY_HEADERS, HISTORY_NON_HUMAN_TABLE, IMAGES_DEFAULT_TABLE, IMAGES_DIGEST_TABLE, IMAGES_HEADERS, historyRow, imageRows,
} from '../image-format.js';
import { parseImageRef } from '../image-ref.js';
import { displayProgress, stdoutTarget } from '../progress.js';

export const imagesCommand: Handler = async (ctx) => {
  const f = ctx.flags;
  const filters = filterMap(f.list('filter'));
  if (ctx.args[0] !== undefined) (filters['reference'] ??= []).push(ctx.args[0]);
  const list = await ctx.client().images.list({
    all: f.bool('all'),
    ...(Object.keys(filters).length > 0 ? { filters: encodeFilters(filters) } : {}),
  });
  const digests = f.bool('digests');
  const trunc = !f.bool('no-trunc');
  const now = Date.now();
  const rows = list.flatMap((img) => imageRows(img, { digests, trunc, now }));
  let format = f.string('format') ?? '';
  const def = digests ? IMAGES_DIGEST_TABLE : IMAGES_DEFAULT_TABLE;
  if (f.bool('quiet')) format = '{{.ID}}';
  else if (format === '' || format === 'table') format = def;
  writeOut(renderRows(format, rows, { defaultTable: def, headers: IMAGES_HEADERS, json: (r) => r }));
};

export const historyCommand: Handler = async (ctx) => {
  const f = ctx.flags;
  const platform = f.string('platform');
  const list = await ctx.client().images.history(ctx.args[0] ?? '', platform ? { platform } : {});
  const human = f.bool('human', true);
  const def = human ? HISTORY_DEFAULT_TABLE : HISTORY_NON_HUMAN_TABLE;
  let format = f.string('format') ?? '';
  // as docker's NewHistoryFormat: -q only replaces the table format, not a given template
  if (format === '' || format === 'table') format = f.bool('quiet') ? '{{.ID}}' : def;
  const now = Date.now();
  const rows = list.map((h) => historyRow(h, { trunc: !f.bool('no-trunc'), human, now }));
  writeOut(renderRows(format, rows, { defaultTable: def, headers: HISTORY_HEADERS, json: (r) => r }));
};

export const rmiCommand: Handler = async (ctx) => {
  const errs: string[] = [];
  for (const name of ctx.args) {
    try {
      const items = await ctx.client().images.remove(name, { force: ctx.flags.bool('force'), noprune: ctx.flags.bool('no-prune') });
      for (const it of items ?? []) {
        if (it.Untagged !== undefined && it.Untagged !== '') writeOut(`Untagged: ${it.Untagged}\n`);
        if (it.Deleted !== undefined && it.Deleted !== '') writeOut(`Deleted: ${it.Deleted}\n`);
      }
    } catch (err) {
      errs.push(messageOf(err));
    }
  }
  if (errs.length > 0) throw new StatusError(1, errs.join('\n'));
};

export const tagCommand: Handler = async (ctx) => {
  const [source = '', target = ''] = ctx.args;
  const ref = parseImageRef(target);
  if (!ref || ref.digest !== '') throw new StatusError(1, `Error parsing reference: "${target}" is not a valid repository/tag: invalid reference format`);
  await ctx.client().images.tag(source, ref.repository, ref.tag);
};

export const importCommand: Handler = async (ctx) => {
  const [source = '', repo] = ctx.args;
  if (repo !== undefined && parseImageRef(repo) === undefined) throw new StatusError(1, 'invalid reference format');
  let body: Readable;
  if (source === '-') body = process.stdin;
  else if (/^https?:\/\//.test(source)) throw new StatusError(1, 'importing from a URL is not supported by pier yet');
  else {
    try { fs.accessSync(source, fs.constants.R_OK); } catch (err) { throw new StatusError(1, messageOf(err)); }
    body = fs.createReadStream(source);
  }
  const res = await ctx.client().images.import(body, {
    ...(repo !== undefined ? { repo } : {}),
    ...(ctx.flags.string('message') !== undefined ? { message: ctx.flags.string('message') ?? '' } : {}),
    changes: ctx.flags.list('change'),
    ...(ctx.flags.string('platform') !== undefined ? { platform: ctx.flags.string('platform') ?? '' } : {}),
  });
  await displayProgress(res.body, stdoutTarget());
};
