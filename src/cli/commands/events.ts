// `pier events`: GET /events as JSON lines, printed in docker's layout or --format.

import { type EventMessage, jsonLinesRaw } from '../../client/index.js';
import { encodeFilters } from '../../pkg/filters/index.js';
import { parseTemplate } from '../../pkg/gotemplate/index.js';
import { messageOf } from '../../errdefs/index.js';
import { type Handler, StatusError, writeOut } from '../context.js';
import { filterMap } from '../formatting.js';
import { toApiTimestamp } from '../timestamps.js';

/** RFC3339Nano with exactly 9 fractional digits, in local time (jsonmessage.RFC3339NanoFixed). */
export function rfc3339NanoFixed(timeNano: bigint): string {
  const ms = Number(timeNano / 1000000n);
  const frac = String(timeNano % 1000000000n).padStart(9, '0');
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const local = new Date(ms + off * 60000);
  const base = local.toISOString().slice(0, 19);
  const zone = off === 0 ? 'Z' : `${off < 0 ? '-' : '+'}${String(Math.trunc(Math.abs(off) / 60)).padStart(2, '0')}:${String(Math.abs(off) % 60).padStart(2, '0')}`;
  return `${base}.${frac}${zone}`;
}

/** docker's default event line. */
export function formatEvent(e: EventMessage, timeNano?: bigint): string {
  let out = '';
  const tn = timeNano ?? (e.timeNano ? BigInt(e.timeNano) : 0n);
  if (tn !== 0n) out += `${rfc3339NanoFixed(tn)} `;
  else if (e.time) out += `${rfc3339NanoFixed(BigInt(e.time) * 1000000000n)} `;
  out += `${e.Type} ${e.Action} ${e.Actor.ID}`;
  const attrs = e.Actor.Attributes ?? {};
  const keys = Object.keys(attrs).sort();
  if (keys.length > 0) out += ` (${keys.map((k) => `${k}=${attrs[k] ?? ''}`).join(', ')})`;
  return `${out}\n`;
}

/** The event in Go's events.Message field order (what `{{json .}}` prints). */
function goOrder(e: EventMessage): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (e.status) o['status'] = e.status;
  if (e.id) o['id'] = e.id;
  if (e.from) o['from'] = e.from;
  Object.assign(o, { Type: e.Type, Action: e.Action, Actor: e.Actor, scope: e.scope ?? '' });
  if (e.time) o['time'] = e.time;
  if (e.timeNano) o['timeNano'] = e.timeNano;
  return o;
}

export const eventsCommand: Handler = async (ctx) => {
  const f = ctx.flags;
  const format = f.string('format') ?? '';
  let tpl;
  if (format !== '') {
    try { tpl = parseTemplate(format === 'json' ? '{{json .}}' : format.replaceAll('\\t', '\t').replaceAll('\\n', '\n')); } catch (err) { throw new StatusError(64, messageOf(err)); }
  }
  const filters = filterMap(f.list('filter'));
  const since = f.string('since');
  const until = f.string('until');
  const res = await ctx.client().system.events({
    ...(since ? { since: toApiTimestamp(since) } : {}),
    ...(until ? { until: toApiTimestamp(until) } : {}),
    ...(Object.keys(filters).length > 0 ? { filters: encodeFilters(filters) } : {}),
  });
  for await (const { value: e, raw } of jsonLinesRaw<EventMessage>(res.body)) {
    // timeNano exceeds 2^53: take it from the raw line to keep every digit
    const m = /"timeNano":\s*(\d+)/.exec(raw);
    writeOut(tpl ? `${tpl.execute(goOrder(e))}\n` : formatEvent(e, m?.[1] !== undefined ? BigInt(m[1]) : undefined));
  }
};
