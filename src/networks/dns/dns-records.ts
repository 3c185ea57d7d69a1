// The embedded DNS server's only view of pier's state: it asks, per query, whether a
// name or an address belongs to the network the query arrived on.

/**
 * Name and address lookups for the embedded DNS server.
 *
 * `key` is the listener key given to `EmbeddedDns.listen` (one per network, usually
 * the network id), so one server can answer for many networks without mixing them.
 * Names arrive lower-cased and without a trailing dot. `undefined` means "not a name
 * of ours", and the server forwards the query upstream; an empty array means the name
 * is ours but has no IPv4 address, and the server answers NOERROR with no records;
 * `null` means no such name, answered NXDOMAIN without asking upstream (a single-label
 * name that is no container's: nothing outside could know it either).
 * Both methods are called on every query, synchronously, so they must be cheap.
 */
export interface DnsRecords {
  /** IPv4 addresses for `name` (lower-cased, no trailing dot) asked on listener `key` by `clientIp`; undefined = not a name of ours (forward it). [] = ours but no A record. */
  lookup(key: string, name: string, clientIp: string): string[] | null | undefined;
  /** The name (no trailing dot) for a PTR lookup of `ip` on listener `key`; undefined = not ours (forward it). */
  reverse(key: string, ip: string): string | undefined;
  /** Upstreams for this client instead of the server-wide ones (a container's --dns), if any. */
  upstreamsFor?(key: string, clientIp: string): string[] | undefined;
}
