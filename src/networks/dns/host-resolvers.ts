import { isIP } from 'node:net';

/**
 * The `nameserver` addresses of a resolv.conf, in file order (IPv4 and IPv6).
 * Like glibc, only the first word after `nameserver` counts, and lines starting
 * with `#` or `;` are comments; anything that is not an IP address is skipped
 * rather than passed on, because it would only fail later, at query time.
 */
export function hostResolvers(resolvConfText: string): string[] {
  const out: string[] = [];
  for (const line of resolvConfText.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== 'nameserver' || words[1] === undefined) continue;
    if (isIP(words[1]) !== 0) out.push(words[1]);
  }
  return out;
}
