import { InvalidParameterError } from '../../errdefs/index.js';

/** Filter key → the set of values given for it. Several values of a key are OR-ed; different keys are AND-ed. */
export type Filters = ReadonlyMap<string, ReadonlySet<string>>;

const EMPTY: Filters = new Map();

function invalid(): never {
  // moby `filters.FromJSON` reports any undecodable document as plain "invalid filter".
  throw new InvalidParameterError('invalid filter');
}

/**
 * Decodes the `filters` query parameter. Accepts the map form the docker CLI
 * and dockerode send (`{"label":{"a=b":true}}`) and the list form docker-py
 * and compose send (`{"label":["a=b"]}`); absent, `""` and `null` mean no
 * filters. Anything else throws InvalidParameterError `invalid filter`.
 */
export function parseFilters(raw: string | undefined | null): Filters {
  if (raw === undefined || raw === null || raw === '') return EMPTY;
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    invalid();
  }
  if (doc === null) return EMPTY;
  if (typeof doc !== 'object' || Array.isArray(doc)) invalid();
  const out = new Map<string, Set<string>>();
  // JSON.parse makes "__proto__" an own data property; a Map keeps it inert.
  for (const [key, val] of Object.entries(doc)) {
    const values = new Set<string>();
    if (Array.isArray(val)) {
      for (const v of val) {
        if (typeof v !== 'string') invalid();
        values.add(v);
      }
    } else if (val !== null && typeof val === 'object') {
      for (const [v, flag] of Object.entries(val)) {
        if (typeof flag !== 'boolean') invalid();
        values.add(v);
      }
    } else if (val !== null) {
      invalid();
    }
    out.set(key, values);
  }
  return out;
}

/** Throws InvalidParameterError `invalid filter '<key>'` (moby v28 wording) for the first key not in `allowed`. */
export function validateFilters(f: Filters, allowed: readonly string[]): void {
  for (const key of f.keys()) {
    if (!allowed.includes(key)) throw new InvalidParameterError(`invalid filter '${key}'`);
  }
}

/** The values of one key, in the order given. */
export function filterValues(f: Filters, key: string): string[] {
  return [...(f.get(key) ?? [])];
}

/**
 * docker's `label` filter (moby `Args.MatchKVList`): every value must match
 * (AND); `k` requires the label to exist, `k=v` requires that value. True when
 * the key has no values; false when there are values but no labels.
 */
export function matchLabels(
  f: Filters,
  labels: Readonly<Record<string, string>> | null | undefined,
  key = 'label',
): boolean {
  const values = f.get(key);
  if (values === undefined || values.size === 0) return true;
  if (!labels || Object.keys(labels).length === 0) return false;
  for (const value of values) {
    const eq = value.indexOf('=');
    const k = eq === -1 ? value : value.slice(0, eq);
    if (!Object.hasOwn(labels, k)) return false;
    if (eq !== -1 && labels[k] !== value.slice(eq + 1)) return false;
  }
  return true;
}

/** True when `key` is absent (or has no values) or any of its values satisfies `fn` (OR within a key). */
export function matchAny(f: Filters, key: string, fn: (value: string) => boolean): boolean {
  const values = f.get(key);
  if (values === undefined || values.size === 0) return true;
  for (const v of values) if (fn(v)) return true;
  return false;
}

/** moby `Args.ExactMatch`: absent key, or `source` equals one of the values. */
export function exactMatch(f: Filters, key: string, source: string): boolean {
  const values = f.get(key);
  return values === undefined || values.size === 0 || values.has(source);
}

/** moby `Args.FuzzyMatch`: exact, or `source` starts with one of the values (ID prefixes). */
export function fuzzyMatch(f: Filters, key: string, source: string): boolean {
  return matchAny(f, key, (v) => source.startsWith(v));
}

/** moby `Args.Match`: exact, or one of the values as a regular expression matches (invalid patterns are skipped). */
export function regexpMatch(f: Filters, key: string, source: string): boolean {
  return matchAny(f, key, (v) => {
    if (v === source) return true;
    try {
      return new RegExp(v).test(source);
    } catch {
      return false; // moby skips values that do not compile
    }
  });
}

/**
 * moby `Args.GetBoolOrDefault`: `dflt` when the key is absent; true for values
 * `1`/`true`, false for `0`/`false`. Conflicting or other values throw
 * InvalidParameterError `invalid filter 'key=[v …]'`.
 */
export function getBoolOrDefault(f: Filters, key: string, dflt: boolean): boolean {
  const values = f.get(key);
  if (values === undefined) return dflt;
  if (values.size === 0) throw new InvalidParameterError(`invalid filter '${key}'`);
  const isFalse = values.has('0') || values.has('false');
  const isTrue = values.has('1') || values.has('true');
  if (isFalse === isTrue) throw new InvalidParameterError(`invalid filter '${key}=[${[...values].join(' ')}]'`);
  return isTrue;
}

/**
 * Encodes filters the way the docker CLI sends them: map form with sorted
 * keys (Go's json.Marshal of `map[string]map[string]bool`). Keys without
 * values are dropped; no filters at all encode as `""` (send no parameter).
 */
export function encodeFilters(m: Readonly<Record<string, readonly string[]>>): string {
  const keys = Object.keys(m).filter((k) => (m[k]?.length ?? 0) > 0).sort();
  if (keys.length === 0) return '';
  // Null-prototype objects: a key such as "__proto__" stays an ordinary property.
  const doc: Record<string, Record<string, true>> = Object.create(null) as Record<string, Record<string, true>>;
  for (const k of keys) {
    const vals: Record<string, true> = Object.create(null) as Record<string, true>;
    for (const v of [...new Set(m[k])].sort()) vals[v] = true;
    doc[k] = vals;
  }
  return JSON.stringify(doc);
}

/**
 * A boolean query parameter as moby's `BoolValueOrDefault`: `dflt` when absent
 * (undefined/null); otherwise false for `""`, `0`, `no`, `false`, `none`
 * (trimmed, any case) and true for anything else.
 */
export function parseBool(v: string | undefined | null, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  const s = v.trim().toLowerCase();
  return !(s === '' || s === '0' || s === 'no' || s === 'false' || s === 'none');
}

/**
 * The label filters of the prune endpoints (moby `daemon.matchLabels`): every
 * `label` must match, and an object matching every `label!` is kept. Only
 * prune knows `label!`: a prune that ignored it would delete what the user
 * asked to keep.
 */
export function matchPruneLabels(f: Filters, labels: Readonly<Record<string, string>> | null | undefined): boolean {
  if (!matchLabels(f, labels)) return false;
  const neg = f.get('label!');
  if (neg !== undefined && neg.size > 0 && matchLabels(f, labels, 'label!')) return false;
  return true;
}
