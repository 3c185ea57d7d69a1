import { ConflictError, InvalidParameterError } from '../errdefs/index.js';
import { contains, formatCidr, formatIPv4, overlaps, parseCidr, parseIPv4, size, within, type Prefix } from './cidr.js';

/** One subnet of a network as the API carries it (IPAM.Config[]). */
export interface IpamConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/**
 * docker's default address pools: 172.17–31.0.0/16 one network each, then
 * 192.168.0.0/16 in /20s. The first is the default bridge's.
 */
export function* defaultPoolCandidates(): Generator<Prefix> {
  for (let b = 17; b <= 31; b++) yield { base: parseIPv4(`172.${b}.0.0`) ?? 0, bits: 16 };
  const base = parseIPv4('192.168.0.0') ?? 0;
  for (let i = 0; i < 16; i++) yield { base: (base + i * 4096) >>> 0, bits: 20 };
}

/** The first default pool overlapping none of `taken` (other networks' subnets and the host's routes). */
export function pickDefaultSubnet(taken: readonly Prefix[]): Prefix {
  for (const p of defaultPoolCandidates()) {
    if (!taken.some((t) => overlaps(t, p))) return p;
  }
  throw new ConflictError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
}

/** A network's subnet with everything the allocator needs, validated. */
export interface PoolPlan {
  subnet: Prefix;
  /** Where container addresses come from (the subnet when no --ip-range). */
  range: Prefix;
  gateway: number;
  /** Addresses never handed out: network, broadcast, gateway, aux. */
  reserved: Set<number>;
}

/**
 * Validates one IPAM config (docker's messages) and fills in the gateway
 * (the subnet's first address, as docker picks it).
 */
export function planPool(cfg: IpamConfig, subnet: Prefix): PoolPlan {
  const sub = formatCidr(subnet);
  let range = subnet;
  if (cfg.IPRange) {
    const r = parseCidr(cfg.IPRange, { strict: true, what: 'ip-range' });
    if (!within(r, subnet)) throw new InvalidParameterError(`invalid ip-range ${cfg.IPRange}: parent subnet ${sub} doesn't contain ip-range`);
    range = r;
  }
  const reserved = new Set<number>();
  if (subnet.bits <= 30) {
    reserved.add(subnet.base);
    reserved.add((subnet.base + size(subnet) - 1) >>> 0);
  }
  let gateway: number;
  if (cfg.Gateway) {
    const g = parseIPv4(cfg.Gateway);
    if (g === undefined) throw new InvalidParameterError(`invalid gateway ${cfg.Gateway}: invalid IP address`);
    if (!contains(subnet, g)) throw new InvalidParameterError(`invalid gateway ${cfg.Gateway}: parent subnet ${sub} doesn't contain this address`);
    gateway = g;
  } else {
    gateway = (subnet.base + (subnet.bits <= 30 ? 1 : 0)) >>> 0;
  }
  reserved.add(gateway);
  for (const [name, a] of Object.entries(cfg.AuxiliaryAddresses ?? {})) {
    const ip = parseIPv4(a);
    if (ip === undefined) throw new InvalidParameterError(`invalid auxiliary address ${name}: invalid IP address`);
    if (!contains(subnet, ip)) throw new InvalidParameterError(`invalid auxiliary address ${name}: parent subnet ${sub} doesn't contain this address`);
    reserved.add(ip);
  }
  return { subnet, range, gateway, reserved };
}

/** The subnets of a create request: parsed, strict, not overlapping one another. */
export function parseSubnets(configs: readonly IpamConfig[]): Prefix[] {
  const out: Prefix[] = [];
  for (const c of configs) {
    if (!c.Subnet) continue;
    const p = parseCidr(c.Subnet, { strict: true });
    if (out.some((o) => overlaps(o, p))) throw new InvalidParameterError(`invalid pool request: Pool overlaps with other one on this address space`);
    out.push(p);
  }
  return out;
}

/**
 * Hands out addresses from one pool: the next free one after the last given
 * (docker's serial allocation, so an address just released is not reused at
 * once), never one in `used` or reserved.
 */
export function nextAddress(plan: PoolPlan, used: ReadonlySet<number>, after: number | undefined): number | undefined {
  const n = size(plan.range);
  const start = after !== undefined && contains(plan.range, after) ? after - plan.range.base + 1 : 0;
  for (let i = 0; i < n; i++) {
    const ip = (plan.range.base + ((start + i) % n)) >>> 0;
    if (!used.has(ip) && !plan.reserved.has(ip)) return ip;
  }
  return undefined;
}

/** Checks a requested static address (`--ip`) against the pool. */
export function checkStaticAddress(plan: PoolPlan, ipText: string, used: ReadonlySet<number>): number {
  const ip = parseIPv4(ipText);
  if (ip === undefined) throw new InvalidParameterError(`invalid IPv4 address: ${ipText}`);
  if (!contains(plan.subnet, ip)) throw new InvalidParameterError(`no configured subnet or ip-range contain the IP address ${ipText}`);
  if (plan.reserved.has(ip) || used.has(ip)) throw new ConflictError(`Address already in use`);
  return ip;
}

export { formatIPv4, formatCidr };

/**
 * docker's ValidateIPAM: every subnet, range, gateway and aux address checked,
 * all complaints reported together (one per line).
 */
export function validateIpam(configs: readonly IpamConfig[]): void {
  const errs: string[] = [];
  for (const c of configs) {
    if (!c.Subnet) continue;
    let subnet;
    try { subnet = parseCidr(c.Subnet, { strict: true }); } catch (err) { errs.push((err as Error).message); continue; }
    try { planPool(c, subnet); } catch (err) { errs.push((err as Error).message); }
  }
  if (errs.length) throw new InvalidParameterError(errs.join('\n'));
}
