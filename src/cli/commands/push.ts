// `pier push`: POST /images/{name}/push with progress, as docker push.

import { type Handler, StatusError, writeOut } from '../context.js';
import { parseImageRef } from '../image-ref.js';
import { discardTarget, displayProgress, stdoutTarget } from '../progress.js';
import { authHeaderFor } from '../registry-auth.js';

export const pushCommand: Handler = async (ctx) => {
  const name = ctx.args[0] ?? '';
  const all = ctx.flags.bool('all-tags');
  const quiet = ctx.flags.bool('quiet');
  const ref = parseImageRef(name);
  if (!ref) throw new StatusError(1, 'invalid reference format');
  if (ref.digest) throw new StatusError(1, 'invalid reference format: a digest cannot be pushed');
  const nameOnly = !/:[^/]*$/.test(name);
  if (all && !nameOnly) throw new StatusError(1, "tag can't be used with --all-tags/-a");
  let tag = ref.tag ?? '';
  if (!all && nameOnly) {
    tag = 'latest';
    writeOut('Using default tag: latest\n');
  }
  const res = await ctx.client().images.push(ref.repository, { tag, auth: authHeaderFor(ref.repository, ctx.env) });
  const aux = await displayProgress(res.body, quiet ? discardTarget() : stdoutTarget());
  if (quiet) writeOut(`${ref.repository}${tag ? `:${tag}` : ''}\n`);
  void aux;
};
