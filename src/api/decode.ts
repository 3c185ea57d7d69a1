import { InvalidParameterError } from '../errdefs/index.js';
import type { ContainerConfig, HostConfig, NetworkingConfig, RestartPolicy } from '../pkg/engine/index.js';

/**
 * Decoders: untrusted JSON (`unknown`) → typed records, with docker's errors for
 * wrong types (Go's `json: cannot unmarshal <kind> into Go struct field …`).
 * Absent fields take docker's zero values; compose and docker-py omit most.
 */

type Obj = Record<string, unknown>;

function jsKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

function wrongType(struct: string, field: string, v: unknown, goType: string): InvalidParameterError {
  return new InvalidParameterError(`json: cannot unmarshal ${jsKind(v)} into Go struct field ${struct}.${field} of type ${goType}`);
}

export class Fields {
  readonly #o: Obj;
  readonly #struct: string;
  constructor(v: unknown, struct: string) {
    if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v))) {
      throw new InvalidParameterError(`json: cannot unmarshal ${jsKind(v)} into Go value of type ${struct}`);
    }
    this.#o = (v ?? {}) as Obj;
    this.#struct = struct;
  }
  raw(k: string): unknown { return this.#o[k]; }
  has(k: string): boolean { return this.#o[k] !== undefined && this.#o[k] !== null; }
  str(k: string, d = ''): string {
    const v = this.#o[k];
    if (v === undefined || v === null) return d;
    if (typeof v !== 'string') throw wrongType(this.#struct, k, v, 'string');
    return v;
  }
  bool(k: string, d = false): boolean {
    const v = this.#o[k];
    if (v === undefined || v === null) return d;
    if (typeof v !== 'boolean') throw wrongType(this.#struct, k, v, 'bool');
    return v;
  }
  int(k: string, d = 0): number {
    const v = this.#o[k];
    if (v === undefined || v === null) return d;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw wrongType(this.#struct, k, v, 'int64');
    return v;
  }
  intOrNull(k: string): number | null {
    const v = this.#o[k];
    if (v === undefined || v === null) return null;
    return this.int(k);
  }
  boolOrNull(k: string): boolean | null {
    const v = this.#o[k];
    if (v === undefined || v === null) return null;
    return this.bool(k);
  }
  strs(k: string): string[] | null {
    const v = this.#o[k];
    if (v === undefined || v === null) return null;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw wrongType(this.#struct, k, v, '[]string');
    return v as string[];
  }
  /** Cmd/Entrypoint: docker's StrSlice accepts a string or an array. */
  strSlice(k: string): string[] | null {
    const v = this.#o[k];
    if (typeof v === 'string') return [v];
    return this.strs(k);
  }
  strMap(k: string): Record<string, string> | null {
    const v = this.#o[k];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'object' || Array.isArray(v)) throw wrongType(this.#struct, k, v, 'map[string]string');
    const out: Record<string, string> = {};
    for (const [kk, vv] of Object.entries(v as Obj)) {
      if (typeof vv !== 'string') throw wrongType(this.#struct, k, v, 'map[string]string');
      out[kk] = vv;
    }
    return out;
  }
  set(k: string): Record<string, Record<string, never>> | null {
    const v = this.#o[k];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'object' || Array.isArray(v)) throw wrongType(this.#struct, k, v, 'map[string]struct {}');
    const out: Record<string, Record<string, never>> = {};
    for (const kk of Object.keys(v as Obj)) out[kk] = {};
    return out;
  }
  obj(k: string, struct: string): Fields { return new Fields(this.#o[k], struct); }
  array(k: string, goType: string): unknown[] | null {
    const v = this.#o[k];
    if (v === undefined || v === null) return null;
    if (!Array.isArray(v)) throw wrongType(this.#struct, k, v, goType);
    return v;
  }
}

export function decodeContainerConfig(f: Fields): ContainerConfig {
  const hc = f.has('Healthcheck') ? f.obj('Healthcheck', 'HealthConfig') : undefined;
  const cfg: ContainerConfig = {
    Hostname: f.str('Hostname'), Domainname: f.str('Domainname'), User: f.str('User'),
    AttachStdin: f.bool('AttachStdin'), AttachStdout: f.bool('AttachStdout'), AttachStderr: f.bool('AttachStderr'),
    ExposedPorts: f.set('ExposedPorts'), Tty: f.bool('Tty'), OpenStdin: f.bool('OpenStdin'), StdinOnce: f.bool('StdinOnce'),
    Env: f.strs('Env'), Cmd: f.strSlice('Cmd'), Image: f.str('Image'), Volumes: f.set('Volumes'), WorkingDir: f.str('WorkingDir'),
    Entrypoint: f.strSlice('Entrypoint'), OnBuild: f.strs('OnBuild'), Labels: f.strMap('Labels'),
  };
  if (hc) {
    cfg.Healthcheck = { Test: hc.strs('Test'), Interval: hc.int('Interval'), Timeout: hc.int('Timeout'), Retries: hc.int('Retries'), StartPeriod: hc.int('StartPeriod'), StartInterval: hc.int('StartInterval') };
  }
  if (f.has('StopSignal')) cfg.StopSignal = f.str('StopSignal');
  if (f.has('StopTimeout')) cfg.StopTimeout = f.int('StopTimeout');
  if (f.has('Shell')) cfg.Shell = f.strs('Shell');
  if (f.has('MacAddress')) cfg.MacAddress = f.str('MacAddress');
  if (f.has('NetworkDisabled')) cfg.NetworkDisabled = f.bool('NetworkDisabled');
  if (f.has('ArgsEscaped')) cfg.ArgsEscaped = f.bool('ArgsEscaped');
  if (cfg.WorkingDir && !cfg.WorkingDir.startsWith('/')) {
    throw new InvalidParameterError(`the working directory '${cfg.WorkingDir}' is invalid, it needs to be an absolute path`);
  }
  for (const e of cfg.Env ?? []) {
    if (e === '' || e.startsWith('=')) throw new InvalidParameterError(`invalid environment variable: ${e}`);
  }
  return cfg;
}

function decodeRestartPolicy(f: Fields): RestartPolicy {
  const name = f.str('Name');
  if (!['', 'no', 'always', 'unless-stopped', 'on-failure'].includes(name)) {
    throw new InvalidParameterError(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  return { Name: name as RestartPolicy['Name'], MaximumRetryCount: f.int('MaximumRetryCount') };
}

/** nat.PortMap: `{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}`; each binding's fields are strings, as Go decodes them. */
function decodePortBindings(v: unknown): HostConfig['PortBindings'] {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw wrongType('HostConfig', 'PortBindings', v, 'nat.PortMap');
  const out: NonNullable<HostConfig['PortBindings']> = {};
  for (const [port, list] of Object.entries(v as Obj)) {
    if (list === null) { out[port] = []; continue; }
    if (!Array.isArray(list)) throw wrongType('HostConfig', 'PortBindings', list, '[]nat.PortBinding');
    out[port] = list.map((b: unknown) => {
      const pf = new Fields(b, 'nat.PortBinding');
      return { HostIp: pf.str('HostIp'), HostPort: pf.str('HostPort') };
    });
  }
  return out;
}

export function decodeHostConfig(f: Fields): HostConfig {
  const lc = f.obj('LogConfig', 'LogConfig');
  const console = f.array('ConsoleSize', '[2]uint');
  const h: HostConfig = {
    Binds: f.strs('Binds'), ContainerIDFile: f.str('ContainerIDFile'),
    LogConfig: { Type: lc.str('Type'), Config: lc.strMap('Config') ?? {} },
    NetworkMode: f.str('NetworkMode'), PortBindings: decodePortBindings(f.raw('PortBindings')),
    RestartPolicy: decodeRestartPolicy(f.obj('RestartPolicy', 'RestartPolicy')),
    AutoRemove: f.bool('AutoRemove'), VolumeDriver: f.str('VolumeDriver'), VolumesFrom: f.strs('VolumesFrom'),
    ConsoleSize: [Number(console?.[0] ?? 0), Number(console?.[1] ?? 0)],
    CapAdd: f.strs('CapAdd'), CapDrop: f.strs('CapDrop'), CgroupnsMode: f.str('CgroupnsMode'),
    Dns: f.strs('Dns'), DnsOptions: f.strs('DnsOptions'), DnsSearch: f.strs('DnsSearch'), ExtraHosts: f.strs('ExtraHosts'),
    GroupAdd: f.strs('GroupAdd'), IpcMode: f.str('IpcMode'), Cgroup: f.str('Cgroup'), Links: f.strs('Links'),
    OomScoreAdj: f.int('OomScoreAdj'), PidMode: f.str('PidMode'), Privileged: f.bool('Privileged'),
    PublishAllPorts: f.bool('PublishAllPorts'), ReadonlyRootfs: f.bool('ReadonlyRootfs'), SecurityOpt: f.strs('SecurityOpt'),
    StorageOpt: f.strMap('StorageOpt'), Tmpfs: f.strMap('Tmpfs'), UTSMode: f.str('UTSMode'), UsernsMode: f.str('UsernsMode'),
    ShmSize: f.int('ShmSize'), Sysctls: f.strMap('Sysctls'), Runtime: f.str('Runtime'), Isolation: f.str('Isolation'),
    CpuShares: f.int('CpuShares'), Memory: f.int('Memory'), NanoCpus: f.int('NanoCpus'), CgroupParent: f.str('CgroupParent'),
    BlkioWeight: f.int('BlkioWeight'), CpuPeriod: f.int('CpuPeriod'), CpuQuota: f.int('CpuQuota'),
    CpuRealtimePeriod: f.int('CpuRealtimePeriod'), CpuRealtimeRuntime: f.int('CpuRealtimeRuntime'),
    CpusetCpus: f.str('CpusetCpus'), CpusetMems: f.str('CpusetMems'),
    Devices: (f.array('Devices', '[]container.DeviceMapping') as HostConfig['Devices']) ?? null,
    DeviceCgroupRules: f.strs('DeviceCgroupRules'), MemoryReservation: f.int('MemoryReservation'), MemorySwap: f.int('MemorySwap'),
    MemorySwappiness: f.intOrNull('MemorySwappiness'), OomKillDisable: f.boolOrNull('OomKillDisable'),
    PidsLimit: f.intOrNull('PidsLimit'), Ulimits: (f.array('Ulimits', '[]*container.Ulimit') as HostConfig['Ulimits']) ?? null,
    Init: f.boolOrNull('Init'), Mounts: (f.array('Mounts', '[]mount.Mount') as HostConfig['Mounts']) ?? null,
    MaskedPaths: f.strs('MaskedPaths'), ReadonlyPaths: f.strs('ReadonlyPaths'),
    Annotations: f.strMap('Annotations'),
  };
  if (h.NetworkMode === '') h.NetworkMode = 'default';
  if (h.RestartPolicy.Name === '') h.RestartPolicy = { Name: 'no', MaximumRetryCount: 0 };
  if (h.ShmSize < 0) throw new InvalidParameterError('SHM size can not be less than 0');
  if (h.Memory < 0) throw new InvalidParameterError('invalid memory limit: must not be negative');
  if (!['', 'json-file', 'k8s-file', 'none', 'local'].includes(h.LogConfig.Type)) {
    throw new InvalidParameterError(`failed to create task: logger: no log driver named '${h.LogConfig.Type}' is registered`);
  }
  return h;
}

export function decodeContainerCreate(body: unknown): { config: ContainerConfig; hostConfig: HostConfig; networkingConfig: NetworkingConfig } {
  if (body === undefined) throw new InvalidParameterError('config cannot be empty in order to create a container');
  const f = new Fields(body, 'container.CreateRequest');
  const config = decodeContainerConfig(f);
  const hostConfig = decodeHostConfig(f.obj('HostConfig', 'container.HostConfig'));
  const nc = f.obj('NetworkingConfig', 'network.NetworkingConfig');
  const eps = nc.raw('EndpointsConfig');
  const networkingConfig: NetworkingConfig = { EndpointsConfig: (eps && typeof eps === 'object' && !Array.isArray(eps) ? eps : {}) as NetworkingConfig['EndpointsConfig'] };
  if (!config.Image) throw new InvalidParameterError('No image specified');
  return { config, hostConfig, networkingConfig };
}
