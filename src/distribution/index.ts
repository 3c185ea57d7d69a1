/**
 * distribution: pier's registry client (OCI distribution spec v2, Docker
 * Registry HTTP API v2): which endpoint, which credentials, manifests and
 * blobs in and out. Image logic (which platform, which layers, unpacking)
 * stays in images/.
 *
 * @example
 * const c = new RegistryClient({ domain: '127.0.0.1:5000', insecure: true });
 * const m = await c.getManifest('team/busybox', '1');
 */
export { RegistryClient, registryHost, type RegistryAuth, type RegistryClientOptions, type FetchedManifest } from './registry-client.js';
export { parseChallenges, type Challenge } from './challenge.js';
export { isInsecureRegistry } from './insecure.js';
export * from './media-types.js';
export { TransportError } from './transport.js';
