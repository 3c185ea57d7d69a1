// `pier pull`: POST /images/create with progress, then the full reference.

import { type Handler, StatusError, writeOut } from '../context.js';
import { parseImageRef } from '../image-ref.js';
import { discardTarget, displayProgress, stdoutTarget } from '../progress.js';
import { authHeaderFor } from '../registry-auth.js';

export const pullCommand: Handler = async (ctx) => {
  const name = ctx.args[0] ?? '';
  const all = ctx.flags.bool('all-tags');
  const quiet = ctx.flags.bool('quiet');
  const ref = parseImageRef(name);
  if (!ref) throw new StatusError(1, 'invalid reference format');
  const nameOnly = !/:[^/]*$/.test(name.replace(/@.*$/, '')) && !name.includes('@');
  if (all && !nameOnly) throw new StatusError(1, "tag can't be used with --all-tags/-a");
  if (!all && nameOnly && !quiet) writeOut('Using default tag: latest\n');
  const tag = all ? '' : (ref.digest || ref.tag);
  const res = await ctx.client().images.pull(ref.repository, { tag, platform: ctx.flags.string('platform') ?? '', auth: authHeaderFor(ref.repository, ctx.env) });
  await displayProgress(res.body, quiet ? discardTarget() : stdoutTarget());
  const full = all ? ref.repository : `${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
  writeOut(`${full}\n`);
};
