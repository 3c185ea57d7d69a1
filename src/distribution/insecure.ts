/**
 * Docker's insecure-registries rule: loopback registries (127.0.0.0/8, ::1,
 * localhost) are always insecure; others when named in the daemon config by
 * host[:port] or by a CIDR their address falls in.
 */
import { isIP } from 'node:net';

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
}

function inCidr(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (!net || isIP(net) !== 4 || isIP(ip) !== 4 || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (ipv4ToInt(ip) & mask) === (ipv4ToInt(net) & mask);
}

export function isInsecureRegistry(domain: string, configured: readonly string[]): boolean {
  const host = domain.startsWith('[') ? domain.slice(1, domain.indexOf(']')) : domain.replace(/:\d+$/, '');
  if (host === 'localhost' || host === '::1' || (isIP(host) === 4 && inCidr(host, '127.0.0.0/8'))) return true;
  for (const c of configured) {
    if (c.includes('/')) { if (inCidr(host, c)) return true; continue; }
    if (c === domain || c === host) return true;
  }
  return false;
}
