// UDP half of the port proxy. UDP has no connections, so the proxy keeps a "flow" per client
// address: an upstream socket connected to the container. The container therefore sees one
// stable source port per client, and its replies come back on that socket and are sent to the
// client from the bound socket, which is the address the client wrote to.

import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from '../../pkg/log/index.js';
import type { ProxySpec, RunningProxy } from './port-proxy.js';

export interface UdpProxyOptions {
  idleTimeoutMs: number;
  maxClients: number;
}

interface Flow {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly upstream: Socket;
  readonly timer: NodeJS.Timeout;
  connected: boolean;
  /** datagrams that arrived before the upstream connect() finished */
  pending: Buffer[] | undefined;
}

// Node throws from send() on a socket whose connect() is still in progress, so the first
// datagrams of a flow wait here; beyond this many, they are dropped as the network could.
const MAX_PENDING = 64;

/** Binds hostIp:spec.hostPort; rejects with the raw bind error (port-proxy.ts classifies it). */
export async function startUdpProxy(
  spec: ProxySpec, hostIp: string, log: Logger, opts: UdpProxyOptions,
): Promise<RunningProxy> {
  const v6 = isIP(hostIp) === 6;
  // ipv6Only: [::]:p and 0.0.0.0:p are separate bindings, as with docker-proxy (Go's "udp6").
  const bound = createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6 });
  await bind(bound, hostIp, spec.hostPort);
  const port = bound.address().port;

  // Map order is recency order: a flow is moved to the end on every datagram from its client,
  // so the first entry is the one to evict when the table is full.
  const flows = new Map<string, Flow>();
  const targetType = isIP(spec.targetIp) === 6 ? 'udp6' : 'udp4';
  let closed = false;

  const closeFlow = (flow: Flow, reason: string): void => {
    clearTimeout(flow.timer);
    if (flows.get(flow.key) === flow) flows.delete(flow.key);
    flow.pending = undefined;
    try {
      flow.upstream.close();
    } catch {
      // already closed (ERR_SOCKET_DGRAM_NOT_RUNNING): nothing left to release
    }
    log.debug('port proxy udp flow closed', { client: flow.key, reason });
  };

  const openFlow = (address: string, clientPort: number, key: string): Flow => {
    const oldest = flows.values().next();
    if (flows.size >= opts.maxClients && !oldest.done) closeFlow(oldest.value, 'evicted');
    const upstream = createSocket(targetType);
    const flow: Flow = {
      key, address, port: clientPort, upstream, connected: false, pending: [],
      timer: setTimeout(() => { closeFlow(flow, 'idle'); }, opts.idleTimeoutMs),
    };
    // Timers must not keep a daemon that is otherwise shutting down alive.
    flow.timer.unref();
    // ECONNREFUSED (ICMP port unreachable while the container is not listening yet) and
    // send failures land here; the flow stays, as docker-proxy keeps reading after them.
    upstream.on('error', (err) => { log.debug('port proxy udp upstream error', { client: key, err }); });
    upstream.on('message', (reply) => {
      flow.timer.refresh();
      if (!closed) bound.send(reply, flow.port, flow.address);
    });
    upstream.connect(spec.targetPort, spec.targetIp, () => {
      flow.connected = true;
      const queued = flow.pending ?? [];
      flow.pending = undefined;
      for (const msg of queued) upstream.send(msg);
    });
    flows.set(key, flow);
    log.debug('port proxy udp flow opened', { client: key });
    return flow;
  };

  bound.on('message', (msg, rinfo) => {
    if (closed) return;
    // '|' cannot occur in an IP address, so the key is unambiguous for IPv6 too.
    const key = `${rinfo.address}|${rinfo.port}`;
    let flow = flows.get(key);
    if (flow) {
      flows.delete(key);
      flows.set(key, flow);
      flow.timer.refresh();
    } else {
      flow = openFlow(rinfo.address, rinfo.port, key);
    }
    if (flow.connected) flow.upstream.send(msg);
    else if (flow.pending && flow.pending.length < MAX_PENDING) flow.pending.push(msg);
  });
  // A failed send back to a client (or any other socket error) must not crash the daemon.
  bound.on('error', (err) => { log.debug('port proxy udp socket error', { err }); });

  let closing: Promise<void> | undefined;
  return {
    spec,
    port,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        for (const flow of [...flows.values()]) closeFlow(flow, 'proxy closed');
        bound.close(() => { resolve(); });
      });
      return closing;
    },
  };
}

function bind(sock: Socket, address: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      sock.off('listening', onListening);
      // Release the handle so a failed start leaves nothing behind.
      try {
        sock.close();
      } catch {
        // never bound, so there is nothing to close
      }
      reject(err);
    };
    const onListening = (): void => { sock.off('error', onError); resolve(); };
    sock.once('error', onError);
    sock.once('listening', onListening);
    sock.bind({ address, port, exclusive: true });
  });
}
