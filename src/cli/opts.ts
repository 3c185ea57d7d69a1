// Parsers for the structured values of run/create flags: ports, ulimits,
// mounts, devices, restart policies, env and label files. Error texts follow
// docker's (the CLI prints them after "pier: ").

import type { DeviceMapping, MountSpec, PortBinding, RestartPolicy, Ulimit } from '../pkg/engine/index.js';
import { parseRamBytes } from './units.js';

export class OptError extends Error {
  constructor(message: string) { super(message); this.name = 'OptError'; }
}

function portRange(s: string): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a > 65535 || b > 65535 || b < a) return undefined;
  return [a, b];
}

/**
 * docker's nat.ParsePortSpecs: `[ip:][hostPort:]containerPort[/proto]`, ranges
 * allowed. Returns the exposed port keys and the bindings.
 */
export function parsePortSpecs(specs: readonly string[]): { exposed: Record<string, Record<string, never>>; bindings: Record<string, PortBinding[]> } {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, PortBinding[]> = {};
  for (const raw of specs) {
    let rest = raw;
    let proto = 'tcp';
    const slash = rest.lastIndexOf('/');
    if (slash >= 0) { proto = rest.slice(slash + 1); rest = rest.slice(0, slash); }
    let ip = '';
    let hostPort = '';
    let containerPort: string;
    const br = /^\[([^\]]*)\]:(.*)$/.exec(rest);
    if (br) {
      ip = br[1] ?? '';
      const parts = (br[2] ?? '').split(':');
      if (parts.length === 1) { containerPort = parts[0] ?? ''; } else { hostPort = parts[0] ?? ''; containerPort = parts[1] ?? ''; }
    } else {
      const parts = rest.split(':');
      if (parts.length === 1) containerPort = parts[0] ?? '';
      else if (parts.length === 2) { hostPort = parts[0] ?? ''; containerPort = parts[1] ?? ''; }
      else { containerPort = parts[parts.length - 1] ?? ''; hostPort = parts[parts.length - 2] ?? ''; ip = parts.slice(0, -2).join(':'); }
    }
    if (ip !== '' && !isIp(ip)) throw new OptError(`invalid IP address: ${ip}`);
    if (containerPort === '') throw new OptError(`no port specified: ${raw}<empty>`);
    const cr = portRange(containerPort);
    if (!cr) throw new OptError(`invalid containerPort: ${containerPort}`);
    let hr: [number, number] | undefined;
    if (hostPort !== '') {
      hr = portRange(hostPort);
      if (!hr) throw new OptError(`invalid hostPort: ${hostPort}`);
    }
    if (!['tcp', 'udp', 'sctp'].includes(proto.toLowerCase())) throw new OptError(`invalid proto: ${proto}`);
    proto = proto.toLowerCase();
    if (hr && hr[1] - hr[0] !== cr[1] - cr[0] && cr[1] !== cr[0]) {
      throw new OptError(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
    }
    for (let i = 0; i <= cr[1] - cr[0]; i++) {
      const key = `${cr[0] + i}/${proto}`;
      exposed[key] = {};
      let hp = '';
      if (hr) hp = hr[1] - hr[0] === cr[1] - cr[0] ? String(hr[0] + i) : `${hr[0]}-${hr[1]}`;
      (bindings[key] ??= []).push({ HostIp: ip, HostPort: hp });
    }
  }
  return { exposed, bindings };
}

function isIp(s: string): boolean {
  return /^(\d{1,3})(\.\d{1,3}){3}$/.test(s) || (/^[0-9a-fA-F:.]+$/.test(s) && s.includes(':'));
}

/** `--expose 7000` or `7000-7002/udp`. */
export function parseExpose(e: string): string[] {
  if (e.includes(':')) throw new OptError(`invalid port format for --expose: ${e}`);
  const [port = '', proto = 'tcp'] = e.split('/');
  const r = portRange(port);
  if (!r) throw new OptError(`invalid range format for --expose: ${e}, error: invalid syntax`);
  const out: string[] = [];
  for (let p = r[0]; p <= r[1]; p++) out.push(`${p}/${proto}`);
  return out;
}

/** `--ulimit nofile=1024:2048`. */
export function parseUlimit(s: string): Ulimit {
  const [name = '', val] = s.split('=', 2);
  if (val === undefined) throw new OptError(`invalid ulimit argument: ${s}`);
  const [soft = '', hard] = val.split(':', 2);
  const n = (x: string): number => {
    if (!/^-?\d+$/.test(x)) throw new OptError(`invalid ulimit argument: ${s}`);
    return Number(x);
  };
  const Soft = n(soft);
  const Hard = hard === undefined ? Soft : n(hard);
  if (Soft > Hard) throw new OptError(`ulimit soft limit must be less than or equal to hard limit: ${Soft} > ${Hard}`);
  return { Name: name, Hard, Soft };
}

/** `--restart on-failure:3`. */
export function parseRestartPolicy(s: string): RestartPolicy {
  if (s === '') return { Name: 'no', MaximumRetryCount: 0 };
  const [name = '', count] = s.split(':', 2);
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name)) throw new OptError(`invalid restart policy '${name}'`);
  if (count !== undefined) {
    if (name !== 'on-failure') throw new OptError(`maximum retry count can only be used with 'on-failure'`);
    if (!/^\d+$/.test(count)) throw new OptError(`invalid restart policy format: maximum retry count must be an integer`);
  }
  return { Name: name as RestartPolicy['Name'], MaximumRetryCount: count === undefined ? 0 : Number(count) };
}

/** A key=value file (env or labels), docker's kvfile rules. `lookup` fills bare keys (env only). */
export function parseKvFile(text: string, lookup: ((k: string) => string | undefined) | undefined): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.trimStart();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq >= 0 ? line.slice(0, eq) : line;
    if (key === '') throw new OptError(`no variable name on line '${line}'`);
    if (/\s/.test(key)) throw new OptError(`variable '${key}' contains whitespaces`);
    if (eq >= 0) { out.push(line); continue; }
    const v = lookup?.(line);
    if (v !== undefined) out.push(`${key}=${v}`);
  }
  return out;
}

/** `-e A` takes A's value from the environment when it is set (docker's ValidateEnv). */
export function expandEnv(e: string, env: NodeJS.ProcessEnv): string {
  const eq = e.indexOf('=');
  const key = eq >= 0 ? e.slice(0, eq) : e;
  if (key === '') throw new OptError(`invalid environment variable: ${e}`);
  if (eq >= 0) return e;
  const v = env[key];
  return v === undefined ? e : `${key}=${v}`;
}

/** `--mount type=bind,source=/a,target=/b,readonly`. */
export function parseMount(s: string): MountSpec {
  const m: MountSpec = { Type: 'volume', Target: '' };
  const bool = (k: string, v: string | undefined): boolean => {
    if (v === undefined) return true;
    const t = v.toLowerCase();
    if (['1', 'true', 't'].includes(t)) return true;
    if (['0', 'false', 'f'].includes(t)) return false;
    throw new OptError(`invalid value for ${k}: ${v}`);
  };
  const volOpts = (): NonNullable<MountSpec['VolumeOptions']> => (m.VolumeOptions ??= {});
  for (const field of s.split(',')) {
    const eq = field.indexOf('=');
    const k = (eq >= 0 ? field.slice(0, eq) : field).trim().toLowerCase();
    const v = eq >= 0 ? field.slice(eq + 1) : undefined;
    const need = (): string => { if (v === undefined) throw new OptError(`invalid field '${field}' must be a key=value pair`); return v; };
    switch (k) {
      case 'type': {
        const t = need();
        if (!['bind', 'volume', 'tmpfs', 'npipe', 'cluster', 'image'].includes(t)) throw new OptError(`invalid mount type: ${t}`);
        m.Type = t as MountSpec['Type'];
        break;
      }
      case 'source': case 'src': m.Source = need(); break;
      case 'target': case 'dst': case 'destination': m.Target = need(); break;
      case 'readonly': case 'ro': m.ReadOnly = bool(k, v); break;
      case 'consistency': m.Consistency = need(); break;
      case 'bind-propagation': m.BindOptions = { ...m.BindOptions, Propagation: need() }; break;
      case 'bind-nonrecursive': m.BindOptions = { ...m.BindOptions, NonRecursive: bool(k, v) }; break;
      case 'bind-create-mountpoint': m.BindOptions = { ...m.BindOptions, CreateMountpoint: bool(k, v) }; break;
      case 'volume-nocopy': volOpts().NoCopy = bool(k, v); break;
      case 'volume-subpath': volOpts().Subpath = need(); break;
      case 'volume-label': {
        const [lk = '', lv = ''] = need().split('=', 2);
        volOpts().Labels = { ...volOpts().Labels, [lk]: lv };
        break;
      }
      case 'volume-driver': volOpts().DriverConfig = { ...volOpts().DriverConfig, Name: need() }; break;
      case 'volume-opt': {
        const [ok = '', ov = ''] = need().split('=', 2);
        const dc = volOpts().DriverConfig ?? {};
        volOpts().DriverConfig = { ...dc, Options: { ...dc.Options, [ok]: ov } };
        break;
      }
      case 'tmpfs-size': {
        try { m.TmpfsOptions = { ...m.TmpfsOptions, SizeBytes: parseRamBytes(need()) }; } catch { throw new OptError(`invalid value for ${k}: ${v ?? ''}`); }
        break;
      }
      case 'tmpfs-mode': {
        const mode = Number.parseInt(need(), 8);
        if (Number.isNaN(mode)) throw new OptError(`invalid value for ${k}: ${v ?? ''}`);
        m.TmpfsOptions = { ...m.TmpfsOptions, Mode: mode };
        break;
      }
      default: throw new OptError(`unexpected key '${k}' in '${field}'`);
    }
  }
  if (m.Target === '') throw new OptError('target is required');
  if (m.Type !== 'volume' && m.VolumeOptions) throw new OptError(`cannot mix 'volume-*' options with mount type '${m.Type}'`);
  if (m.Type !== 'bind' && m.BindOptions) throw new OptError(`cannot mix 'bind-*' options with mount type '${m.Type}'`);
  if (m.Type !== 'tmpfs' && m.TmpfsOptions) throw new OptError(`cannot mix 'tmpfs-*' options with mount type '${m.Type}'`);
  return m;
}

/** `--device /dev/x[:/dev/y][:rwm]`. */
export function parseDevice(s: string): DeviceMapping {
  const parts = s.split(':');
  const src = parts[0] ?? '';
  let dst = src;
  let perms = 'rwm';
  if (parts.length === 2) {
    if (/^[rwm]+$/.test(parts[1] ?? '')) perms = parts[1] ?? perms; else dst = parts[1] ?? dst;
  } else if (parts.length === 3) { dst = parts[1] ?? dst; perms = parts[2] ?? perms; } else if (parts.length > 3) throw new OptError(`invalid device specification: ${s}`);
  if (!/^[rwm]+$/.test(perms)) throw new OptError(`invalid device mode: ${perms}`);
  if (!dst.startsWith('/')) throw new OptError(`${dst} is not an absolute path`);
  return { PathOnHost: src, PathInContainer: dst, CgroupPermissions: perms };
}

/** `k=v` list → map (a bare `k` maps to ""). */
export function kvMap(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of list) {
    const eq = e.indexOf('=');
    if (eq < 0) out[e] = ''; else out[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return out;
}
