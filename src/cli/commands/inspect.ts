// `pier inspect`, `pier container inspect`, `pier image inspect`: a JSON array
// indented 4 spaces (docker's IndentedInspector) or one --format line per object.

import type { Client } from '../../client/index.js';
import { isNotFound, messageOf } from '../../errdefs/index.js';
import { parseTemplate, type Template } from '../../pkg/gotemplate/index.js';
import { type CommandContext, type Handler, StatusError, writeOut } from '../context.js';
import { goEscape } from '../formatting.js';

type Getter = (ref: string) => Promise<unknown>;

/** Go's json.Marshal escapes <, > and & even inside raw messages. */
export function indentJson(items: readonly unknown[]): string {
  if (items.length === 0) return '[]\n';
  return `${goEscape(JSON.stringify(items, null, 4))}\n`;
}

const getters = (client: Client, size: boolean): Record<string, Getter> => ({
  container: (r) => client.containers.inspect(r, { size }),
  image: (r) => client.images.inspect(r),
  network: (r) => client.transport.json('GET', `/networks/${encodeURIComponent(r)}`),
  volume: (r) => client.transport.json('GET', `/volumes/${encodeURIComponent(r)}`),
});

async function inspectAll(ctx: CommandContext, get: Getter): Promise<number> {
  const fmt = ctx.flags.string('format') ?? '';
  let tpl: Template | undefined;
  if (fmt !== '' && fmt !== 'json') {
    try { tpl = parseTemplate(fmt.replaceAll('\\t', '\t').replaceAll('\\n', '\n')); } catch (err) { throw new StatusError(64, messageOf(err)); }
  }
  const found: unknown[] = [];
  const errs: string[] = [];
  for (const ref of ctx.args) {
    try {
      const v = await get(ref);
      if (tpl) writeOut(`${tpl.execute(v)}\n`);
      else if (fmt === 'json') writeOut(`${JSON.stringify(v)}\n`);
      else found.push(v);
    } catch (err) {
      errs.push(messageOf(err));
    }
  }
  if (!tpl && fmt !== 'json') writeOut(indentJson(found));
  if (errs.length > 0) throw new StatusError(1, errs.join('\n'));
  return 0;
}

export const inspectCommand: Handler = async (ctx) => {
  const type = ctx.flags.string('type') ?? '';
  const all = getters(ctx.client(), ctx.flags.bool('size'));
  if (type !== '' && !(type in all)) throw new StatusError(1, `"${type}" is not a valid value for --type`);
  const order = type !== '' ? [type] : ['container', 'image', 'network', 'volume'];
  return inspectAll(ctx, async (ref) => {
    for (const t of order) {
      try {
        return await (all[t] as Getter)(ref);
      } catch (err) {
        if (type !== '' || !isNotFound(err)) throw err;
      }
    }
    throw new Error(`Error: No such object: ${ref}`);
  });
};

export const containerInspectCommand: Handler = async (ctx) => {
  const all = getters(ctx.client(), ctx.flags.bool('size'));
  return inspectAll(ctx, all['container'] as Getter);
};

export const imageInspectCommand: Handler = async (ctx) => {
  const all = getters(ctx.client(), false);
  return inspectAll(ctx, all['image'] as Getter);
};
