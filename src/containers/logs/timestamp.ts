import { InvalidParameterError } from '../../errdefs/index.js';

const NS_PER_SEC = 1_000_000_000n;

/**
 * Formats nanoseconds since the epoch the way Go's `time.RFC3339Nano` prints a
 * UTC time: `2026-11-25T16:20:01.1234567Z` — trailing zeros of the fraction
 * are trimmed, and the dot goes too when the fraction is zero. This is the
 * `time` docker's json-file stores and `docker logs -t` prints.
 */
export function formatTimestamp(nanos: bigint): string {
  let sec = nanos / NS_PER_SEC;
  let frac = nanos % NS_PER_SEC;
  if (frac < 0n) {
    frac += NS_PER_SEC;
    sec -= 1n;
  }
  const base = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  if (frac === 0n) return `${base}Z`;
  return `${base}.${frac.toString().padStart(9, '0').replace(/0+$/, '')}Z`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})$/;

/**
 * Parses an RFC3339 timestamp with up to nanosecond precision (conmon writes
 * `2026-11-25T16:20:01.123456789+01:00`) into nanoseconds since the epoch.
 * Returns undefined when the text is not such a timestamp.
 */
export function parseRfc3339Nano(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (!Number.isFinite(ms)) return undefined;
  let offsetSec = 0;
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    offsetSec = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60;
    if (zone.startsWith('-')) offsetSec = -offsetSec;
  }
  const nanosFrac = frac === undefined ? 0n : BigInt(frac.padEnd(9, '0'));
  return (BigInt(ms / 1000) - BigInt(offsetSec)) * NS_PER_SEC + nanosFrac;
}

const DURATION = /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h)/;
const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Parses a Go duration ("10m", "1h30m", "1.5s"); undefined when it is not one. */
function parseGoDuration(text: string): bigint | undefined {
  if (text === '') return undefined;
  let rest = text;
  let total = 0;
  while (rest !== '') {
    const m = DURATION.exec(rest);
    if (m === null) return undefined;
    const unit = /[a-zµ]+$/.exec(m[0])?.[0] ?? '';
    total += Number(m[0].slice(0, m[0].length - unit.length)) * (UNIT_NS[unit] ?? 0);
    rest = rest.slice(m[0].length);
  }
  return BigInt(Math.round(total));
}

/**
 * Parses a `since`/`until` query value of `GET /containers/{id}/logs` into
 * nanoseconds since the epoch; 0n means "unset".
 *
 * The API receives unix seconds, optionally with a fraction
 * (`1700000000.123456789`); the docker CLI converts relative durations and
 * RFC3339 dates before sending. Those forms are accepted here as well (a
 * duration counts back from `now`), so other clients may send them.
 *
 * @throws {InvalidParameterError} when the value is none of these forms.
 */
export function parseSince(value: string, now: Date = new Date()): bigint {
  const v = value.trim();
  if (v === '' || v === '0') return 0n;
  const unix = /^(-?\d+)(?:\.(\d*))?$/.exec(v);
  if (unix !== null) {
    const [, secs, frac] = unix;
    // Go's parser scales the fraction to nanoseconds by its number of digits.
    const nanos = frac === undefined || frac === '' ? 0n : BigInt(frac.slice(0, 9).padEnd(9, '0'));
    return BigInt(secs ?? '0') * NS_PER_SEC + nanos;
  }
  const duration = parseGoDuration(v);
  if (duration !== undefined) return BigInt(now.getTime()) * 1_000_000n - duration;
  const rfc = parseRfc3339Nano(v);
  if (rfc !== undefined) return rfc;
  const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (dateOnly !== null) return BigInt(Date.UTC(Number(dateOnly[1]), Number(dateOnly[2]) - 1, Number(dateOnly[3]))) * 1_000_000n;
  throw new InvalidParameterError(`strconv.ParseInt: parsing "${v}": invalid syntax`);
}

/** Nanoseconds since the epoch → Date (millisecond precision). */
export function nanosToDate(nanos: bigint): Date {
  return new Date(Number(nanos / 1_000_000n));
}
