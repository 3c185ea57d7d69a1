import { InvalidParameterError, NotFoundError, SystemError } from '../errdefs/index.js';
import type { DriverPlugin } from './remote-driver.js';

/**
 * docker's remote IPAM protocol (`IpamDriver.*`, libnetwork's ipams/remote): a plugin hands out
 * a network's pools and its containers' addresses instead of pier's own allocator. In docker's
 * order: GetCapabilities at activation; GetDefaultAddressSpaces, RequestPool and the gateway's
 * RequestAddress at `network create`; RequestAddress / ReleaseAddress per container endpoint;
 * the gateway's ReleaseAddress and ReleasePool at `network rm`.
 */

const GATEWAY_LABEL = 'com.docker.network.gateway';
const REQUEST_TYPE = 'RequestAddressType';
const MAC_LABEL = 'com.docker.network.endpoint.macaddress';

/** One pool a plugin gave a network, as pier keeps it in the network's record. */
export interface RemotePool { poolId: string; subnet: string; gateway: string; aux: string[] }

function bareIp(cidrOrIp: string): string {
  return cidrOrIp.split('/')[0] ?? '';
}

export class RemoteIpam {
  readonly plugin: DriverPlugin;
  readonly requiresMac: boolean;

  private constructor(plugin: DriverPlugin, requiresMac: boolean) {
    this.plugin = plugin;
    this.requiresMac = requiresMac;
  }

  static async open(plugin: DriverPlugin): Promise<RemoteIpam> {
    const impl = await plugin.activate();
    if (!impl.includes('IpamDriver')) throw new NotFoundError(`plugin "${plugin.name}" not found`);
    const caps = await plugin.call('IpamDriver.GetCapabilities', {}).catch(() => ({} as Record<string, unknown>));
    return new RemoteIpam(plugin, caps['RequiresMACAddress'] === true);
  }

  /**
   * The pools of a new network: one per asked config (or one of the plugin's choosing), each with
   * its gateway (the one asked for, else the plugin's, else one it hands out) and aux addresses.
   * On failure whatever was obtained is given back.
   */
  async requestPools(configs: readonly { Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }[], options: Record<string, string>): Promise<RemotePool[]> {
    const spaces = await this.#call('GetDefaultAddressSpaces', {});
    const space = typeof spaces['LocalDefaultAddressSpace'] === 'string' ? spaces['LocalDefaultAddressSpace'] : '';
    const got: RemotePool[] = [];
    try {
      for (const c of configs.length ? configs : [{}]) {
        const r = await this.#call('RequestPool', { AddressSpace: space, Pool: c.Subnet ?? '', SubPool: c.IPRange ?? '', Options: options, V6: false });
        const poolId = typeof r['PoolID'] === 'string' ? r['PoolID'] : '';
        const subnet = typeof r['Pool'] === 'string' ? r['Pool'] : '';
        if (!poolId || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(subnet)) throw new SystemError(`ipam plugin ${this.plugin.name} answered RequestPool without a pool ID or an IPv4 pool ("${subnet}")`);
        const pool: RemotePool = { poolId, subnet, gateway: '', aux: [] };
        got.push(pool);
        const data = (r['Data'] ?? {}) as Record<string, unknown>;
        const fromPlugin = typeof data[GATEWAY_LABEL] === 'string' ? bareIp(data[GATEWAY_LABEL]) : '';
        // As libnetwork: an asked-for gateway is always requested; otherwise only when the pool came without one.
        if (c.Gateway || !fromPlugin) {
          pool.gateway = bareIp(await this.requestAddress(poolId, c.Gateway ?? '', { [REQUEST_TYPE]: GATEWAY_LABEL }));
        } else {
          pool.gateway = fromPlugin;
        }
        for (const a of Object.values(c.AuxiliaryAddresses ?? {})) {
          await this.requestAddress(poolId, a, {});
          pool.aux.push(a);
        }
      }
      return got;
    } catch (err) {
      await this.releasePools(got);
      throw err;
    }
  }

  /** Gives back a network's pools: gateways and aux addresses first, as docker does. Never throws. */
  async releasePools(pools: readonly RemotePool[]): Promise<void> {
    for (const p of pools) {
      for (const a of [...p.aux, ...(p.gateway ? [p.gateway] : [])]) await this.releaseAddress(p.poolId, a).catch(() => undefined);
      await this.#call('ReleasePool', { PoolID: p.poolId }).catch(() => undefined);
    }
  }

  /** An address from the pool (`want` when one was asked for); resolves with it as CIDR or bare IP. */
  async requestAddress(poolId: string, want: string, options: Record<string, string>, mac?: string): Promise<string> {
    const opts = { ...options, ...(this.requiresMac && mac ? { [MAC_LABEL]: mac } : {}) };
    const r = await this.#call('RequestAddress', { PoolID: poolId, Address: want, Options: opts });
    const a = typeof r['Address'] === 'string' ? r['Address'] : '';
    if (!/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(a)) throw new SystemError(`ipam plugin ${this.plugin.name} answered RequestAddress without an IPv4 address ("${a}")`);
    if (want && bareIp(a) !== want) throw new InvalidParameterError(`ipam plugin ${this.plugin.name} gave ${a} where ${want} was asked for`);
    return a;
  }

  async releaseAddress(poolId: string, address: string): Promise<void> {
    await this.#call('ReleaseAddress', { PoolID: poolId, Address: bareIp(address) });
  }

  async #call(method: string, body: unknown): Promise<Record<string, unknown>> {
    try {
      return await this.plugin.call(`IpamDriver.${method}`, body);
    } catch (err) {
      if (err instanceof SystemError && err.message.startsWith('ipam plugin')) throw err;
      throw new SystemError(`ipam plugin ${this.plugin.name}: ${method}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}
