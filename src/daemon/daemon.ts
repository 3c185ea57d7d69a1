import { mkdirSync, readFileSync, writeFileSync, rmSync, chmodSync, chownSync, existsSync, statSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { connect } from 'node:net';
import type { Server } from 'node:http';
import type { Server as TlsServer } from 'node:tls';
import { tlsListener } from './tls-listener.js';
import { hostname, totalmem, cpus, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger } from '../pkg/log/index.js';
import { monotonicMs } from '../pkg/clock/index.js';
import { InvalidParameterError, SystemError, messageOf } from '../errdefs/index.js';
import { openStore, type Store } from '../store/index.js';
import { EventBus } from '../events/index.js';
import { LocalContentStore } from '../content/index.js';
import { OverlaySnapshotter } from '../snapshots/index.js';
import { ImageService } from '../images/index.js';
import { ConmonRuntime } from '../runtime/index.js';
import { ContainerService, ExecService, HealthMonitor, collect } from '../containers/index.js';
import { NetworkService, lazyEmbeddedDns, hostResolvers, type Cluster } from '../networks/index.js';
import { VolumeService } from '../volumes/index.js';
import { prepareCgroups, daemonCapabilities, isProcessAlive, removeCgroup, ForkServer, useForkServer, type CgroupSetup } from '../kernel/index.js';
import { loadDefaultSeccompProfile, narrowToDockerDefaults, parseProfileText, type SeccompProfile } from '../pkg/seccomp/index.js';
import { Authorizer, createApiServer, buildRouter, decodeContainerCreate, type ApiServer, type Backend } from '../api/index.js';
import type { BuildService } from '../build/index.js';
import { API_VERSION, MIN_API_VERSION } from '../pkg/engine/index.js';
import type { DaemonConfig } from './config.js';
import { IdMapper, resolveRemap } from '../pkg/idtools/index.js';
import { LayerUnpacker } from '../pkg/archive/index.js';
import { loadMallocControl } from '../pkg/malloc/index.js';

export const PIER_VERSION = '0.1.0';

/** The free memory glibc may keep at the top of a heap while pierd works (see #gcWhenIdle). */
const BUSY_TRIM_THRESHOLD = 16 << 20;
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function readHostFile(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}

function which(name: string): string | undefined {
  for (const d of (process.env['PATH'] ?? '').split(':').concat(['/usr/bin', '/usr/sbin', '/usr/local/bin'])) {
    const p = join(d, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** At start-up: build scratch dirs and kept contexts a previous daemon left behind (a crash mid-build). */
async function collectBuildGarbage(tmpRoot: string, contextRoot: string): Promise<void> {
  await rm(contextRoot, { recursive: true, force: true }).catch(() => undefined);
  let names: string[] = [];
  try { names = await readdir(tmpRoot); } catch { return; }
  for (const n of names) if (/^build-/.test(n)) await rm(join(tmpRoot, n), { recursive: true, force: true }).catch(() => undefined);
}

/** The composition root: builds every service from the config, in dependency order. */
export class Daemon {
  readonly #cfg: DaemonConfig;
  readonly log: Logger;
  #store: Store | undefined;
  #servers: ApiServer[] = [];
  #tlsServers: TlsServer[] = [];
  #containers: ContainerService | undefined;
  #networks: NetworkService | undefined;
  #cluster: Cluster | undefined;
  #builds: BuildService | undefined;
  /** Big pulled layers unpack on a worker thread (started on demand, ended when idle). */
  /** glibc's heap controls (native/pier-malloc.node), when built. */
  readonly #malloc = loadMallocControl(join(repoRoot, 'native', 'build', 'pier-malloc.node'));
  readonly #unpacker = new LayerUnpacker({ onEnd: () => this.#releaseMemory() });
  #runtimes = new Map<string, ConmonRuntime>();
  #sockets: string[] = [];
  #cgroups: CgroupSetup | undefined;
  #forkServer: ForkServer | undefined;
  #authz: Authorizer | undefined;
  readonly #started = new Date();
  /** `--userns-remap`: the ids containers run as, and the data root's `<uid>.<gid>` subdirectory. */
  #idMapper: IdMapper | undefined;
  #dataRoot = '';

  /** docker's legacy plugin places; a daemon with private roots also looks under its exec root. */
  get pluginDirs(): { socketDirs: string[]; specDirs: string[] } {
    return { socketDirs: [join(this.#cfg.execRoot, 'plugins'), '/run/docker/plugins'], specDirs: ['/etc/docker/plugins', '/usr/lib/docker/plugins'] };
  }

  constructor(cfg: DaemonConfig) {
    this.#cfg = cfg;
    this.log = createLogger({ level: cfg.logLevel });
  }

  async start(): Promise<void> {
    const cfg = this.#cfg;
    const t0 = monotonicMs();
    // As dockerd: a remapped daemon keeps its images, containers and volumes in `<data-root>/<uid>.<gid>`,
    // its layers unpacked with the remapped ids; the un-remapped store beside it stays as it was.
    const idMapper = cfg.usernsRemap ? new IdMapper(resolveRemap(cfg.usernsRemap)) : undefined;
    this.#idMapper = idMapper;
    const dataRoot = idMapper ? join(cfg.dataRoot, idMapper.dirName) : cfg.dataRoot;
    this.#dataRoot = dataRoot;
    mkdirSync(dataRoot, { recursive: true, mode: 0o711 });
    // The remapped root must traverse to its rootfs and /etc files; nothing under these lists for it.
    mkdirSync(cfg.execRoot, { recursive: true, mode: idMapper ? 0o711 : 0o700 });
    if (idMapper) {
      chmodSync(cfg.dataRoot, 0o711); chmodSync(dataRoot, 0o711); chmodSync(cfg.execRoot, 0o711);
      for (const r of [cfg.dataRoot, cfg.execRoot]) remappedRootCanReach(r, idMapper);
    }
    this.#writePidfile();
    // Helpers (mount, crun, conmon …) are forked by native/pier-spawn, not by this process.
    const spawnHelper = join(repoRoot, 'native', 'build', 'pier-spawn');
    if (!existsSync(spawnHelper)) throw new SystemError(`${spawnHelper} is missing: run npm run build`);
    let forkServer: ForkServer | undefined = new ForkServer({ binary: spawnHelper, socketPath: join(cfg.execRoot, `pier-spawn-${process.pid}.sock`) });
    try {
      await forkServer.start();
      this.#forkServer = forkServer;
      useForkServer(forkServer);
    } catch (err) {
      this.log.warn('fork server unavailable: helpers are spawned by pierd itself', { err: messageOf(err) });
      forkServer = undefined;
    }
    const cgroups = await prepareCgroups();
    this.#cgroups = cgroups;
    for (const n of cgroups.notes) this.log.info(n);
    const store = openStore(join(dataRoot, 'pier.db'));
    this.#store = store;
    const events = new EventBus();
    const content = new LocalContentStore(join(dataRoot, 'content'));
    await content.cleanup();
    const rootOwner = idMapper ? { uid: idMapper.rootUid, gid: idMapper.rootGid } : undefined;
    const snapshots = new OverlaySnapshotter(join(dataRoot, 'snapshots'), store, rootOwner ? { rootOwner } : {});
    await snapshots.gc();
    const conmon = which('conmon');
    if (!conmon) throw new SystemError('conmon is required: apt-get install conmon');
    if (!cfg.runtimes[cfg.defaultRuntime]) throw new SystemError(`runtime ${cfg.defaultRuntime} not found`);
    const attachHelper = join(repoRoot, 'native', 'build', 'pier-attach');
    if (!existsSync(attachHelper)) throw new SystemError(`${attachHelper} is missing: run npm run build`);
    const runtimes = new Map<string, ConmonRuntime>();
    for (const [name, r] of Object.entries(cfg.runtimes)) {
      runtimes.set(name, new ConmonRuntime({
        name, path: r.path, stateRoot: join(cfg.execRoot, 'runtime', name), conmonPath: conmon,
        exitDir: join(cfg.execRoot, 'exits'), attachHelper, ...(forkServer ? { forkServer } : {}), log: this.log.child({ component: 'runtime', runtime: name }),
      }));
    }
    this.#runtimes = runtimes;
    await Promise.all([...runtimes.values()].map((r) => r.useSealedCopy()));
    let containers: ContainerService | undefined;
    const images = new ImageService({
      store, content, snapshots, events, log: this.log.child({ component: 'images' }), insecureRegistries: cfg.insecureRegistries, registryMirrors: cfg.registryMirrors, tmpRoot: join(dataRoot, 'tmp'),
      containersUsing: (id) => containers?.usingImage(id) ?? [],
      ...(idMapper ? { idMap: idMapper } : {}),
      unpacker: this.#unpacker,
    });
    let seccompProfile: unknown;
    if (cfg.seccompProfile === 'unconfined') seccompProfile = 'unconfined';
    else if (cfg.seccompProfile !== 'builtin' && cfg.seccompProfile !== '') {
      // A profile file of the operator's: it must parse now, not at each container start.
      let text: string;
      try { text = readFileSync(cfg.seccompProfile, 'utf8'); } catch (err) {
        throw new InvalidParameterError(`--seccomp-profile: cannot read ${cfg.seccompProfile}: ${messageOf(err)}`);
      }
      try { seccompProfile = parseProfileText(text); } catch (err) {
        throw new InvalidParameterError(`--seccomp-profile: ${cfg.seccompProfile}: ${messageOf(err)}: fix the file or use --seccomp-profile=builtin`);
      }
    } else {
      try {
        seccompProfile = narrowToDockerDefaults(loadDefaultSeccompProfile() as SeccompProfile);
      } catch (err) {
        this.log.warn('no default seccomp profile: containers run without one', { err: messageOf(err) });
      }
    }
    let networks: NetworkService | undefined;
    const dns = lazyEmbeddedDns({
      records: {
        // A single-label name that is no container's is no one's: NXDOMAIN, not a query to the outside.
        lookup: (key, name, client) => (name.includes('.') ? networks?.lookup(key, name, client) : networks?.lookup(key, name, client) ?? null),
        reverse: (key, ip) => networks?.reverse(key, ip),
        upstreamsFor: (key, client) => networks?.upstreamsFor(key, client),
      },
      upstreams: () => hostResolvers(readHostFile('/etc/resolv.conf')),
      log: this.log.child({ component: 'dns' }),
    });
    let cluster: Cluster | undefined;
    if (cfg.clusterAdvertise) {
      const { Cluster } = await import('../networks/overlay/cluster.js');
      cluster = new Cluster({
        advertise: cfg.clusterAdvertise, peers: cfg.clusterPeers, port: cfg.clusterPort, log: this.log.child({ component: 'cluster' }),
        local: () => networks?.overlayEndpoints() ?? new Map(),
      });
      await cluster.start();
      this.#cluster = cluster;
    }
    networks = new NetworkService({
      store, events, log: this.log.child({ component: 'networks' }), hostTag: NetworkService.hostTagFor(cfg.execRoot), dns, pluginDirs: this.pluginDirs,
      ...(cluster ? { cluster } : {}),
    });
    this.#networks = networks;
    await networks.start();
    const volumes = new VolumeService({
      store, events, log: this.log.child({ component: 'volumes' }), root: join(dataRoot, 'volumes'),
      usedBy: (name) => containers?.usingVolume(name) ?? [],
      pluginDirs: this.pluginDirs,
      ...(rootOwner ? { rootOwner } : {}),
    });
    await volumes.start();
    if (cfg.authorizationPlugins.length) {
      // The plugin client loads with the first request (node:http's client costs idle RSS otherwise).
      const names = cfg.authorizationPlugins;
      this.#authz = new Authorizer(async () => {
        const { pluginFor } = await import('../pkg/plugins/index.js');
        return names.map((n) => pluginFor('authorization', n, this.pluginDirs));
      });
    }
    containers = new ContainerService({
      store, images, snapshots, runtimes, defaultRuntime: cfg.defaultRuntime, events, log: this.log.child({ component: 'containers' }),
      dataRoot, execRoot: cfg.execRoot, cgroups, daemonCaps: daemonCapabilities(), networks, volumes,
      ...(cfg.initPath ? { initPath: cfg.initPath } : {}),
      ...(seccompProfile !== undefined ? { seccompProfile } : {}),
      ...(idMapper ? { idMapper } : {}), noNewPrivileges: cfg.noNewPrivileges,
    });
    this.#containers = containers;
    const execs = new ExecService(containers);
    const cs = containers;
    containers.useHealthMonitor(new HealthMonitor({
      tryGet: (id) => cs.tryGet(id),
      saveRecord: (c) => cs.saveRecord(c),
      publish: (c, action, extra) => cs.publish(c, action, extra),
      probe: async (id, cmd, timeoutMs) => {
        const execId = execs.create(id, { Cmd: cmd, Env: null, User: '', WorkingDir: '', Tty: false, AttachStdin: false, AttachStdout: true, AttachStderr: true, Privileged: false, DetachKeys: '', ConsoleSize: null });
        const s = await execs.start(execId, { detach: false });
        const output = Promise.all([collect(s.stdout), collect(s.stderr)]).then(([o, e]) => o + e);
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); timer.unref(); });
        const code = await Promise.race([s.exited.catch(() => -1), timedOut]);
        clearTimeout(timer);
        if (code === 'timeout') {
          execs.kill(execId);
          return { code: -1, output: `Health check exceeded timeout (${timeoutMs / 1000}s)` };
        }
        return { code, output: await output };
      },
      // An unhealthy process is likely stuck: it gets the stop signal and one second (or the
      // container's own --stop-timeout), not docker's default ten, before SIGKILL.
      act: async (id, action) => {
        const timeout = cs.tryGet(id)?.Config.StopTimeout ?? 1;
        if (action === 'restart') await cs.restart(id, { timeout });
        else if (action === 'stop') await cs.stop(id, { timeout });
        else await cs.kill(id, 'KILL');
      },
      warn: (msg, fields) => this.log.warn(msg, fields),
    }, { defaultAction: cfg.healthOnFailure }));
    await images.ensureBusybox();
    await containers.reconcile();
    // After containers: their layers (and the chains under them) are known by now.
    await images.collectGarbage();
    await networks.sweep((id) => containers?.tryGet(id)?.State.Running ?? false, {
      wants: (id, n) => Object.entries(containers?.tryGet(id)?.NetworkingConfig.EndpointsConfig ?? {}).some(([k, s]) => k === n.Name || (s as { NetworkID?: string } | null)?.NetworkID === n.Id),
      pidOf: (id) => containers?.tryGet(id)?.State.Pid ?? 0,
    });
    await networks.collectOrphanLinks();
    const c = containers;
    // The builder (dockerfile-ast and all) loads on the first build: most daemons never build.
    const buildOpts = {
      images, containers: c, store, log: this.log.child({ component: 'build' }), tmpRoot: join(dataRoot, 'tmp'),
      cacheMountRoot: join(dataRoot, 'build-cache'), contextRoot: join(dataRoot, 'build-contexts'),
      containerRequest: (body: Record<string, unknown>) => decodeContainerCreate(body),
    };
    await collectBuildGarbage(buildOpts.tmpRoot, buildOpts.contextRoot);
    let loading: Promise<BuildService> | undefined;
    const buildService = (): Promise<BuildService> => {
      loading ??= import('../build/index.js').then((m) => { const svc = new m.BuildService(buildOpts); this.#builds = svc; return svc; });
      return loading;
    };
    const builds: Backend['builds'] = {
      build: async (...a) => (await buildService()).build(...a),
      prune: async () => (await buildService()).prune(),
      hasContext: (key) => this.#builds?.hasContext(key) ?? false,
    };
    const backend: Backend = {
      containers: c, execs, images, builds, networks, volumes, events, log: this.log.child({ component: 'api' }),
      plugins: {
        discover: async () => {
          const { discoverPlugins, PluginClient } = await import('../pkg/plugins/index.js');
          return Promise.all(discoverPlugins(this.pluginDirs).map(async (p) => ({ name: p.name, where: p.where, implements: await new PluginClient(p.name, p.addr).probe(1000) })));
        },
      },
      system: {
        version: () => this.#version(),
        info: () => this.#info(c, images, cgroups.version),
      },
    };
    const router = buildRouter(backend);
    for (const h of cfg.hosts) await this.#listen(h, router);
    this.log.info('pierd started', { version: PIER_VERSION, hosts: cfg.hosts, dataRoot, ms: +(monotonicMs() - t0).toFixed(1) });
    this.#gcWhenIdle();
  }

  /**
   * Start-up, pulls and runs leave garbage (busybox's 2 MB layer buffer, stream buffers …)
   * that a small heap with nothing to do keeps for a long time. One full GC once serving,
   * and again when requests have stopped for 1-2 s after a busy spell, returns it: idle RSS
   * ~63 → ~59 MB, measured. A few ms of GC, never while requests arrive. `gc` exists when
   * bin/pierd passes --expose-gc.
   *
   * With the malloc addon the heap is also kept while pierd works and given back then: glibc's
   * 128 kB trim threshold handed the top of the heap back after nearly every burst of buffers
   * (a pull's chunks), to fault the same pages in again on the next; 16 MiB keeps them, and
   * malloc_trim returns it all once idle.
   */
  #gcWhenIdle(): void {
    if (!(globalThis as { gc?: () => void }).gc && !this.#malloc) return;
    this.#malloc?.setTrimThreshold(BUSY_TRIM_THRESHOLD);
    setTimeout(() => this.#releaseMemory(), 50).unref();
    let seen = 0;
    let collected = 0;
    for (const s of this.#servers) s.on('request', () => { seen++; });
    let last = seen;
    setInterval(() => {
      if (seen !== last) { last = seen; return; } // still busy
      if (seen !== collected) { collected = seen; this.#releaseMemory(); }
    }, 1000).unref();
  }

  /** A full GC, then every free page of the heap back to the kernel. */
  #releaseMemory(): void {
    (globalThis as { gc?: () => void }).gc?.();
    this.#malloc?.trim();
  }

  async #listen(host: string, router: ReturnType<typeof buildRouter>): Promise<void> {
    const server = createApiServer(router, this.log.child({ component: 'api' }), { limits: this.#cfg.apiLimits, ...(this.#authz ? { authz: this.#authz } : {}) });
    if (host.startsWith('unix://')) {
      const path = host.slice('unix://'.length);
      mkdirSync(dirname(path), { recursive: true });
      if (existsSync(path)) {
        const live = await new Promise<boolean>((resolve) => {
          const s = connect(path, () => { s.destroy(); resolve(true); });
          s.on('error', () => resolve(false));
        });
        if (live) throw new SystemError(`another daemon is listening on ${path}`);
        rmSync(path, { force: true });
      }
      const group = this.#cfg.group;
      const gid = /^\d+$/.test(group) ? Number(group) : groupId(group);
      // As dockerd: the default group may be missing (the socket stays root's); a named one may not.
      if (gid === undefined && group !== '' && group !== 'docker') throw new InvalidParameterError(`--group: group "${group}" not found in /etc/group: create it (groupadd ${group}) or give another group or gid`);
      await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(path, () => resolve()); });
      chmodSync(path, 0o660);
      if (gid !== undefined) chownSync(path, 0, gid);
      this.#sockets.push(path);
    } else if (host.startsWith('tcp://')) {
      const u = new URL(host.replace(/^tcp:/, 'http:'));
      const addr = u.hostname.replace(/^\[|\]$/g, '');
      const loopback = addr === 'localhost' || addr.startsWith('127.') || addr === '::1';
      const tls = this.#cfg.tls;
      if (tls.mode === 'off') {
        if (!loopback && !this.#cfg.insecureTcp) {
          throw new SystemError(`refusing to listen on ${host} without --tlsverify: anyone who can reach it could run anything on this host (give --tlsverify with certificates, or --insecure-tcp to accept that)`);
        }
        await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(Number(u.port || 2375), addr, () => resolve()); });
      } else {
        const t = tlsListener(server, tls);
        await new Promise<void>((resolve, reject) => { t.once('error', reject); t.listen(Number(u.port || 2376), addr, () => resolve()); });
        this.#tlsServers.push(t);
      }
    } else {
      throw new SystemError(`unsupported host ${host}`);
    }
    this.#servers.push(server);
  }

  #writePidfile(): void {
    const p = this.#cfg.pidfile;
    try {
      const old = Number.parseInt(readFileSync(p, 'utf8').trim(), 10);
      if (old > 0 && old !== process.pid && isProcessAlive({ pid: old })) {
        const comm = readFileSync(`/proc/${old}/cmdline`, 'utf8');
        if (comm.includes('pierd')) throw new SystemError(`pid file found, ensure pierd is not running or delete ${p}`);
      }
    } catch (err) {
      if (err instanceof SystemError) throw err;
    }
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, `${process.pid}\n`);
  }

  #version(): Record<string, unknown> {
    const kernel = release();
    return {
      Platform: { Name: 'pier' },
      Components: [{ Name: 'Engine', Version: PIER_VERSION, Details: { ApiVersion: API_VERSION, Arch: 'amd64', BuildTime: '', Experimental: 'false', GitCommit: 'pier', GoVersion: process.version, KernelVersion: kernel, MinAPIVersion: MIN_API_VERSION, Os: 'linux' } },
        { Name: this.#cfg.defaultRuntime, Version: '', Details: { path: this.#cfg.runtimes[this.#cfg.defaultRuntime]?.path ?? '' } }],
      Version: PIER_VERSION, ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, GitCommit: 'pier', GoVersion: process.version,
      Os: 'linux', Arch: 'amd64', KernelVersion: kernel, BuildTime: '',
    };
  }

  #info(c: ContainerService, images: ImageService, cgroupVersion: 1 | 2): Record<string, unknown> {
    const list = c.list();
    const running = list.filter((x) => x.State.Status === 'running').length;
    const paused = list.filter((x) => x.State.Status === 'paused').length;
    let os = 'Linux';
    try {
      os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
    } catch { /* keep the generic name */ }
    const runtimes: Record<string, { path: string }> = {};
    for (const [n, r] of Object.entries(this.#cfg.runtimes)) runtimes[n] = { path: r.path };
    return {
      ID: stableId(this.#dataRoot), Containers: list.length, ContainersRunning: running, ContainersPaused: paused,
      ContainersStopped: list.length - running - paused, Images: images.count(), Driver: 'overlay2',
      DriverStatus: [['Backing Filesystem', 'extfs'], ['Supports d_type', 'true'], ['Using metacopy', 'false'], ['Native Overlay Diff', 'true']],
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'macvlan', 'null', 'overlay'], Authorization: this.#cfg.authorizationPlugins.length ? [...this.#cfg.authorizationPlugins] : null, Log: ['json-file', 'k8s-file', 'local'] },
      MemoryLimit: true, SwapLimit: true, KernelMemoryTCP: true, CpuCfsPeriod: true, CpuCfsQuota: true, CPUShares: true, CPUSet: true,
      PidsLimit: true, IPv4Forwarding: true, BridgeNfIptables: false, BridgeNfIp6tables: false, Debug: this.#cfg.debug,
      NFd: 0, OomKillDisable: cgroupVersion === 1, NGoroutines: 0, SystemTime: new Date().toISOString(), LoggingDriver: 'json-file',
      CgroupDriver: 'cgroupfs', CgroupVersion: String(cgroupVersion), NEventsListener: 0, KernelVersion: release(),
      OperatingSystem: os, OSVersion: '', OSType: 'linux', Architecture: 'x86_64', IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: { AllowNondistributableArtifactsCIDRs: null, AllowNondistributableArtifactsHostnames: null, InsecureRegistryCIDRs: ['127.0.0.0/8', '::1/128'], IndexConfigs: { 'docker.io': { Name: 'docker.io', Mirrors: [...this.#cfg.registryMirrors], Secure: true, Official: true } }, Mirrors: this.#cfg.registryMirrors.length ? [...this.#cfg.registryMirrors] : null },
      NCPU: cpus().length, MemTotal: totalmem(), GenericResources: null, DockerRootDir: this.#dataRoot, HttpProxy: '', HttpsProxy: '', NoProxy: '',
      Name: hostname(), Labels: [...this.#cfg.labels], ExperimentalBuild: false, ServerVersion: PIER_VERSION,
      Runtimes: runtimes, DefaultRuntime: this.#cfg.defaultRuntime, Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: true, Isolation: '', InitBinary: this.#cfg.initPath ?? '', ContainerdCommit: { ID: '' }, RuncCommit: { ID: '' }, InitCommit: { ID: '' },
      SecurityOptions: this.#securityOptions(cgroupVersion), CDISpecDirs: [], Warnings: [],
    };
  }

  /** docker's `SecurityOptions`: what every container gets unless it opts out; pier adds TLS on its TCP listeners. */
  #securityOptions(cgroupVersion: 1 | 2): string[] {
    const cfg = this.#cfg;
    return [
      `name=seccomp,profile=${this.#containers?.options.seccompProfile === undefined || cfg.seccompProfile === 'unconfined' ? 'unconfined' : cfg.seccompProfile || 'builtin'}`,
      ...(this.#idMapper ? ['name=userns'] : []),
      ...(cfg.noNewPrivileges ? ['name=no-new-privileges'] : []),
      ...(cgroupVersion === 2 ? ['name=cgroupns'] : []),
      ...(cfg.tls.mode !== 'off' && cfg.hosts.some((h) => h.startsWith('tcp://')) ? [`name=tls,verify=${cfg.tls.mode === 'verify'}`] : []),
    ];
  }

  /** Stops serving; containers keep running under conmon (live restore). Idempotent. */
  async stop(): Promise<void> {
    for (const t of this.#tlsServers) t.close();
    this.#tlsServers = [];
    // Upgraded (attach/exec) sockets are no HTTP connections any more: closeAllConnections() leaves
    // them, and server.close() would wait for them (a half-open one forever).
    await Promise.all(this.#servers.map((s) => new Promise<void>((resolve) => { s.close(() => resolve()); s.closeAllConnections(); s.closeHijacked(); })));
    this.#servers = [];
    await this.#builds?.close();
    await this.#unpacker.close();
    await this.#containers?.drain();
    this.#containers?.close();
    await this.#networks?.close();
    await this.#cluster?.close();
    for (const rt of this.#runtimes.values()) rt.close();
    if (this.#cgroups) removeCgroup(this.#cgroups, '/pier'); // only when empty: other daemons may share it
    this.#store?.close();
    useForkServer(undefined);
    this.#forkServer?.close();
    for (const s of this.#sockets) rmSync(s, { force: true });
    try {
      if (readFileSync(this.#cfg.pidfile, 'utf8').trim() === String(process.pid)) rmSync(this.#cfg.pidfile, { force: true });
    } catch { /* already gone */ }
    this.log.info('pierd stopped');
  }
}

function groupId(name: string): number | undefined {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f[2]) return Number(f[2]);
    }
  } catch { /* no group file: root only */ }
  return undefined;
}

/**
 * A container's root, the remapped root, must pass through every directory above its rootfs
 * and /etc files: dockerd checks this at start-up too, rather than fail each container start.
 */
function remappedRootCanReach(root: string, ids: IdMapper): void {
  for (let dir = dirname(root); dir !== '/'; dir = dirname(dir)) {
    const st = statSync(dir);
    const through = (st.mode & 0o001) !== 0 || (st.uid === ids.rootUid && (st.mode & 0o100) !== 0) || (st.gid === ids.rootGid && (st.mode & 0o010) !== 0);
    if (!through) {
      throw new InvalidParameterError(`--userns-remap: ${dir}, above ${root}, does not let the remapped root (uid ${ids.rootUid}) through: allow it with chmod o+x ${dir}`);
    }
  }
}

function stableId(dataRoot: string): string {
  const p = join(dataRoot, 'engine-id');
  try {
    return readFileSync(p, 'utf8').trim();
  } catch {
    const id = crypto.randomUUID();
    try { writeFileSync(p, id); } catch { /* read-only root: a fresh id per start */ }
    return id;
  }
}

export { statSync };
