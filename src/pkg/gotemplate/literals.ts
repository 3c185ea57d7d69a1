/**
 * Go literal syntax used inside template actions: interpreted strings
 * ("…" with Go escapes), raw strings (`…`), character constants ('x') and
 * number constants (decimal, 0x/0o/0b, legacy octal, floats, `_` separators).
 */

const SIMPLE_ESCAPES: Record<string, number> = {
  a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92,
};

/** Decodes the body of a Go quoted literal; undefined on invalid syntax (Go: "invalid syntax"). */
function unescape(body: string, quote: '"'): string | undefined {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < body.length;) {
    const c = body[i] as string;
    if (c === quote) return undefined;
    if (c !== '\\') {
      const cp = body.codePointAt(i) ?? 0;
      const ch = String.fromCodePoint(cp);
      bytes.push(...enc.encode(ch));
      i += ch.length;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) return undefined;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      bytes.push(simple);
      i += 2;
    } else if (e === quote) {
      bytes.push(quote.charCodeAt(0));
      i += 2;
    } else if (e === 'x') {
      const hex = body.slice(i + 2, i + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 4;
    } else if (e >= '0' && e <= '7') {
      const oct = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) return undefined;
      bytes.push(parseInt(oct, 8));
      i += 4;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) return undefined;
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) return undefined;
      bytes.push(...enc.encode(String.fromCodePoint(cp)));
      i += 2 + n;
    } else {
      return undefined;
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Value of a "…" or `…` token; undefined when the escapes are invalid. */
export function unquoteString(tok: string): string | undefined {
  if (tok.startsWith('`')) return tok.slice(1, -1).replaceAll('\r', '');
  return unescape(tok.slice(1, -1), '"');
}

/** Code point (or byte value, for \x and octal escapes) of a 'x' token; undefined when malformed. */
export function unquoteChar(tok: string): number | undefined {
  const body = tok.slice(1, -1);
  if (!body.startsWith('\\')) {
    const cps = [...body];
    return cps.length === 1 && cps[0] !== '\'' ? cps[0]?.codePointAt(0) : undefined;
  }
  const m = /^\\(?:([abfnrtv\\'])|x([0-9a-fA-F]{2})|([0-7]{3})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))$/.exec(body);
  if (!m) return undefined;
  if (m[1] !== undefined) return m[1] === '\'' ? 39 : SIMPLE_ESCAPES[m[1]];
  if (m[2] !== undefined) return parseInt(m[2], 16);
  if (m[3] !== undefined) {
    const v = parseInt(m[3], 8);
    return v > 255 ? undefined : v;
  }
  const cp = parseInt(m[4] ?? m[5] ?? '', 16);
  return cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000) ? undefined : cp;
}

function digitsOk(s: string, re: RegExp): boolean {
  // Go accepts '_' only between digits (or right after a base prefix).
  return s.length > 0 && re.test(s) && !s.endsWith('_') && !s.includes('__');
}

/** Value of a Go number constant; undefined when it is not valid Go syntax. */
export function parseNumber(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith('+') || s.startsWith('-')) {
    if (s.startsWith('-')) sign = -1;
    s = s.slice(1);
  }
  if (s === '') return undefined;
  const prefix = s.slice(0, 2).toLowerCase();
  if (prefix === '0x') {
    const m = /^([0-9a-fA-F_]*)(?:\.([0-9a-fA-F_]*))?(?:[pP]([+-]?[0-9_]+))?$/.exec(s.slice(2));
    if (!m) return undefined;
    const [, intPart = '', frac, exp] = m;
    if (intPart.replaceAll('_', '') === '' && (frac ?? '').replaceAll('_', '') === '') return undefined;
    if ((frac !== undefined || exp !== undefined) && exp === undefined) return undefined;
    let v = intPart === '' ? 0 : parseInt(intPart.replaceAll('_', ''), 16);
    if (frac !== undefined) {
      const f = frac.replaceAll('_', '');
      for (let i = 0; i < f.length; i++) v += parseInt(f[i] as string, 16) / 16 ** (i + 1);
    }
    if (exp !== undefined) v *= 2 ** Number(exp.replaceAll('_', ''));
    return sign * v;
  }
  if (prefix === '0o' || prefix === '0b') {
    const body = s.slice(2).replace(/^_/, '');
    const re = prefix === '0o' ? /^[0-7_]+$/ : /^[01_]+$/;
    if (!digitsOk(body, re)) return undefined;
    return sign * parseInt(body.replaceAll('_', ''), prefix === '0o' ? 8 : 2);
  }
  if (/^0[0-7_]+$/.test(s)) {
    if (!digitsOk(s, /^[0-7_]+$/)) return undefined;
    return sign * parseInt(s.replaceAll('_', ''), 8);
  }
  if (!/^(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][+-]?[0-9][0-9_]*)?$/.test(s)) return undefined;
  if (s.startsWith('.') && !/^\.[0-9]/.test(s)) return undefined;
  if (s.includes('__') || /_(?:$|[.eE])|[.eE]_/.test(s)) return undefined;
  const v = Number(s.replaceAll('_', ''));
  return Number.isNaN(v) ? undefined : sign * v;
}
