import { nftApply } from '../kernel/index.js';
import type { Logger } from '../pkg/log/index.js';
import { messageOf } from '../errdefs/index.js';

/** What the firewall knows of a bridge network. */
export interface FwNetwork { ifname: string; subnet: string; internal: boolean }
/** One kernel-path port forward (the proxy serves loopback). */
export interface FwPort { proto: 'tcp' | 'udp'; hostIp: string; hostPort: number; targetIp: string; targetPort: number }

/**
 * pier's nftables table. Everything lives in one table named with a pier
 * prefix (one per daemon), so removing pier's rules is one `delete table`
 * and nothing is ever interleaved with the host's own rules. Networks and
 * ports are elements of named sets and maps: adding a container adds
 * elements, never rules, so no rule handle has to be tracked.
 *
 * - prerouting/output: published ports, DNAT through two maps (a bound host
 *   address, or any local address for 0.0.0.0). Loopback is left to the
 *   userland proxy.
 * - postrouting: masquerade what leaves a non-internal bridge subnet for an
 *   interface that is not one of this daemon's bridges.
 * - forward: routed traffic between this daemon's bridges is dropped
 *   (isolation), except within one bridge (br_netfilter hands bridged traffic
 *   to this hook with both names equal); internal networks reach nothing
 *   outside. Only this daemon's bridges are named: another pierd on the
 *   host keeps its own table and its traffic is none of this table's business.
 */
export function tableScript(table: string, nets: readonly FwNetwork[], ports: readonly FwPort[]): string {
  const lines = [
    `table ip ${table} {`,
    '  map ports { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }',
    '  map ports-any { type inet_proto . inet_service : ipv4_addr . inet_service; }',
    '  set masq { type ipv4_addr; flags interval; }',
    '  set same { type ifname . ifname; }',
    '  set internal { type ifname; }',
    '  set bridges { type ifname; }',
    '  chain port-dnat { dnat ip to ip daddr . meta l4proto . th dport map @ports; dnat ip to meta l4proto . th dport map @ports-any; }',
    '  chain prerouting { type nat hook prerouting priority dstnat; policy accept; fib daddr type local jump port-dnat; }',
    '  chain output { type nat hook output priority -100; policy accept; ip daddr != 127.0.0.0/8 fib daddr type local jump port-dnat; }',
    '  chain postrouting { type nat hook postrouting priority srcnat; policy accept; ip saddr @masq oifname != @bridges masquerade; }',
    '  chain forward { type filter hook forward priority filter; policy accept; iifname . oifname @same accept; iifname @internal drop; oifname @internal drop; iifname @bridges oifname @bridges drop; }',
    '}',
  ];
  for (const n of nets) lines.push(...networkElements('add', table, n));
  if (ports.length) lines.push(...portElements('add', table, ports));
  return lines.join('\n') + '\n';
}

function q(s: string): string { return JSON.stringify(s); }

export function networkElements(op: 'add' | 'delete', table: string, n: FwNetwork): string[] {
  const out = [`${op} element ip ${table} same { ${q(n.ifname)} . ${q(n.ifname)} }`, `${op} element ip ${table} bridges { ${q(n.ifname)} }`];
  if (n.internal) out.push(`${op} element ip ${table} internal { ${q(n.ifname)} }`);
  else out.push(`${op} element ip ${table} masq { ${n.subnet} }`);
  return out;
}

export function portElements(op: 'add' | 'delete', table: string, ports: readonly FwPort[]): string[] {
  const out: string[] = [];
  for (const p of ports) {
    if (p.hostIp === '' || p.hostIp === '0.0.0.0') {
      out.push(`${op} element ip ${table} ports-any { ${p.proto} . ${p.hostPort} ${op === 'add' ? `: ${p.targetIp} . ${p.targetPort} ` : ''}}`);
    } else if (!p.hostIp.startsWith('127.') && !p.hostIp.includes(':')) {
      out.push(`${op} element ip ${table} ports { ${p.hostIp} . ${p.proto} . ${p.hostPort} ${op === 'add' ? `: ${p.targetIp} . ${p.targetPort} ` : ''}}`);
    }
  }
  return out;
}

/** The live table: rebuilt whole at daemon start, then changed element by element. */
export class Firewall {
  readonly table: string;
  readonly #log: Logger;
  #ready = false;
  #unavailable = false;

  constructor(table: string, log: Logger) {
    this.table = table;
    this.#log = log;
  }

  get ready(): boolean { return this.#ready; }

  /** Replaces whatever a previous daemon left with the state the store describes, atomically. */
  async reset(nets: readonly FwNetwork[], ports: readonly FwPort[]): Promise<void> {
    try {
      await nftApply(`add table ip ${this.table}\ndelete table ip ${this.table}\n${tableScript(this.table, nets, ports)}`);
      this.#ready = true;
    } catch (err) {
      this.#unavailable = true;
      this.#log.warn('nftables unavailable: published ports are served by the userland proxy only, and bridge networks are neither masqueraded nor isolated', { err: messageOf(err) });
    }
  }

  async apply(lines: readonly string[]): Promise<void> {
    if (!this.#ready || this.#unavailable || lines.length === 0) return;
    await nftApply(lines.join('\n') + '\n');
  }

  async addNetwork(n: FwNetwork): Promise<void> { await this.apply(networkElements('add', this.table, n)); }
  async removeNetwork(n: FwNetwork): Promise<void> {
    await this.apply(networkElements('delete', this.table, n)).catch((err: unknown) => this.#log.debug('firewall: network elements already gone', { err: messageOf(err) }));
  }
  async addPorts(ports: readonly FwPort[]): Promise<void> { await this.apply(portElements('add', this.table, ports)); }
  async removePorts(ports: readonly FwPort[]): Promise<void> {
    await this.apply(portElements('delete', this.table, ports)).catch((err: unknown) => this.#log.debug('firewall: port elements already gone', { err: messageOf(err) }));
  }

  /** Removes the table (when the daemon leaves nothing behind that needs it). */
  async destroy(): Promise<void> {
    if (!this.#ready) return;
    this.#ready = false;
    await nftApply(`add table ip ${this.table}\ndelete table ip ${this.table}\n`).catch(() => undefined);
  }
}
