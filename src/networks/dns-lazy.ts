import type { EmbeddedDns, EmbeddedDnsOptions } from './dns/index.js';

/** What the network service uses of the DNS server. */
export type DnsHandle = Pick<EmbeddedDns, 'listen' | 'close' | 'closeAll'>;

/**
 * The embedded DNS server, loaded on the first listen: a daemon with no
 * user-defined network never parses dns-packet or holds the server (part of
 * keeping an idle pierd's RSS small).
 */
export function lazyEmbeddedDns(o: EmbeddedDnsOptions): DnsHandle {
  let server: Promise<EmbeddedDns> | undefined;
  let loaded: EmbeddedDns | undefined;
  const get = (): Promise<EmbeddedDns> => {
    server ??= import('./dns/index.js').then((m) => { loaded = new m.EmbeddedDns(o); return loaded; });
    return server;
  };
  return {
    listen: async (key, address, opts) => (await get()).listen(key, address, opts),
    close: async (key) => { if (loaded) await loaded.close(key); },
    closeAll: async () => { if (loaded) await loaded.closeAll(); },
  };
}
