/**
 * networks: docker's network objects and the endpoints of running
 * containers — bridge (a Linux bridge per network, a veth per endpoint),
 * host, none and macvlan drivers, IPAM from docker's default pools, the
 * embedded DNS server on each user-defined network's gateway, published
 * ports (nftables DNAT plus an in-process proxy for loopback), and the
 * nftables table that masquerades and isolates bridges.
 *
 * @example
 * const nets = new NetworkService({ store, events, log, hostTag: '', dns });
 * await nets.start();
 * const plan = nets.prepare({ containerId, name, hostname, networkMode: 'bridge', endpoints: {}, ports: [] });
 * await nets.attach(containerId, pid, []);   // after the task is created, before it runs
 * await nets.release(containerId);            // when it stops
 */
export { NetworkService, PREDEFINED } from './network-service.js';
export type { NetworkServiceOptions, CreateNetworkRequest, AttachSpec, NetPlan } from './network-service.js';
export type { NetworkRecord, EndpointRecord, EndpointSettings, PortMapping, DriverName } from './network-record.js';
export { portRequests, validatePortBindings } from './ports/port-bindings.js';
export type { PortRequest } from './ports/port-bindings.js';
export { hostResolvers } from './dns/host-resolvers.js';
export { lazyEmbeddedDns } from './dns-lazy.js';
export type { DnsHandle } from './dns-lazy.js';
export type { Cluster, RemoteEndpoint } from './overlay/cluster.js';
