/**
 * api: the Docker Engine API (1.24–1.50) over HTTP — route tables per
 * resource, request decoding, version negotiation, stream framing, and the
 * single error → status mapping. Knows nothing of overlayfs or conmon: it calls
 * the services handed to it in a `Backend`.
 *
 * @example
 * const server = createApiServer(buildRouter(backend), log); server.listen('/run/pier/pier.sock');
 */
import { Router } from './router.js';
import { networkRoutes } from './routes/networks.js';
import { volumeRoutes } from './routes/volumes.js';
import { pluginRoutes } from './routes/plugins.js';
import type { Backend } from './backend.js';
import { systemRoutes } from './routes/system.js';
import { containerRoutes } from './routes/containers.js';
import { execRoutes } from './routes/exec.js';
import { imageRoutes } from './routes/images.js';
import { containerIoRoutes } from './routes/container-io.js';
import { buildRoutes } from './routes/build.js';
import { unsupportedRoutes } from './routes/unsupported.js';

export { createApiServer, DEFAULT_LIMITS, type ApiServer, type ApiLimits } from './server.js';
export { Authorizer } from './authz.js';
export type { AuthzPlugin } from './authz.js';
export type { Backend, SystemProvider } from './backend.js';
export { errorStatus } from './errors.js';
export { decodeContainerCreate } from './decode.js';

export function buildRouter(b: Backend): Router {
  const r = new Router();
  systemRoutes(r, b);
  execRoutes(r, b);
  containerIoRoutes(r, b);
  containerRoutes(r, b);
  imageRoutes(r, b);
  buildRoutes(r, b);
  networkRoutes(r, b);
  volumeRoutes(r, b);
  pluginRoutes(r, b);
  unsupportedRoutes(r);
  return r;
}
