/**
 * registry: pier's own OCI registry, `pier registry serve`: a distribution-spec
 * v2 server (docker-compatible) in its own process, over a StorageDriver.
 *
 * Pieces: `StorageDriver` is the storage contract (paths, atomic puts and
 * moves, appends for uploads) and `FilesystemDriver` its local-directory
 * implementation; an object-store driver can replace it. Above it, blobs are
 * stored once by digest and linked into repositories; uploads hash while they
 * write and become blobs only once their digest is verified; manifests are
 * stored byte for byte with per-repository revisions, tags and a referrers
 * index (layout in storage-paths.ts). `RegistryServer` speaks HTTP(S) with
 * optional basic auth (htpasswd, bcrypt) or token auth (Docker's registry token
 * spec: 401 Bearer challenge, JWTs signed ES256/RS256 by the built-in token
 * endpoint at /token, htpasswd users get pull and push everywhere, anonymous
 * requests pull only with `anonymousPull`; see token-auth.ts), a read-only
 * switch and a delete switch. `garbageCollect` sweeps blobs no manifest references; run it with the
 * server stopped.
 *
 * Lifecycle: construct a server, `listen()` (stale uploads are purged first),
 * `close()` on SIGINT/SIGTERM. Every write survives a crash whole or not at all.
 *
 * @example
 * const server = new RegistryServer({ storage: new FilesystemDriver('/var/lib/pier-registry'), allowDelete: true });
 * const { url } = await server.listen({ host: '127.0.0.1', port: 5000 });
 * // skopeo copy --dest-tls-verify=false oci:layout docker://127.0.0.1:5000/team/x:1
 * await server.close();
 * await garbageCollect(new FilesystemDriver('/var/lib/pier-registry'), { onLine: console.log });
 */
export { RegistryServer, type RegistryServerOptions, type ListenOptions } from './registry-server.js';
export type { StorageDriver, StorageStat, Op } from './storage-driver.js';
export { FilesystemDriver } from './filesystem-driver.js';
export { Htpasswd, parseBasicAuth, type Credentials } from './htpasswd.js';
export { TokenKey, InvalidTokenError, type JwtAlgorithm } from './jwt.js';
export { TokenAuth, TOKEN_PATH, type TokenOptions, type ResourceActions, type Access } from './token-auth.js';
export { garbageCollect, type GcOptions, type GcResult } from './garbage-collect.js';
export { RegistryError, type RegistryErrorCode } from './registry-error.js';
export { MANIFEST_MEDIA_TYPES } from './parse-manifest.js';
