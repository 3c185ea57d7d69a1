/**
 * Template functions: Go's text/template builtins (and, or, not, len, index,
 * slice, print, printf, println, eq, ne, lt, le, gt, ge, html, js, urlquery,
 * call) plus the docker CLI's additions (json, split, join, title, lower,
 * upper, pad, truncate), and docker's `HeaderFunctions` used for table headers.
 */
import { formatValue, goTypeName, isPlainObject } from './format.js';
import { sprint, sprintf, sprintln } from './printf.js';

export type TemplateFunc = (...args: unknown[]) => unknown;

/**
 * An argument problem Go reports without the "error calling f:" prefix
 * (`wrong number of args for join: want 2 got 1`).
 */
export class TemplateArgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateArgError';
  }
}

/** Go's `isTrue`: false, 0, "", nil, missing, and empty arrays/maps are false. */
export function truth(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case 'boolean': return v;
    case 'number': return v !== 0;
    case 'bigint': return v !== 0n;
    case 'string': return v.length > 0;
    default: break;
  }
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map || v instanceof Set) return v.size > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

function arity(name: string, args: readonly unknown[], want: number, atLeast = false): void {
  if (atLeast ? args.length < want : args.length !== want) {
    throw new TemplateArgError(`wrong number of args for ${name}: want ${atLeast ? 'at least ' : ''}${want} got ${args.length}`);
  }
}

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) throw new TemplateArgError('invalid value; expected string');
  throw new TemplateArgError(`wrong type for value; expected string; got ${goTypeName(v)}`);
}

function int(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (v === null || v === undefined) throw new TemplateArgError('invalid value; expected int');
  throw new TemplateArgError(`wrong type for value; expected int; got ${goTypeName(v)}`);
}

/** A Go `map[string]string` (labels, options): every value a string. Missing keys read as "". */
export function isStringMap(o: Record<string, unknown>): boolean {
  return Object.values(o).every((v) => typeof v === 'string');
}

type Kind = 'bool' | 'number' | 'string' | 'nil' | 'other';
function kindOf(v: unknown): Kind {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'string') return 'string';
  return 'other';
}

function eq(...args: unknown[]): boolean {
  arity('eq', args, 1, true);
  const [a, ...rest] = args;
  if (rest.length === 0) throw new Error('missing argument for comparison');
  const k1 = kindOf(a);
  for (const b of rest) {
    const k2 = kindOf(b);
    let same = false;
    if (k1 !== k2) {
      if (k1 !== 'nil' && k2 !== 'nil') throw new Error('incompatible types for comparison');
    } else if (k1 === 'other') {
      throw new Error(`non-comparable type ${formatValue(b)}: ${goTypeName(b)}`);
    } else {
      same = k1 === 'nil' || a === b;
    }
    if (same) return true;
  }
  return false;
}

function lt(...args: unknown[]): boolean {
  arity('lt', args, 2);
  const [a, b] = args;
  const k1 = kindOf(a);
  const k2 = kindOf(b);
  if ((k1 !== 'number' && k1 !== 'string') || (k2 !== 'number' && k2 !== 'string')) {
    throw new Error('invalid type for comparison');
  }
  if (k1 !== k2) throw new Error('incompatible types for comparison');
  return (a as number | string) < (b as number | string);
}

function length(...args: unknown[]): number {
  arity('len', args, 1);
  const v = args[0];
  if (v === null || v === undefined) throw new Error('len of nil pointer');
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (Array.isArray(v)) return v.length;
  if (v instanceof Map || v instanceof Set) return v.size;
  if (isPlainObject(v)) return Object.keys(v).length;
  throw new Error(`len of type ${goTypeName(v)}`);
}

function indexInt(i: unknown, cap: number): number {
  if (typeof i !== 'number' || !Number.isInteger(i)) {
    throw new Error(`cannot index slice/array with type ${goTypeName(i)}`);
  }
  if (i < 0 || i >= cap) throw new Error(`index out of range: ${i}`);
  return i;
}

function index(...args: unknown[]): unknown {
  arity('index', args, 1, true);
  let item = args[0];
  if (item === undefined) throw new Error('index of untyped nil');
  for (const key of args.slice(1)) {
    if (item === null) {
      // A JSON null stands for a nil Go map or slice: a nil map reads as the zero value.
      if (typeof key === 'string') return '';
      throw new Error(`index out of range: ${formatValue(key)}`);
    }
    if (typeof item === 'string') {
      const bytes = Buffer.from(item, 'utf8');
      item = bytes[indexInt(key, bytes.length)];
    } else if (Array.isArray(item)) {
      item = item[indexInt(key, item.length)];
    } else if (item instanceof Map) {
      item = item.get(key);
    } else if (isPlainObject(item)) {
      if (typeof key !== 'string') throw new Error(`value has type ${goTypeName(key)}; should be string`);
      if (Object.hasOwn(item, key)) item = item[key];
      else item = isStringMap(item) ? '' : undefined;
    } else {
      throw new Error(`can't index item of type ${goTypeName(item)}`);
    }
  }
  return item;
}

function slice(...args: unknown[]): unknown {
  arity('slice', args, 1, true);
  const [item, ...idx] = args;
  if (item === null || item === undefined) throw new Error('slice of untyped nil');
  if (idx.length > 3) throw new Error(`too many slice indexes: ${idx.length}`);
  let len: number;
  let cap: number;
  let bytes: Buffer | undefined;
  if (typeof item === 'string') {
    if (idx.length === 3) throw new Error('cannot 3-index slice a string');
    bytes = Buffer.from(item, 'utf8');
    len = cap = bytes.length;
  } else if (Array.isArray(item)) {
    len = cap = item.length;
  } else {
    throw new Error(`can't slice item of type ${goTypeName(item)}`);
  }
  const ix = [0, len];
  idx.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`cannot index slice/array with type ${goTypeName(v)}`);
    if (v < 0 || v > cap) throw new Error(`index out of range: ${v}`);
    ix[i] = v;
  });
  const [i = 0, j = len] = ix;
  if (i > j) throw new Error(`invalid slice index: ${i} > ${j}`);
  return bytes ? bytes.subarray(i, j).toString('utf8') : (item as unknown[]).slice(i, j);
}

/** Go's evalArgs for the escapers: one string as is, else fmt.Sprint. */
function escaperInput(args: readonly unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args);
}

function html(...args: unknown[]): string {
  return escaperInput(args).replace(/[\0"'&<>]/g, (c) => ({
    '\0': '\ufffd', '"': '&#34;', '\'': '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;',
  })[c] ?? c);
}

function js(...args: unknown[]): string {
  return escaperInput(args).replace(/[\\'"<>&=\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (c === '\\' || c === '\'' || c === '"') return `\\${c}`;
    return `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  });
}

function urlquery(...args: unknown[]): string {
  // url.QueryEscape: only [A-Za-z0-9-_.~] stay; space becomes '+'.
  return [...Buffer.from(escaperInput(args), 'utf8')].map((b) => {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
    if (c === ' ') return '+';
    return `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

function call(...args: unknown[]): unknown {
  arity('call', args, 1, true);
  const [fn, ...rest] = args;
  if (typeof fn !== 'function') throw new Error(`non-function of type ${goTypeName(fn)}`);
  return (fn as TemplateFunc)(...rest);
}

function and(...args: unknown[]): unknown {
  arity('and', args, 1, true);
  for (const a of args) if (!truth(a)) return a;
  return args[args.length - 1];
}

function or(...args: unknown[]): unknown {
  arity('or', args, 1, true);
  for (const a of args) if (truth(a)) return a;
  return args[args.length - 1];
}

/** Go's builtin template functions. `and`/`or` short-circuit when the executor sees these exact functions. */
export const builtinFuncs: Readonly<Record<string, TemplateFunc>> = Object.freeze({
  and,
  or,
  not: (...a: unknown[]) => { arity('not', a, 1); return !truth(a[0]); },
  len: length,
  index,
  slice,
  print: (...a: unknown[]) => sprint(a),
  printf: (...a: unknown[]) => { arity('printf', a, 1, true); return sprintf(str(a[0]), a.slice(1)); },
  println: (...a: unknown[]) => sprintln(a),
  eq,
  ne: (...a: unknown[]) => { arity('ne', a, 2); return !eq(...a); },
  lt,
  le: (...a: unknown[]) => { arity('le', a, 2); return lt(...a) || eq(...a); },
  gt: (...a: unknown[]) => { arity('gt', a, 2); return !(lt(...a) || eq(...a)); },
  ge: (...a: unknown[]) => { arity('ge', a, 2); return !lt(...a); },
  html,
  js,
  urlquery,
  call,
});

/** JSON as Go's encoding/json with SetEscapeHTML(false), as docker's `json` func writes it. */
export function goJson(v: unknown): string {
  const out = JSON.stringify(v === undefined ? null : v, (_k, val: unknown) => {
    if (isPlainObject(val) && isStringMap(val)) {
      // Go marshals maps with sorted keys; a string map stands for map[string]string.
      return Object.fromEntries(Object.keys(val).sort().map((k) => [k, val[k]]));
    }
    return val;
  }) ?? 'null';
  return out.replace(/[\u2028\u2029]/g, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
}

/** strings.Title: upper-case the first letter of every word. */
function title(s: string): string {
  let prevSep = true;
  let out = '';
  for (const ch of s) {
    out += prevSep ? ch.toUpperCase() : ch;
    prevSep = !/[\p{L}\p{N}_]/u.test(ch) && (ch.charCodeAt(0) < 0x80 ? true : /\s/u.test(ch));
  }
  return out;
}

/** The docker CLI's template functions (`templates.basicFunctions`) on top of Go's builtins. */
export const dockerFuncs: Readonly<Record<string, TemplateFunc>> = Object.freeze({
  ...builtinFuncs,
  json: (...a: unknown[]) => { arity('json', a, 1); return goJson(a[0]); },
  split: (...a: unknown[]) => {
    arity('split', a, 2);
    const s = str(a[0]);
    const sep = str(a[1]);
    return sep === '' ? [...s] : s.split(sep);
  },
  join: (...a: unknown[]) => {
    arity('join', a, 2);
    const [elems, sep] = a;
    if (elems === null) return '';
    if (!Array.isArray(elems)) {
      throw new TemplateArgError(`wrong type for value; expected []string; got ${goTypeName(elems)}`);
    }
    return elems.map((e: unknown) => (typeof e === 'string' ? e : formatValue(e))).join(str(sep));
  },
  title: (...a: unknown[]) => { arity('title', a, 1); return title(str(a[0])); },
  lower: (...a: unknown[]) => { arity('lower', a, 1); return str(a[0]).toLowerCase(); },
  upper: (...a: unknown[]) => { arity('upper', a, 1); return str(a[0]).toUpperCase(); },
  pad: (...a: unknown[]) => {
    arity('pad', a, 3);
    const s = str(a[0]);
    return s === '' ? s : ' '.repeat(Math.max(0, int(a[1]))) + s + ' '.repeat(Math.max(0, int(a[2])));
  },
  truncate: (...a: unknown[]) => {
    arity('truncate', a, 2);
    const s = str(a[0]);
    const n = int(a[1]);
    const bytes = Buffer.from(s, 'utf8');
    return bytes.length < n ? s : bytes.subarray(0, Math.max(0, n)).toString('utf8');
  },
});

const passThrough = (name: string, n: number): TemplateFunc => (...a: unknown[]) => {
  arity(name, a, n);
  return a[0];
};

/**
 * docker's `HeaderFunctions`: while rendering a table header row the
 * formatting functions return their first argument, so `{{upper .Name}}`
 * keeps the header "NAME" as given (pad is kept to preserve alignment).
 */
export const headerFuncs: Readonly<Record<string, TemplateFunc>> = Object.freeze({
  json: passThrough('json', 1),
  split: passThrough('split', 2),
  join: passThrough('join', 2),
  title: passThrough('title', 1),
  lower: passThrough('lower', 1),
  upper: passThrough('upper', 1),
  truncate: passThrough('truncate', 2),
});
