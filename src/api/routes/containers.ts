import { parsePlatformParam, platformMatches, platformMismatch } from '../../images/index.js';
import type { Duplex, Writable } from 'node:stream';
import { InvalidParameterError, NotFoundError, messageOf } from '../../errdefs/index.js';
import type { AttachHandle, ContainerRecord, ContainerService, WaitCondition } from '../../containers/index.js';
import { statusText } from '../../containers/index.js';
import { parseFilters, validateFilters, matchLabels, matchPruneLabels, matchAny } from '../../pkg/filters/index.js';
import { COMMON_HEADERS, qbool, qint, readJson, type Ctx } from '../http.js';
import { attachContentType, upgradeResponse } from '../hijack.js';
import { DetachScanner, parseDetachKeys } from '../detach-keys.js';
import { decodeContainerCreate, decodeHostConfig, Fields } from '../decode.js';
import type { Router } from '../router.js';
import type { Backend } from '../backend.js';

const zeroTime = '0001-01-01T00:00:00Z';

/** docker's publish/expose filter values: "80", "80/tcp", "8000-8080/udp". */
function matchPort(v: string, port: number, proto: string): boolean {
  const [range = '', want = ''] = v.split('/');
  if (want && want !== proto) return false;
  const [a = '', bb] = range.split('-');
  return bb === undefined ? Number(a) === port : port >= Number(a) && port <= Number(bb);
}

function networkName(mode: string): string {
  return mode === 'default' ? 'bridge' : mode;
}

type EpSettings = { NetworkID?: string; Aliases?: string[] | null; IPAMConfig?: unknown; DriverOpts?: Record<string, string> | null; Links?: string[] | null; MacAddress?: string };

/** NetworkSettings.Networks: every network the container names, with live addresses while it runs. */
function networksView(c: ContainerRecord, b: Backend): Record<string, Record<string, unknown>> {
  const nm = c.HostConfig.NetworkMode;
  if (nm.startsWith('container:')) return {};
  const live = c.State.Running ? b.networks.endpointsOf(c.Id) : [];
  const out: Record<string, Record<string, unknown>> = {};
  const eps = (c.NetworkingConfig.EndpointsConfig ?? {}) as Record<string, EpSettings | null>;
  const entries = Object.entries(eps);
  if (entries.length === 0) entries.push([networkName(nm), {}]);
  for (const [name, s0] of entries) {
    const s = s0 ?? {};
    const n = (s.NetworkID && b.networks.tryGet(s.NetworkID)) || b.networks.tryGet(name);
    const ep = n ? live.find((e) => e.NetworkID === n.Id) : undefined;
    const [ip = '', bits = '0'] = (ep?.IPv4Address ?? '').split('/');
    out[n?.Name ?? name] = {
      IPAMConfig: s.IPAMConfig ?? null, Links: s.Links ?? null, Aliases: s.Aliases?.length ? s.Aliases : null, MacAddress: ep?.MacAddress ?? '',
      DriverOpts: s.DriverOpts ?? null, GwPriority: 0, NetworkID: n?.Id ?? '', EndpointID: ep?.Id ?? '', Gateway: ep?.Gateway ?? '',
      IPAddress: ip, IPPrefixLen: ep ? Number(bits) : 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0,
      DNSNames: ep?.DNSNames.length ? ep.DNSNames : null,
    };
  }
  return out;
}

/** NetworkSettings.Ports: exposed ports, with their host bindings while running. */
function portsView(c: ContainerRecord, b: Backend): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const k of Object.keys(c.Config.ExposedPorts ?? {})) out[k.includes('/') ? k : `${k}/tcp`] = null;
  for (const k of Object.keys(c.HostConfig.PortBindings ?? {})) out[k.includes('/') ? k : `${k}/tcp`] ??= null;
  if (!c.State.Running) return out;
  for (const p of b.networks.portsOf(c.Id)) {
    const key = `${p.containerPort}/${p.proto}`;
    const list = (out[key] ??= []);
    list.push({ HostIp: p.hostIp || '0.0.0.0', HostPort: String(p.hostPort) });
  }
  return out;
}

/** GET /containers/{id}/json */
export function inspectView(c: ContainerRecord, b: Backend): Record<string, unknown> {
  const { pier: _pier, NetworkingConfig: _nc, ...rest } = c;
  const networks = networksView(c, b);
  const def = networks['bridge'];
  return {
    ...rest,
    Image: c.Image,
    MountLabel: '', ProcessLabel: '', AppArmorProfile: '',
    GraphDriver: { Name: 'overlay2', Data: null },
    Config: { ...c.Config, Image: c.Config.Image },
    NetworkSettings: {
      Bridge: '', SandboxID: c.State.Running ? c.Id : '', SandboxKey: c.State.Running && c.State.Pid ? `/proc/${c.State.Pid}/ns/net` : '',
      Ports: portsView(c, b), HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: def?.['EndpointID'] ?? '', Gateway: def?.['Gateway'] ?? '', GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0, IPAddress: def?.['IPAddress'] ?? '', IPPrefixLen: def?.['IPPrefixLen'] ?? 0, IPv6Gateway: '', MacAddress: def?.['MacAddress'] ?? '',
      Networks: networks,
    },
  };
}

function summaryView(c: ContainerRecord, b: Backend): Record<string, unknown> {
  const cmd = [c.Path, ...c.Args].join(' ');
  const nets: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(networksView(c, b))) nets[name] = v;
  const ports: Record<string, unknown>[] = [];
  const published = new Set<string>();
  if (c.State.Running) {
    for (const p of b.networks.portsOf(c.Id)) {
      published.add(`${p.containerPort}/${p.proto}`);
      ports.push({ IP: p.hostIp || '0.0.0.0', PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.proto });
    }
  }
  for (const k of Object.keys(c.Config.ExposedPorts ?? {})) {
    const [port = '', proto = 'tcp'] = k.split('/');
    if (!published.has(`${port}/${proto}`)) ports.push({ PrivatePort: Number(port), Type: proto });
  }
  return {
    Id: c.Id, Names: [c.Name], Image: c.Config.Image, ImageID: c.Image, Command: cmd,
    Created: Math.floor(Date.parse(c.Created) / 1000), Ports: ports, Labels: c.Config.Labels ?? {},
    State: c.State.Status, Status: statusText(c), HostConfig: { NetworkMode: c.HostConfig.NetworkMode },
    NetworkSettings: { Networks: nets },
    Mounts: c.Mounts,
  };
}

/** The networks a container names, by name and ID (for --filter network=). */
function containerNetworkKeys(c: ContainerRecord, b: Backend): string[] {
  const out: string[] = [networkName(c.HostConfig.NetworkMode)];
  for (const [k, s] of Object.entries((c.NetworkingConfig.EndpointsConfig ?? {}) as Record<string, EpSettings | null>)) {
    out.push(k);
    if (s?.NetworkID) out.push(s.NetworkID);
  }
  const n = b.networks.tryGet(out[0] ?? '');
  if (n) out.push(n.Id);
  return out;
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
    if (!matchAny(filters, 'network', (v) => containerNetworkKeys(c, b).some((k) => k === v || (v.length >= 12 && k.startsWith(v))))) return false;
    if (!matchAny(filters, 'publish', (v) => c.State.Running && b.networks.portsOf(c.Id).some((p) => matchPort(v, p.hostPort, p.proto)))) return false;
    if (!matchAny(filters, 'expose', (v) => Object.keys(c.Config.ExposedPorts ?? {}).some((k) => { const [pp = '', pr = 'tcp'] = k.split('/'); return matchPort(v, Number(pp), pr); }))) return false;
    if (before && c.Created >= before.Created) return false;
    if (since && c.Created <= since.Created) return false;
    return true;
  });
  if (limit > 0) list = list.slice(0, limit);
  return list.map((c) => summaryView(c, b));
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
      // A client that sends faster than the process reads waits (no unbounded buffer in pierd).
      if (r.forward.length && !stdin.write(r.forward) && !input.isPaused()) { input.pause(); stdin.once('drain', () => input.resume()); }
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
    // --platform: an image here for another platform is "not found", so the client pulls the right one.
    const platform = ctx.query.get('platform') ?? '';
    const image = typeof req.config.Image === 'string' ? req.config.Image : '';
    if (platform && image) {
      const want = parsePlatformParam(platform);
      const img = b.images.tryResolve(image);
      if (img) {
        const cfg = await b.images.config(img.id);
        if (!platformMatches(cfg, want)) throw platformMismatch(image, cfg, want);
      }
    }
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
      if (!matchPruneLabels(filters, c.Config.Labels)) continue;
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
