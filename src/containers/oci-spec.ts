// The OCI config.json of a container, and the process.json of an exec, built the way dockerd
// builds them (moby `daemon/oci_linux.go`, shared/reference/docker-defaults.md §1–3).
// Pure except for reading the rootfs's /etc/passwd and /etc/group and the HostProbe facts.

import type { ContainerConfig, HostConfig, MountSpec } from '../pkg/engine/index.js';
import {
  OCI_VERSION, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, DEFAULT_SHM_SIZE, RealHostProbe, bindMount,
  defaultDeviceRules, defaultMounts, deviceAccess, parseDeviceCgroupRule, parseSecurityOpts, parseVolumeSpec,
  privilegedDeviceRules, resolveCapabilities, resourcesFromHostConfig, sortMountsByDepth, tmpfsMount, ulimitsToRlimits,
  type HostDevice, type HostProbe, type LinuxCapabilities, type LinuxDevice, type LinuxDeviceCgroup, type LinuxIdMapping, type LinuxNamespace, type Mount, type Process,
  type SecurityOptions, type Spec,
} from '../pkg/oci/index.js';
import { loadDefaultSeccompProfile, parseProfileText, toOciSeccomp } from '../pkg/seccomp/index.js';
import { InvalidParameterError, NotImplementedError, SystemError } from '../errdefs/index.js';
import { resolveUser, rootfsReader, type RootfsReader } from './user.js';

export interface ImageRuntimeConfig {
  Env?: string[] | null; Cmd?: string[] | null; Entrypoint?: string[] | null;
  WorkingDir?: string; User?: string; StopSignal?: string;
}

export interface SpecInput {
  /** 64-hex container id. */
  id: string;
  /** The container's Config as the client sent it (not merged with the image; merged here). */
  config: ContainerConfig;
  image: ImageRuntimeConfig;
  hostConfig: HostConfig;
  /** Absolute path of the mounted rootfs (overlay merged dir). */
  rootfs: string;
  /** The container's hostname (the caller picks it: short id, Config.Hostname, or the host's for --network host). */
  hostname: string;
  /** Host paths of the files bound at /etc/hosts, /etc/hostname, /etc/resolv.conf. */
  etc: { hosts: string; hostname: string; resolvConf: string };
  /** Volumes (named and anonymous), resolved by the container to host directories. */
  volumes?: readonly { source: string; destination: string; readOnly: boolean }[];
  /** none → a new netns with only lo; netns → join that namespace file; host → the host's. */
  network: { mode: 'none' } | { mode: 'host' } | { mode: 'netns'; path: string };
  /** cgroupfs path, e.g. `/pier/<id>`. */
  cgroupsPath: string;
  cgroupVersion: 1 | 2;
  /** Capabilities the daemon holds: --privileged and `ALL` mean these, and nothing else is ever asked for. */
  daemonCaps: readonly string[];
  /** Host path of the init binary for --init (bound at /sbin/docker-init). */
  initPath?: string;
  /** Parsed docker-format default profile, or `'unconfined'` (the daemon's --seccomp-profile); loadDefaultSeccompProfile() once when absent. */
  seccompProfile?: unknown;
  /** Reads a file inside the rootfs; default resolves symlinks within `rootfs`. */
  readFile?: RootfsReader;
  /** Host facts (thermal_throttle dirs, swap accounting, devices, bind sources); default the real host. */
  host?: HostProbe;
  /** `--userns-remap`: the daemon's id mappings; the container gets a user namespace unless its UsernsMode is host. */
  userns?: { uidMappings: LinuxIdMapping[]; gidMappings: LinuxIdMapping[] };
  /** The daemon's `--no-new-privileges`: the default a container's security options may override. */
  noNewPrivileges?: boolean;
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const INIT_PATH = '/sbin/docker-init';
/** Exceptions to --read-only's "every system mount read-only" (moby WithMounts). */
const RW_UNDER_READONLY = new Set(['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev']);

const envKey = (e: string): string => { const i = e.indexOf('='); return i < 0 ? e : e.slice(0, i); };

/** Docker's create-time merge: the user's Env first, then image entries whose key the user did not set. */
export function mergeImageEnv(configEnv: readonly string[] | null | undefined, imageEnv: readonly string[] | null | undefined): string[] {
  const user = [...(configEnv ?? [])];
  const keys = new Set(user.map(envKey));
  return [...user, ...(imageEnv ?? []).filter((e) => !keys.has(envKey(e)))];
}

/** moby ReplaceOrAppendEnvValues: replace by key or append; an entry without `=` unsets the key. */
export function replaceOrAppendEnv(defaults: readonly string[], overrides: readonly string[]): string[] {
  const out: Array<string | undefined> = [...defaults];
  const index = new Map(out.map((e, i) => [envKey(e ?? ''), i]));
  for (const v of overrides) {
    const i = index.get(envKey(v));
    if (!v.includes('=')) { if (i !== undefined) out[i] = undefined; continue; }
    if (i !== undefined) out[i] = v;
    else index.set(envKey(v), out.push(v) - 1);
  }
  return out.filter((e): e is string => e !== undefined);
}

/** Env of a container (or exec) process: PATH, HOSTNAME, TERM when tty, then the merged container Env. */
export function containerEnv(input: Pick<SpecInput, 'config' | 'image' | 'hostname'>, tty: boolean): string[] {
  const defaults = [DEFAULT_PATH, `HOSTNAME=${input.hostname}`, ...(tty ? ['TERM=xterm'] : [])];
  return replaceOrAppendEnv(defaults, mergeImageEnv(input.config.Env, input.image.Env));
}

/**
 * Entrypoint + Cmd with docker's rules: Config.Entrypoint replaces the image's and then the image
 * Cmd is dropped unless Config.Cmd is given; `--entrypoint ""` ([""]) clears it. Empty ⇒ the
 * caller answers 400 "No command specified".
 */
export function resolveArgs(config: Pick<ContainerConfig, 'Entrypoint' | 'Cmd'>, image: ImageRuntimeConfig): string[] {
  const cmd = config.Cmd ?? [];
  const userEntrypoint = config.Entrypoint;
  if (userEntrypoint !== null && userEntrypoint !== undefined && userEntrypoint.length > 0) {
    const ep = userEntrypoint.length === 1 && userEntrypoint[0] === '' ? [] : userEntrypoint;
    return [...ep, ...cmd];
  }
  const ep = userEntrypoint === null || userEntrypoint === undefined ? image.Entrypoint ?? [] : [];
  return [...ep, ...(cmd.length > 0 ? cmd : image.Cmd ?? [])];
}

function capabilitySet(caps: string[]): LinuxCapabilities {
  return { bounding: [...caps], effective: [...caps], permitted: [...caps], inheritable: [], ambient: [] };
}

/** The container's main process (also the base of every exec process). */
function buildProcess(input: SpecInput, security: SecurityOptions): Process {
  const { config, hostConfig: h, image } = input;
  const args = resolveArgs(config, image);
  if (args.length === 0) throw new InvalidParameterError('No command specified');
  const cwd = config.WorkingDir || image.WorkingDir || '/';
  if (!cwd.startsWith('/')) {
    throw new InvalidParameterError(`the working directory '${cwd}' is invalid, it needs to be an absolute path`);
  }
  const user = resolveUser(config.User || image.User || '', {
    readFile: input.readFile ?? rootfsReader(input.rootfs), groupAdd: h.GroupAdd,
  });
  const caps = resolveCapabilities({ adds: h.CapAdd, drops: h.CapDrop, privileged: h.Privileged, available: input.daemonCaps });
  if (h.OomScoreAdj < -1000 || h.OomScoreAdj > 1000) {
    throw new InvalidParameterError(`Invalid value ${h.OomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }
  const p: Process = {
    terminal: config.Tty,
    user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
    args: h.Init === true ? [INIT_PATH, '--', ...args] : args,
    env: containerEnv(input, config.Tty),
    cwd,
    capabilities: capabilitySet(caps),
    noNewPrivileges: security.noNewPrivileges,
    oomScoreAdj: h.OomScoreAdj,
  };
  const [height = 0, width = 0] = h.ConsoleSize ?? [];
  if (config.Tty && height > 0 && width > 0) p.consoleSize = { height, width };
  if ((h.Ulimits ?? []).length > 0) p.rlimits = ulimitsToRlimits(h.Ulimits ?? []);
  return p;
}

function absoluteTarget(type: string, target: string): void {
  if (!target.startsWith('/')) {
    throw new InvalidParameterError(`invalid mount config for type "${type}": invalid mount path: '${target}' mount path must be absolute`);
  }
}

/** A `--mount` entry (HostConfig.Mounts) as an OCI mount. */
function mountFromSpec(m: MountSpec, host: HostProbe): Mount {
  absoluteTarget(m.Type, m.Target);
  if (m.Type === 'tmpfs') {
    const o = m.TmpfsOptions;
    const data = [
      ...(o?.SizeBytes !== undefined && o.SizeBytes > 0 ? [`size=${o.SizeBytes}`] : []),
      ...(o?.Mode !== undefined && o.Mode > 0 ? [`mode=${o.Mode.toString(8)}`] : []),
      ...(o?.Options ?? []).map((kv) => kv.join('=')),
      ...(m.ReadOnly === true ? ['ro'] : []),
    ];
    return tmpfsMount(m.Target, data.join(','));
  }
  if (m.Type === 'bind') {
    const src = m.Source ?? '';
    if (src === '') throw new InvalidParameterError('invalid mount config for type "bind": field Source must not be empty');
    absoluteTarget('bind', src);
    const b = m.BindOptions;
    if (!host.exists(src)) {
      if (b?.CreateMountpoint !== true) {
        throw new InvalidParameterError(`invalid mount config for type "bind": bind source path does not exist: ${src}`);
      }
      host.mkdirAll(src);
    }
    return bindMount({
      source: src, destination: m.Target, readOnly: m.ReadOnly === true,
      propagation: b?.Propagation ?? '', nonRecursive: b?.NonRecursive === true,
    });
  }
  throw new NotImplementedError(`mount type ${JSON.stringify(m.Type)} is not supported`);
}

/** --tmpfs, -v binds, --mount and the /etc files, in docker's order (parents before children). */
function containerMounts(input: SpecInput, host: HostProbe): Mount[] {
  const h = input.hostConfig;
  const user: Mount[] = [];
  for (const [dst, data] of Object.entries(h.Tmpfs ?? {})) {
    absoluteTarget('tmpfs', dst);
    user.push(tmpfsMount(dst, data));
  }
  for (const raw of h.Binds ?? []) {
    const v = parseVolumeSpec(raw);
    if (v.kind === 'volume') continue; // resolved by the container into input.volumes
    if (!host.exists(v.source)) host.mkdirAll(v.source); // docker creates a missing -v host directory
    user.push(bindMount(v));
  }
  for (const m of h.Mounts ?? []) if (m.Type !== 'volume') user.push(mountFromSpec(m, host));
  for (const v of input.volumes ?? []) {
    user.push(bindMount({ source: v.source, destination: v.destination, readOnly: v.readOnly, propagation: '', nonRecursive: false }));
  }
  const seen = new Set<string>();
  for (const m of user) {
    if (seen.has(m.destination)) throw new InvalidParameterError(`Duplicate mount point: ${m.destination}`);
    seen.add(m.destination);
  }
  const etc: Mount[] = [
    ['/etc/resolv.conf', input.etc.resolvConf], ['/etc/hostname', input.etc.hostname], ['/etc/hosts', input.etc.hosts],
  ].filter(([dst]) => !seen.has(dst ?? '')).map(([dst = '', src = '']) => {
    const m = bindMount({ source: src, destination: dst });
    if (h.ReadonlyRootfs) m.options?.push('ro');
    return m;
  });
  const init: Mount[] = [];
  if (h.Init === true) {
    if (input.initPath === undefined) throw new SystemError('Cannot use --init: no init binary is configured');
    init.push({ destination: INIT_PATH, type: 'bind', source: input.initPath, options: ['bind', 'ro'] });
  }
  return sortMountsByDepth([...etc, ...user, ...init]);
}

function namespaces(input: SpecInput): LinuxNamespace[] {
  const h = input.hostConfig;
  const unsupported = (what: string, mode: string): never => {
    throw new NotImplementedError(`${what} mode ${JSON.stringify(mode)} is not supported yet`);
  };
  const ns: LinuxNamespace[] = [{ type: 'mount' }];
  if (input.network.mode === 'none') ns.push({ type: 'network' });
  else if (input.network.mode === 'netns') ns.push({ type: 'network', path: input.network.path });
  if (h.UTSMode !== 'host') ns.push({ type: 'uts' });
  if (!['', 'private', 'host'].includes(h.PidMode)) unsupported('pid', h.PidMode);
  if (h.PidMode !== 'host') ns.push({ type: 'pid' });
  if (!['', 'private', 'shareable', 'none', 'host'].includes(h.IpcMode)) unsupported('ipc', h.IpcMode);
  if (h.IpcMode !== 'host') ns.push({ type: 'ipc' });
  if (!['', 'host'].includes(h.UsernsMode)) unsupported('userns', h.UsernsMode);
  if (remapped(input)) ns.push({ type: 'user' });
  const cgroupns = h.CgroupnsMode || (input.cgroupVersion === 2 ? 'private' : 'host');
  if (cgroupns !== 'private' && cgroupns !== 'host') {
    throw new InvalidParameterError(`invalid cgroup namespace mode: ${cgroupns}`);
  }
  if (cgroupns === 'private') ns.push({ type: 'cgroup' });
  return ns;
}

function devices(input: SpecInput, host: HostProbe): { nodes: LinuxDevice[]; rules: LinuxDeviceCgroup[] } {
  const h = input.hostConfig;
  const rules = h.Privileged ? privilegedDeviceRules() : defaultDeviceRules();
  const nodes: LinuxDevice[] = [];
  for (const d of h.Devices ?? []) {
    const fail = (why: string): never => {
      throw new InvalidParameterError(`error gathering device information while adding custom device "${d.PathOnHost}": ${why}`);
    };
    let info: HostDevice | undefined;
    try {
      info = host.device(d.PathOnHost);
    } catch {
      fail('not a device node');
    }
    if (info === undefined) return fail('no such file or directory');
    nodes.push({ path: d.PathInContainer || d.PathOnHost, ...info });
    rules.push({ allow: true, type: info.type, major: info.major, minor: info.minor, access: deviceAccess(d.CgroupPermissions) });
  }
  for (const r of h.DeviceCgroupRules ?? []) rules.push(parseDeviceCgroupRule(r));
  return { nodes, rules };
}

/** True when the container runs in the daemon's remapped user namespace. */
function remapped(input: SpecInput): boolean {
  return input.userns !== undefined && input.hostConfig.UsernsMode !== 'host';
}

/** The highest gid mapped in the container's user namespace: the kernel takes no ping group beyond it. */
function lastMappedGid(input: SpecInput): number {
  return Math.max(0, ...(input.userns?.gidMappings ?? []).map((m) => m.containerID + m.size - 1));
}

let defaultProfile: unknown;
let realHost: HostProbe | undefined;

/** Build a container's config.json. Throws InvalidParameterError (docker's wording) on bad user input. */
export function buildSpec(input: SpecInput): Spec {
  const h = input.hostConfig;
  const host = input.host ?? (realHost ??= new RealHostProbe());
  const security = parseSecurityOpts(h.SecurityOpt, { noNewPrivileges: input.noNewPrivileges === true });
  if (h.Privileged && remapped(input)) {
    throw new InvalidParameterError('privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode (--userns=host)');
  }
  const process = buildProcess(input, security);
  const bounding = process.capabilities?.bounding ?? [];

  const shmSize = h.ShmSize > 0 ? h.ShmSize : DEFAULT_SHM_SIZE;
  const user = containerMounts(input, host);
  const userDest = new Set(user.map((m) => m.destination));
  const system = defaultMounts({
    cgroupVersion: input.cgroupVersion, privileged: h.Privileged, writableCgroups: security.writableCgroups,
    shm: h.IpcMode === 'host' ? { mode: 'host' } : h.IpcMode === 'none' ? { mode: 'none' } : { mode: 'private', size: shmSize },
  }).filter((m) => !userDest.has(m.destination));
  if (h.ReadonlyRootfs) {
    for (const m of system) if (!RW_UNDER_READONLY.has(m.destination) && !(m.options ?? []).includes('ro')) m.options?.push('ro');
  }

  const { nodes, rules } = devices(input, host);
  const resources = resourcesFromHostConfig(h, { cgroupVersion: input.cgroupVersion, swapLimit: host.swapLimitSupported(input.cgroupVersion) });
  resources.devices = rules;

  const ownNetns = input.network.mode !== 'host';
  const sysctl: Record<string, string> = ownNetns
    ? { 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': `0 ${remapped(input) ? lastMappedGid(input) : 2147483647}` } : {};
  Object.assign(sysctl, h.Sysctls ?? {});

  const spec: Spec = {
    ociVersion: OCI_VERSION,
    process,
    root: h.ReadonlyRootfs ? { path: input.rootfs, readonly: true } : { path: input.rootfs },
    mounts: [...system, ...user],
    linux: {
      sysctl,
      resources,
      cgroupsPath: input.cgroupsPath,
      namespaces: namespaces(input),
    },
  };
  if (h.UTSMode !== 'host') spec.hostname = input.hostname;
  if (input.config.Domainname) spec.domainname = input.config.Domainname;
  const linux = spec.linux ?? {};
  if (nodes.length > 0) linux.devices = nodes;
  if (remapped(input) && input.userns) {
    linux.uidMappings = input.userns.uidMappings.map((m) => ({ ...m }));
    linux.gidMappings = input.userns.gidMappings.map((m) => ({ ...m }));
  }
  if (!h.Privileged) {
    linux.maskedPaths = h.MaskedPaths ?? [...DEFAULT_MASKED_PATHS, ...host.thermalThrottlePaths()];
    linux.readonlyPaths = h.ReadonlyPaths ?? [...DEFAULT_READONLY_PATHS];
    // The daemon's --seccomp-profile=unconfined: only a container's own profile confines it.
    const daemonUnconfined = input.seccompProfile === 'unconfined' && security.seccomp.kind === 'default';
    if (security.seccomp.kind !== 'unconfined' && !daemonUnconfined) {
      const profile = security.seccomp.kind === 'custom'
        ? parseProfileText(security.seccomp.text)
        : input.seccompProfile ?? (defaultProfile ??= loadDefaultSeccompProfile());
      const seccomp = toOciSeccomp(profile, { caps: bounding, arch: 'amd64', kernel: host.kernelRelease() });
      if (seccomp !== undefined) linux.seccomp = seccomp;
    }
  }
  if (h.Annotations && Object.keys(h.Annotations).length > 0) spec.annotations = { ...h.Annotations };
  return spec;
}

export interface ExecInput {
  config: {
    Cmd: string[]; Env?: string[] | null; User?: string; WorkingDir?: string; Tty?: boolean; Privileged?: boolean;
    ConsoleSize?: [number, number] | null;
  };
  /** The same input the container was started with. */
  container: SpecInput;
}

/**
 * process.json for `crun exec --process`: the container's process (caps, rlimits,
 * no-new-privileges, oom score) with the exec's args, env (container env + exec Env), user,
 * cwd and terminal; --privileged execs get every daemon capability.
 */
export function buildExecProcess(input: ExecInput): Process {
  const c = input.container;
  const e = input.config;
  if (e.Cmd.length === 0) throw new InvalidParameterError('No exec command specified');
  const base = buildProcess(c, parseSecurityOpts(c.hostConfig.SecurityOpt, { noNewPrivileges: c.noNewPrivileges === true }));
  const tty = e.Tty === true;
  const p: Process = {
    ...base,
    terminal: tty,
    args: [...e.Cmd],
    env: replaceOrAppendEnv(containerEnv(c, tty), e.Env ?? []),
    cwd: e.WorkingDir || base.cwd,
  };
  delete p.consoleSize;
  const [height = 0, width = 0] = e.ConsoleSize ?? [];
  if (tty && height > 0 && width > 0) p.consoleSize = { height, width };
  if (e.User) {
    const u = resolveUser(e.User, { readFile: c.readFile ?? rootfsReader(c.rootfs), groupAdd: c.hostConfig.GroupAdd });
    p.user = { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
  }
  if (e.Privileged === true) p.capabilities = capabilitySet([...c.daemonCaps]);
  return p;
}
