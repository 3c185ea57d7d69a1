import { NotFoundError, SystemError } from '../errdefs/index.js';

/**
 * docker's remote network driver protocol (libnetwork's `NetworkDriver.*` over the legacy plugin
 * API): the plugin makes the network and the endpoint's interface on the host; pier moves that
 * interface into the container, names it, and gives it the address its own IPAM chose (or the
 * IPAM plugin's). Calls, in docker's order: CreateNetwork at `network create`; CreateEndpoint, Join
 * and (for the endpoint with the default route) ProgramExternalConnectivity at container start;
 * RevokeExternalConnectivity, Leave and DeleteEndpoint at its end; DeleteNetwork at `network rm`.
 */

/** The part of a plugin client the drivers use (pkg/plugins' PluginClient). */
export interface DriverPlugin {
  readonly name: string;
  activate(): Promise<string[]>;
  call(method: string, body: unknown, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** What Join answers: the host interface to move in, its name prefix inside, routes. */
export interface JoinInfo {
  srcName: string;
  dstPrefix: string;
  gateway: string;
  routes: { destination: string; type: number; nextHop: string }[];
}

const GENERIC = 'com.docker.network.generic';

export class RemoteNetworkDriver {
  readonly plugin: DriverPlugin;
  readonly scope: 'local' | 'global';

  private constructor(plugin: DriverPlugin, scope: 'local' | 'global') {
    this.plugin = plugin;
    this.scope = scope;
  }

  /** Activates the plugin (it must implement NetworkDriver) and learns its scope. */
  static async open(plugin: DriverPlugin): Promise<RemoteNetworkDriver> {
    const impl = await plugin.activate();
    if (!impl.includes('NetworkDriver')) throw new NotFoundError(`plugin "${plugin.name}" not found`);
    const caps = await plugin.call('NetworkDriver.GetCapabilities', {}).catch(() => ({} as Record<string, unknown>));
    return new RemoteNetworkDriver(plugin, caps['Scope'] === 'global' ? 'global' : 'local');
  }

  async createNetwork(id: string, options: Record<string, string>, ipv4: { pool: string; gateway: string; aux?: Record<string, string> }[]): Promise<void> {
    await this.#call('CreateNetwork', {
      NetworkID: id,
      Options: { [GENERIC]: options, 'com.docker.network.enable_ipv6': false },
      IPv4Data: ipv4.map((d) => ({ AddressSpace: 'LocalDefault', Pool: d.pool, Gateway: d.gateway, AuxAddresses: d.aux ?? {} })),
      IPv6Data: [],
    });
  }

  async deleteNetwork(id: string): Promise<void> {
    await this.#call('DeleteNetwork', { NetworkID: id });
  }

  /** The endpoint with the address pier chose; a driver may only add what pier left empty (the MAC). */
  async createEndpoint(networkId: string, endpointId: string, address: string, mac: string): Promise<{ mac?: string }> {
    const r = await this.#call('CreateEndpoint', {
      NetworkID: networkId, EndpointID: endpointId,
      Interface: { Address: address, AddressIPv6: '', MacAddress: mac },
      Options: { 'com.docker.network.endpoint.exposedports': [], 'com.docker.network.portmap': [] },
    });
    const i = r['Interface'] as { MacAddress?: unknown } | null | undefined;
    return typeof i?.MacAddress === 'string' && i.MacAddress ? { mac: i.MacAddress } : {};
  }

  async join(networkId: string, endpointId: string, sandboxKey: string): Promise<JoinInfo> {
    const r = await this.#call('Join', { NetworkID: networkId, EndpointID: endpointId, SandboxKey: sandboxKey, Options: {} });
    const iface = r['InterfaceName'] as { SrcName?: unknown; DstPrefix?: unknown } | null | undefined;
    const srcName = typeof iface?.SrcName === 'string' ? iface.SrcName : '';
    if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(srcName)) throw new SystemError(`network plugin ${this.plugin.name} answered Join without a usable interface name (SrcName "${srcName}")`);
    const dstPrefix = typeof iface?.DstPrefix === 'string' && /^[a-zA-Z][a-zA-Z0-9_-]{0,10}$/.test(iface.DstPrefix) ? iface.DstPrefix : 'eth';
    const routes = Array.isArray(r['StaticRoutes']) ? (r['StaticRoutes'] as { Destination?: unknown; RouteType?: unknown; NextHop?: unknown }[]).map((x) => ({
      destination: String(x.Destination ?? ''), type: Number(x.RouteType ?? 0), nextHop: String(x.NextHop ?? ''),
    })).filter((x) => x.destination) : [];
    return { srcName, dstPrefix, gateway: typeof r['Gateway'] === 'string' ? r['Gateway'] : '', routes };
  }

  /** For the endpoint that carries the default route; optional in the protocol, so a refusal is no error. */
  async programExternalConnectivity(networkId: string, endpointId: string): Promise<void> {
    await this.plugin.call('NetworkDriver.ProgramExternalConnectivity', {
      NetworkID: networkId, EndpointID: endpointId, Options: { 'com.docker.network.endpoint.exposedports': [], 'com.docker.network.portmap': [] },
    }).catch(() => undefined);
  }

  async revokeExternalConnectivity(networkId: string, endpointId: string): Promise<void> {
    await this.plugin.call('NetworkDriver.RevokeExternalConnectivity', { NetworkID: networkId, EndpointID: endpointId }).catch(() => undefined);
  }

  async leave(networkId: string, endpointId: string): Promise<void> {
    await this.#call('Leave', { NetworkID: networkId, EndpointID: endpointId });
  }

  async deleteEndpoint(networkId: string, endpointId: string): Promise<void> {
    await this.#call('DeleteEndpoint', { NetworkID: networkId, EndpointID: endpointId });
  }

  async #call(method: string, body: unknown): Promise<Record<string, unknown>> {
    try {
      return await this.plugin.call(`NetworkDriver.${method}`, body);
    } catch (err) {
      throw new SystemError(`network plugin ${this.plugin.name}: ${method}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}

/**
 * The `ip -b` lines that take the interface a remote driver made into the container: moved into
 * the netns, renamed, given its MAC, address, routes and the default route when it carries one.
 */
export function remoteJoinLines(o: { srcName: string; pid: number; ifname: string; mac: string; cidr: string; gateway?: string; routes: JoinInfo['routes'] }): { host: string[]; inside: string[] } {
  const inside = [`link set ${o.srcName} name ${o.ifname}`];
  if (o.mac) inside.push(`link set ${o.ifname} address ${o.mac}`);
  inside.push(`addr add ${o.cidr} dev ${o.ifname}`, `link set ${o.ifname} up`);
  for (const r of o.routes) {
    // libnetwork's route types: 0 = via the next hop, 1 = directly connected.
    inside.push(r.type === 1 || !r.nextHop ? `route replace ${r.destination} dev ${o.ifname}` : `route replace ${r.destination} via ${r.nextHop} dev ${o.ifname}`);
  }
  if (o.gateway) inside.push(`route replace default via ${o.gateway} dev ${o.ifname}`);
  return { host: [`link set ${o.srcName} netns ${o.pid}`], inside };
}
