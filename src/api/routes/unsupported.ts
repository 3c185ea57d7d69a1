import { NotImplementedError } from '../../errdefs/index.js';
import type { Router } from '../router.js';

/**
 * The parts of the Engine API pier does not implement, answered with a clear 501 instead of
 * "page not found": swarm mode (nodes, services, tasks, secrets, configs, cluster volumes),
 * registry search, the distribution inspect endpoint, and attach over a websocket.
 */

/** dockerd's words for a node outside a swarm, and why this one never joins one. */
export const NOT_SWARM = 'This node is not a swarm manager: pier does not support swarm mode';

const SWARM_ROUTES: readonly [string, string][] = [
  ['GET', '/swarm'], ['POST', '/swarm/init'], ['POST', '/swarm/join'], ['POST', '/swarm/leave'], ['POST', '/swarm/update'],
  ['GET', '/swarm/unlockkey'], ['POST', '/swarm/unlock'],
  ['GET', '/nodes'], ['GET', '/nodes/{id}'], ['DELETE', '/nodes/{id}'], ['POST', '/nodes/{id}/update'],
  ['GET', '/services'], ['POST', '/services/create'], ['GET', '/services/{id}'], ['DELETE', '/services/{id}'],
  ['POST', '/services/{id}/update'], ['GET', '/services/{id}/logs'],
  ['GET', '/tasks'], ['GET', '/tasks/{id}'], ['GET', '/tasks/{id}/logs'],
  ['GET', '/secrets'], ['POST', '/secrets/create'], ['GET', '/secrets/{id}'], ['DELETE', '/secrets/{id}'], ['POST', '/secrets/{id}/update'],
  ['GET', '/configs'], ['POST', '/configs/create'], ['GET', '/configs/{id}'], ['DELETE', '/configs/{id}'], ['POST', '/configs/{id}/update'],
  // cluster volumes: only a swarm manager updates a volume
  ['PUT', '/volumes/{name}'],
];

export function unsupportedRoutes(r: Router): void {
  const refuse = (message: string) => (): never => { throw new NotImplementedError(message); };
  for (const [method, path] of SWARM_ROUTES) r.add(method, path, refuse(NOT_SWARM));
  r.get('/images/search', refuse('image search is not supported by pier: search the registry\'s web site or API'));
  r.get('/distribution/{name*}/json', refuse('the distribution inspect endpoint is not supported by pier: use docker manifest inspect against the registry'));
  r.get('/containers/{id}/attach/ws', refuse('attach over a websocket is not supported by pier: use POST /containers/{id}/attach'));
}
