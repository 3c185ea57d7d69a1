/**
 * volumes: docker's volumes with the local driver — named and anonymous
 * volumes under `<data-root>/volumes/<name>/_data`, local driver options
 * (`type`, `device`, `o`) mounted while containers use them, in-use checks,
 * prune. Containers decide which volumes they mount (containers/).
 *
 * @example
 * const v = await volumes.create({ Name: 'pgdata' });
 * const hostPath = await volumes.acquire('pgdata');   // at container start
 * await volumes.releaseMount('pgdata');              // at container stop
 */
export { VolumeService, ANONYMOUS_LABEL } from './volume-service.js';
export type { VolumeRecord, VolumeServiceOptions, CreateVolumeRequest } from './volume-service.js';
