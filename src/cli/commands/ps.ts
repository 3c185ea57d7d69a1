// `pier ps`: GET /containers/json, shown as docker's table (or --format).

import { encodeFilters } from '../../pkg/filters/index.js';
import { PS_HEADERS, containerRow } from '../container-format.js';
import { type Handler, writeOut } from '../context.js';
import { filterMap, renderRows } from '../formatting.js';

export const PS_DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

export const psCommand: Handler = async (ctx) => {
  const f = ctx.flags;
  const filters = filterMap(f.list('filter'));
  const last = f.int('last') ?? -1;
  const latest = f.bool('latest');
  const limit = latest ? 1 : last;
  const size = f.bool('size');
  const quiet = f.bool('quiet');
  let format = f.string('format') ?? '';
  const list = await ctx.client().containers.list({
    all: f.bool('all') || limit > 0,
    limit,
    size: size && !quiet,
    ...(Object.keys(filters).length > 0 ? { filters: encodeFilters(filters) } : {}),
  });
  const trunc = !f.bool('no-trunc');
  if (quiet) format = '{{.ID}}';
  else if (format === '' || format === 'table') format = size ? `${PS_DEFAULT_TABLE}\t{{.Size}}` : PS_DEFAULT_TABLE;
  const now = Date.now();
  const rows = list.map((c) => containerRow(c, { trunc, now }));
  writeOut(renderRows(format, rows, {
    defaultTable: PS_DEFAULT_TABLE, headers: PS_HEADERS,
    json: (r) => Object.fromEntries(Object.entries(r).filter(([, v]) => typeof v !== 'function')),
  }));
};
