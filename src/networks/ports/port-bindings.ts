import { InvalidParameterError } from '../../errdefs/index.js';

/** One port a container asks to publish, before a host port is bound. */
export interface PortRequest {
  proto: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  /** '' = every address (docker's 0.0.0.0). */
  hostIp: string;
  /** 0..0 = an ephemeral port; a range = the first free one in it. */
  hostPortStart: number;
  hostPortEnd: number;
}

type Bindings = Record<string, { HostIp?: string; HostPort?: string }[] | null> | null | undefined;

function parsePortKey(key: string): { port: number; proto: PortRequest['proto'] } {
  const [p = '', proto = 'tcp'] = key.split('/');
  const port = /^\d{1,5}$/.test(p) ? Number(p) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new InvalidParameterError(`invalid port specification: "${key}"`);
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw new InvalidParameterError(`invalid proto: ${proto}`);
  return { port, proto };
}

function parseHostPort(s: string, key: string): [number, number] {
  if (s === '') return [0, 0];
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(s);
  const a = Number(m?.[1]);
  const b = m?.[2] !== undefined ? Number(m[2]) : a;
  if (!m || !(a >= 0 && a <= 65535) || !(b >= a && b <= 65535)) throw new InvalidParameterError(`invalid port specification: "${s}" for ${key}`);
  return [a, b];
}

/** HostConfig.PortBindings (+ PublishAllPorts over ExposedPorts) as requests, validated as docker does at create. */
export function portRequests(bindings: Bindings, exposed: Record<string, unknown> | null | undefined, publishAll: boolean): PortRequest[] {
  const out: PortRequest[] = [];
  const seen = new Set<string>();
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const { port, proto } = parsePortKey(key);
    seen.add(`${port}/${proto}`);
    for (const b of list?.length ? list : [{}]) {
      let hostIp = (b.HostIp ?? '').trim();
      if (hostIp.startsWith('[') && hostIp.endsWith(']')) hostIp = hostIp.slice(1, -1);
      if (hostIp === '0.0.0.0') hostIp = '';
      const [hostPortStart, hostPortEnd] = parseHostPort((b.HostPort ?? '').trim(), key);
      out.push({ proto, containerPort: port, hostIp, hostPortStart, hostPortEnd });
    }
  }
  if (publishAll) {
    for (const key of Object.keys(exposed ?? {})) {
      const { port, proto } = parsePortKey(key);
      if (seen.has(`${port}/${proto}`)) continue;
      out.push({ proto, containerPort: port, hostIp: '', hostPortStart: 0, hostPortEnd: 0 });
    }
  }
  return out;
}

/** Validates the syntax only (at create: the ports are bound at start). */
export function validatePortBindings(bindings: Bindings, exposed: Record<string, unknown> | null | undefined): void {
  portRequests(bindings, exposed, false);
  for (const key of Object.keys(exposed ?? {})) parsePortKey(key);
}
