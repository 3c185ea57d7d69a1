import { createHash } from 'node:crypto';
import { formatCidr, formatIPv4, parseIPv4, type Prefix } from '../cidr.js';

/**
 * The parts of an overlay network every member derives alike from its name,
 * so daemons agree without a shared store: the network ID, the VXLAN ID, the
 * default subnet, and each member's share of the subnet (members hand out
 * addresses only from their own share, so two daemons never give one away).
 */
export function overlayNetworkId(name: string): string {
  return createHash('sha256').update(`pier-overlay/${name}`).digest('hex');
}

export function overlayVni(name: string, option?: string): number {
  if (option) {
    const n = Number(option.split(',')[0]);
    if (!Number.isInteger(n) || n < 1 || n > 0xffffff) throw new RangeError(`invalid VXLAN ID ${option}: want 1-16777215`);
    return n;
  }
  const h = createHash('sha256').update(`pier-vni/${name}`).digest();
  return 4096 + (h.readUIntBE(0, 3) % (0xffffff - 4096));
}

/** 10.128.0.0/10 in /24s, picked by the name's hash. */
export function overlayDefaultSubnet(name: string): Prefix {
  const h = createHash('sha256').update(`pier-subnet/${name}`).digest();
  const idx = h.readUInt16BE(0) % (1 << 14);
  return { base: ((10 << 24) | ((128 + (idx >> 8)) << 16) | ((idx & 255) << 8)) >>> 0, bits: 24 };
}

/** This member's slice of the subnet: the subnet split in a power of two ≥ the member count. */
export function memberSlice(subnet: Prefix, members: readonly string[], self: string): { range: Prefix; gateway: number } {
  const index = Math.max(0, members.indexOf(self));
  let extra = 0;
  while ((1 << extra) < members.length) extra++;
  const bits = Math.min(30, subnet.bits + extra);
  const size = 2 ** (32 - bits);
  const base = (subnet.base + index * size) >>> 0;
  // The first usable address of the slice is this member's gateway (its DNS server's address).
  const gateway = base === subnet.base ? base + 1 : base;
  return { range: { base, bits }, gateway: gateway >>> 0 };
}

export function vxlanName(vni: number): string {
  return `piervx${vni.toString(16).padStart(6, '0')}`;
}

export function vxlanLines(o: { name: string; vni: number; local: string; bridge: string; port?: number }): string[] {
  return [
    `link add ${o.name} mtu 1450 type vxlan id ${o.vni} local ${o.local} dstport ${o.port ?? 4789} learning`,
    `link set ${o.name} master ${o.bridge} up`,
  ];
}

/** Broadcast and unknown traffic goes to every peer (head-end replication); unicast is learned. */
export function floodLines(vx: string, peers: readonly string[]): string[] {
  return peers.map((p) => `fdb append 00:00:00:00:00:00 dev ${vx} dst ${p}`);
}

export { formatCidr, formatIPv4, parseIPv4 };
