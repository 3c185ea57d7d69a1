/**
 * plugins: docker's legacy plugin protocol, the client side — discovery
 * (`/run/docker/plugins/<name>.sock`, `/etc/docker/plugins/<name>.spec|.json`),
 * activation with retries, JSON calls with `Err` as the error, bounded time.
 *
 * @example
 * const p = pluginFor('volume', 'myvol', { socketDirs: ['/run/docker/plugins'], specDirs: ['/etc/docker/plugins'] });
 * if ((await p.activate()).includes('VolumeDriver')) await p.call('VolumeDriver.Create', { Name: 'v', Opts: {} });
 */
export { PluginClient, discoverPlugins, findPlugin, pluginFor } from './plugin-client.js';
export type { PluginAddress } from './plugin-client.js';
