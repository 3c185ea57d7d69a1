import { parseFilters, validateFilters, matchAny, matchLabels } from '../../pkg/filters/index.js';
import { writeWithBackpressure } from '../../pkg/streams/index.js';
import { InvalidParameterError } from '../../errdefs/index.js';
import { COMMON_HEADERS, type Ctx } from '../http.js';
import type { Router } from '../router.js';
import type { Backend } from '../backend.js';
import type { EngineEvent } from '../../events/index.js';
import { statusText } from '../../containers/index.js';
import { volumeView } from './volumes.js';

const PING_HEADERS = {
  ...COMMON_HEADERS,
  'Builder-Version': '1',
  'Swarm': 'inactive',
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  'Pragma': 'no-cache',
  'Content-Type': 'text/plain; charset=utf-8',
};

/** Docker's --since/--until: unix seconds with an optional fraction → ns. */
function parseTimestamp(v: string | null, key: string): bigint | undefined {
  if (v === null || v === '') return undefined;
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(v.trim());
  if (!m || !m[1]) throw new InvalidParameterError(`invalid value for ${key}: "${v}"`);
  return BigInt(m[1]) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
}

function eventFilter(ctx: Ctx, b: Backend): (ev: EngineEvent) => boolean {
  const f = parseFilters(ctx.query.get('filters'));
  validateFilters(f, ['config', 'container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'type', 'volume']);
  const containerIds = new Map<string, string>();
  for (const ref of f.get('container') ?? []) {
    const c = b.containers.tryGet(ref);
    if (c) containerIds.set(c.Id, c.Name.slice(1));
  }
  return (ev) => {
    const action = ev.Action.split(':')[0] ?? ev.Action;
    if (!matchAny(f, 'type', (v) => v === ev.Type)) return false;
    if (!matchAny(f, 'event', (v) => v === ev.Action || v === action)) return false;
    if (!matchAny(f, 'container', (v) => ev.Type === 'container' && (ev.Actor.ID === v || ev.Actor.ID.startsWith(v) || ev.Actor.Attributes['name'] === v || containerIds.has(ev.Actor.ID)))) return false;
    if (!matchAny(f, 'image', (v) => ev.Actor.Attributes['image'] === v || (ev.Type === 'image' && (ev.Actor.ID === v || ev.Actor.Attributes['name'] === v)))) return false;
    if (!matchAny(f, 'scope', (v) => v === 'local')) return false;
    if (!matchLabels(f, ev.Actor.Attributes)) return false;
    if (f.has('network') && !matchAny(f, 'network', (v) => ev.Type === 'network' && (ev.Actor.ID === v || ev.Actor.Attributes['name'] === v))) return false;
    if (f.has('volume') && !matchAny(f, 'volume', (v) => ev.Type === 'volume' && ev.Actor.ID === v)) return false;
    if (f.has('daemon') && ev.Type !== 'daemon') return false;
    return true;
  };
}

export function systemRoutes(r: Router, b: Backend): void {
  r.get('/_ping', (ctx) => {
    const res = ctx.res;
    if (!res) return undefined;
    const body = ctx.method === 'HEAD' ? '' : 'OK';
    res.writeHead(200, { ...PING_HEADERS, 'Content-Length': String(body.length) });
    res.end(body);
    return undefined;
  });
  r.head('/_ping', (ctx) => {
    ctx.res?.writeHead(200, { ...PING_HEADERS, 'Content-Length': '0' });
    ctx.res?.end();
    return undefined;
  });
  r.get('/version', () => ({ json: b.system.version() }));
  r.get('/info', () => ({ json: b.system.info() }));
  r.get('/system/df', async () => {
    const containers = b.containers.list();
    const images = b.images.list();
    const imageViews = await Promise.all(images.map(async (img) => {
      const cfg = await b.images.config(img.id);
      return {
        Containers: containers.filter((c) => c.Image === img.id).length, Created: Math.floor(Date.parse(img.created) / 1000),
        Id: img.id, Labels: cfg.config?.Labels ?? null, ParentId: img.parent, RepoDigests: img.repoDigests,
        RepoTags: b.images.tagsOf(img.id), SharedSize: 0, Size: img.size,
      };
    }));
    const containerViews = await Promise.all(containers.map(async (c) => {
      const sizeRw = await b.containers.views.sizeRw(c.Id).catch(() => 0);
      return {
        Id: c.Id, Names: [c.Name], Image: c.Config.Image, ImageID: c.Image, Command: [c.Path, ...c.Args].join(' '),
        Created: Math.floor(Date.parse(c.Created) / 1000), Ports: [], SizeRw: sizeRw,
        SizeRootFs: sizeRw + (b.images.get(c.Image)?.size ?? 0), Labels: c.Config.Labels ?? {}, State: c.State.Status,
        Status: statusText(c), HostConfig: { NetworkMode: c.HostConfig.NetworkMode }, Mounts: c.Mounts,
      };
    }));
    const layers = new Map<string, number>();
    for (const img of images) img.chainIds.forEach((id, i) => layers.set(id, (img.diskSizes ?? img.layerSizes)[i] ?? 0));
    const LayersSize = [...layers.values()].reduce((a, n) => a + n, 0);
    // As moby: volumes with driver options (a mounted device, tmpfs) are not sized here.
    const volumeViews = await Promise.all(b.volumes.list().filter((v) => !v.Options || Object.keys(v.Options).length === 0).map(async (v) => volumeView(v, { Size: await b.volumes.size(v), RefCount: b.containers.usingVolume(v.Name).length })));
    return { json: { LayersSize, Images: imageViews, Containers: containerViews, Volumes: volumeViews, BuildCache: [], BuilderSize: 0 } };
  });
  r.get('/events', async (ctx) => {
    const res = ctx.res;
    if (!res) return undefined;
    const since = parseTimestamp(ctx.query.get('since'), 'since');
    const until = parseTimestamp(ctx.query.get('until'), 'until');
    const filter = eventFilter(ctx, b);
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/json' });
    res.flushHeaders();
    for await (const ev of b.events.subscribe({ ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}), filter, signal: ctx.signal, onDrop: () => b.log.warn('an events client reads slower than events come: dropping events for it') })) {
      await writeWithBackpressure(res, JSON.stringify(ev) + '\n');
      if (res.destroyed) break;
    }
    res.end();
    return undefined;
  });
}
