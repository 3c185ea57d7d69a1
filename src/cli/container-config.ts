// run/create flags → the POST /containers/create body, field for field as
// docker CLI 28 builds it (engine-api.md §2: every field present, zero values
// for "unset", nulls where Go sends nil slices).

import * as path from 'node:path';
import type { ContainerCreateRequest, EndpointSettings, HealthConfig, HostConfig, MountSpec } from '../pkg/engine/index.js';
import type { ParsedFlags } from './flags.js';
import {
  OptError, expandEnv, kvMap, parseDevice, parseExpose, parseKvFile, parseMount, parsePortSpecs,
  parseRestartPolicy, parseUlimit,
} from './opts.js';
import { parseGoDuration, parseNanoCpus, parseRamBytes } from './units.js';

export interface ConfigInputs {
  env: NodeJS.ProcessEnv;
  readFile: (file: string) => string;
  /** [rows, cols] of the output terminal, [0, 0] when not a TTY. */
  ttySize: [number, number];
  cwd: string;
}

export interface ContainerSetup {
  body: ContainerCreateRequest;
  name: string;
  platform: string;
  pull: 'always' | 'missing' | 'never';
  quiet: boolean;
}

const ZERO_ENDPOINT: EndpointSettings = {
  IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, GwPriority: 0, NetworkID: '',
  EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
};

const orNull = <T>(a: T[]): T[] | null => (a.length === 0 ? null : a);

function capName(c: string): string {
  const u = c.toUpperCase();
  return u === 'ALL' || u.startsWith('CAP_') ? u : `CAP_${u}`;
}

function bytesOf(flags: ParsedFlags, name: string): number {
  const v = flags.string(name);
  if (v === undefined || v === '') return 0;
  if (name === 'memory-swap' && v === '-1') return -1;
  return parseRamBytes(v);
}

function durOf(flags: ParsedFlags, name: string): number {
  const v = flags.string(name);
  return v === undefined ? 0 : parseGoDuration(v);
}

/** `-v src:dst[:mode]` splits into binds (with a source) and anonymous volumes. */
function splitVolumes(specs: readonly string[], cwd: string): { binds: string[]; volumes: Record<string, Record<string, never>> } {
  const binds: string[] = [];
  const volumes: Record<string, Record<string, never>> = {};
  for (const spec of specs) {
    const parts = spec.split(':');
    if (parts.some((p) => p === '')) throw new OptError(`invalid spec: ${spec}: empty section between colons`);
    if (parts.length > 3) throw new OptError(`invalid spec: ${spec}: too many colons`);
    if (parts.length === 1) { volumes[spec] = {}; continue; }
    let src = parts[0] ?? '';
    if (!path.isAbsolute(src) && src.startsWith('.')) src = path.resolve(cwd, src);
    binds.push([src, ...parts.slice(1)].join(':'));
  }
  return { binds, volumes };
}

function securityOpts(list: readonly string[], readFile: (f: string) => string): { opts: string[]; masked: string[] | null; readonly: string[] | null } {
  const opts: string[] = [];
  let unconfinedPaths = false;
  for (const o of list) {
    if (o === 'no-new-privileges') { opts.push(o); continue; }
    if (o === 'systempaths=unconfined') { unconfinedPaths = true; continue; }
    const eq = o.indexOf('=');
    const sep = eq >= 0 ? eq : o.indexOf(':');
    if (sep < 0) throw new OptError(`Invalid --security-opt: ${JSON.stringify(o)}`);
    const key = o.slice(0, sep);
    const value = o.slice(sep + 1);
    if (key === 'seccomp' && value !== 'unconfined' && value !== 'builtin') {
      let text: string;
      try { text = readFile(value); } catch (err) { throw new OptError(`opening seccomp profile (${value}) failed: ${(err as Error).message}`); }
      opts.push(`seccomp=${JSON.stringify(JSON.parse(text))}`);
      continue;
    }
    opts.push(`${key}=${value}`);
  }
  return { opts, masked: unconfinedPaths ? [] : null, readonly: unconfinedPaths ? [] : null };
}

/** Builds the create request from run/create flags and positional args (IMAGE [COMMAND] [ARG...]). */
export function buildContainerSetup(flags: ParsedFlags, args: readonly string[], inp: ConfigInputs): ContainerSetup {
  const [image = '', ...cmd] = args;
  const pull = flags.string('pull') ?? 'missing';
  if (pull !== 'always' && pull !== 'missing' && pull !== 'never') {
    throw new OptError(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  }
  const attach = flags.list('attach').map((a) => a.toLowerCase());
  for (const a of attach) {
    if (a !== 'stdin' && a !== 'stdout' && a !== 'stderr') throw new OptError(`invalid argument "${a}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`);
  }
  const interactive = flags.bool('interactive');
  const attachStdin = interactive || attach.includes('stdin');
  const attachStdout = attach.length === 0 || attach.includes('stdout');
  const attachStderr = attach.length === 0 || attach.includes('stderr');

  const swappiness = flags.int('memory-swappiness') ?? -1;
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) throw new OptError(`invalid value: ${swappiness}. Valid memory swappiness range is 0-100`);

  const { binds, volumes } = splitVolumes(flags.list('volume'), inp.cwd);
  const tmpfs: Record<string, string> = {};
  for (const t of flags.list('tmpfs')) { const i = t.indexOf(':'); if (i < 0) tmpfs[t] = ''; else tmpfs[t.slice(0, i)] = t.slice(i + 1); }

  let entrypoint: string[] | null = null;
  const ep = flags.string('entrypoint');
  if (ep !== undefined) entrypoint = [ep];

  const { exposed, bindings } = parsePortSpecs(flags.list('publish'));
  for (const e of flags.list('expose')) for (const k of parseExpose(e)) exposed[k] ??= {};

  const lookup = (k: string): string | undefined => inp.env[k];
  const env: string[] = [];
  for (const f of flags.list('env-file')) env.push(...parseKvFile(inp.readFile(f), lookup));
  for (const e of flags.list('env')) env.push(expandEnv(e, inp.env));
  const labels: string[] = [];
  for (const f of flags.list('label-file')) labels.push(...parseKvFile(inp.readFile(f), undefined));
  labels.push(...flags.list('label'));

  const restart = parseRestartPolicy(flags.string('restart') ?? 'no');
  const autoRemove = flags.bool('rm');
  if (autoRemove && restart.Name !== 'no' && restart.Name !== '') throw new OptError('conflicting options: cannot specify both --restart and --rm');

  const logDriver = flags.string('log-driver') ?? '';
  const logOpts = kvMap(flags.list('log-opt'));
  if (logDriver === 'none' && Object.keys(logOpts).length > 0) throw new OptError('invalid logging opts for driver none');

  const sec = securityOpts(flags.list('security-opt'), inp.readFile);

  let healthcheck: HealthConfig | undefined;
  const healthCmd = flags.string('health-cmd') ?? '';
  const hInterval = durOf(flags, 'health-interval');
  const hTimeout = durOf(flags, 'health-timeout');
  const hStart = durOf(flags, 'health-start-period');
  const hStartInt = durOf(flags, 'health-start-interval');
  const hRetries = flags.int('health-retries') ?? 0;
  const haveHealth = healthCmd !== '' || hInterval !== 0 || hTimeout !== 0 || hStart !== 0 || hStartInt !== 0 || hRetries !== 0;
  if (flags.bool('no-healthcheck')) {
    if (haveHealth) throw new OptError('--no-healthcheck conflicts with --health-* options');
    healthcheck = { Test: ['NONE'] };
  } else if (haveHealth) {
    for (const [n, v] of [['interval', hInterval], ['timeout', hTimeout], ['retries', hRetries], ['start-period', hStart], ['start-interval', hStartInt]] as const) {
      if (v < 0) throw new OptError(`--health-${n} cannot be negative`);
    }
    healthcheck = { Test: healthCmd !== '' ? ['CMD-SHELL', healthCmd] : null, Interval: hInterval, Timeout: hTimeout, StartPeriod: hStart, StartInterval: hStartInt, Retries: hRetries };
  }

  const networks = [...flags.list('network'), ...flags.list('net')];
  const aliases = [...flags.list('network-alias'), ...flags.list('net-alias')];
  const networkMode = networks[0] ?? 'default';
  const endpoints: Record<string, EndpointSettings> = {};
  for (const [i, n] of (networks.length === 0 ? ['default'] : networks).entries()) {
    const ep: EndpointSettings = { ...ZERO_ENDPOINT };
    if (i === 0) {
      const ip = flags.string('ip') ?? '';
      const ip6 = flags.string('ip6') ?? '';
      const ll = flags.list('link-local-ip');
      if (ip !== '' || ip6 !== '' || ll.length > 0) ep.IPAMConfig = { IPv4Address: ip, IPv6Address: ip6, ...(ll.length > 0 ? { LinkLocalIPs: ll } : {}) };
      if (aliases.length > 0) ep.Aliases = aliases;
      if (flags.list('link').length > 0 && n !== 'default' && n !== 'bridge') ep.Links = flags.list('link');
      ep.MacAddress = flags.string('mac-address') ?? '';
    }
    endpoints[n] = ep;
  }

  const mounts: MountSpec[] = flags.list('mount').map(parseMount);
  const sysctls = kvMap(flags.list('sysctl'));
  const annotations = kvMap(flags.list('annotation'));
  const storageOpt = kvMap(flags.list('storage-opt'));
  const runtime = flags.string('runtime') ?? '';

  const hostConfig: HostConfig & Record<string, unknown> = {
    Binds: orNull(binds), ContainerIDFile: flags.string('cidfile') ?? '', LogConfig: { Type: logDriver, Config: logOpts },
    NetworkMode: networkMode, PortBindings: bindings, RestartPolicy: restart, AutoRemove: autoRemove,
    VolumeDriver: flags.string('volume-driver') ?? '', VolumesFrom: orNull(flags.list('volumes-from')), ConsoleSize: inp.ttySize,
    CapAdd: orNull(flags.list('cap-add').map(capName)), CapDrop: orNull(flags.list('cap-drop').map(capName)),
    CgroupnsMode: flags.string('cgroupns') ?? '', Dns: flags.list('dns'), DnsOptions: [...flags.list('dns-option'), ...flags.list('dns-opt')],
    DnsSearch: flags.list('dns-search'), ExtraHosts: orNull(flags.list('add-host')), GroupAdd: orNull(flags.list('group-add')),
    IpcMode: flags.string('ipc') ?? '', Cgroup: '', Links: orNull(flags.list('link')), OomScoreAdj: flags.int('oom-score-adj') ?? 0,
    PidMode: flags.string('pid') ?? '', Privileged: flags.bool('privileged'), PublishAllPorts: flags.bool('publish-all'),
    ReadonlyRootfs: flags.bool('read-only'), SecurityOpt: orNull(sec.opts), UTSMode: flags.string('uts') ?? '', UsernsMode: flags.string('userns') ?? '',
    ShmSize: bytesOf(flags, 'shm-size'), Isolation: flags.string('isolation') ?? '', CpuShares: flags.int('cpu-shares') ?? 0,
    Memory: bytesOf(flags, 'memory'), NanoCpus: flags.string('cpus') !== undefined ? parseNanoCpus(flags.string('cpus') ?? '0') : 0,
    CgroupParent: flags.string('cgroup-parent') ?? '', BlkioWeight: flags.int('blkio-weight') ?? 0,
    BlkioWeightDevice: [], BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [], BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [],
    CpuPeriod: flags.int('cpu-period') ?? 0, CpuQuota: flags.int('cpu-quota') ?? 0,
    CpuRealtimePeriod: flags.int('cpu-rt-period') ?? 0, CpuRealtimeRuntime: flags.int('cpu-rt-runtime') ?? 0,
    CpusetCpus: flags.string('cpuset-cpus') ?? '', CpusetMems: flags.string('cpuset-mems') ?? '',
    Devices: flags.list('device').map(parseDevice), DeviceCgroupRules: orNull(flags.list('device-cgroup-rule')), DeviceRequests: null,
    MemoryReservation: bytesOf(flags, 'memory-reservation'), MemorySwap: bytesOf(flags, 'memory-swap'), MemorySwappiness: swappiness,
    OomKillDisable: flags.bool('oom-kill-disable'), PidsLimit: flags.int('pids-limit') ?? 0,
    Ulimits: flags.list('ulimit').map(parseUlimit), CpuCount: flags.int('cpu-count') ?? 0, CpuPercent: flags.int('cpu-percent') ?? 0,
    IOMaximumIOps: flags.int('io-maxiops') ?? 0, IOMaximumBandwidth: bytesOf(flags, 'io-maxbandwidth'),
    MaskedPaths: sec.masked, ReadonlyPaths: sec.readonly,
  };
  if (Object.keys(tmpfs).length > 0) hostConfig.Tmpfs = tmpfs;
  if (Object.keys(sysctls).length > 0) hostConfig.Sysctls = sysctls;
  if (Object.keys(annotations).length > 0) hostConfig.Annotations = annotations;
  if (Object.keys(storageOpt).length > 0) hostConfig.StorageOpt = storageOpt;
  if (mounts.length > 0) hostConfig.Mounts = mounts;
  if (runtime !== '') hostConfig.Runtime = runtime;
  if (flags.changed('init')) hostConfig.Init = flags.bool('init');

  const tty = flags.bool('tty');
  const body: ContainerCreateRequest = {
    Hostname: flags.string('hostname') ?? '', Domainname: flags.string('domainname') ?? '', User: flags.string('user') ?? '',
    AttachStdin: attachStdin, AttachStdout: attachStdout, AttachStderr: attachStderr,
    Tty: tty, OpenStdin: interactive, StdinOnce: interactive && attachStdin,
    Env: orNull(env), Cmd: cmd.length > 0 ? cmd : null, Image: image, Volumes: volumes,
    WorkingDir: flags.string('workdir') ?? '', Entrypoint: entrypoint, OnBuild: null, Labels: kvMap(labels),
    HostConfig: hostConfig, NetworkingConfig: { EndpointsConfig: endpoints },
  };
  if (Object.keys(exposed).length > 0) body.ExposedPorts = exposed;
  if (healthcheck) body.Healthcheck = healthcheck;
  const stopSignal = flags.string('stop-signal');
  if (stopSignal !== undefined && stopSignal !== '') body.StopSignal = stopSignal;
  if (flags.changed('stop-timeout')) body.StopTimeout = flags.int('stop-timeout') ?? 0;
  const mac = flags.string('mac-address');
  if (mac !== undefined && mac !== '') body.MacAddress = mac;

  return { body, name: flags.string('name') ?? '', platform: flags.string('platform') ?? '', pull, quiet: flags.bool('quiet') };
}
