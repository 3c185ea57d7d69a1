import { InvalidParameterError, NotImplementedError } from '../../errdefs/index.js';
import { NOT_SWARM } from './unsupported.js';
import type { VolumeRecord } from '../../volumes/index.js';
import { parseFilters, validateFilters, matchAny, matchLabels, matchPruneLabels } from '../../pkg/filters/index.js';
import { qbool, readJson } from '../http.js';
import { Fields } from '../decode.js';
import type { Router } from '../router.js';
import type { Backend } from '../backend.js';

/** A volume as the API shows it; UsageData only where docker fills it (system df). */
export function volumeView(v: VolumeRecord, usage?: { Size: number; RefCount: number }): Record<string, unknown> {
  return { ...v, Options: v.Options ?? null, ...(usage ? { UsageData: usage } : {}) };
}

export function volumeRoutes(r: Router, b: Backend): void {
  r.get('/volumes', async (ctx) => {
    const f = parseFilters(ctx.query.get('filters'));
    validateFilters(f, ['dangling', 'driver', 'label', 'label!', 'name']);
    const dangling = f.get('dangling');
    for (const d of dangling ?? []) if (!['true', 'false', '1', '0'].includes(d)) throw new InvalidParameterError(`invalid filter 'dangling=${d}'`);
    const all = await b.volumes.listWithPlugins();
    const list = all.volumes.filter((v) => {
      if (!matchAny(f, 'name', (n) => v.Name.includes(n))) return false;
      if (!matchAny(f, 'driver', (d) => v.Driver === d)) return false;
      if (!matchLabels(f, v.Labels)) return false;
      if (dangling) {
        const want = dangling.has('true') || dangling.has('1');
        if (want !== (b.containers.usingVolume(v.Name).length === 0)) return false;
      }
      return true;
    });
    return { json: { Volumes: list.map((v) => volumeView(v)), Warnings: all.warnings.length ? all.warnings : null } };
  });

  r.post('/volumes/create', async (ctx) => {
    const f = new Fields(await readJson(ctx.req), 'volume.CreateOptions');
    if (f.has('ClusterVolumeSpec')) throw new NotImplementedError(NOT_SWARM);
    // A volume created without a name is anonymous, as moby labels it (volume prune takes it).
    const v = await b.volumes.create({ Name: f.str('Name'), Driver: f.str('Driver'), DriverOpts: f.strMap('DriverOpts'), Labels: f.strMap('Labels') }, { anonymous: !f.str('Name') });
    return { status: 201, json: volumeView(v) };
  });

  r.post('/volumes/prune', async (ctx) => {
    const f = parseFilters(ctx.query.get('filters'));
    validateFilters(f, ['label', 'label!', 'all']);
    const all = [...(f.get('all') ?? [])].some((x) => x === 'true' || x === '1');
    const { deleted, reclaimed } = await b.volumes.prune({ all, keep: (v) => !matchPruneLabels(f, v.Labels) });
    return { json: { VolumesDeleted: deleted, SpaceReclaimed: reclaimed } };
  });

  r.get('/volumes/{name}', (ctx) => ({ json: volumeView(b.volumes.get(ctx.params['name'] ?? '')) }));

  r.delete('/volumes/{name}', async (ctx) => {
    await b.volumes.remove(ctx.params['name'] ?? '', { force: qbool(ctx.query, 'force') });
    return { status: 204 };
  });
}
