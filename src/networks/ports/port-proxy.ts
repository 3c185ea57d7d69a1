// The userland port proxy: pierd's in-process stand-in for docker-proxy.
//
// A published port (`-p 127.0.0.1:8081:80`) is normally served by DNAT rules, but the kernel
// does not DNAT traffic that originates on the host and goes to a loopback address, so pierd
// also binds hostIp:hostPort itself and relays to the container. docker runs one docker-proxy
// process per port; pier keeps one listener per port inside the daemon instead.
//
// Lifecycle: startProxy() binds (rejecting with PortAllocatedError when the address is taken,
// leaving nothing bound) and relays until close(). hostPort 0 lets the OS choose; the chosen
// port is `RunningProxy.port`. Only tcp and udp are served, because Node has no SCTP sockets.

import { isIP } from 'node:net';
import { createRequire } from 'node:module';
// require(), not an ESM import: node:util's ESM facade loads ~13 internal modules (~1 MB of RSS).
const { getSystemErrorMessage } = createRequire(import.meta.url)('node:util') as typeof import('node:util');
import { ConflictError, InvalidParameterError, SystemError } from '../../errdefs/index.js';
import type { Logger } from '../../pkg/log/index.js';
import { startTcpProxy } from './port-proxy-tcp.js';
import { startUdpProxy } from './port-proxy-udp.js';

export interface ProxySpec {
  proto: 'tcp' | 'udp' | 'sctp';
  /** '' means 0.0.0.0 (docker's "all IPv4 addresses") */
  hostIp: string;
  /** 0 lets the OS pick a free port */
  hostPort: number;
  targetIp: string;
  targetPort: number;
}

export interface RunningProxy {
  readonly spec: ProxySpec;
  /** the bound port (differs from spec.hostPort when it was 0) */
  readonly port: number;
  /** Stops listening and drops every live connection or UDP flow; idempotent. */
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** How long a UDP client's flow lives without traffic in either direction (docker: 90 s). */
  udpIdleTimeoutMs?: number;
  /** Most UDP clients tracked at once; the least recently active one is dropped beyond it. */
  udpMaxClients?: number;
}

export const DEFAULT_UDP_IDLE_TIMEOUT_MS = 90_000;
export const DEFAULT_UDP_MAX_CLIENTS = 1024;

/** docker's port-allocator error; compose and test suites match on this text. */
export class PortAllocatedError extends ConflictError {
  readonly hostIp: string;
  readonly port: number;
  constructor(hostIp: string, port: number, options?: { cause?: unknown }) {
    super(`Bind for ${hostPortString(hostIp, port)} failed: port is already allocated`, options);
    this.hostIp = hostIp;
    this.port = port;
  }
}

/**
 * Binds spec.hostIp:spec.hostPort and relays every connection (tcp) or datagram (udp) to
 * spec.targetIp:spec.targetPort. Resolves once bound.
 */
export async function startProxy(spec: ProxySpec, log: Logger, opts: ProxyOptions = {}): Promise<RunningProxy> {
  const hostIp = validate(spec);
  const frozen: ProxySpec = Object.freeze({ ...spec });
  const flog = log.child({
    proxy: `${spec.proto} ${hostPortString(hostIp, spec.hostPort)} -> ${hostPortString(spec.targetIp, spec.targetPort)}`,
  });
  try {
    if (spec.proto === 'tcp') return await startTcpProxy(frozen, hostIp, flog);
    return await startUdpProxy(frozen, hostIp, flog, {
      idleTimeoutMs: opts.udpIdleTimeoutMs ?? DEFAULT_UDP_IDLE_TIMEOUT_MS,
      maxClients: opts.udpMaxClients ?? DEFAULT_UDP_MAX_CLIENTS,
    });
  } catch (err) {
    throw bindError(spec.proto, hostIp, spec.hostPort, err);
  }
}

/** `ip:port`, with IPv6 in brackets as docker prints it (`[::]:8080`). */
export function hostPortString(ip: string, port: number): string {
  return isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

// Returns the address to bind; throws InvalidParameterError for anything Node cannot serve,
// before any socket exists.
function validate(spec: ProxySpec): string {
  const hostIp = spec.hostIp === '' ? '0.0.0.0' : spec.hostIp;
  if (spec.proto === 'sctp') {
    throw new InvalidParameterError(
      `Cannot publish ${hostPortString(hostIp, spec.hostPort)}/sctp: the userland proxy serves only tcp and udp`);
  }
  if (spec.proto !== 'tcp' && spec.proto !== 'udp') {
    throw new InvalidParameterError(`Cannot start port proxy: unknown protocol "${String(spec.proto)}"`);
  }
  if (isIP(hostIp) === 0) throw new InvalidParameterError(`Cannot start port proxy: invalid host IP "${spec.hostIp}"`);
  if (isIP(spec.targetIp) === 0) {
    throw new InvalidParameterError(`Cannot start port proxy: invalid target IP "${spec.targetIp}"`);
  }
  if (!isPort(spec.hostPort, 0)) throw new InvalidParameterError(`Cannot start port proxy: invalid host port "${spec.hostPort}"`);
  if (!isPort(spec.targetPort, 1)) {
    throw new InvalidParameterError(`Cannot start port proxy: invalid target port "${spec.targetPort}"`);
  }
  return hostIp;
}

function isPort(n: number, min: number): boolean {
  return Number.isInteger(n) && n >= min && n <= 65535;
}

// EADDRINUSE is docker's "port is already allocated"; any other bind failure keeps docker's
// userland-proxy wording (`listen tcp4 0.0.0.0:80: bind: permission denied`) with the errno text.
function bindError(proto: string, hostIp: string, port: number, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE') return new PortAllocatedError(hostIp, port, { cause: err });
  const text = typeof e.errno === 'number' && e.errno < 0 ? getSystemErrorMessage(e.errno) : (e.message ?? String(err));
  const family = isIP(hostIp) === 6 ? '6' : '4';
  return new SystemError(
    `Error starting userland proxy: listen ${proto}${family} ${hostPortString(hostIp, port)}: bind: ${text}`,
    { cause: err },
  );
}
