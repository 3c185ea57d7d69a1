import { mkdir, rm, writeFile, readdir, readFile, chown } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname as osHostname } from 'node:os';
import { ConflictError, ForbiddenError, InvalidParameterError, NotFoundError, NotModifiedError, SystemError, messageOf } from '../errdefs/index.js';
import type { Store, Table } from '../store/index.js';
import type { EventBus } from '../events/index.js';
import type { Logger } from '../pkg/log/index.js';
import { monotonicMs } from '../pkg/clock/index.js';
import type { ContainerConfig, HostConfig, NetworkingConfig } from '../pkg/engine/index.js';
import { ZERO_TIME } from '../pkg/engine/index.js';
import type { ImageService, ImageRecord } from '../images/index.js';
import type { Snapshotter } from '../snapshots/index.js';
import type { AttachHandle, ConmonRuntime, TaskInfo } from '../runtime/index.js';
import { processGone } from '../runtime/index.js';
import { unmount, removeCgroup, mountSnapshot, type CgroupSetup } from '../kernel/index.js';
import { newId, generateName, validateContainerName } from '../pkg/ids/index.js';
import type { IdMapper } from '../pkg/idtools/index.js';
import { buildSpec, resolveArgs, type SpecInput, type ImageRuntimeConfig } from './oci-spec.js';
import { writeEtcFiles, containerResolvConf } from './etc-files.js';
import { initialState, type ContainerRecord } from './container-record.js';
import { parseSignal } from './signals.js';
import { RestartManager } from './restart-manager.js';
import { ContainerViews } from './container-views.js';
import { validateHealthcheck, validateHostConfig } from './validate-host-config.js';
import { mergeImageConfig } from './merge-image-config.js';
import { parseLogOpts, rotateIfNeeded, type RotationPolicy } from './logs/index.js';
import { planVolumes, mountPoints, copyUp, type ContainerVolume, type Volumes } from './container-volumes.js';
import type { HealthMonitor } from './health-monitor.js';
import { portRequests, validatePortBindings, type NetworkService, type NetPlan, type EndpointSettings, type AttachSpec } from '../networks/index.js';

/** What containers ask of the networks. */
export type ContainerNetworks = Pick<NetworkService, 'resolveForCreate' | 'prepare' | 'prepareAsync' | 'attach' | 'release' | 'get' | 'checkSettings' | 'connectRunning' | 'disconnectRunning' | 'endpointsOf' | 'publishEvent' | 'hold' | 'forget'>;

export interface ContainerServiceOptions {
  store: Store;
  images: Pick<ImageService, 'resolve' | 'get' | 'config' | 'topLayer'>;
  snapshots: Snapshotter;
  /** One driver per OCI runtime name ("crun", "runc"); containers pick with HostConfig.Runtime. */
  runtimes: ReadonlyMap<string, ConmonRuntime>;
  defaultRuntime: string;
  events: EventBus;
  log: Logger;
  dataRoot: string;
  execRoot: string;
  cgroups: CgroupSetup;
  daemonCaps: readonly string[];
  initPath?: string;
  seccompProfile?: unknown;
  /** `--userns-remap`: containers run in a user namespace with these ids, unless `--userns=host`. */
  idMapper?: IdMapper;
  /** The daemon's `--no-new-privileges` default. */
  noNewPrivileges?: boolean;
  /** Absent in unit tests: every container then runs with --network none semantics. */
  networks?: ContainerNetworks;
  /** Absent in unit tests: named and anonymous volumes are then refused. */
  volumes?: Volumes;
}

export interface CreateRequest {
  name?: string;
  config: ContainerConfig;
  hostConfig: HostConfig;
  networkingConfig: NetworkingConfig;
  /** Made by a build for one step (removed at daemon start-up if a crash left it). */
  buildStep?: boolean;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';
export interface WaitResult { StatusCode: number; Error: { Message: string } | null }

/** A pending or live attach: the helper's framed output (raw with a TTY). */
export interface AttachRequest {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** Called once the attach is connected to the container's conmon. */
  onReady: (helper: AttachHandle) => void;
  onError: (err: unknown) => void;
}

const RUNNING_STATES = new Set(['running', 'paused', 'restarting']);

/** Containers: the records and their lifecycle (create/start/stop/kill/rm/wait/restart). */
/** Mount points under dir, deepest first. */
async function mountedUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const mp = line.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mp?.startsWith(dir + '/')) out.push(mp);
  }
  return out.sort().reverse();
}

export class ContainerService {
  readonly #o: ContainerServiceOptions;
  readonly #t: Table<ContainerRecord>;
  readonly #waiters = new Map<string, { cond: WaitCondition; resolve: (r: WaitResult) => void }[]>();
  readonly #pendingAttach = new Map<string, AttachRequest[]>();
  readonly #unwatch = new Map<string, () => void>();
  readonly #busy = new Map<string, Promise<unknown>>();
  readonly restarts: RestartManager;
  /** Read-only views of a container's filesystem and processes (cp, export, diff, top, stats). */
  readonly views: ContainerViews;
  readonly log: Logger;
  /** Running containers with a log max-size, checked for rotation every second. */
  readonly #rotating = new Map<string, RotationPolicy>();
  readonly #rotationTimer: NodeJS.Timeout;
  /** Volumes each running container acquired (released exactly once when it stops). */
  readonly #acquired = new Map<string, string[]>();
  #health: HealthMonitor | undefined;

  constructor(o: ContainerServiceOptions) {
    this.#o = o;
    this.log = o.log;
    this.#t = o.store.table<ContainerRecord>('containers', { unique: ['name'] });
    this.restarts = new RestartManager((id) => this.#restartFromPolicy(id), o.log);
    this.views = new ContainerViews(this, { snapshots: o.snapshots, images: o.images });
    this.#rotationTimer = setInterval(() => { void this.#rotateLogs(); }, 1000);
    this.#rotationTimer.unref();
  }

  /** docker's json-file max-size/max-file: rename the log, then tell conmon to reopen it. */
  async #rotateLogs(): Promise<void> {
    for (const [id, policy] of this.#rotating) {
      const c = this.tryGet(id);
      if (!c || !c.State.Running) { this.#rotating.delete(id); continue; }
      await rotateIfNeeded(c.LogPath, policy, async () => { this.runtimeOf(c).reopenLog(this.bundleDir(id)); })
        .catch((err: unknown) => this.log.warn('log rotation failed', { container: id, err: messageOf(err) }));
    }
  }

  /** The runtime driver a container runs with. */
  runtimeOf(c: Pick<ContainerRecord, 'HostConfig'>): ConmonRuntime {
    const rt = this.#o.runtimes.get(c.HostConfig.Runtime || this.#o.defaultRuntime) ?? this.#o.runtimes.get(this.#o.defaultRuntime);
    if (!rt) throw new SystemError(`no OCI runtime configured`);
    return rt;
  }
  get options(): ContainerServiceOptions { return this.#o; }
  /** The daemon's `--userns-remap` ids, when on: files crossing into or out of a container are translated. */
  get idMapper(): IdMapper | undefined { return this.#o.idMapper; }

  // ---- lookup ---------------------------------------------------------------

  /** Exact ID, then exact name, then unique ID prefix (docker's order). NotFoundError `No such container: x`. */
  get(ref: string): ContainerRecord {
    const c = this.tryGet(ref);
    if (!c) throw new NotFoundError(`No such container: ${ref}`);
    return c;
  }

  tryGet(ref: string): ContainerRecord | undefined {
    if (!ref) return undefined;
    const byId = this.#t.get(ref);
    if (byId) return byId;
    const byName = this.#t.getBy('name', ref.startsWith('/') ? ref : `/${ref}`);
    if (byName) return byName;
    if (/^[a-f0-9]+$/.test(ref)) {
      const ids = this.#t.idsWithPrefix(ref, 2);
      if (ids.length > 1) throw new InvalidParameterError(`Multiple IDs found with provided prefix: ${ref}`);
      if (ids[0]) return this.#t.get(ids[0]);
    }
    return undefined;
  }

  list(): ContainerRecord[] { return this.#t.all(); }
  count(): number { return this.#t.count(); }

  #save(c: ContainerRecord): void {
    this.#t.put(c.Id, c, { name: c.Name });
  }

  #event(c: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    const attrs: Record<string, string> = { ...(c.Config.Labels ?? {}), image: c.Config.Image, name: c.Name.slice(1), ...extra };
    this.#o.events.publish({ Type: 'container', Action: action, Actor: { ID: c.Id, Attributes: attrs } });
  }

  /** Serialises state changes per container. */
  async exclusive<R>(id: string, fn: () => Promise<R>): Promise<R> {
    const prev = this.#busy.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.#busy.set(id, settled);
    try {
      return await next;
    } finally {
      if (this.#busy.get(id) === settled) this.#busy.delete(id);
    }
  }

  // ---- paths ------------------------------------------------------------------

  containerDir(id: string): string { return join(this.#o.dataRoot, 'containers', id); }
  bundleDir(id: string): string { return join(this.#o.execRoot, 'containers', id); }
  rootfsDir(id: string): string { return join(this.bundleDir(id), 'rootfs'); }
  cgroupsPath(id: string): string { return `/pier/${id}`; }

  // ---- create -------------------------------------------------------------------

  async create(req: CreateRequest): Promise<{ Id: string; Warnings: string[] }> {
    const { config, hostConfig } = req;
    const image = this.#o.images.resolve(config.Image);
    const imgCfg = (await this.#o.images.config(image.id)).config ?? {};
    const args = resolveArgs(config, imgCfg);
    if (args.length === 0) throw new InvalidParameterError('No command specified');
    if (hostConfig.AutoRemove && hostConfig.RestartPolicy.Name && hostConfig.RestartPolicy.Name !== 'no') {
      throw new InvalidParameterError("can't create 'AutoRemove' container with restart policy");
    }
    validateHostConfig(hostConfig);
    validateHealthcheck(config.Healthcheck);
    parseLogOpts(hostConfig.LogConfig.Config); // bad log options are refused before anything is created
    if (hostConfig.Runtime && !this.#o.runtimes.has(hostConfig.Runtime)) {
      throw new InvalidParameterError(`unknown or invalid runtime name: ${hostConfig.Runtime}`);
    }
    hostConfig.Runtime = hostConfig.Runtime || this.#o.defaultRuntime;
    let endpoints = req.networkingConfig.EndpointsConfig ?? {};
    if (this.#o.networks) {
      const nm = hostConfig.NetworkMode;
      if (nm.startsWith('container:')) this.get(nm.slice('container:'.length));
      endpoints = this.#o.networks.resolveForCreate(nm, endpoints as Record<string, EndpointSettings>) as typeof endpoints;
      if (nm !== 'host' && !nm.startsWith('container:')) validatePortBindings(hostConfig.PortBindings, config.ExposedPorts);
    }
    if (hostConfig.LogConfig.Type === '') hostConfig.LogConfig = { Type: 'json-file', Config: hostConfig.LogConfig.Config };
    const id = newId();
    let name: string;
    if (req.name) {
      name = `/${validateContainerName(req.name)}`;
      const other = this.#t.getBy('name', name);
      if (other) throw this.#nameConflict(name, other.Id);
    } else {
      name = '';
      for (let i = 0; i < 10 && !name; i++) {
        const candidate = `/${generateName(i)}`;
        if (!this.#t.getBy('name', candidate)) name = candidate;
      }
      if (!name) name = `/${id.slice(0, 12)}`;
    }
    let planned: { volumes: ContainerVolume[]; binds: string[] } = { volumes: [], binds: [] };
    if (this.#o.volumes) {
      planned = await planVolumes({
        // `-v /path` arrives as Config.Volumes (docker's CLI), the image's VOLUMEs as its config's.
        hostConfig, imageVolumes: [...new Set([...Object.keys(config.Volumes ?? {}), ...Object.keys(imgCfg.Volumes ?? {})])], volumes: this.#o.volumes,
        volumesFrom: (ref) => { const src = this.get(ref); return { Id: src.Id, HostConfig: src.HostConfig, volumes: src.pier.volumes ?? [] }; },
      });
    }
    const dropPlanned = async (): Promise<void> => {
      for (const v of planned.volumes) if (v.anonymous) await this.#o.volumes?.remove(v.name, { force: true }).catch(() => undefined);
    };
    const dir = this.containerDir(id);
    const snapshotKey = `container-${id}`;
    const now = new Date().toISOString();
    // --network host shares the host's UTS view of the network: docker names the container after the host.
    const defaultHostname = hostConfig.NetworkMode === 'host' ? osHostname() : id.slice(0, 12);
    const cfg: ContainerConfig = { ...mergeImageConfig(config, imgCfg), Hostname: config.Hostname || defaultHostname };
    const rec: ContainerRecord = {
      Id: id, Name: name, Created: now, Path: args[0] ?? '', Args: args.slice(1), Config: cfg, HostConfig: hostConfig,
      NetworkingConfig: { EndpointsConfig: endpoints }, Image: image.id, State: initialState(), RestartCount: 0, ExecIDs: null,
      Platform: 'linux', Driver: 'overlay2', LogPath: join(dir, 'ctr.log'), ResolvConfPath: join(dir, 'resolv.conf'),
      HostnamePath: join(dir, 'hostname'), HostsPath: join(dir, 'hosts'),
      Mounts: mountPoints(hostConfig, planned.volumes, planned.binds, (n) => this.#o.volumes?.tryGet(n)?.Mountpoint ?? ''),
      pier: {
        snapshotKey, manuallyStopped: false, hasBeenStarted: false, runtime: '',
        ...(planned.volumes.length ? { volumes: planned.volumes } : {}), ...(planned.binds.length ? { extraBinds: planned.binds } : {}),
        ...(req.buildStep ? { buildStep: true as const } : {}),
      },
    };
    // Host objects first, then the record: a crash in between leaves only garbage for GC.
    await mkdir(dir, { recursive: true });
    try {
      await this.#o.snapshots.prepare(snapshotKey, this.#o.images.topLayer(image));
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      await dropPlanned();
      throw err;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        this.#t.insert(id, rec, { name: rec.Name });
        break;
      } catch (err) {
        // A generated name taken meanwhile by a concurrent create (the check above and this
        // insert are apart by the awaits): pick another, as docker's name generator retries.
        if (err instanceof ConflictError && !req.name && attempt < 20) {
          rec.Name = `/${attempt < 10 ? generateName(attempt + 1) : id.slice(0, 12)}`;
          continue;
        }
        await this.#o.snapshots.remove(snapshotKey).catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
        await dropPlanned();
        if (err instanceof ConflictError) {
          const other = this.#t.getBy('name', rec.Name);
          throw this.#nameConflict(rec.Name, other?.Id ?? '');
        }
        throw err;
      }
    }
    this.#event(rec, 'create');
    return { Id: id, Warnings: [] };
  }

  #nameConflict(name: string, otherId: string): ConflictError {
    return new ConflictError(`Conflict. The container name "${name}" is already in use by container "${otherId}". You have to remove (or rename) that container to be able to reuse that name.`);
  }


  // ---- start --------------------------------------------------------------------

  async start(ref: string): Promise<void> {
    const c0 = this.get(ref);
    await this.exclusive(c0.Id, async () => {
      const c = this.get(c0.Id);
      if (c.State.Status === 'paused') throw new ConflictError('cannot start a paused container, try unpause instead');
      if (c.State.Running) throw new NotModifiedError('container already started');
      if (c.State.Status === 'removing' || c.State.Dead) throw new ConflictError(`container is marked for removal and cannot be started`);
      this.restarts.cancel(c.Id);
      c.pier.manuallyStopped = false;
      await this.#startTask(c);
    });
  }

  /**
   * Mounts the rootfs, writes the bundle, creates and starts the task. Cleans up on failure.
   * conmon is spawned first and loads while the bundle is made (it waits on its
   * start pipe until the bundle is complete): ~7 ms off every start here.
   */
  async #startTask(c: ContainerRecord): Promise<void> {
    const id = c.Id;
    const bundle = this.bundleDir(id);
    const rootfs = this.rootfsDir(id);
    const image = this.#o.images.get(c.Image);
    let mounted = false;
    const t0 = monotonicMs();
    const marks: Record<string, number> = {};
    const mark = (k: string): void => { marks[k] = +(monotonicMs() - t0).toFixed(1); };
    // Attaches waiting for this start connect while the runtime creates the container
    // (conmon's attach socket appears first), so they cost no time after create.
    let early: Map<AttachRequest, Promise<AttachHandle>> | undefined;
    let creating: Promise<TaskInfo> | undefined;
    let plan: NetPlan | undefined;
    try {
      await mkdir(rootfs, { recursive: true });
      const rt = this.runtimeOf(c);
      rt.exits.clear(id);
      let bundleReady!: () => void;
      let bundleFailed!: (err: unknown) => void;
      const gate = new Promise<void>((resolve, reject) => { bundleReady = resolve; bundleFailed = reject; });
      gate.catch(() => undefined);
      creating = rt.create(id, {
        bundle, logPath: c.LogPath, terminal: c.Config.Tty, stdin: c.Config.OpenStdin, leaveStdinOpen: !c.Config.StdinOnce, name: c.Name.slice(1),
        onSpawned: () => { early = this.#connectEarly(c); }, gate,
      });
      creating.catch(() => undefined);
      try {
        const mounts = await this.#o.snapshots.mounts(c.pier.snapshotKey);
        const m = mounts[0];
        if (m) await mountSnapshot(m, rootfs);
        mounted = true;
        mark('mounted');
        const hostNet = c.HostConfig.NetworkMode === 'host';
        plan = (await this.#o.networks?.prepareAsync(this.#attachSpec(c))) ?? { addresses: [] };
        const joined = c.HostConfig.NetworkMode.startsWith('container:') ? this.get(c.HostConfig.NetworkMode.slice('container:'.length)) : undefined;
        const etc = joined
          ? { hostname: c.HostnamePath, hosts: joined.HostsPath, resolvConf: joined.ResolvConfPath }
          : await writeEtcFiles({
            dir: this.containerDir(id), hostname: c.Config.Hostname, domainname: c.Config.Domainname, hostNetwork: hostNet,
            extraHosts: c.HostConfig.ExtraHosts, dns: c.HostConfig.Dns, dnsSearch: c.HostConfig.DnsSearch,
            dnsOptions: c.HostConfig.DnsOptions, addresses: plan.addresses,
            ...(plan.nameserver ? { embeddedDns: plan.nameserver } : {}), ...(plan.hostGateway ? { hostGateway: plan.hostGateway } : {}),
          });
        if (joined) await writeFile(etc.hostname, c.Config.Hostname + '\n');
        else if (this.#o.idMapper) {
          // Root in a remapped container owns its /etc files, as with dockerd (it may rewrite /etc/hosts).
          const { rootUid, rootGid } = this.#o.idMapper;
          await Promise.all([etc.hostname, etc.hosts, etc.resolvConf].map((f) => chown(f, rootUid, rootGid)));
        }
        mark('etc');
        const vols = await this.#acquireVolumes(c, rootfs);
        const si = { ...(await this.specInput(c, image, etc)), volumes: vols };
        mark('input');
        const spec = buildSpec(si);
        mark('spec');
        await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
        mark('bundle');
      } catch (err) {
        bundleFailed(err);
        throw err;
      }
      bundleReady();
      const task = await creating;
      mark('created');
      if (plan && this.#o.networks) {
        const nm = c.HostConfig.NetworkMode;
        const ports = nm === 'host' || nm === 'none' || nm.startsWith('container:') ? [] : portRequests(c.HostConfig.PortBindings, c.Config.ExposedPorts, c.HostConfig.PublishAllPorts);
        await this.#o.networks.attach(id, task.pid, ports, { name: c.Name.slice(1) });
        mark('network');
      }
      // Attach whoever is waiting before the process runs, so no output is lost.
      await this.#connectPendingAttaches(c, early);
      mark('attached');
      await this.#runTask(c, rt, task, mark, marks);
    } catch (err) {
      await creating?.catch(() => undefined);
      if (plan) {
        // The task never ran: take it down before its endpoints (the veths go with its netns).
        await this.runtimeOf(c).kill(id, 9).catch(() => undefined);
        await this.runtimeOf(c).delete(id).catch(() => undefined);
        await this.#o.networks?.release(id);
      }
      this.#failPendingAttaches(id, err);
      if (mounted) await unmount(rootfs).catch(() => undefined);
      removeCgroup(this.#o.cgroups, this.cgroupsPath(id));
      const msg = messageOf(err);
      const fresh = this.tryGet(id);
      if (fresh) {
        fresh.State = { ...fresh.State, Status: fresh.pier.hasBeenStarted ? 'exited' : 'created', Running: false, Pid: 0, Error: msg,
          ExitCode: /executable file not found|no such file or directory/.test(msg) ? 127 : /permission denied|is a directory/.test(msg) ? 126 : 128 };
        this.#save(fresh);
        if (fresh.HostConfig.AutoRemove) await this.#removeNow(fresh).catch(() => undefined);
      }
      throw err;
    } finally {
      // Early helpers nobody took (create failed, or the client left meanwhile) go away.
      for (const h of early?.values() ?? []) void h.then((x) => x.kill('SIGTERM'), () => undefined);
    }
  }

  /** Starts a created task and records the container running. */
  async #runTask(c: ContainerRecord, rt: ConmonRuntime, task: TaskInfo, mark: (k: string) => void, marks: Record<string, number>): Promise<void> {
    const id = c.Id;
    {
      const unwatch = rt.exits.onExit(id, (code) => { void this.#onExit(id, code); });
      this.#unwatch.set(id, unwatch);
      try {
        await rt.start(id);
      } catch (err) {
        unwatch();
        this.#unwatch.delete(id);
        await rt.kill(id, 9).catch(() => undefined);
        await rt.delete(id).catch(() => undefined);
        throw err;
      }
      c.State = {
        ...c.State, Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
        Pid: task.pid, ExitCode: 0, Error: '', StartedAt: new Date().toISOString(),
        FinishedAt: c.pier.hasBeenStarted ? c.State.FinishedAt : ZERO_TIME,
      };
      c.pier.task = task;
      c.pier.hasBeenStarted = true;
      this.#save(c);
      this.#watchLogSize(c);
      mark('started');
      if (this.log.enabled('debug')) this.log.debug('task started', { container: id, ms: marks });
      this.#event(c, 'start');
      this.#health?.watch(c, { fresh: true });
    }
  }

  #watchLogSize(c: ContainerRecord): void {
    try {
      const policy = parseLogOpts(c.HostConfig.LogConfig.Config);
      if (policy.maxSize > 0) this.#rotating.set(c.Id, policy);
    } catch { /* validated at create */ }
  }


  /** The spec input a container runs with (exec builds on the same). */
  async specInput(c: ContainerRecord, image: ImageRecord | undefined, etc?: { hostname: string; hosts: string; resolvConf: string }): Promise<SpecInput> {
    const imgCfg: ImageRuntimeConfig = image ? ((await this.#o.images.config(image.id)).config ?? {}) : {};
    const nm = c.HostConfig.NetworkMode;
    let network: SpecInput['network'] = { mode: 'none' };
    if (nm === 'host') network = { mode: 'host' };
    else if (nm.startsWith('container:')) {
      const other = this.get(nm.slice('container:'.length));
      if (!other.State.Running) throw new ConflictError(`cannot join network of a non running container: ${other.Id}`);
      network = { mode: 'netns', path: `/proc/${other.State.Pid}/ns/net` };
    }
    const input: SpecInput = {
      id: c.Id, config: c.Config, image: imgCfg, rootfs: this.rootfsDir(c.Id),
      hostConfig: c.pier.extraBinds?.length ? { ...c.HostConfig, Binds: [...(c.HostConfig.Binds ?? []), ...c.pier.extraBinds] } : c.HostConfig,
      hostname: c.Config.Hostname,
      etc: etc ?? { hostname: c.HostnamePath, hosts: c.HostsPath, resolvConf: c.ResolvConfPath },
      network, cgroupsPath: this.cgroupsPath(c.Id), cgroupVersion: this.#o.cgroups.version, daemonCaps: this.#o.daemonCaps,
    };
    if (this.#o.initPath) input.initPath = this.#o.initPath;
    if (this.#o.seccompProfile !== undefined) input.seccompProfile = this.#o.seccompProfile;
    if (this.#o.idMapper) input.userns = this.#o.idMapper.ociMappings();
    if (this.#o.noNewPrivileges) input.noNewPrivileges = true;
    return input;
  }

  // ---- attach -------------------------------------------------------------------

  /**
   * Attaches to a container's stdio. For a container that is not running yet,
   * the attach is held until `start` connects it (before the process runs).
   */
  attach(ref: string, req: AttachRequest): { cancel: () => void } {
    const c = this.get(ref);
    if (c.State.Running && !c.State.Restarting) {
      void this.runtimeOf(c).attach(this.bundleDir(c.Id), { terminal: c.Config.Tty, stdout: req.stdout, stderr: req.stderr, stdin: req.stdin && c.Config.OpenStdin })
        .then(req.onReady, req.onError);
      this.#event(c, 'attach');
      return { cancel: () => {} };
    }
    const list = this.#pendingAttach.get(c.Id) ?? [];
    list.push(req);
    this.#pendingAttach.set(c.Id, list);
    this.#event(c, 'attach');
    return {
      cancel: () => {
        const l = this.#pendingAttach.get(c.Id);
        if (!l) return;
        const i = l.indexOf(req);
        if (i >= 0) l.splice(i, 1);
        if (l.length === 0) this.#pendingAttach.delete(c.Id);
      },
    };
  }

  /** Starts connecting the pending attaches while conmon's socket is still being made. */
  #connectEarly(c: ContainerRecord): Map<AttachRequest, Promise<AttachHandle>> {
    const out = new Map<AttachRequest, Promise<AttachHandle>>();
    for (const req of this.#pendingAttach.get(c.Id) ?? []) {
      const p = this.runtimeOf(c).attach(this.bundleDir(c.Id), { terminal: c.Config.Tty, stdout: req.stdout, stderr: req.stderr, stdin: req.stdin && c.Config.OpenStdin, waitMs: 10_000 });
      p.catch(() => undefined);
      out.set(req, p);
    }
    return out;
  }

  async #connectPendingAttaches(c: ContainerRecord, early?: Map<AttachRequest, Promise<AttachHandle>>): Promise<void> {
    const list = this.#pendingAttach.get(c.Id);
    if (!list) return;
    this.#pendingAttach.delete(c.Id);
    await Promise.all(list.map(async (req) => {
      try {
        const pending = early?.get(req);
        early?.delete(req);
        const helper = await (pending ?? this.runtimeOf(c).attach(this.bundleDir(c.Id), { terminal: c.Config.Tty, stdout: req.stdout, stderr: req.stderr, stdin: req.stdin && c.Config.OpenStdin }));
        req.onReady(helper);
      } catch (err) {
        req.onError(err);
      }
    }));
  }

  #failPendingAttaches(id: string, err: unknown): void {
    const list = this.#pendingAttach.get(id);
    this.#pendingAttach.delete(id);
    for (const r of list ?? []) r.onError(err);
  }

  // ---- exit ----------------------------------------------------------------------

  async #onExit(id: string, code: number): Promise<void> {
    this.#health?.unwatch(id);
    this.#unwatch.get(id)?.();
    this.#unwatch.delete(id);
    await this.exclusive(id, async () => {
      const c = this.tryGet(id);
      if (!c) return;
      const oom = existsSync(join(this.bundleDir(id), 'persist', 'oom'));
      const started = Date.parse(c.State.StartedAt);
      const withTask = { ...c, pier: { ...c.pier } };
      c.State = { ...c.State, Status: 'exited', Running: false, Paused: false, Restarting: false, Pid: 0, ExitCode: code, OOMKilled: oom, FinishedAt: new Date().toISOString() };
      delete c.pier.task;
      c.pier.runtime = String((Date.now() - started) / 1000);
      // Record and answer first, clean the host after: the rest of this section still runs
      // before any other operation on the container, and a crash in between leaves only
      // host objects that reconcile() collects.
      if (oom) this.#event(c, 'oom');
      this.#o.networks?.forget(id);
      if (c.HostConfig.AutoRemove) {
        this.#t.delete(id);
        // docker removes the anonymous volumes before `run --rm` hears the container is gone.
        await this.#removeAnonymousVolumes(c);
        this.#event(c, 'die', { exitCode: String(code) });
        this.#event(c, 'destroy');
        this.#resolveWaiters(id, ['next-exit', 'not-running', 'removed'], { StatusCode: code, Error: null });
        await this.#cleanupTask(withTask);
        await this.#removeHostObjects(c);
        return;
      }
      this.#save(c);
      this.#event(c, 'die', { exitCode: String(code) });
      this.#resolveWaiters(id, ['next-exit', 'not-running'], { StatusCode: code, Error: null });
      await this.#cleanupTask(withTask);
      const delay = this.restarts.shouldRestart(c, code);
      if (delay !== undefined) {
        c.State = { ...c.State, Status: 'restarting', Restarting: true };
        this.#save(c);
        this.restarts.schedule(id, delay);
      }
    });
  }

  async #restartFromPolicy(id: string): Promise<void> {
    await this.exclusive(id, async () => {
      const c = this.tryGet(id);
      if (!c || c.State.Status !== 'restarting' || c.pier.manuallyStopped) return;
      c.RestartCount++;
      this.#save(c);
      try {
        await this.#startTask(c);
      } catch (err) {
        this.log.warn('restart failed', { container: id, err: messageOf(err) });
        const fresh = this.tryGet(id);
        if (fresh) {
          const delay = this.restarts.shouldRestart(fresh, fresh.State.ExitCode);
          if (delay !== undefined) {
            fresh.State = { ...fresh.State, Status: 'restarting', Restarting: true };
            this.#save(fresh);
            this.restarts.schedule(id, delay);
          } else {
            fresh.State = { ...fresh.State, Status: 'exited', Restarting: false };
            this.#save(fresh);
          }
        }
      }
    });
  }

  async #cleanupTask(c: ContainerRecord): Promise<void> {
    // Only a container with a recorded task has runtime state to delete.
    if (c.pier.task) await this.runtimeOf(c).delete(c.Id).catch((err: unknown) => this.log.warn('task delete failed', { container: c.Id, err: messageOf(err) }));
    await unmount(this.rootfsDir(c.Id)).catch((err: unknown) => this.log.warn('rootfs unmount failed', { container: c.Id, err: messageOf(err) }));
    removeCgroup(this.#o.cgroups, this.cgroupsPath(c.Id));
    await this.#o.networks?.release(c.Id);
    await this.#releaseVolumes(c.Id);
  }

  /** Host paths of a starting container's volumes; a new empty volume first gets the image's files. */
  async #acquireVolumes(c: ContainerRecord, rootfs: string): Promise<{ source: string; destination: string; readOnly: boolean }[]> {
    const vs = this.#o.volumes;
    const list = c.pier.volumes ?? [];
    if (!vs || list.length === 0) return [];
    const out: { source: string; destination: string; readOnly: boolean }[] = [];
    const taken: string[] = [];
    this.#acquired.set(c.Id, taken);
    for (const v of list) {
      const base = await vs.acquire(v.name, c.Id);
      taken.push(v.name);
      let source = base;
      if (v.subpath) {
        source = join(base, v.subpath);
        if (!existsSync(source)) throw new InvalidParameterError(`cannot access path ${source}: no such file or directory`);
      } else if (vs.get(v.name).Driver === 'local') {
        await copyUp(rootfs, v, base);
      }
      out.push({ source, destination: v.destination, readOnly: v.readOnly });
    }
    return out;
  }

  async #releaseVolumes(id: string): Promise<void> {
    const names = this.#acquired.get(id);
    this.#acquired.delete(id);
    for (const n of names ?? []) await this.#o.volumes?.releaseMount(n, id).catch(() => undefined);
  }

  /** Anonymous volumes go with their container on `rm -v` and `--rm` (docker's rule); named ones stay. */
  async #removeAnonymousVolumes(c: ContainerRecord): Promise<void> {
    for (const v of c.pier.volumes ?? []) {
      if (!v.anonymous) continue;
      await this.#o.volumes?.remove(v.name).catch((err: unknown) => this.log.debug('anonymous volume kept', { volume: v.name, err: messageOf(err) }));
    }
  }

  /** Containers (any state) that name a volume: such a volume is in use. */
  usingVolume(name: string): string[] {
    return this.#t.all().filter((c) => (c.pier.volumes ?? []).some((v) => v.name === name)).map((c) => c.Id);
  }

  /** The health monitor (made by the daemon: its probes are exec sessions). */
  useHealthMonitor(m: HealthMonitor): void { this.#health = m; }

  /** Keeps the default bridge while a caller runs many short containers (a build). */
  holdNetworking(): () => void {
    return this.#o.networks?.hold() ?? (() => undefined);
  }

  #attachSpec(c: ContainerRecord): AttachSpec {
    return {
      containerId: c.Id, name: c.Name.slice(1), hostname: c.Config.Hostname, networkMode: c.HostConfig.NetworkMode,
      endpoints: (c.NetworkingConfig.EndpointsConfig ?? {}) as Record<string, EndpointSettings>, ports: [],
      ...(c.HostConfig.Dns?.length ? { dns: c.HostConfig.Dns } : {}),
    };
  }

  // ---- network connect / disconnect ------------------------------------------------------

  /** docker network connect: recorded for a stopped container, plumbed at once into a running one. */
  async connectNetwork(ref: string, netRef: string, settings: EndpointSettings): Promise<void> {
    const nets = this.#o.networks;
    if (!nets) throw new ConflictError('networking is not available');
    const c0 = this.get(ref);
    await this.exclusive(c0.Id, async () => {
      const c = this.get(c0.Id);
      const n = nets.get(netRef);
      const nm = c.HostConfig.NetworkMode;
      if (nm === 'host' || n.Name === 'host') throw new ForbiddenError('container cannot be disconnected from host network or connected to host network');
      if (nm === 'none' || n.Name === 'none' || nm.startsWith('container:')) throw new ForbiddenError('container cannot be connected to multiple networks with one of the networks in private (none) mode');
      const eps = (c.NetworkingConfig.EndpointsConfig ?? {}) as Record<string, EndpointSettings>;
      if (Object.entries(eps).some(([k, s]) => k === n.Name || s.NetworkID === n.Id)) {
        throw new ForbiddenError(`endpoint with name ${c.Name.slice(1)} already exists in network ${n.Name}`);
      }
      const s = nets.checkSettings(n, settings);
      if (c.State.Running && c.State.Pid > 0) {
        const { dnsAdded } = await nets.connectRunning(this.#attachSpec(c), c.State.Pid, n, s);
        if (dnsAdded) {
          // Same inode (the file is bind-mounted into the container): rewrite, never replace.
          await writeFile(c.ResolvConfPath, containerResolvConf({ dns: c.HostConfig.Dns, dnsSearch: c.HostConfig.DnsSearch, dnsOptions: c.HostConfig.DnsOptions, hostNetwork: false, embeddedDns: '127.0.0.11' }));
        }
      }
      c.NetworkingConfig = { EndpointsConfig: { ...eps, [n.Name]: s } as typeof c.NetworkingConfig.EndpointsConfig };
      this.#save(c);
      nets.publishEvent(n, 'connect', c.Id);
    });
  }

  async disconnectNetwork(ref: string, netRef: string, force: boolean): Promise<void> {
    const nets = this.#o.networks;
    if (!nets) throw new ConflictError('networking is not available');
    const c0 = this.tryGet(ref);
    if (!c0) {
      if (force) return;
      throw new NotFoundError(`No such container: ${ref}`);
    }
    await this.exclusive(c0.Id, async () => {
      const c = this.get(c0.Id);
      const n = nets.get(netRef);
      if (c.HostConfig.NetworkMode === 'host' || n.Name === 'host') throw new ForbiddenError('container cannot be disconnected from host network or connected to host network');
      const eps = { ...((c.NetworkingConfig.EndpointsConfig ?? {}) as Record<string, EndpointSettings>) };
      const key = Object.keys(eps).find((k) => k === n.Name || eps[k]?.NetworkID === n.Id);
      if (key === undefined) throw new ForbiddenError(`container ${c.Id} is not connected to network ${n.Name}`);
      if (c.State.Running && c.State.Pid > 0) await nets.disconnectRunning(c.Id, c.State.Pid, n);
      delete eps[key];
      c.NetworkingConfig = { EndpointsConfig: eps as typeof c.NetworkingConfig.EndpointsConfig };
      this.#save(c);
      nets.publishEvent(n, 'disconnect', c.Id);
    });
  }

  #resolveWaiters(id: string, conds: WaitCondition[], r: WaitResult): void {
    const list = this.#waiters.get(id);
    if (!list) return;
    const keep = list.filter((w) => {
      if (conds.includes(w.cond)) { w.resolve(r); return false; }
      return true;
    });
    if (keep.length) this.#waiters.set(id, keep);
    else this.#waiters.delete(id);
  }

  /**
   * Waits for a condition: `not-running` (now, if not running), `next-exit`,
   * `removed`. The returned promise is registered synchronously, before any
   * following start, so a fast exit is never missed.
   */
  wait(ref: string, cond: WaitCondition, signal?: AbortSignal): Promise<WaitResult> {
    const c = this.get(ref);
    if (cond === 'not-running' && !c.State.Running && c.State.Status !== 'restarting') {
      return Promise.resolve({ StatusCode: c.State.ExitCode, Error: null });
    }
    return new Promise((resolve) => {
      const entry = { cond, resolve };
      const list = this.#waiters.get(c.Id) ?? [];
      list.push(entry);
      this.#waiters.set(c.Id, list);
      signal?.addEventListener('abort', () => {
        const l = this.#waiters.get(c.Id);
        if (l) {
          const i = l.indexOf(entry);
          if (i >= 0) l.splice(i, 1);
        }
        resolve({ StatusCode: -1, Error: { Message: 'context canceled' } });
      }, { once: true });
    });
  }

  // ---- stop / kill / restart -------------------------------------------------------

  async stop(ref: string, o: { timeout?: number; signal?: string } = {}): Promise<void> {
    const c0 = this.get(ref);
    this.restarts.cancel(c0.Id);
    if (c0.State.Status === 'restarting') {
      await this.exclusive(c0.Id, async () => {
        const c = this.get(c0.Id);
        c.pier.manuallyStopped = true;
        c.State = { ...c.State, Status: 'exited', Restarting: false };
        this.#save(c);
      });
      return;
    }
    if (!c0.State.Running) throw new NotModifiedError('container already stopped');
    c0.pier.manuallyStopped = true;
    this.#save(c0);
    const stopSignal = parseSignal(o.signal || c0.Config.StopSignal || 'SIGTERM');
    const timeout = o.timeout ?? c0.Config.StopTimeout ?? 10;
    const exited = this.wait(c0.Id, 'not-running');
    if (c0.State.Paused) await this.runtimeOf(c0).resume(c0.Id).catch(() => undefined);
    try {
      await this.runtimeOf(c0).kill(c0.Id, stopSignal);
      this.#event(c0, 'kill', { signal: String(stopSignal) });
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
    const timedOut = timeout < 0 ? false : await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(true), timeout * 1000).unref()),
    ]);
    if (timedOut) {
      await this.runtimeOf(c0).kill(c0.Id, 9, { all: true }).catch(() => undefined);
      this.#event(c0, 'kill', { signal: '9' });
      await exited;
    }
    const c = this.tryGet(c0.Id);
    if (c) this.#event(c, 'stop');
  }

  async kill(ref: string, signal = 'KILL'): Promise<void> {
    const c = this.get(ref);
    const sig = parseSignal(signal);
    if (!c.State.Running || c.State.Restarting) {
      throw new ConflictError(`Cannot kill container: ${ref}: Container ${c.Id} is not running`);
    }
    // A fatal signal disables the restart policy until the next start (docker kill's contract);
    // a non-fatal one such as SIGUSR1 leaves it in place.
    const stopSig = parseSignal(c.Config.StopSignal || 'SIGTERM');
    if (sig === 9 || sig === stopSig || sig === 15 || sig === 2 || sig === 3) {
      c.pier.manuallyStopped = true;
      this.restarts.cancel(c.Id);
      this.#save(c);
    }
    const exited = sig === 9 ? this.wait(c.Id, 'not-running') : undefined;
    await this.runtimeOf(c).kill(c.Id, sig).catch((err: unknown) => {
      // It exited before pierd heard of it: docker's words for a container that is not running.
      throw err instanceof ConflictError ? new ConflictError(`Cannot kill container: ${ref}: Container ${c.Id} is not running`, { cause: err }) : err;
    });
    this.#event(c, 'kill', { signal: String(sig) });
    // As dockerd: SIGKILL answers once the container is no longer running.
    if (exited) await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
  }

  async restart(ref: string, o: { timeout?: number; signal?: string } = {}): Promise<void> {
    const c = this.get(ref);
    if (c.State.Running || c.State.Status === 'restarting') {
      try { await this.stop(c.Id, o); } catch (err) { if (!(err instanceof NotModifiedError)) throw err; }
    }
    await this.start(c.Id);
    const fresh = this.tryGet(c.Id);
    if (fresh) this.#event(fresh, 'restart');
  }

  async pause(ref: string): Promise<void> {
    const c = this.get(ref);
    await this.exclusive(c.Id, async () => {
      const cur = this.get(c.Id);
      if (!cur.State.Running) throw new ConflictError(`Container ${cur.Id} is not running`);
      if (cur.State.Paused) throw new ConflictError(`Container ${cur.Id} is already paused`);
      // The process may have exited before pierd heard of it; the runtime then says so.
      await this.runtimeOf(cur).pause(cur.Id).catch((err: unknown) => {
        throw goneProcess(err) ? new ConflictError(`Container ${cur.Id} is not running`, { cause: err }) : err;
      });
      cur.State = { ...cur.State, Status: 'paused', Paused: true };
      this.#save(cur);
      this.#event(cur, 'pause');
    });
  }

  async unpause(ref: string): Promise<void> {
    const c = this.get(ref);
    await this.exclusive(c.Id, async () => {
      const cur = this.get(c.Id);
      if (!cur.State.Paused) throw new ConflictError(`Container ${cur.Id} is not paused`);
      await this.runtimeOf(cur).resume(cur.Id).catch((err: unknown) => {
        throw goneProcess(err) ? new ConflictError(`Container ${cur.Id} is not paused`, { cause: err }) : err;
      });
      cur.State = { ...cur.State, Status: 'running', Paused: false };
      this.#save(cur);
      this.#event(cur, 'unpause');
    });
  }

  // ---- remove ------------------------------------------------------------------------

  async remove(ref: string, o: { force: boolean; volumes: boolean }): Promise<void> {
    const c = this.get(ref);
    if (c.State.Running || c.State.Status === 'restarting') {
      if (!o.force) {
        const what = c.State.Paused ? 'paused' : c.State.Restarting ? 'restarting' : 'running';
        throw new ConflictError(`cannot remove container "${c.Name}": container is ${what}: stop the container before removing or force remove`);
      }
      this.restarts.cancel(c.Id);
      c.pier.manuallyStopped = true;
      this.#save(c);
      if (c.State.Status === 'restarting') {
        await this.exclusive(c.Id, async () => { await this.#removeNow(this.get(c.Id), o.volumes); });
        return;
      }
      const exited = this.wait(c.Id, 'not-running');
      if (c.State.Paused) await this.runtimeOf(c).resume(c.Id).catch(() => undefined);
      await this.runtimeOf(c).kill(c.Id, 9, { all: true }).catch(() => undefined);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    }
    await this.exclusive(c.Id, async () => {
      const cur = this.tryGet(c.Id);
      if (!cur) return; // AutoRemove got there first
      if (cur.State.Running) throw new ConflictError(`cannot remove container "${cur.Name}": could not kill: container did not stop`);
      await this.#removeNow(cur, o.volumes);
    });
  }

  /** Deletes everything a container owns; record last-but-one, event last. */
  async #removeNow(c: ContainerRecord, volumes = c.HostConfig.AutoRemove): Promise<void> {
    this.restarts.cancel(c.Id);
    await this.#cleanupTask(c);
    this.#t.delete(c.Id);
    await this.#removeHostObjects(c);
    if (volumes) await this.#removeAnonymousVolumes(c);
    this.#event(c, 'destroy');
    this.#resolveWaiters(c.Id, ['removed', 'next-exit', 'not-running'], { StatusCode: c.State.ExitCode, Error: null });
  }

  /** The container's writable layer and directories (after its record is gone or going). */
  async #removeHostObjects(c: ContainerRecord): Promise<void> {
    await this.#o.snapshots.remove(c.pier.snapshotKey).catch((err: unknown) => this.log.warn('snapshot remove failed', { container: c.Id, err: messageOf(err) }));
    await rm(this.containerDir(c.Id), { recursive: true, force: true });
    await rm(this.bundleDir(c.Id), { recursive: true, force: true });
  }

  /**
   * Host objects no record explains — what a crash between "record" and "clean
   * the host" leaves: mounted rootfs of stopped containers, runtime state,
   * bundle and container dirs and writable layers of removed containers.
   */
  async #collectGarbage(live: ReadonlyMap<string, ContainerRecord>): Promise<void> {
    const bundles = join(this.#o.execRoot, 'containers');
    const mounted = await mountedUnder(bundles);
    for (const dir of mounted) {
      const id = dir.slice(bundles.length + 1).split('/')[0] ?? '';
      const c = live.get(id);
      if (c && RUNNING_STATES.has(c.State.Status)) continue;
      await unmount(dir).catch((err: unknown) => this.log.warn('orphan unmount failed', { dir, err: messageOf(err) }));
      for (const rt of this.#o.runtimes.values()) await rt.delete(id).catch(() => undefined);
    }
    for (const root of [bundles, join(this.#o.dataRoot, 'containers')]) {
      for (const id of await readdir(root).catch(() => [] as string[])) {
        if (!live.has(id)) await rm(join(root, id), { recursive: true, force: true }).catch(() => undefined);
      }
    }
    for await (const snap of this.#o.snapshots.list()) {
      const m = /^container-([a-f0-9]{64})$/.exec(snap.key);
      if (m?.[1] && !live.has(m[1])) await this.#o.snapshots.remove(snap.key).catch(() => undefined);
    }
  }

  // ---- rename / update ------------------------------------------------------------

  rename(ref: string, newName: string): void {
    const c = this.get(ref);
    if (!newName) throw new InvalidParameterError('Neither old nor new names may be empty');
    const name = `/${validateContainerName(newName)}`;
    if (name === c.Name) throw new InvalidParameterError(`Renaming a container with the same name as its current name`);
    const other = this.#t.getBy('name', name);
    if (other) throw this.#nameConflict(name, other.Id);
    const old = c.Name;
    c.Name = name;
    this.#save(c);
    this.#event(c, 'rename', { oldName: old });
  }

  /** `docker update`: new limits recorded and applied to a running task. */
  async update(ref: string, patch: Partial<HostConfig>): Promise<string[]> {
    const c = this.get(ref);
    const next: HostConfig = { ...c.HostConfig };
    const keys = ['Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'PidsLimit', 'BlkioWeight'] as const;
    for (const k of keys) {
      const v = patch[k];
      if (v !== undefined && v !== null && v !== 0 && v !== '') (next as unknown as Record<string, unknown>)[k] = v;
    }
    if (patch.RestartPolicy && patch.RestartPolicy.Name) next.RestartPolicy = patch.RestartPolicy;
    if (next.AutoRemove && next.RestartPolicy.Name && next.RestartPolicy.Name !== 'no') {
      throw new InvalidParameterError('Cannot update restart policy for a container with AutoRemove enabled');
    }
    validateHostConfig(next);
    if (c.State.Running && next.Memory > 0 && patch.Memory && !patch.MemorySwap && c.HostConfig.MemorySwap > 0 && next.Memory > c.HostConfig.MemorySwap) {
      throw new InvalidParameterError('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    if (c.State.Running) {
      const spec = buildSpec(await this.specInput({ ...c, HostConfig: next }, this.#o.images.get(c.Image)));
      await this.runtimeOf(c).update(c.Id, spec.linux?.resources ?? {});
    }
    c.HostConfig = next;
    this.#save(c);
    this.#event(c, 'update');
    return [];
  }

  /** Records a health or other partial state change made by another component. */
  saveRecord(c: ContainerRecord): void { this.#save(c); }
  publish(c: ContainerRecord, action: string, extra: Record<string, string> = {}): void { this.#event(c, action, extra); }

  // ---- daemon start-up reconcile --------------------------------------------------------

  /**
   * Compares the recorded containers with the host: tasks that kept running are
   * watched again, tasks that exited while the daemon was down get their exit
   * code from conmon's exit file, lost ones are marked exited. Policies
   * restart what docker restarts at daemon start.
   */
  async reconcile(): Promise<void> {
    // One read of every record (a daemon with thousands recorded starts in one pass);
    // records changed by the first loop are read again in the second.
    const records = this.#t.all();
    await this.#collectGarbage(new Map(records.map((c) => [c.Id, c])));
    const changed = new Set<string>();
    for (const c of records) {
      if (c.State.Status === 'removing' || c.pier.buildStep) {
        // A build step's container outlives no build, and no build outlives the daemon
        // (docker's builder removes them too); a running one is killed by the task delete.
        if (c.pier.buildStep) this.log.info('removing the container of a build the daemon was killed during', { container: c.Id });
        changed.add(c.Id);
        await this.#removeNow(c).catch(() => undefined);
        continue;
      }
      if (!RUNNING_STATES.has(c.State.Status)) continue;
      changed.add(c.Id);
      const task = c.pier.task;
      const rt = this.runtimeOf(c);
      const code = rt.exits.read(c.Id);
      if (code !== undefined) {
        await this.#onExit(c.Id, code);
        continue;
      }
      if (task && rt.isAlive(task)) {
        const names = (c.pier.volumes ?? []).map((v) => v.name);
        for (const n of names) this.#o.volumes?.adopt(n);
        if (names.length) this.#acquired.set(c.Id, names);
        const unwatch = rt.exits.onExit(c.Id, (n) => { void this.#onExit(c.Id, n); });
        this.#unwatch.set(c.Id, unwatch);
        this.#watchLogSize(c);
        this.#health?.watch(c, { fresh: false });
        continue;
      }
      if (c.State.Status === 'restarting') {
        this.restarts.schedule(c.Id, 0);
        continue;
      }
      // Neither running nor recorded as exited: conmon died with it.
      this.log.warn('container lost while the daemon was down', { container: c.Id });
      await this.#cleanupTask(c);
      c.State = { ...c.State, Status: 'exited', Running: false, Paused: false, Pid: 0, ExitCode: 255, Error: 'container lost while the daemon was down', FinishedAt: new Date().toISOString() };
      delete c.pier.task;
      this.#save(c);
      this.#event(c, 'die', { exitCode: '255' });
    }
    for (const c0 of records) {
      const c = changed.has(c0.Id) ? this.#t.get(c0.Id) : c0;
      if (!c) continue;
      const p = c.HostConfig.RestartPolicy.Name;
      if (c.State.Running || c.State.Status === 'restarting') continue;
      if (c.HostConfig.AutoRemove && c.State.Status === 'exited') {
        await this.#removeNow(c).catch(() => undefined);
        continue;
      }
      if ((p === 'always' || (p === 'unless-stopped' && !c.pier.manuallyStopped)) && c.pier.hasBeenStarted) {
        this.start(c.Id).catch((err: unknown) => this.log.warn('restart at daemon start failed', { container: c.Id, err: messageOf(err) }));
      }
    }
  }

  /** Waits (bounded) for in-flight state changes, e.g. the host cleanup that follows a --rm exit. */
  async drain(timeoutMs = 5000): Promise<void> {
    const pending = [...this.#busy.values()];
    if (pending.length === 0) return;
    await Promise.race([Promise.allSettled(pending), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  /** On shutdown: stop watching; containers keep running under conmon. */
  close(): void {
    for (const u of this.#unwatch.values()) u();
    this.#unwatch.clear();
    this.restarts.close();
    this.#health?.close();
    clearInterval(this.#rotationTimer);
  }

  /** Used by images: which containers use an image. */
  usingImage(imageId: string): { id: string; running: boolean }[] {
    return this.#t.all().filter((c) => c.Image === imageId).map((c) => ({ id: c.Id, running: c.State.Running }));
  }

  /** The task info of a running container (for exec, top, stats). */
  runningTask(ref: string): { c: ContainerRecord; task: TaskInfo } {
    const c = this.get(ref);
    if (!c.State.Running || !c.pier.task) throw new ConflictError(`Container ${c.Id} is not running`);
    return { c, task: c.pier.task };
  }

}


/** The runtime's answer when the container's process is already gone (crun: "is not running", ESRCH). */
function goneProcess(err: unknown): boolean {
  return processGone(messageOf(err));
}
