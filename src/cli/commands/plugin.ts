// `pier plugin ls|inspect` over the legacy plugins pierd finds, and the managed-plugin commands
// (install, enable, disable, rm, create, push, set, upgrade), which pierd refuses with a clear
// "not supported yet" (docker's cli/command/plugin, its ls table and inspect output).

import { messageOf } from '../../errdefs/index.js';
import { encodeFilters } from '../../pkg/filters/index.js';
import { type Handler, StatusError, writeOut } from '../context.js';
import { type Row, ellipsis, filterMap, renderRows } from '../formatting.js';

interface Plugin { Id: string; Name: string; Enabled: boolean; PluginReference?: string; Config?: { Description?: string } }

export const PLUGIN_DEFAULT_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Description}}\t{{.Enabled}}';
const HEADERS: Record<string, string> = { ID: 'ID', Name: 'NAME', Description: 'DESCRIPTION', Enabled: 'ENABLED', PluginReference: 'PLUGIN REFERENCE' };

export const pluginListCommand: Handler = async (ctx) => {
  const f = ctx.flags;
  const filters = filterMap(f.list('filter'));
  const list = await ctx.client().transport.json<Plugin[]>('GET', '/plugins', { query: { filters: Object.keys(filters).length ? encodeFilters(filters) : undefined } });
  const trunc = !f.bool('no-trunc');
  const rows: Row[] = list.map((p) => ({
    ID: trunc ? p.Id.slice(0, 12) : p.Id, Name: p.Name, Description: trunc ? ellipsis(p.Config?.Description ?? '', 45) : p.Config?.Description ?? '',
    Enabled: p.Enabled, PluginReference: p.PluginReference ?? '',
  }));
  const format = f.bool('quiet') ? '{{.ID}}' : f.string('format') ?? '';
  writeOut(renderRows(format, rows, { defaultTable: PLUGIN_DEFAULT_TABLE, headers: HEADERS }));
};

export const pluginInspectCommand: Handler = async (ctx) => {
  const found: unknown[] = [];
  const errs: string[] = [];
  for (const name of ctx.args) {
    try { found.push(await ctx.client().transport.json('GET', `/plugins/${encodeURIComponent(name)}/json`)); } catch (err) { errs.push(messageOf(err)); }
  }
  writeOut(`${JSON.stringify(found, null, 4)}\n`);
  if (errs.length) throw new StatusError(1, errs.join('\n'));
};

/** The managed-plugin commands: each asks pierd, which answers with its 501. */
export const pluginManagedCommand: Handler = async (ctx) => {
  const name = ctx.args[0] ?? '';
  const sub = ctx.path.split(' ').slice(-1)[0] ?? '';
  const t = ctx.client().transport;
  if (sub === 'install') await t.json('GET', '/plugins/privileges', { query: { remote: name } });
  else if (sub === 'rm' || sub === 'remove') await t.json('DELETE', `/plugins/${encodeURIComponent(name)}`);
  else if (sub === 'create') await t.json('POST', '/plugins/create', { query: { name } });
  else await t.json('POST', `/plugins/${encodeURIComponent(name)}/${sub}`);
};
