/**
 * dns: pier's embedded DNS server, which lets containers on user-defined networks
 * find each other by name (docker's 127.0.0.11, podman's aardvark-dns).
 *
 * One `EmbeddedDns` serves every network. Each network gets a listener, named by a
 * `key` (the network id), on an address its containers can reach (UDP and TCP). A
 * query for a name that `DnsRecords` knows on that key is answered here: A records
 * with TTL 600, NOERROR with no records for other types (so clients fall back to A),
 * PTR for in-addr.arpa. Anything else is forwarded verbatim to the upstreams (the
 * host's resolv.conf nameservers, read per query), over the transport the client
 * used, one upstream after another; SERVFAIL if none answers. Internal networks
 * listen with `forward: false` and get SERVFAIL instead of the outside world.
 *
 * Lifecycle: `listen(key, …)` when a network gets its first container, `close(key)`
 * when the network goes, `closeAll()` at shutdown. Malformed packets are dropped and
 * logged at debug; nothing a client sends can make a handler throw.
 *
 * @example
 * const dns = new EmbeddedDns({
 *   records: { lookup: (net, name) => table.get(net)?.get(name), reverse: (net, ip) => ptr.get(net)?.get(ip) },
 *   upstreams: () => hostResolvers(readFileSync('/etc/resolv.conf', 'utf8')),
 *   log: log.child({ component: 'dns' }),
 * });
 * await dns.listen(networkId, gatewayIp);           // port 53, forwarding on
 * await dns.close(networkId);
 */

export type { DnsRecords } from './dns-records.js';
export { EmbeddedDns, type EmbeddedDnsOptions } from './embedded-dns.js';
export { hostResolvers } from './host-resolvers.js';
