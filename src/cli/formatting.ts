// docker's --format handling shared by ps, images, stats, events…: "table"
// (default), "table TEMPLATE", "json", or a bare Go template; tables are laid
// out by tabwriter rules (formatTable).

import { headerFuncs, parseTemplate, tabwrite } from '../pkg/gotemplate/index.js';

export type Row = Record<string, unknown>;

/** docker's Ellipsis: at most `max` columns, the last one "…" when cut. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  if (max <= 0) return '';
  return `${chars.slice(0, max - 1).join('')}…`;
}

/** Go's strconv.Quote for the printable strings commands contain. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Go's time.Time.String() in local time: "2026-11-25 16:20:01 +0000 UTC". */
export function goTimeString(d: Date): string {
  const off = -d.getTimezoneOffset();
  const p = (n: number, w = 2): string => String(Math.abs(n)).padStart(w, '0');
  const sign = off < 0 ? '-' : '+';
  const zone = off === 0 ? 'UTC' : (new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((x) => x.type === 'timeZoneName')?.value ?? '');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${sign}${p(Math.trunc(off / 60))}${p(off % 60)} ${zone}`;
}

/** Go's t.Format(time.RFC3339) in local time: "2026-11-25T16:20:01Z" or "…T16:20:01+02:00". */
export function rfc3339(d: Date): string {
  const off = -d.getTimezoneOffset();
  const p = (n: number, w = 2): string => String(Math.abs(n)).padStart(w, '0');
  const zone = off === 0 ? 'Z' : `${off < 0 ? '-' : '+'}${p(Math.trunc(off / 60))}:${p(off % 60)}`;
  return `${p(d.getFullYear(), 4)}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${zone}`;
}

/** JSON with keys sorted and <, >, & escaped, as Go's json.Marshal writes a map. */
export function sortedJson(v: unknown): string {
  return goEscape(JSON.stringify(v, (_k, val: unknown) => {
    if (val !== null && typeof val === 'object' && !Array.isArray(val)) {
      const o = val as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
    }
    return val;
  }) ?? 'null');
}

/** json.Marshal's HTML escaping. */
export function goEscape(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function prepare(format: string): { table: boolean; tpl: string } {
  const table = format.startsWith('table');
  let tpl = table ? format.slice('table'.length) : format;
  tpl = tpl.trim().replaceAll('\\t', '\t').replaceAll('\\n', '\n');
  return { table, tpl };
}

/**
 * Renders `rows` with a --format value. `defaultTable` is the command's
 * `table …` default; `headers` maps each field to its column title; `json`
 * gives a row's JSON form for `--format json`.
 */
export function renderRows(format: string, rows: readonly Row[], opts: { defaultTable: string; headers: Record<string, string>; json?: (r: Row) => unknown }): string {
  let f = format;
  if (f === '' || f === 'table') f = opts.defaultTable;
  if (f === 'json') f = '{{json .}}';
  const { table, tpl } = prepare(f);
  if (tpl === '{{json .}}' && opts.json) return rows.map((r) => `${sortedJson(opts.json?.(r))}\n`).join('');
  const t = parseTemplate(tpl);
  if (!table) return rows.map((r) => `${t.execute(r)}\n`).join('');
  let text = `${t.execute(opts.headers, headerFuncs)}\n`;
  for (const r of rows) text += `${t.execute(r)}\n`;
  return tabwrite(text);
}

/** Applies `--format` to one object (inspect, version, info). */
export function renderOne(format: string, data: unknown): string {
  const tpl = format.replaceAll('\\t', '\t').replaceAll('\\n', '\n');
  if (tpl === 'json') return `${JSON.stringify(data)}\n`;
  return `${parseTemplate(tpl).execute(data)}\n`;
}

/** `--filter k=v` flags → `{k: [v…]}`; docker's message on a bad one. */
export function filterMap(list: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of list) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new Error('bad format of filter (expected name=value)');
    const k = f.slice(0, eq).trim().toLowerCase();
    (out[k] ??= []).push(f.slice(eq + 1).trim());
  }
  return out;
}
