/**
 * How Go's fmt prints the values a template sees. Our data are JSON-shaped
 * JS values, printed as Go prints the equivalent `interface{}` values:
 * strings raw, integers without exponent, other floats as `%g` (`1.5`,
 * `1.2345678e+06`), `null` → `<nil>`, arrays → `[a b]`, objects →
 * `map[k:v]` with sorted keys, `undefined` (a missing key) → `<no value>`.
 */

/** A value is "missing" (Go's invalid reflect.Value) when it is undefined. */
export const NO_VALUE = '<no value>';

/** Plain data object (JSON object, Object.create(null)), printed as a Go map. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Keys of a map-like value in Go's map print order (sorted). */
export function sortedKeys(o: object): string[] {
  return Object.keys(o).filter((k) => (o as Record<string, unknown>)[k] !== undefined).sort(compareStrings);
}

/** Byte-wise string order as Go's `sort.Strings` (UTF-16 order differs only beyond the BMP). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Go type name of a value, for messages such as `%!d(string=x)`. */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'bigint') return 'int64';
  if (typeof v === 'function') return 'func';
  if (Array.isArray(v)) return '[]interface {}';
  if (isPlainObject(v)) return 'map[string]interface {}';
  return `*${(v as object).constructor?.name ?? 'struct'}`;
}

function fixExponent(s: string): string {
  // JS writes "1e+6" / "1e-7"; Go writes at least two exponent digits: "1e+06", "1e-07".
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** strconv.FormatFloat(v, 'g', prec, 64); prec < 0 = shortest. */
export function formatFloatG(v: number, prec = -1, upper = false): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const shortest = prec < 0;
  const p = prec === 0 ? 1 : prec;
  const expForm = shortest ? v.toExponential() : v.toExponential(p - 1);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(expForm);
  if (!m) return String(v);
  const [, sign = '', d0 = '', rest = '', expStr = '0'] = m;
  const digits = (d0 + rest).replace(/0+$/, '') || '0';
  const exp = Number(expStr);
  let eprec = shortest ? 6 : p;
  if (!shortest && eprec > digits.length && digits.length >= exp + 1) eprec = digits.length;
  let out: string;
  if (exp < -4 || exp >= eprec) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const es = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : String(Math.abs(exp));
    out = `${sign}${mant}e${exp < 0 ? '-' : '+'}${es}`;
  } else {
    if (exp < 0) {
      out = `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
    } else if (digits.length <= exp + 1) {
      out = sign + digits + '0'.repeat(exp + 1 - digits.length);
    } else {
      out = `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
    }
  }
  return upper ? out.toUpperCase() : out;
}

/** strconv.FormatFloat(v, 'e', prec, 64). */
export function formatFloatE(v: number, prec = 6, upper = false): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  const s = fixExponent(v.toExponential(Math.min(prec, 100)));
  return upper ? s.toUpperCase() : s;
}

/** strconv.FormatFloat(v, 'f', prec, 64). */
export function formatFloatF(v: number, prec = 6): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  if (Math.abs(v) < 1e21) return v.toFixed(Math.min(prec, 100));
  const int = BigInt(v).toString();
  return prec > 0 ? `${int}.${'0'.repeat(prec)}` : int;
}

/** A JS number as Go prints it with %v: integral values as ints, others as float64. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return BigInt(n).toString();
  return formatFloatG(n);
}

/** Go's `fmt.Sprint(v)` for one value (`%v`). */
export function formatValue(v: unknown): string {
  return formatNested(v, true);
}

function formatNested(v: unknown, top: boolean): string {
  if (v === undefined) return top ? NO_VALUE : '<nil>';
  if (v === null) return '<nil>';
  switch (typeof v) {
    case 'string': return v;
    case 'number': return formatNumber(v);
    case 'bigint': return v.toString();
    case 'boolean': return v ? 'true' : 'false';
    case 'function': return '<func>';
    case 'symbol': return v.toString();
    default: break;
  }
  if (Array.isArray(v)) return `[${v.map((e: unknown) => formatNested(e, false)).join(' ')}]`;
  if (v instanceof Map) {
    const keys = [...v.keys()].map(String).sort(compareStrings);
    return `map[${keys.map((k) => `${k}:${formatNested(v.get(k), false)}`).join(' ')}]`;
  }
  if (isPlainObject(v)) {
    return `map[${sortedKeys(v).map((k) => `${k}:${formatNested(v[k], false)}`).join(' ')}]`;
  }
  if (v instanceof Error) return v.message;
  if (v instanceof Date) return v.toISOString();
  // A class instance: use its own toString (Go's Stringer), else print like a struct.
  const obj = v as Record<string, unknown>;
  if (typeof obj['toString'] === 'function' && obj['toString'] !== Object.prototype.toString) {
    return String(obj);
  }
  return `{${Object.keys(obj).map((k) => formatNested(obj[k], false)).join(' ')}}`;
}

/** strconv.Quote: Go double-quoted string with Go escapes. */
export function goQuote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
      default: break;
    }
    if (cp < 0x20 || cp === 0x7f) {
      out += `\\x${cp.toString(16).padStart(2, '0')}`;
    } else if (cp === 0xfffd && ch !== '\ufffd') {
      out += '\\ufffd';
    } else if ((asciiOnly && cp > 0x7e) || (cp !== 0x20 && /[\p{C}\p{Z}]/u.test(ch))) {
      out += cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    } else {
      out += ch;
    }
  }
  return `${out}"`;
}
