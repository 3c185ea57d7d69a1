// docker's GetTimestamp: --since/--until values (relative durations, RFC3339
// forms, dates, unix timestamps) → the unix-seconds string the API takes.

import { parseGoDuration } from './units.js';

/**
 * "10m" → now-10m in whole seconds; "2026-01-02T13:23:37Z" → "1767360217.000000000";
 * "1700000000.5" → passed through. Throws docker's message on garbage.
 */
export function toApiTimestamp(value: string, now: Date = new Date()): string {
  if (value !== '0') {
    try {
      const ns = parseGoDuration(value);
      return String(Math.floor((now.getTime() - ns / 1e6) / 1000));
    } catch {
      // not a duration: a timestamp follows
    }
  }
  const hasZone = /[zZ+]/.test(value) || (value.match(/-/g) ?? []).length === 3;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2}))?(?::(\d{2}))?(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (m) {
    const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
    const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}`;
    let ms: number;
    if (zone !== undefined && zone !== '') ms = Date.parse(`${iso}${zone.toUpperCase()}`);
    else if (hasZone) ms = Number.NaN;
    else ms = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)).getTime();
    if (!Number.isNaN(ms)) return `${Math.floor(ms / 1000)}.${frac.padEnd(9, '0')}`;
  }
  if (value.includes('-')) throw new Error(`parsing time "${value}": cannot parse "${value}" as a timestamp`);
  if (!/^\d+(\.\d{1,9})?$/.test(value)) throw new Error(`failed to parse value as time or duration: "${value}"`);
  return value;
}
