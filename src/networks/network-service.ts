import { createHash } from 'node:crypto';
import { ConflictError, ForbiddenError, InvalidParameterError, NotFoundError, SystemError, messageOf } from '../errdefs/index.js';
import type { Store, Table } from '../store/index.js';
import type { EventBus } from '../events/index.js';
import type { Logger } from '../pkg/log/index.js';
import { newId } from '../pkg/ids/index.js';
import { KeyedLock } from '../pkg/keyed-lock/index.js';
import { bridgeAliases, bridgeBatch, enableIPv4Forwarding, hostRoutes, ipBatch, linkExists, linkMasters, linkNames, netnsSetup } from '../kernel/index.js';
import type { Cluster, RemoteEndpoint } from './overlay/cluster.js';
import { floodLines, memberSlice, overlayDefaultSubnet, overlayNetworkId, overlayVni, vxlanLines, vxlanName } from './overlay/overlay-plan.js';
import { formatCidr, formatIPv4, overlaps, parseCidr, parseIPv4, type Prefix } from './cidr.js';
import { checkStaticAddress, nextAddress, parseSubnets, pickDefaultSubnet, planPool, validateIpam, type IpamConfig, type PoolPlan } from './ipam.js';
import type { DriverName, EndpointRecord, EndpointSettings, NetworkRecord, PortMapping } from './network-record.js';
import { Firewall, type FwNetwork, type FwPort } from './firewall.js';
import { RemoteNetworkDriver, remoteJoinLines, type DriverPlugin } from './remote-driver.js';
import { RemoteIpam, type RemotePool } from './remote-ipam.js';
import { bridgeCreateLines, containerSideLines, macFor, macvlanJoinLines, vethJoinLines } from './links.js';
import type { DnsHandle } from './dns-lazy.js';
import type { RunningProxy } from './ports/port-proxy.js';
import type { PortRequest } from './ports/port-bindings.js';

export interface NetworkServiceOptions {
  store: Store;
  events: EventBus;
  log: Logger;
  /** Distinguishes this daemon's host objects from another pierd's ('' for the default exec root). */
  hostTag: string;
  dns: DnsHandle;
  /** The peer channel, when the daemon was told about other daemons (overlay networks). */
  cluster?: Cluster;
  /** docker's legacy plugin places, for remote network drivers. */
  pluginDirs?: { socketDirs: readonly string[]; specDirs: readonly string[] };
}

export interface CreateNetworkRequest {
  Name: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: IpamConfig[]; Options?: Record<string, string> | null } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network?: string } | null;
  Scope?: string;
}

/** What a starting container asks of the networks. */
export interface AttachSpec {
  containerId: string;
  /** Container name without the slash. */
  name: string;
  hostname: string;
  networkMode: string;
  endpoints: Record<string, EndpointSettings>;
  ports: PortRequest[];
  /** --dns servers, the upstreams of the embedded DNS for this container. */
  dns?: string[];
}

/** What the container needs written in its /etc before it runs. */
export interface NetPlan {
  /** The container's own addresses, for /etc/hosts. */
  addresses: string[];
  /** The embedded DNS server's address, when the container is on a user-defined network. */
  nameserver?: string;
  /** What `host-gateway` in --add-host stands for. */
  hostGateway?: string;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const DEFAULT_BRIDGE_GRACE_MS = 400;
const DRIVERS: ReadonlySet<string> = new Set(['bridge', 'macvlan', 'host', 'null', 'none', 'overlay']);
export const PREDEFINED = ['bridge', 'host', 'none'] as const;

/**
 * Networks and the endpoints of running containers. Records first, host
 * objects after: a crash in between leaves records that start() reconciles
 * with the host, never host objects that no record names.
 */
export class NetworkService {
  readonly #o: NetworkServiceOptions;
  readonly #nets: Table<NetworkRecord>;
  readonly #eps: Table<EndpointRecord>;
  readonly log: Logger;
  readonly firewall: Firewall;
  /** Live endpoint indexes (the store holds the truth; these are rebuilt at start). */
  readonly #byContainer = new Map<string, EndpointRecord[]>();
  readonly #used = new Map<string, Set<number>>();
  readonly #last = new Map<string, number>();
  readonly #proxies = new Map<string, RunningProxy[]>();
  readonly #ports = new Map<string, PortMapping[]>();
  readonly #locks = new KeyedLock();
  readonly #plans = new Map<string, PoolPlan>();
  readonly #defaultBridge: string;
  #bridgeTimer: NodeJS.Timeout | undefined;
  #holds = 0;
  /** Endpoints forget() took out of the records whose host side release() has not freed yet. */
  readonly #forgotten = new Map<string, EndpointRecord[]>();
  /** Remote network and IPAM drivers (`net:<name>`, `ipam:<name>`), activated once. */
  readonly #plugins = new Map<string, Promise<unknown>>();
  /** Addresses a remote IPAM handed out for a container about to be prepared, by network ID. */
  readonly #pendingIpam = new Map<string, Map<string, { poolId: string; address: string }>>();

  constructor(o: NetworkServiceOptions) {
    this.#o = o;
    this.log = o.log;
    this.#nets = o.store.table<NetworkRecord>('networks', { unique: ['name'] });
    this.#eps = o.store.table<EndpointRecord>('endpoints');
    this.#defaultBridge = o.hostTag ? `pier0-${o.hostTag}` : 'pier0';
    this.firewall = new Firewall(o.hostTag ? `pier-${o.hostTag}` : 'pier', o.log);
  }

  /** The tag for a daemon's exec root: '' for the system daemon, a short hash otherwise. */
  static hostTagFor(execRoot: string, systemExecRoot = '/run/pier'): string {
    return execRoot === systemExecRoot ? '' : createHash('sha256').update(execRoot).digest('hex').slice(0, 6);
  }

  // ---- start-up -------------------------------------------------------------------

  /**
   * Predefined networks, endpoint indexes, the firewall table, bridges of
   * user-defined networks, their DNS listeners, and the proxies of ports
   * published by containers that kept running.
   */
  async start(): Promise<void> {
    this.#ensurePredefined();
    for (const ep of this.#eps.all()) this.#index(ep);
    const fwNets: FwNetwork[] = [];
    for (const n of this.#nets.all()) {
      if (!isBridged(n)) continue;
      const isDefault = n.pier.ifname === this.#defaultBridge;
      if (isDefault && !this.#endpointsOn(n.Id).length) {
        // Left by a daemon killed during the bridge's grace period.
        if (linkExists(this.#defaultBridge)) await ipBatch([`link del ${this.#defaultBridge}`]).catch(() => undefined);
        continue;
      }
      try {
        await this.#ensureBridge(n);
        fwNets.push(this.#fw(n));
      } catch (err) {
        this.log.warn('network bridge could not be restored', { network: n.Name, err: messageOf(err) });
      }
    }
    const fwPorts: FwPort[] = [];
    for (const list of this.#ports.values()) for (const p of list) if (p.proto !== 'sctp') fwPorts.push(toFw(p));
    await this.firewall.reset(fwNets, fwPorts);
    for (const n of this.#nets.all()) if (this.#hasDns(n)) await this.#listenDns(n);
    for (const [cid, list] of this.#ports) {
      const running: RunningProxy[] = [];
      for (const p of list) {
        try { running.push(await this.#proxy(p)); } catch (err) { this.log.warn('published port could not be restored', { container: cid, port: `${p.hostIp}:${p.hostPort}`, err: messageOf(err) }); }
      }
      this.#proxies.set(cid, running);
    }
  }

  /**
   * Endpoints of containers that are not running any more (the daemon was down when they
   * exited), and the endpoints a crash inside `network connect` left half made on running
   * ones: the record is written before the veth, and the container's record names the
   * network only after both. An endpoint whose veth is missing, or that its container does
   * not name (`wants`), is taken down again, as if that connect had never run.
   */
  async sweep(isRunning: (containerId: string) => boolean, o: { wants?: (containerId: string, n: NetworkRecord) => boolean; pidOf?: (containerId: string) => number } = {}): Promise<void> {
    for (const cid of [...this.#byContainer.keys()]) if (!isRunning(cid)) await this.release(cid);
    for (const [cid, eps] of [...this.#byContainer]) {
      for (const ep of [...eps]) {
        const n = this.tryGet(ep.NetworkID);
        const noVeth = ep.hostIf !== undefined && !linkExists(ep.hostIf);
        if (n && !noVeth && (o.wants?.(cid, n) ?? true)) continue;
        this.log.warn('removing an endpoint a crash left half connected', { container: cid, network: ep.NetworkID, endpoint: ep.Id, veth: noVeth ? 'missing' : 'present' });
        const pid = o.pidOf?.(cid) ?? 0;
        if (n && pid > 0) {
          await this.disconnectRunning(cid, pid, n);
        } else {
          this.#eps.delete(ep.Id);
          this.#unindex(ep);
          if (ep.hostIf && linkExists(ep.hostIf)) await ipBatch([`link del ${ep.hostIf}`]).catch(() => undefined);
        }
      }
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.#bridgeTimer);
    await this.#o.dns.closeAll();
    for (const list of this.#proxies.values()) for (const p of list) await p.close().catch(() => undefined);
    this.#proxies.clear();
    if (this.#byContainer.size === 0) {
      await this.firewall.destroy();
      const def = this.#nets.getBy('name', 'bridge');
      if (def && linkExists(this.#defaultBridge)) await ipBatch([`link del ${this.#defaultBridge}`]).catch(() => undefined);
    }
  }

  #ensurePredefined(): void {
    const now = new Date().toISOString();
    for (const name of PREDEFINED) {
      if (this.#nets.getBy('name', name)) continue;
      const driver: DriverName = name === 'none' ? 'null' : (name as DriverName);
      const rec = this.#baseRecord(newId(), name, driver, now);
      rec.pier.predefined = true;
      if (name === 'bridge') {
        const subnet = pickDefaultSubnet(this.#takenPrefixes());
        const gw = formatIPv4((subnet.base + 1) >>> 0);
        rec.IPAM.Config = [{ Subnet: formatCidr(subnet), Gateway: gw }];
        rec.pier.ifname = this.#defaultBridge;
        rec.Options = {
          'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.bridge.enable_icc': 'true',
          'com.docker.network.bridge.enable_ip_masquerade': 'true', 'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
          'com.docker.network.bridge.name': this.#defaultBridge, 'com.docker.network.driver.mtu': '1500',
        };
      }
      this.#nets.insert(rec.Id, rec, { name });
    }
  }

  #baseRecord(id: string, name: string, driver: DriverName, created: string): NetworkRecord {
    return {
      Name: name, Id: id, Created: created, Scope: 'local', Driver: driver, EnableIPv4: true, EnableIPv6: false,
      IPAM: { Driver: 'default', Options: null, Config: [] }, Internal: false, Attachable: false, Ingress: false,
      ConfigFrom: { Network: '' }, ConfigOnly: false, Options: {}, Labels: {}, pier: {},
    };
  }

  // ---- lookup ----------------------------------------------------------------------

  /** docker's order: full ID, full name, unique ID prefix. NotFoundError `network x not found`. */
  get(ref: string): NetworkRecord {
    const n = this.tryGet(ref);
    if (!n) throw new NotFoundError(`network ${ref} not found`);
    return n;
  }

  tryGet(ref: string): NetworkRecord | undefined {
    if (!ref) return undefined;
    const byId = this.#nets.get(ref);
    if (byId) return byId;
    const byName = this.#nets.getBy('name', ref);
    if (byName) return byName;
    if (/^[a-f0-9]+$/.test(ref)) {
      const ids = this.#nets.idsWithPrefix(ref, 2);
      if (ids.length > 1) throw new InvalidParameterError(`network ${ref} is ambiguous (${ids.length} matches found based on ID prefix)`);
      if (ids[0]) return this.#nets.get(ids[0]);
    }
    return undefined;
  }

  list(): NetworkRecord[] { return this.#nets.all(); }

  /** Endpoints on a network (running containers attached to it). */
  endpointsOn(networkId: string): EndpointRecord[] { return this.#endpointsOn(networkId); }
  endpointsOf(containerId: string): EndpointRecord[] { return this.#byContainer.get(containerId) ?? []; }
  portsOf(containerId: string): PortMapping[] { return this.#ports.get(containerId) ?? []; }

  #endpointsOn(networkId: string): EndpointRecord[] {
    const out: EndpointRecord[] = [];
    for (const list of this.#byContainer.values()) for (const ep of list) if (ep.NetworkID === networkId) out.push(ep);
    return out;
  }

  publishEvent(n: NetworkRecord, action: string, containerId: string): void {
    this.#o.events.publish({ Type: 'network', Action: action, Actor: { ID: n.Id, Attributes: { container: containerId, name: n.Name, type: n.Driver } } });
  }

  isPredefined(n: NetworkRecord): boolean { return n.pier.predefined === true; }
  /** User-defined networks get the embedded DNS server (docker's rule). */
  #hasDns(n: NetworkRecord): boolean { return (n.Driver === 'bridge' && !this.isPredefined(n)) || n.Driver === 'overlay'; }

  // ---- create / remove ------------------------------------------------------------------

  async create(req: CreateNetworkRequest): Promise<{ Id: string; Warning: string }> {
    const name = req.Name;
    if (!name) throw new InvalidParameterError('network name is required');
    if (!NAME_RE.test(name)) throw new InvalidParameterError(`invalid name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    if (this.#nets.getBy('name', name)) throw new ConflictError(`network with name ${name} already exists`);
    let driver = req.Driver || 'bridge';
    const remote = DRIVERS.has(driver) ? undefined : await this.#remote(driver);
    if (driver === 'none') driver = 'null';
    if (driver === 'host' || driver === 'null') throw new ForbiddenError(`only one instance of "${driver}" network is allowed`);
    const ipamDriver = req.IPAM?.Driver && req.IPAM.Driver !== 'default' ? req.IPAM.Driver : undefined;
    if (ipamDriver && driver === 'overlay') throw new InvalidParameterError('pier: overlay networks use pier\'s own IPAM (its share of the subnet per host)');
    const ipam = ipamDriver ? await this.#remoteIpam(ipamDriver) : undefined;
    if (req.EnableIPv6) throw new InvalidParameterError('IPv6 networks are not supported by pier yet');
    const opts = { ...(req.Options ?? {}) };
    const configs = (req.IPAM?.Config ?? []).map((c) => ({ ...c }));
    try {
      validateIpam(configs);
    } catch (err) {
      throw new InvalidParameterError(`invalid network config:\n${messageOf(err)}`);
    }
    for (const c of configs) if (!c.Subnet && (c.Gateway || c.IPRange)) throw new InvalidParameterError('ipam config without a subnet cannot have a gateway or ip-range');
    let pools: RemotePool[] | undefined;
    if (ipam) {
      // The plugin picks (or grants) the pools and gateways; pier's own pools and overlap checks stay out.
      pools = await ipam.requestPools(configs, req.IPAM?.Options ?? {});
      const asked = [...configs];
      configs.splice(0, configs.length, ...pools.map((p, k) => ({ ...(asked[k] ?? {}), Subnet: p.subnet, Gateway: p.gateway })));
    } else {
      const subnets = parseSubnets(configs);
      const taken = this.#takenPrefixes();
      for (const s of subnets) {
        if (this.#nets.all().some((n) => networkPrefixes(n).some((p) => overlaps(p, s)))) {
          throw new ForbiddenError('invalid pool request: Pool overlaps with other one on this address space');
        }
      }
      if (configs.length === 0) configs.push(driver === 'overlay' ? { Subnet: formatCidr(overlayDefaultSubnet(name)) } : {});
      for (const c of configs) {
        const subnet = c.Subnet ? parseCidr(c.Subnet, { strict: true }) : pickDefaultSubnet(taken);
        const plan = planPool(c, subnet);
        c.Subnet = formatCidr(subnet);
        c.Gateway = formatIPv4(plan.gateway);
        taken.push(subnet);
      }
    }
    try {
      return await this.#record(req, name, driver, configs, opts, remote, ipamDriver, pools);
    } catch (err) {
      if (ipam && pools) await ipam.releasePools(pools);
      throw err;
    }
  }

  /** The rest of create(): the record, its host objects, the driver's own network. */
  async #record(req: CreateNetworkRequest, name: string, driver: string, configs: IpamConfig[], opts: Record<string, string>,
    remote: RemoteNetworkDriver | undefined, ipamDriver: string | undefined, pools: RemotePool[] | undefined): Promise<{ Id: string; Warning: string }> {
    const id = driver === 'overlay' ? overlayNetworkId(name) : newId();
    const rec = this.#baseRecord(id, name, driver as DriverName, new Date().toISOString());
    if (remote) { rec.pier.remote = true; rec.Scope = remote.scope; }
    rec.IPAM = { Driver: ipamDriver ?? 'default', Options: req.IPAM?.Options ?? null, Config: configs };
    if (pools) rec.pier.ipamPools = pools;
    rec.Internal = !!req.Internal;
    rec.Attachable = !!req.Attachable;
    rec.Ingress = !!req.Ingress;
    rec.Options = opts;
    rec.Labels = req.Labels ?? {};
    if (driver === 'bridge' || driver === 'overlay') {
      const ifname = opts['com.docker.network.bridge.name'] || `pier-${id.slice(0, 10)}`;
      if (ifname.length > 15) throw new InvalidParameterError(`bridge name ${ifname} is too long (at most 15 characters)`);
      if (this.#nets.all().some((n) => n.pier.ifname === ifname)) throw new ConflictError(`bridge name ${ifname} is used by another network`);
      rec.pier.ifname = ifname;
    } else if (driver === 'macvlan') {
      const parent = opts['parent'] ?? '';
      if (!parent) throw new InvalidParameterError('pier: a macvlan network needs its parent interface: -o parent=<interface>');
      if (!linkExists(parent)) throw new InvalidParameterError(`-o parent interface was not found on the host: ${parent}`);
      const mode = opts['macvlan_mode'] ?? 'bridge';
      if (!['bridge', 'private', 'vepa', 'passthru'].includes(mode)) throw new InvalidParameterError(`requested macvlan mode '${mode}' is not valid, 'bridge' mode is the macvlan driver default`);
      rec.pier.ifname = parent;
    }
    if (driver === 'overlay') this.#planOverlay(rec, req.IPAM?.Config ?? []);
    this.#nets.insert(rec.Id, rec, { name });
    try {
      if (isBridged(rec)) {
        await this.#ensureBridge(rec);
        await this.firewall.addNetwork(this.#fw(rec));
        if (this.#hasDns(rec)) await this.#listenDns(rec);
      }
      if (remote) {
        await remote.createNetwork(id, opts, configs.map((c) => ({
          pool: c.Subnet ?? '', gateway: `${c.Gateway ?? ''}/${c.Subnet?.split('/')[1] ?? '32'}`, ...(c.AuxiliaryAddresses ? { aux: c.AuxiliaryAddresses } : {}),
        })));
      }
    } catch (err) {
      await this.#dropHostObjects(rec);
      this.#nets.delete(id);
      throw err;
    }
    this.#o.events.publish({ Type: 'network', Action: 'create', Actor: { ID: id, Attributes: { name, type: rec.Driver } } });
    return { Id: id, Warning: '' };
  }

  async remove(ref: string): Promise<void> {
    const n = this.get(ref);
    if (this.isPredefined(n)) throw new ForbiddenError(`${n.Name} is a pre-defined network and cannot be removed`);
    const eps = this.#endpointsOn(n.Id);
    if (eps.length) {
      const list = eps.map((e) => `name:"${e.ContainerName}" id:"${e.ContainerID.slice(0, 12)}"`).join(', ');
      throw new ForbiddenError(`error while removing network: network ${n.Name} has active endpoints (${list})`);
    }
    // The driver first: a plugin that refuses keeps the network, to be removed again.
    if (n.pier.remote) await (await this.#remote(n.Driver)).deleteNetwork(n.Id);
    this.#nets.delete(n.Id);
    if (n.pier.ipamPools?.length) {
      await (await this.#remoteIpam(n.IPAM.Driver)).releasePools(n.pier.ipamPools)
        .catch((err: unknown) => this.log.warn('ipam plugin did not release the pools', { network: n.Name, err: messageOf(err) }));
    }
    await this.#dropHostObjects(n);
    this.#plans.delete(n.Id);
    this.#o.events.publish({ Type: 'network', Action: 'destroy', Actor: { ID: n.Id, Attributes: { name: n.Name, type: n.Driver } } });
  }

  async #dropHostObjects(n: NetworkRecord): Promise<void> {
    await this.#o.dns.close(n.Id).catch(() => undefined);
    if (isBridged(n) && n.pier.ifname) {
      await this.firewall.removeNetwork(this.#fw(n));
      const links = [n.pier.vxlan, n.pier.ifname].filter((l): l is string => !!l && linkExists(l));
      if (links.length) await ipBatch(links.map((l) => `link del ${l}`)).catch((err: unknown) => this.log.warn('bridge delete failed', { bridge: n.pier.ifname, err: messageOf(err) }));
    }
  }

  /** The remote driver plugin `name`, activated once (docker's `plugin "X" not found` when there is none). */
  #remote(name: string): Promise<RemoteNetworkDriver> {
    return this.#plugin(`net:${name}`, name, (c) => RemoteNetworkDriver.open(c));
  }

  /** The remote IPAM plugin `name`, activated once. */
  #remoteIpam(name: string): Promise<RemoteIpam> {
    return this.#plugin(`ipam:${name}`, name, (c) => RemoteIpam.open(c));
  }

  /** A plugin opened once per key and kept; a failed open is forgotten, so the next call tries again. */
  #plugin<T>(key: string, name: string, open: (c: DriverPlugin) => Promise<T>): Promise<T> {
    let p = this.#plugins.get(key) as Promise<T> | undefined;
    if (!p) {
      p = (async () => {
        // The plugin client loads with the first remote driver: most daemons have none.
        const { findPlugin, PluginClient } = await import('../pkg/plugins/index.js');
        const addr = findPlugin(name, this.#o.pluginDirs ?? { socketDirs: [], specDirs: [] });
        if (!addr) throw new NotFoundError(`plugin "${name}" not found`);
        return open(new PluginClient(name, addr));
      })();
      this.#plugins.set(key, p);
      p.catch(() => this.#plugins.delete(key));
    }
    return p;
  }

  /** Leave and DeleteEndpoint for an endpoint on a remote driver's network; failures are logged, never thrown. */
  async #leaveRemote(ep: EndpointRecord): Promise<void> {
    const n = this.tryGet(ep.NetworkID);
    if (!n?.pier.remote) return;
    try {
      const drv = await this.#remote(n.Driver);
      if (ep.Gateway) await drv.revokeExternalConnectivity(n.Id, ep.Id);
      await drv.leave(n.Id, ep.Id).catch((err: unknown) => this.log.debug('remote leave', { endpoint: ep.Id, err: messageOf(err) }));
      await drv.deleteEndpoint(n.Id, ep.Id);
    } catch (err) {
      this.log.warn('remote network driver did not delete the endpoint', { network: n.Name, endpoint: ep.Id, err: messageOf(err) });
    }
  }

  // ---- host objects of networks ------------------------------------------------------------

  #plan(n: NetworkRecord): PoolPlan {
    let p = this.#plans.get(n.Id);
    if (!p) {
      const c = n.IPAM.Config[0];
      if (!c?.Subnet) throw new InvalidParameterError(`network ${n.Name} has no IPv4 subnet`);
      p = planPool(c, parseCidr(c.Subnet));
      this.#plans.set(n.Id, p);
    }
    return p;
  }

  #fw(n: NetworkRecord): FwNetwork {
    return { ifname: n.pier.ifname ?? '', subnet: n.IPAM.Config[0]?.Subnet ?? '', internal: n.Internal };
  }


  async #ensureBridge(n: NetworkRecord): Promise<void> {
    const ifname = n.pier.ifname;
    if (!ifname) return;
    if (ifname === this.#defaultBridge) clearTimeout(this.#bridgeTimer);
    await this.#locks.run(`bridge:${n.Id}`, async () => {
      if (linkExists(ifname)) return;
      const plan = this.#plan(n);
      const mtu = Number(n.Options['com.docker.network.driver.mtu'] ?? 0) || undefined;
      enableIPv4Forwarding();
      const vx = n.pier.vxlan;
      const cluster = this.#o.cluster;
      try {
        const lines = bridgeCreateLines(ifname, `${formatIPv4(plan.gateway)}/${plan.subnet.bits}`, mtu, this.#bridgeAlias);
        if (vx && cluster) {
          if (linkExists(vx)) lines.unshift(`link del ${vx}`);
          lines.push(...vxlanLines({ name: vx, vni: n.pier.vni ?? 0, local: cluster.advertise, bridge: ifname }));
        }
        await ipBatch(lines);
        if (vx && cluster) await bridgeBatch(floodLines(vx, cluster.peers));
      } catch (err) {
        const stale = [vx, ifname].filter((l): l is string => !!l && linkExists(l));
        if (stale.length) await ipBatch(stale.map((l) => `link del ${l}`)).catch(() => undefined);
        throw err;
      }
      if (n.pier.ifname === this.#defaultBridge) await this.firewall.addNetwork(this.#fw(n));
    });
  }

  /** Keeps the default bridge (once made) until the returned function is called. */
  hold(): () => void {
    this.#holds++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#holds--;
      const def = this.#nets.getBy('name', 'bridge');
      if (def && this.#holds === 0) void this.#dropDefaultBridgeIfIdle(def);
    };
  }

  /**
   * The default bridge goes shortly after its last endpoint does: pier leaves
   * no link behind while idle, yet back-to-back `run --rm` keep it (deleting
   * and re-creating a bridge costs the kernel ~200 ms, measured here).
   */
  async #dropDefaultBridgeIfIdle(n: NetworkRecord): Promise<void> {
    if (n.pier.ifname !== this.#defaultBridge) return;
    if (this.#endpointsOn(n.Id).length || this.#holds > 0) return;
    clearTimeout(this.#bridgeTimer);
    this.#bridgeTimer = setTimeout(() => { void this.#dropDefaultBridgeNow(n); }, DEFAULT_BRIDGE_GRACE_MS);
    this.#bridgeTimer.unref();
  }

  async #dropDefaultBridgeNow(n: NetworkRecord): Promise<void> {
    await this.#locks.run(`bridge:${n.Id}`, async () => {
      if (this.#endpointsOn(n.Id).length || this.#holds > 0 || !linkExists(this.#defaultBridge)) return;
      await this.firewall.removeNetwork(this.#fw(n));
      await ipBatch([`link del ${this.#defaultBridge}`]).catch((err: unknown) => this.log.debug('default bridge delete failed', { err: messageOf(err) }));
    });
  }

  async #listenDns(n: NetworkRecord): Promise<void> {
    const gw = n.IPAM.Config[0]?.Gateway;
    if (!gw) return;
    try {
      await this.#o.dns.listen(n.Id, gw, { forward: !n.Internal });
    } catch (err) {
      this.log.warn('embedded DNS could not listen: containers on this network resolve through the host only', { network: n.Name, address: gw, err: messageOf(err) });
    }
  }

  /** Subnets in use: every network's and every route of the host (docker avoids both). */
  #takenPrefixes(): Prefix[] {
    const out: Prefix[] = [];
    for (const n of this.#nets.all()) out.push(...networkPrefixes(n));
    for (const r of hostRoutes()) out.push({ base: r.dest, bits: r.bits });
    return out;
  }

  // ---- endpoints ---------------------------------------------------------------------------

  #index(ep: EndpointRecord): void {
    const list = this.#byContainer.get(ep.ContainerID) ?? [];
    list.push(ep);
    this.#byContainer.set(ep.ContainerID, list);
    const ip = parseIPv4(ep.IPv4Address.split('/')[0] ?? '');
    if (ip !== undefined) {
      const used = this.#used.get(ep.NetworkID) ?? new Set<number>();
      used.add(ip);
      this.#used.set(ep.NetworkID, used);
    }
    if (ep.ports) this.#ports.set(ep.ContainerID, ep.ports);
  }

  #unindex(ep: EndpointRecord): void {
    const list = (this.#byContainer.get(ep.ContainerID) ?? []).filter((e) => e.Id !== ep.Id);
    if (list.length) this.#byContainer.set(ep.ContainerID, list); else this.#byContainer.delete(ep.ContainerID);
    const ip = parseIPv4(ep.IPv4Address.split('/')[0] ?? '');
    if (ip !== undefined) this.#used.get(ep.NetworkID)?.delete(ip);
  }

  /**
   * Checks a create request's networking (the networks exist, a static
   * address fits) and returns EndpointsConfig with NetworkIDs filled in and
   * the NetworkMode's network present.
   */
  resolveForCreate(networkMode: string, endpoints: Record<string, EndpointSettings> | null | undefined): Record<string, EndpointSettings> {
    const out: Record<string, EndpointSettings> = {};
    const mode = networkMode === 'default' || networkMode === '' ? 'bridge' : networkMode;
    if (mode.startsWith('container:')) return out;
    // docker accepts a network that does not exist yet ("might not exist when the
    // container is created") and fails the start: a 404 here would make the docker
    // CLI think the image is missing and try to pull it.
    const primary = this.tryGet(mode);
    const entries = Object.entries(endpoints ?? {});
    if (!entries.some(([k]) => k === mode || k === primary?.Id || k === primary?.Name)) entries.unshift([primary?.Name ?? mode, {}]);
    for (const [key, s0] of entries) {
      const n = this.tryGet(key === 'default' ? 'bridge' : key);
      if (!n) { out[key] = { ...(s0 ?? {}) }; continue; }
      if (!primary) throw new NotFoundError(`network ${mode} not found`);
      if ((n.Name === 'host' || n.Name === 'none') && n.Id !== primary.Id) throw new InvalidParameterError(`container cannot be connected to multiple networks with one of the networks in private (none) mode`);
      out[n.Name] = this.checkSettings(n, s0 ?? {});
    }
    return out;
  }

  /** Validates endpoint settings for a network (static address, aliases) and records its ID. */
  checkSettings(n: NetworkRecord, s: EndpointSettings): EndpointSettings {
    const ip = s.IPAMConfig?.IPv4Address;
    if (ip) {
      if (this.isPredefined(n)) throw new InvalidParameterError('user specified IP address is supported on user defined networks only');
      const plan = this.#plan(n);
      checkStaticAddress(plan, ip, new Set());
    }
    if (s.Aliases?.length && this.isPredefined(n)) throw new InvalidParameterError('network-scoped alias is supported only for containers in user defined networks');
    return { ...s, NetworkID: n.Id };
  }

  /**
   * prepare() for networks whose addresses come from a remote IPAM plugin too: their addresses
   * are asked for first (the plugin answers concurrent starts), then prepare() runs as ever; an
   * address it did not use goes back. Without such a network it is prepare() itself, synchronously.
   */
  async prepareAsync(spec: AttachSpec): Promise<NetPlan> {
    const mode = spec.networkMode === 'default' || spec.networkMode === '' ? 'bridge' : spec.networkMode;
    if (mode === 'host' || mode === 'none' || mode.startsWith('container:')) return this.prepare(spec);
    const remote = this.#ordered(mode, spec.endpoints).filter(([n]) => n.pier.ipamPools?.length);
    if (remote.length === 0) return this.prepare(spec);
    const got = new Map<string, { poolId: string; address: string }>();
    try {
      for (const [n, s] of remote) got.set(n.Id, await this.#requestRemoteAddress(n, s));
      this.#pendingIpam.set(spec.containerId, got);
      return this.prepare(spec);
    } catch (err) {
      for (const [netId, a] of got) await this.#releaseRemoteAddress(netId, a);
      throw err;
    } finally {
      this.#pendingIpam.delete(spec.containerId);
    }
  }

  async #requestRemoteAddress(n: NetworkRecord, s: EndpointSettings): Promise<{ poolId: string; address: string }> {
    const pool = n.pier.ipamPools?.[0];
    if (!pool) throw new SystemError(`network ${n.Name} has no pool from its IPAM plugin`);
    const ipam = await this.#remoteIpam(n.IPAM.Driver);
    const address = await ipam.requestAddress(pool.poolId, s.IPAMConfig?.IPv4Address ?? '', {}, s.MacAddress || undefined);
    return { poolId: pool.poolId, address: address.split('/')[0] ?? '' };
  }

  async #releaseRemoteAddress(networkId: string, a: { poolId: string; address: string }): Promise<void> {
    const n = this.tryGet(networkId);
    if (!n) return;
    try {
      await (await this.#remoteIpam(n.IPAM.Driver)).releaseAddress(a.poolId, a.address);
    } catch (err) {
      this.log.warn('ipam plugin did not release an address', { network: n.Name, address: a.address, err: messageOf(err) });
    }
  }

  /**
   * Allocates the container's endpoints (addresses, interface names) before
   * its task exists. Synchronous up to the store write, so two concurrent
   * starts never get one address.
   */
  prepare(spec: AttachSpec): NetPlan {
    if (this.#byContainer.has(spec.containerId)) throw new ConflictError(`container ${spec.containerId} already has network endpoints`);
    const mode = spec.networkMode === 'default' || spec.networkMode === '' ? 'bridge' : spec.networkMode;
    if (mode === 'host' || mode === 'none' || mode.startsWith('container:')) return { addresses: [] };
    const order = this.#ordered(mode, spec.endpoints);
    const made: EndpointRecord[] = [];
    const plan: NetPlan = { addresses: [] };
    let haveGateway = false;
    try {
      for (const [n, s] of order) {
        if (n.Driver === 'host' || n.Driver === 'null') continue;
        const ep = this.#allocate(n, s, spec, `eth${made.length}`, !haveGateway && !n.Internal);
        if (ep.Gateway) haveGateway = true;
        made.push(ep);
        plan.addresses.push(ep.IPv4Address.split('/')[0] ?? '');
        if (plan.nameserver === undefined && this.#hasDns(n)) plan.nameserver = n.IPAM.Config[0]?.Gateway ?? '';
      }
    } catch (err) {
      for (const ep of made) { this.#eps.delete(ep.Id); this.#unindex(ep); }
      throw err;
    }
    const def = this.#nets.getBy('name', 'bridge');
    const gw = def?.IPAM.Config[0]?.Gateway;
    if (gw) plan.hostGateway = gw;
    return plan;
  }

  #ordered(mode: string, endpoints: Record<string, EndpointSettings>): [NetworkRecord, EndpointSettings][] {
    const primary = this.get(mode);
    const out: [NetworkRecord, EndpointSettings][] = [[primary, endpoints[primary.Name] ?? {}]];
    const rest = Object.entries(endpoints).filter(([k, s]) => k !== primary.Name && s.NetworkID !== primary.Id).sort(([a], [b]) => a.localeCompare(b));
    for (const [k, s] of rest) {
      const n = (s.NetworkID && this.tryGet(s.NetworkID)) || this.tryGet(k);
      if (!n) throw new NotFoundError(`network ${k} not found`);
      out.push([n, s]);
    }
    return out;
  }

  #allocate(n: NetworkRecord, s: EndpointSettings, spec: AttachSpec, ifname: string, wantGateway: boolean): EndpointRecord {
    if (this.#endpointsOn(n.Id).some((e) => e.ContainerID === spec.containerId)) {
      throw new ForbiddenError(`endpoint with name ${spec.name} already exists in network ${n.Name}`);
    }
    const plan = this.#plan(n);
    let used = this.#used.get(n.Id) ?? new Set<number>();
    if (n.Driver === 'overlay' && this.#o.cluster) {
      used = new Set(used);
      for (const a of this.#o.cluster.remoteAddresses(n.Name)) { const x = parseIPv4(a); if (x !== undefined) used.add(x); }
    }
    let ip: number | undefined;
    const want = s.IPAMConfig?.IPv4Address;
    const granted = this.#pendingIpam.get(spec.containerId)?.get(n.Id);
    if (n.pier.ipamPools?.length) {
      // The IPAM plugin's address, which prepareAsync asked for.
      if (!granted) throw new SystemError(`no address from the IPAM plugin ${n.IPAM.Driver} for network ${n.Name}`);
      ip = parseIPv4(granted.address);
      if (ip !== undefined && used.has(ip)) throw new ConflictError(`the IPAM plugin ${n.IPAM.Driver} handed out ${granted.address}, which an endpoint on ${n.Name} has`);
    } else if (want) ip = checkStaticAddress(plan, want, used);
    else ip = nextAddress(plan, used, this.#last.get(n.Id));
    if (ip === undefined) throw new ConflictError(`no available IPv4 addresses on this network's address pools: ${n.Name} (${n.Id})`);
    if (!want && !granted) this.#last.set(n.Id, ip);
    const id = newId();
    const isBridge = isBridged(n);
    const aliases = [...(s.Aliases ?? [])];
    const dnsNames = [spec.name, ...aliases.filter((a) => a !== spec.name), spec.containerId.slice(0, 12)];
    if (spec.hostname && !dnsNames.includes(spec.hostname) && spec.hostname !== spec.containerId.slice(0, 12)) dnsNames.push(spec.hostname);
    const ep: EndpointRecord = {
      Id: id, NetworkID: n.Id, ContainerID: spec.containerId, ContainerName: spec.name,
      IPv4Address: `${formatIPv4(ip)}/${plan.subnet.bits}`, MacAddress: s.MacAddress || macFor(ip),
      Gateway: wantGateway ? formatIPv4(plan.gateway) : '', Aliases: aliases, DNSNames: isBridge && !this.isPredefined(n) ? dnsNames : [],
      ifname, ...(isBridge ? { hostIf: `pierv${id.slice(0, 10)}` } : {}), ...(want ? { staticIP: want } : {}),
      ...(spec.dns?.length ? { dns: spec.dns } : {}), ...(n.pier.remote ? { remote: true } : {}), ...(granted ? { remoteIpam: granted } : {}),
    };
    this.#eps.insert(id, ep);
    this.#index(ep);
    return ep;
  }

  /**
   * Plumbs the prepared endpoints into the created task's network namespace
   * (before its process runs), then binds the published ports. On failure
   * the caller calls release().
   */
  async attach(containerId: string, pid: number, ports: PortRequest[], o: { name?: string } = {}): Promise<void> {
    const eps = this.#byContainer.get(containerId) ?? [];
    const dnsEp = eps.find((e) => { const n = this.tryGet(e.NetworkID); return n !== undefined && this.#hasDns(n); });
    if (eps.length) await this.#plumb(eps, pid, true, dnsEp);
    if (ports.length) await this.#publish(containerId, eps, ports, o.name ?? containerId);
  }

  /** `dnsEp`: the endpoint whose network's DNS server 127.0.0.11 is redirected to, when it is set up now. */
  async #plumb(eps: readonly EndpointRecord[], pid: number, loopback: boolean, dnsEp: EndpointRecord | undefined): Promise<void> {
    const host: string[] = [];
    const inside: string[] = loopback ? ['link set lo up'] : [];
    for (const ep of eps) {
      const n = this.get(ep.NetworkID);
      if (isBridged(n)) {
        await this.#ensureBridge(n);
        const mtu = Number(n.Options['com.docker.network.driver.mtu'] ?? 0) || undefined;
        host.push(...vethJoinLines({ hostIf: ep.hostIf ?? '', ifname: ep.ifname, mac: ep.MacAddress, pid, bridge: n.pier.ifname ?? '', ...(mtu ? { mtu } : {}) }));
      } else if (n.Driver === 'macvlan') {
        host.push(...macvlanJoinLines({ parent: n.pier.ifname ?? '', ifname: ep.ifname, mac: ep.MacAddress, pid, mode: n.Options['macvlan_mode'] ?? 'bridge' }));
      } else if (n.pier.remote) {
        // The plugin makes the interface (CreateEndpoint, Join); pier moves it in and addresses it.
        const drv = await this.#remote(n.Driver);
        await drv.createEndpoint(n.Id, ep.Id, ep.IPv4Address, ep.MacAddress);
        const j = await drv.join(n.Id, ep.Id, `/proc/${pid}/ns/net`);
        const ifname = j.dstPrefix === 'eth' ? ep.ifname : `${j.dstPrefix}${ep.ifname.replace(/^\D+/, '')}`;
        const lines = remoteJoinLines({ srcName: j.srcName, pid, ifname, mac: ep.MacAddress, cidr: ep.IPv4Address, routes: j.routes, ...(ep.Gateway ? { gateway: j.gateway || ep.Gateway } : {}) });
        host.push(...lines.host);
        inside.push(...lines.inside);
        if (ep.Gateway) await drv.programExternalConnectivity(n.Id, ep.Id);
        continue;
      }
      inside.push(...containerSideLines({ ifname: ep.ifname, cidr: ep.IPv4Address, ...(ep.Gateway ? { gateway: ep.Gateway } : {}) }));
    }
    await ipBatch(host);
    // docker's resolver address: 127.0.0.11 inside the container is DNATed to the DNS
    // server on the network's gateway (nginx's `resolver 127.0.0.11` and the like work).
    const dnsAt = dnsEp ? this.tryGet(dnsEp.NetworkID)?.IPAM.Config[0]?.Gateway : undefined;
    if (dnsEp && dnsAt) {
      // Two processes side by side: the redirect does not depend on the addresses.
      await Promise.all([
        ipBatch(inside, { netnsPid: pid }),
        netnsSetup(pid, { ip: [], sysctls: { [`net.ipv4.conf.${dnsEp.ifname}.route_localnet`]: '1' }, nft: resolverRedirect(dnsAt) }),
      ]);
    } else {
      await ipBatch(inside, { netnsPid: pid });
    }
    if (eps.some((e) => this.tryGet(e.NetworkID)?.Driver === 'overlay')) this.#o.cluster?.publish();
  }

  async #publish(containerId: string, eps: readonly EndpointRecord[], reqs: PortRequest[], name: string): Promise<void> {
    const target = eps.find((e) => { const n = this.tryGet(e.NetworkID); return n !== undefined && isBridged(n); });
    if (!target) return; // docker publishes nothing for host, none and macvlan
    const targetIp = target.IPv4Address.split('/')[0] ?? '';
    const running: RunningProxy[] = [];
    const maps: PortMapping[] = [];
    this.#proxies.set(containerId, running);
    this.#ports.set(containerId, maps);
    for (const r of reqs) {
      if (r.proto === 'sctp') throw new InvalidParameterError('pier: publishing sctp ports is not supported');
      const candidates = r.hostPortStart === 0 ? [0] : range(r.hostPortStart, r.hostPortEnd);
      let bound: RunningProxy | undefined;
      let lastErr: unknown;
      for (const hostPort of candidates) {
        try {
          bound = await this.#proxy({ proto: r.proto, hostIp: r.hostIp, hostPort, containerPort: r.containerPort, containerIp: targetIp });
          break;
        } catch (err) { lastErr = err; }
      }
      if (!bound) {
        throw new ConflictError(`driver failed programming external connectivity on endpoint ${name} (${target.Id}): ${messageOf(lastErr)}`, { cause: lastErr });
      }
      running.push(bound);
      maps.push({ proto: r.proto, hostIp: r.hostIp, hostPort: bound.port, containerPort: r.containerPort, containerIp: targetIp });
    }
    target.ports = maps;
    this.#eps.put(target.Id, target);
    await this.firewall.addPorts(maps.map(toFw));
  }

  async #proxy(p: PortMapping): Promise<RunningProxy> {
    // Loaded with the first published port: most daemons publish none while idle.
    const { startProxy } = await import('./ports/port-proxy.js');
    return startProxy({ proto: p.proto, hostIp: p.hostIp || '0.0.0.0', hostPort: p.hostPort, targetIp: p.containerIp, targetPort: p.containerPort }, this.log);
  }

  /** Everything a container's endpoints hold: ports, addresses, host links. Never throws. */
  /**
   * Takes a stopped container's endpoints out of the records (network inspect,
   * DNS, IPAM) at once, synchronously; release() then frees the host side.
   * The container answers its waiters in between, so `run --rm` returns with
   * the network already showing it gone, as docker's does.
   */
  forget(containerId: string): void {
    const eps = this.#byContainer.get(containerId);
    if (!eps?.length) return;
    this.#forgotten.set(containerId, [...(this.#forgotten.get(containerId) ?? []), ...eps]);
    for (const ep of [...eps]) { this.#eps.delete(ep.Id); this.#unindex(ep); }
  }

  async release(containerId: string): Promise<void> {
    this.forget(containerId);
    const eps = this.#forgotten.get(containerId) ?? [];
    this.#forgotten.delete(containerId);
    const proxies = this.#proxies.get(containerId) ?? [];
    const ports = this.#ports.get(containerId) ?? [];
    this.#proxies.delete(containerId);
    this.#ports.delete(containerId);
    await Promise.all(proxies.map((p) => p.close().catch(() => undefined)));
    if (ports.length) await this.firewall.removePorts(ports.map(toFw));
    for (const ep of eps) if (ep.remote) await this.#leaveRemote(ep);
    for (const ep of eps) if (ep.remoteIpam) await this.#releaseRemoteAddress(ep.NetworkID, ep.remoteIpam);
    // A veth goes with the container's netns, which the kernel tears down moments after
    // the last process exits: deleting it here would cost a fork on every exit. Only a
    // veth still there a little later (a process kept the netns) is deleted by hand.
    const links = eps.map((e) => e.hostIf).filter((h): h is string => !!h);
    if (links.length) {
      setTimeout(() => {
        const left = links.filter((l) => linkExists(l));
        if (left.length) void ipBatch(left.map((l) => `link del ${l}`)).catch((err: unknown) => this.log.debug('veth delete', { err: messageOf(err) }));
      }, 1500).unref();
    }
    for (const netId of new Set(eps.map((e) => e.NetworkID))) {
      const n = this.tryGet(netId);
      if (n) await this.#dropDefaultBridgeIfIdle(n).catch(() => undefined);
    }
    if (eps.some((e) => this.tryGet(e.NetworkID)?.Driver === 'overlay')) this.#o.cluster?.publish();
  }

  /** This daemon's endpoints on overlay networks, for the peers. */
  overlayEndpoints(): Map<string, RemoteEndpoint[]> {
    const out = new Map<string, RemoteEndpoint[]>();
    for (const n of this.#nets.all()) {
      if (n.Driver !== 'overlay') continue;
      out.set(n.Name, this.#endpointsOn(n.Id).map((e) => ({ names: e.DNSNames, ip: e.IPv4Address.split('/')[0] ?? '' })));
    }
    return out;
  }

  /** Fixes what every member derives alike: VXLAN ID, subnet, and this member's share of it. */
  #planOverlay(rec: NetworkRecord, asked: readonly IpamConfig[]): void {
    const cluster = this.#o.cluster;
    if (!cluster) throw new InvalidParameterError('pier: overlay networks need daemons that know each other: start pierd with --cluster-advertise <this host\'s address> and --cluster-peer <other host> (see README "Overlay networks")');
    if (asked.some((c) => c.IPRange || c.Gateway)) throw new InvalidParameterError('pier: an overlay network takes --subnet only: each daemon serves its own share of it');
    let vni: number;
    try { vni = overlayVni(rec.Name, rec.Options['com.docker.network.driver.overlay.vxlanid_list']); } catch (err) { throw new InvalidParameterError(messageOf(err)); }
    const c = rec.IPAM.Config[0];
    if (!c?.Subnet) throw new InvalidParameterError('overlay network without a subnet');
    const subnet = parseCidr(c.Subnet);
    const slice = memberSlice(subnet, cluster.members, cluster.advertise);
    c.IPRange = formatCidr(slice.range);
    c.Gateway = formatIPv4(slice.gateway);
    rec.pier.vni = vni;
    rec.pier.vxlan = vxlanName(vni);
    if (this.#nets.all().some((n) => n.pier.vni === vni)) throw new ConflictError(`VXLAN ID ${vni} is used by another overlay network here`);
    rec.Options = { 'com.docker.network.driver.overlay.vxlanid_list': String(vni), 'com.docker.network.driver.mtu': '1450', ...rec.Options };
    rec.Attachable = true;
    rec.Scope = 'swarm';
  }

  /** Joins a running container to one more network (docker network connect). */
  async connectRunning(spec: AttachSpec, pid: number, n: NetworkRecord, s: EndpointSettings): Promise<{ dnsAdded: boolean }> {
    if (n.Driver === 'host' || n.Driver === 'null') throw new ForbiddenError(`container cannot be disconnected from host network or connected to host network`);
    const current = this.#byContainer.get(spec.containerId) ?? [];
    const used = new Set(current.map((e) => e.ifname));
    let i = 0;
    while (used.has(`eth${i}`)) i++;
    // docker starts the embedded resolver for a container that joins its first network with one.
    const hadDns = current.some((e) => { const m = this.tryGet(e.NetworkID); return m !== undefined && this.#hasDns(m); });
    const addsDns = !hadDns && this.#hasDns(n);
    let ep: EndpointRecord;
    if (n.pier.ipamPools?.length) {
      const got = await this.#requestRemoteAddress(n, s);
      this.#pendingIpam.set(spec.containerId, new Map([[n.Id, got]]));
      try {
        ep = this.#allocate(n, s, spec, `eth${i}`, !current.some((e) => e.Gateway) && !n.Internal);
      } catch (err) {
        await this.#releaseRemoteAddress(n.Id, got);
        throw err;
      } finally {
        this.#pendingIpam.delete(spec.containerId);
      }
    } else {
      ep = this.#allocate(n, s, spec, `eth${i}`, !current.some((e) => e.Gateway) && !n.Internal);
    }
    try {
      await this.#plumb([ep], pid, false, addsDns ? ep : undefined);
    } catch (err) {
      if (ep.remoteIpam) await this.#releaseRemoteAddress(n.Id, ep.remoteIpam);
      this.#eps.delete(ep.Id);
      this.#unindex(ep);
      if (ep.hostIf && linkExists(ep.hostIf)) await ipBatch([`link del ${ep.hostIf}`]).catch(() => undefined);
      if (ep.remote) await this.#leaveRemote(ep);
      throw err;
    }
    return { dnsAdded: addsDns };
  }

  /** Takes a running container off one network (docker network disconnect). */
  async disconnectRunning(containerId: string, pid: number, n: NetworkRecord): Promise<void> {
    const ep = (this.#byContainer.get(containerId) ?? []).find((e) => e.NetworkID === n.Id);
    if (!ep) return;
    this.#eps.delete(ep.Id);
    this.#unindex(ep);
    if (ep.hostIf && linkExists(ep.hostIf)) await ipBatch([`link del ${ep.hostIf}`]).catch(() => undefined);
    else await ipBatch([`link del ${ep.ifname}`], { netnsPid: pid }).catch(() => undefined);
    if (ep.remote) await this.#leaveRemote(ep);
    if (ep.remoteIpam) await this.#releaseRemoteAddress(ep.NetworkID, ep.remoteIpam);
    await this.#dropDefaultBridgeIfIdle(n).catch(() => undefined);
    if (n.Driver === 'overlay') this.#o.cluster?.publish();
  }

  /** The alias this daemon's bridges carry (see bridgeCreateLines). */
  get #bridgeAlias(): string { return `pier:${this.#o.hostTag || 'system'}`; }

  /**
   * Host links that look like ours but no record names: veths of a crash between record
   * and link, and bridges of a crash mid-`network rm` (record gone, bridge not yet).
   */
  async collectOrphanLinks(): Promise<void> {
    const named = new Set(this.#nets.all().map((n) => n.pier.ifname).filter(Boolean));
    const orphanBridges = [...(await bridgeAliases())].filter(([name, alias]) => alias === this.#bridgeAlias && !named.has(name)).map(([name]) => name);
    if (orphanBridges.length) {
      this.log.info('removing bridges of networks removed while the daemon was killed', { bridges: orphanBridges });
      await ipBatch(orphanBridges.map((b) => `link del ${b}`)).catch((err: unknown) => this.log.warn('orphan bridge delete failed', { err: messageOf(err) }));
    }
    const known = new Set<string>();
    for (const list of this.#byContainer.values()) for (const ep of list) if (ep.hostIf) known.add(ep.hostIf);
    const bridges = new Set(this.#nets.all().map((n) => n.pier.ifname).filter(Boolean));
    const candidates = linkNames().filter((name) => name.startsWith('pierv') && !known.has(name));
    if (candidates.length === 0) return;
    const masters = await linkMasters();
    // Another daemon's veths hang off its own bridges: only ours, or masterless ones, are stale.
    const stale = candidates.filter((name) => { const m = masters.get(name); return m === undefined || bridges.has(m); });
    if (stale.length) await ipBatch(stale.map((s) => `link del ${s}`)).catch(() => undefined);
  }

  // ---- DNS ------------------------------------------------------------------------------------

  /** Names of containers on the asking container's networks (docker resolves across all of them). */
  lookup(networkId: string, name: string, clientIp: string): string[] | undefined {
    const nets = this.#networksOfClient(networkId, clientIp);
    const q = name.toLowerCase();
    for (const netId of nets) {
      const hits: string[] = [];
      for (const ep of this.#endpointsOn(netId)) {
        if (ep.DNSNames.some((d) => d.toLowerCase() === q) || ep.ContainerID === q) hits.push(ep.IPv4Address.split('/')[0] ?? '');
      }
      if (hits.length) return hits;
    }
    const cluster = this.#o.cluster;
    if (cluster) {
      for (const netId of nets) {
        const n = this.tryGet(netId);
        if (n?.Driver !== 'overlay') continue;
        const remote = cluster.lookup(n.Name, q);
        if (remote.length) return remote;
      }
    }
    return undefined;
  }

  /** A container's --dns servers, for the queries its embedded DNS forwards. */
  upstreamsFor(networkId: string, clientIp: string): string[] | undefined {
    const ep = this.#endpointsOn(networkId).find((e) => e.IPv4Address.split('/')[0] === clientIp);
    return ep?.dns?.length ? ep.dns : undefined;
  }

  reverse(networkId: string, ip: string): string | undefined {
    for (const ep of this.#endpointsOn(networkId)) {
      if (ep.IPv4Address.split('/')[0] === ip) {
        const n = this.tryGet(networkId);
        return n ? `${ep.ContainerName}.${n.Name}` : ep.ContainerName;
      }
    }
    return undefined;
  }

  #networksOfClient(networkId: string, clientIp: string): string[] {
    const client = this.#endpointsOn(networkId).find((e) => e.IPv4Address.split('/')[0] === clientIp);
    if (!client) return [networkId];
    const all = (this.#byContainer.get(client.ContainerID) ?? []).map((e) => e.NetworkID).filter((id) => {
      const n = this.tryGet(id);
      return n !== undefined && !this.isPredefined(n);
    });
    return [networkId, ...all.filter((id) => id !== networkId)];
  }
}

/** nft commands for a container's netns: 127.0.0.11:53 goes to the network's DNS server. */
export const EMBEDDED_DNS_ADDRESS = '127.0.0.11';
function resolverRedirect(server: string): string {
  return [
    'add table ip pier-dns',
    'add chain ip pier-dns out { type nat hook output priority -100 ; }',
    `add rule ip pier-dns out ip daddr ${EMBEDDED_DNS_ADDRESS} udp dport 53 dnat to ${server}:53`,
    `add rule ip pier-dns out ip daddr ${EMBEDDED_DNS_ADDRESS} tcp dport 53 dnat to ${server}:53`,
    'add chain ip pier-dns post { type nat hook postrouting priority 100 ; }',
    'add rule ip pier-dns post ip saddr 127.0.0.0/8 oifname != "lo" masquerade',
  ].join(' ; ');
}

/** Networks whose endpoints hang off a host bridge (overlay adds a VXLAN port to it). */
function isBridged(n: NetworkRecord): boolean {
  return n.Driver === 'bridge' || n.Driver === 'overlay';
}

function toFw(p: PortMapping): FwPort {
  return { proto: p.proto === 'udp' ? 'udp' : 'tcp', hostIp: p.hostIp, hostPort: p.hostPort, targetIp: p.containerIp, targetPort: p.containerPort };
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i <= b; i++) out.push(i);
  return out;
}

function networkPrefixes(n: NetworkRecord): Prefix[] {
  const out: Prefix[] = [];
  for (const c of n.IPAM.Config) if (c.Subnet) { try { out.push(parseCidr(c.Subnet)); } catch { /* stored by an older version */ } }
  return out;
}
