import { InvalidParameterError } from '../errdefs/index.js';

/** An IPv4 prefix as numbers: `base` is the network address (host bits cleared). */
export interface Prefix { readonly base: number; readonly bits: number }

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** "10.0.0.1" → 167772161; undefined when it is not a dotted quad. */
export function parseIPv4(s: string): number | undefined {
  const m = IPV4.exec(s);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i] ?? '';
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const v = Number(part);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/**
 * "172.18.0.0/16" → prefix. `strict` refuses host bits (docker's
 * "invalid subnet … : it should be …"); otherwise they are cleared.
 */
export function parseCidr(s: string, o: { strict?: boolean; what?: string } = {}): Prefix & { addr: number } {
  const what = o.what ?? 'subnet';
  const slash = s.indexOf('/');
  const ip = parseIPv4(slash < 0 ? s : s.slice(0, slash));
  const bitsText = slash < 0 ? '' : s.slice(slash + 1);
  const bits = /^\d{1,2}$/.test(bitsText) ? Number(bitsText) : NaN;
  if (ip === undefined || !(bits >= 0 && bits <= 32)) {
    if (s.includes(':')) throw new InvalidParameterError(`invalid ${what} ${s}: IPv6 is not supported by pier networks yet`);
    throw new InvalidParameterError(`invalid ${what} ${s}: invalid CIDR block notation`);
  }
  const base = (ip & mask(bits)) >>> 0;
  if (o.strict && base !== ip) {
    throw new InvalidParameterError(`invalid ${what} ${s}: it should be ${formatIPv4(base)}/${bits}`);
  }
  return { base, bits, addr: ip };
}

export function formatCidr(p: Prefix): string {
  return `${formatIPv4(p.base)}/${p.bits}`;
}

export function size(p: Prefix): number {
  return 2 ** (32 - p.bits);
}

export function contains(p: Prefix, ip: number): boolean {
  return ((ip & mask(p.bits)) >>> 0) === p.base;
}

/** Two prefixes overlap when either contains the other's network address. */
export function overlaps(a: Prefix, b: Prefix): boolean {
  return contains(a, b.base) || contains(b, a.base);
}

/** `p` lies wholly inside `outer`. */
export function within(p: Prefix, outer: Prefix): boolean {
  return p.bits >= outer.bits && contains(outer, p.base);
}
