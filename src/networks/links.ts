/**
 * The iproute2 batch lines of each driver: pure, so what a network or an
 * endpoint does to the host is readable and testable without root.
 */

/**
 * A bridge; with `alias`, named as its daemon's (`pier:<host tag>`), so that daemon's start-up
 * can tell its own bridges that lost their network record (a crash mid-`network rm`) from
 * another daemon's, which share the `pier-<id>` naming.
 */
export function bridgeCreateLines(ifname: string, gatewayCidr: string, mtu?: number, alias?: string): string[] {
  return [
    `link add ${ifname}${mtu ? ` mtu ${mtu}` : ''} type bridge`,
    ...(alias ? [`link set ${ifname} alias ${alias}`] : []),
    `addr replace ${gatewayCidr} dev ${ifname}`,
    `link set ${ifname} up`,
  ];
}

/** Host side of a bridge endpoint: the veth pair, its container end created straight in the netns. */
export function vethJoinLines(o: { hostIf: string; ifname: string; mac: string; pid: number; bridge: string; mtu?: number }): string[] {
  const mtu = o.mtu ? ` mtu ${o.mtu}` : '';
  return [
    `link add ${o.hostIf}${mtu} type veth peer name ${o.ifname} address ${o.mac}${mtu} netns ${o.pid}`,
    `link set ${o.hostIf} master ${o.bridge} up`,
  ];
}

/** Host side of a macvlan endpoint: made on the parent, created in the container's netns. */
export function macvlanJoinLines(o: { parent: string; ifname: string; mac: string; pid: number; mode: string }): string[] {
  return [`link add link ${o.parent} name ${o.ifname} address ${o.mac} netns ${o.pid} type macvlan mode ${o.mode}`];
}

/** Inside the container: address, link up, and the default route through the first network with a gateway. */
export function containerSideLines(o: { ifname: string; cidr: string; gateway?: string }): string[] {
  const lines = [`addr add ${o.cidr} dev ${o.ifname}`, `link set ${o.ifname} up`];
  if (o.gateway) lines.push(`route replace default via ${o.gateway} dev ${o.ifname}`);
  return lines;
}

/** docker's MAC scheme: 02:42 then the IPv4 address (unique within a subnet, stable per address). */
export function macFor(ip: number): string {
  const b = [0x02, 0x42, ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
