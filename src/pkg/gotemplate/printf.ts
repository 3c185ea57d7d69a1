/**
 * Go's `fmt.Sprintf` for JSON-shaped values: verbs v s d q t x X o O b c U
 * e E f F g G T and %%, flags `+ - # 0 space`, width and precision (also `*`),
 * explicit argument indexes `%[n]d`, and Go's error forms (`%!d(string=x)`,
 * `%!d(MISSING)`, `%!(EXTRA int=1)`, `%!(NOVERB)`). Integral JS numbers are
 * Go ints; other numbers are float64.
 */
import {
  compareStrings, formatFloatE, formatFloatF, formatFloatG, formatValue, goQuote, goTypeName,
  isPlainObject, sortedKeys,
} from './format.js';

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  zero: boolean;
  space: boolean;
  width: number | undefined;
  prec: number | undefined;
}

function pad(s: string, f: Flags, numeric = false): string {
  const w = f.width ?? 0;
  const len = [...s].length;
  if (len >= w) return s;
  const fill = w - len;
  if (f.minus) return s + ' '.repeat(fill);
  if (f.zero) {
    // Zero padding goes after the sign of a number.
    if (numeric && /^[+\- ]/.test(s)) return s[0] + '0'.repeat(fill) + s.slice(1);
    return '0'.repeat(fill) + s;
  }
  return ' '.repeat(fill) + s;
}

function badVerb(verb: string, v: unknown): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(v)}=${formatValue(v)})`;
}

function signed(s: string, negative: boolean, f: Flags): string {
  if (negative) return `-${s}`;
  if (f.plus) return `+${s}`;
  if (f.space) return ` ${s}`;
  return s;
}

function fmtInteger(n: number, verb: string, f: Flags): string {
  const big = BigInt(n);
  const neg = big < 0n;
  const abs = neg ? -big : big;
  let digits: string;
  let prefix = '';
  switch (verb) {
    case 'd': case 'v': digits = abs.toString(10); break;
    case 'b': digits = abs.toString(2); if (f.sharp) prefix = '0b'; break;
    case 'o': digits = abs.toString(8); if (f.sharp) prefix = '0'; break;
    case 'O': digits = abs.toString(8); prefix = '0o'; break;
    case 'x': digits = abs.toString(16); if (f.sharp) prefix = '0x'; break;
    case 'X': digits = abs.toString(16).toUpperCase(); if (f.sharp) prefix = '0X'; break;
    case 'c': return pad(String.fromCodePoint(Math.min(Math.max(n, 0), 0x10ffff)), f);
    case 'q': return pad(`'${goQuote(String.fromCodePoint(Math.min(Math.max(n, 0), 0x10ffff))).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, '\\\'')}'`, f);
    case 'U': {
      const u = `U+${abs.toString(16).toUpperCase().padStart(4, '0')}`;
      return pad(f.sharp ? `${u} '${String.fromCodePoint(n)}'` : u, f);
    }
    default: return badVerb(verb, n);
  }
  if (f.prec !== undefined) {
    digits = f.prec === 0 && abs === 0n ? '' : digits.padStart(f.prec, '0');
    return pad(signed(prefix + digits, neg, f), { ...f, zero: false });
  }
  return pad(signed(prefix + digits, neg, f), f, true);
}

function fmtFloat(n: number, verb: string, f: Flags): string {
  let s: string;
  const abs = Math.abs(n);
  switch (verb) {
    case 'v': case 'g': s = formatFloatG(abs, f.prec ?? -1); break;
    case 'G': s = formatFloatG(abs, f.prec ?? -1, true); break;
    case 'e': case 'E': s = formatFloatE(abs, f.prec ?? 6, verb === 'E'); break;
    case 'f': case 'F': s = formatFloatF(abs, f.prec ?? 6); break;
    default: return badVerb(verb, n);
  }
  if (!Number.isFinite(n)) {
    const special = Number.isNaN(n) ? (f.plus ? '+NaN' : 'NaN') : n > 0 ? '+Inf' : '-Inf';
    return pad(special, { ...f, zero: false });
  }
  const neg = n < 0 || Object.is(n, -0);
  return pad(signed(s, neg, f), f, true);
}

function fmtString(s: string, verb: string, f: Flags): string {
  let str = s;
  if (f.prec !== undefined && (verb === 's' || verb === 'v' || verb === 'q')) str = [...str].slice(0, f.prec).join('');
  switch (verb) {
    case 'v': case 's': return pad(str, f);
    case 'q':
      if (f.sharp && !str.includes('`') && !/[\p{C}]/u.test(str.replace(/\t/g, ''))) return pad(`\`${str}\``, f);
      return pad(goQuote(str, f.plus), f);
    case 'x': case 'X': {
      const bytes = [...Buffer.from(str, 'utf8')];
      const hex = bytes.map((b) => b.toString(16).padStart(2, '0'));
      const pre = f.sharp ? '0x' : '';
      const out = f.space ? hex.map((h) => pre + h).join(' ') : pre + hex.join('');
      return pad(verb === 'X' ? out.toUpperCase() : out, f);
    }
    default: return badVerb(verb, s);
  }
}

/** Formats one operand with one verb (Go's `printArg`). */
export function formatArg(v: unknown, verb: string, f: Flags): string {
  if (verb === 'T') return pad(goTypeName(v), f);
  if (v === null || v === undefined) return verb === 'v' ? pad('<nil>', f) : badVerb(verb, v);
  if (typeof v === 'boolean') return verb === 'v' || verb === 't' ? pad(String(v), f) : badVerb(verb, v);
  if (typeof v === 'string') return fmtString(v, verb, f);
  if (typeof v === 'bigint') return fmtInteger(Number(v), verb, f);
  if (typeof v === 'number') {
    if (Number.isInteger(v) && !'eEfFgG'.includes(verb)) return fmtInteger(v, verb, f);
    return fmtFloat(v, verb, f);
  }
  if (Array.isArray(v)) {
    if (f.sharp && verb === 'v') return pad(JSON.stringify(v), f);
    return `[${v.map((e: unknown) => formatArg(e, verb, f)).join(' ')}]`;
  }
  if (isPlainObject(v) || v instanceof Map) {
    const get = (k: string): unknown => (v instanceof Map ? v.get(k) : v[k]);
    const keys = v instanceof Map ? [...v.keys()].map(String).sort(compareStrings) : sortedKeys(v);
    return `map[${keys.map((k) => `${formatArg(k, verb, f)}:${formatArg(get(k), verb, f)}`).join(' ')}]`;
  }
  return verb === 'v' || verb === 's' ? pad(formatValue(v), f) : badVerb(verb, v);
}

/** Go's fmt.Sprintf. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argNum = 0;
  let reordered = false;
  const n = format.length;
  for (let i = 0; i < n;) {
    const pct = format.indexOf('%', i);
    if (pct === -1) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const f: Flags = { plus: false, minus: false, sharp: false, zero: false, space: false, width: undefined, prec: undefined };
    for (; i < n; i++) {
      const c = format[i];
      if (c === '+') f.plus = true;
      else if (c === '-') f.minus = true;
      else if (c === '#') f.sharp = true;
      else if (c === '0') f.zero = true;
      else if (c === ' ') f.space = true;
      else break;
    }
    const argIndex = (): void => {
      const m = /^\[(\d+)\]/.exec(format.slice(i));
      if (m?.[1] !== undefined) {
        argNum = Number(m[1]) - 1;
        reordered = true;
        i += m[0].length;
      }
    };
    const readNum = (): number | undefined => {
      argIndex();
      if (format[i] === '*') {
        i++;
        const a = args[argNum++];
        return typeof a === 'number' && Number.isInteger(a) ? a : undefined;
      }
      const m = /^\d+/.exec(format.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      return Number(m[0]);
    };
    f.width = readNum();
    if (f.width !== undefined && f.width < 0) {
      f.minus = true;
      f.width = -f.width;
    }
    if (format[i] === '.') {
      i++;
      f.prec = readNum() ?? 0;
      if (f.prec < 0) f.prec = undefined;
    }
    argIndex();
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) ?? 0);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatArg(args[argNum++], verb, f);
  }
  if (!reordered && argNum < args.length) {
    const extra = args.slice(argNum).map((a) => (a === null || a === undefined ? '<nil>' : `${goTypeName(a)}=${formatValue(a)}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}

/** Go's fmt.Sprint: operands separated by a space when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += a === undefined ? '<nil>' : formatValue(a);
  });
  return out;
}

/** Go's fmt.Sprintln: operands always separated by spaces, newline appended. */
export function sprintln(args: readonly unknown[]): string {
  return `${args.map((a) => (a === undefined ? '<nil>' : formatValue(a))).join(' ')}\n`;
}
