import type { Duplex, Writable } from 'node:stream';
import { InvalidParameterError, NotFoundError, messageOf } from '../../errdefs/index.js';
import type { AttachHandle, ContainerRecord, ContainerService, WaitCondition } from '../../containers/index.js';
import { statusText } from '../../containers/index.js';
import { parseFilters, validateFilters, matchLabels, matchAny } from '../../pkg/filters/index.js';
import { COMMON_HEADERS, qbool, qint, readJson, type Ctx } from '../http.js';
import { attachContentType, upgradeResponse } from '../hijack.js';
import { DetachScanner, parseDetachKeys } from '../detach-keys.js';
import { decodeContainerCreate, decodeHostConfig, Fields } from '../decode.js';
import type { Router } from '../router.js';
import type { Backend } from '../backend.js';

const zeroTime = '0001-01-01T00:00:00Z';

function networkName(mode: string): string {
  return mode === 'default' ? 'bridge' : mode;
}

/** GET /containers/{id}/json */
export function inspectView(c: ContainerRecord, b: Backend): Record<string, unknown> {
  const net = networkName(c.HostConfig.NetworkMode);
  const { pier: _pier, NetworkingConfig: _nc, ...rest } = c;
  return {
    ...rest,
    Image: c.Image,
    MountLabel: '', ProcessLabel: '', AppArmorProfile: '',
    GraphDriver: { Name: 'overlay2', Data: null },
    Config: { ...c.Config, Image: c.Config.Image },
    NetworkSettings: {
      Bridge: '', SandboxID: '', SandboxKey: '', Ports: {}, HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: '', Gateway: '', GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0, IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', MacAddress: '',
      Networks: net === 'host' || net.startsWith('container:') ? (net === 'host' ? { host: emptyEndpoint(b) } : {}) : { [net]: emptyEndpoint(b) },
    },
  };
}

function emptyEndpoint(_b: Backend): Record<string, unknown> {
  return {
    IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, GwPriority: 0, NetworkID: '', EndpointID: '',
    Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
  };
}

function summaryView(c: ContainerRecord): Record<string, unknown> {
  const cmd = [c.Path, ...c.Args].map((a) => (/\s/.test(a) ? a : a)).join(' ');
  const net = networkName(c.HostConfig.NetworkMode);
  return {
    Id: c.Id, Names: [c.Name], Image: c.Config.Image, ImageID: c.Image, Command: cmd,
    Created: Math.floor(Date.parse(c.Created) / 1000), Ports: [], Labels: c.Config.Labels ?? {},
    State: c.State.Status, Status: statusText(c), HostConfig: { NetworkMode: c.HostConfig.NetworkMode },
    NetworkSettings: { Networks: net === 'host' ? { host: {} } : { [net]: { IPAddress: '', Gateway: '', MacAddress: '' } } },
    Mounts: c.Mounts,
  };
}

const LIST_FILTERS = ['ancestor', 'before', 'expose', 'exited', 'health', 'id', 'isolation', 'is-task', 'label', 'name', 'network', 'publish', 'since', 'status', 'volume'];
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

function listContainers(b: Backend, q: URLSearchParams): Record<string, unknown>[] {
  const filters = parseFilters(q.get('filters'));
  validateFilters(filters, LIST_FILTERS);
  for (const s of filters.get('status') ?? []) {
    if (!STATUSES.includes(s)) throw new InvalidParameterError(`invalid filter 'status=${s}'`);
  }
  const all = qbool(q, 'all');
  const limit = qint(q, 'limit') ?? -1;
  let list = b.containers.list().sort((x, y) => (x.Created < y.Created ? 1 : x.Created > y.Created ? -1 : 0));
  const find = (ref: string): ContainerRecord | undefined => { try { return b.containers.tryGet(ref); } catch { return undefined; } };
  const before = [...(filters.get('before') ?? [])].map(find)[0];
  const since = [...(filters.get('since') ?? [])].map(find)[0];
  if (filters.has('before') && !before) throw new NotFoundError(`No such container: ${[...(filters.get('before') ?? [])][0]}`);
  if (filters.has('since') && !since) throw new NotFoundError(`No such container: ${[...(filters.get('since') ?? [])][0]}`);
  list = list.filter((c) => {
    const st = c.State.Status;
    if (!all && !filters.has('status') && limit <= 0 && st !== 'running' && st !== 'paused' && st !== 'restarting') return false;
    if (!matchAny(filters, 'status', (v) => v === st)) return false;
    if (!matchAny(filters, 'id', (v) => c.Id.startsWith(v))) return false;
    if (!matchAny(filters, 'name', (v) => new RegExp(v).test(c.Name.slice(1)) || new RegExp(v).test(c.Name))) return false;
    if (!matchLabels(filters, c.Config.Labels)) return false;
    if (!matchAny(filters, 'exited', (v) => st === 'exited' && String(c.State.ExitCode) === v)) return false;
    if (!matchAny(filters, 'ancestor', (v) => {
      const img = b.images.tryResolve(v);
      return c.Config.Image === v || (img !== undefined && img.id === c.Image);
    })) return false;
    if (!matchAny(filters, 'health', (v) => (c.State.Health?.Status ?? 'none') === v)) return false;
    if (!matchAny(filters, 'network', (v) => networkName(c.HostConfig.NetworkMode) === v)) return false;
    if (before && c.Created >= before.Created) return false;
    if (since && c.Created <= since.Created) return false;
    return true;
  });
  if (limit > 0) list = list.slice(0, limit);
  return list.map(summaryView);
}

/** Pipes an attach helper's framed output to the client; client bytes to its stdin. */
function bridgeAttach(helper: AttachHandle, out: Writable & { destroyed: boolean }, input: NodeJS.ReadableStream | undefined, early: Buffer[], inputEnded: boolean, detachKeys: number[]): void {
  helper.stdout?.pipe(out, { end: false });
  helper.on('close', () => {
    if (!out.destroyed) out.end();
  });
  const stdin = helper.stdin;
  if (stdin && input) {
    const scanner = new DetachScanner(detachKeys);
    const feed = (d: Buffer): boolean => {
      const r = scanner.push(d);
      if (r.forward.length) stdin.write(r.forward);
      if (r.detach) {
        // Detach: drop this attach only; the container (and its stdin) keeps running.
        helper.kill('SIGTERM');
        return false;
      }
      return true;
    };
    for (const b of early) if (!feed(b)) return;
    // The CLI may have sent all of stdin and half-closed before the container started.
    if (inputEnded) stdin.end();
    else {
      input.on('data', (d: Buffer) => { feed(d); });
      input.on('end', () => { stdin.end(); });
    }
    stdin.on('error', () => { /* helper gone: the close handler ends the stream */ });
  }
  out.on('close', () => { if (helper.exitCode === null) helper.kill('SIGTERM'); });
}

async function attach(ctx: Ctx, b: Backend): Promise<undefined> {
  const c = b.containers.get(ctx.params['id'] ?? '');
  const q = ctx.query;
  const stdin = qbool(q, 'stdin');
  const stdout = qbool(q, 'stdout');
  const stderr = qbool(q, 'stderr');
  const ctype = attachContentType(c.Config.Tty, ctx.version);
  const detachKeys = parseDetachKeys(q.get('detachKeys'));
  let out: Writable & { destroyed: boolean };
  let input: NodeJS.ReadableStream | undefined;
  const early: Buffer[] = [];
  if (ctx.socket) {
    const s = ctx.socket;
    s.write(upgradeResponse(ctype));
    out = s;
    input = s;
    if (ctx.head?.length) early.push(ctx.head);
  } else {
    const res = ctx.res;
    if (!res) return undefined;
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': ctype });
    res.flushHeaders();
    out = res;
    input = ctx.req;
  }
  let inputEnded = false;
  const collect = (d: Buffer): void => { early.push(d); };
  const onEnd = (): void => { inputEnded = true; };
  if (stdin && input) { input.on('data', collect); input.on('end', onEnd); }
  if (!c.State.Running) {
    // dockerd keeps an attach to a stopped container open until it next runs.
  }
  const handle = b.containers.attach(c.Id, {
    stdin, stdout, stderr,
    onReady: (helper) => {
      if (stdin && input) { input.off('data', collect); input.off('end', onEnd); }
      bridgeAttach(helper, out, stdin ? input : undefined, early, inputEnded, detachKeys);
    },
    onError: (err) => {
      b.log.debug('attach failed', { container: c.Id, err: messageOf(err) });
      if (!out.destroyed) out.end();
    },
  });
  out.on('close', () => handle.cancel());
  return undefined;
}

async function wait(ctx: Ctx, b: Backend): Promise<undefined> {
  const cond = (ctx.query.get('condition') || 'not-running') as WaitCondition;
  if (!['not-running', 'next-exit', 'removed'].includes(cond)) {
    throw new InvalidParameterError(`invalid condition: "${cond}"`);
  }
  const res = ctx.res;
  if (!res) return undefined;
  const done = b.containers.wait(ctx.params['id'] ?? '', cond, ctx.signal);
  // Headers now, body at exit: the CLI starts the container once it has them.
  res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/json' });
  res.flushHeaders();
  const r = await done;
  if (!res.destroyed) res.end(JSON.stringify(r.Error ? { StatusCode: r.StatusCode, Error: r.Error } : { Error: null, StatusCode: r.StatusCode }) + '\n');
  return undefined;
}

export function containerRoutes(r: Router, b: Backend): void {
  const cs: ContainerService = b.containers;
  r.get('/containers/json', (ctx) => ({ json: listContainers(b, ctx.query) }));
  r.post('/containers/create', async (ctx) => {
    const body = await readJson(ctx.req);
    const req = decodeContainerCreate(body);
    const name = ctx.query.get('name') ?? '';
    const res = await cs.create({ ...(name ? { name } : {}), config: req.config, hostConfig: req.hostConfig, networkingConfig: req.networkingConfig });
    return { status: 201, json: res };
  });
  r.get('/containers/{id}/json', (ctx) => ({ json: inspectView(cs.get(ctx.params['id'] ?? ''), b) }));
  r.post('/containers/{id}/start', async (ctx) => { await cs.start(ctx.params['id'] ?? ''); return undefined; });
  r.post('/containers/{id}/stop', async (ctx) => {
    const t = qint(ctx.query, 't');
    const signal = ctx.query.get('signal') ?? '';
    await cs.stop(ctx.params['id'] ?? '', { ...(t !== undefined ? { timeout: t } : {}), ...(signal ? { signal } : {}) });
    return undefined;
  });
  r.post('/containers/{id}/restart', async (ctx) => {
    const t = qint(ctx.query, 't');
    const signal = ctx.query.get('signal') ?? '';
    await cs.restart(ctx.params['id'] ?? '', { ...(t !== undefined ? { timeout: t } : {}), ...(signal ? { signal } : {}) });
    return undefined;
  });
  r.post('/containers/{id}/kill', async (ctx) => {
    await cs.kill(ctx.params['id'] ?? '', ctx.query.get('signal') || 'KILL');
    return undefined;
  });
  r.post('/containers/{id}/pause', async (ctx) => { await cs.pause(ctx.params['id'] ?? ''); return undefined; });
  r.post('/containers/{id}/unpause', async (ctx) => { await cs.unpause(ctx.params['id'] ?? ''); return undefined; });
  r.delete('/containers/{id}', async (ctx) => {
    if (qbool(ctx.query, 'link')) throw new InvalidParameterError('Conflict, cannot remove the default link name of the container');
    await cs.remove(ctx.params['id'] ?? '', { force: qbool(ctx.query, 'force'), volumes: qbool(ctx.query, 'v') });
    return undefined;
  });
  r.post('/containers/{id}/wait', (ctx) => wait(ctx, b));
  r.post('/containers/{id}/attach', (ctx) => attach(ctx, b), { hijack: true });
  r.post('/containers/{id}/rename', (ctx) => { cs.rename(ctx.params['id'] ?? '', ctx.query.get('name') ?? ''); return undefined; });
  r.post('/containers/{id}/resize', (ctx) => {
    const c = cs.get(ctx.params['id'] ?? '');
    const h = qint(ctx.query, 'h') ?? 0;
    const w = qint(ctx.query, 'w') ?? 0;
    if (!c.State.Running) throw new InvalidParameterError(`Container ${c.Id} is not running`);
    if (c.Config.Tty) cs.runtimeOf(c).resize(cs.bundleDir(c.Id), h, w);
    return { status: 200, text: '' };
  });
  r.post('/containers/{id}/update', async (ctx) => {
    const body = await readJson(ctx.req);
    const f = new Fields(body, 'container.UpdateConfig');
    const patch = decodeHostConfig(f);
    const warnings = await cs.update(ctx.params['id'] ?? '', { ...patch, ...(f.has('RestartPolicy') ? {} : { RestartPolicy: { Name: '', MaximumRetryCount: 0 } }) });
    return { json: { Warnings: warnings } };
  });
  r.post('/containers/prune', async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    validateFilters(filters, ['until', 'label', 'label!']);
    const deleted: string[] = [];
    for (const c of cs.list()) {
      if (c.State.Status !== 'exited' && c.State.Status !== 'created' && c.State.Status !== 'dead') continue;
      if (!matchLabels(filters, c.Config.Labels)) continue;
      try {
        await cs.remove(c.Id, { force: false, volumes: false });
        deleted.push(c.Id);
      } catch (err) {
        b.log.debug('prune skipped a container', { container: c.Id, err: messageOf(err) });
      }
    }
    return { json: { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: 0 } };
  });
  void zeroTime;
}
