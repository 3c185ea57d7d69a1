// TCP half of the port proxy: one listener, and per accepted connection one upstream
// connection to the container, relayed byte for byte in both directions.

import { createServer, connect, isIP, type Server, type Socket } from 'node:net';
import type { Logger } from '../../pkg/log/index.js';
import type { ProxySpec, RunningProxy } from './port-proxy.js';

/** Binds hostIp:spec.hostPort; rejects with the raw listen error (port-proxy.ts classifies it). */
export async function startTcpProxy(spec: ProxySpec, hostIp: string, log: Logger): Promise<RunningProxy> {
  // allowHalfOpen: a client that shuts down its write side must still receive the reply, so
  // our side of the connection stays writable after its FIN. pauseOnConnect: nothing is read
  // from the client until the upstream connection exists to take it.
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
  const live = new Set<Socket>();
  const track = (s: Socket): void => { live.add(s); s.once('close', () => live.delete(s)); };

  server.on('connection', (client) => { relay(client, spec, log, track); });
  await listen(server, hostIp, spec.hostPort);
  // Accept errors (EMFILE and the like) must not crash the daemon; the listener keeps going.
  server.on('error', (err) => { log.debug('port proxy listener error', { err }); });

  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : spec.hostPort;
  let closing: Promise<void> | undefined;
  return {
    spec,
    port,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        // server.close() waits for accepted connections to end, so destroy them (and their
        // upstream halves) right after it stops accepting.
        server.close(() => { resolve(); });
        for (const s of live) s.destroy();
      });
      return closing;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => { server.off('listening', onListening); reject(err); };
    const onListening = (): void => { server.off('error', onError); resolve(); };
    server.once('error', onError);
    server.once('listening', onListening);
    // ipv6Only: like docker-proxy (Go's "tcp6" listener), [::]:p and 0.0.0.0:p are separate
    // bindings, so publishing both for one port does not collide with itself.
    server.listen({ host, port, exclusive: true, ipv6Only: isIP(host) === 6 });
  });
}

function relay(client: Socket, spec: ProxySpec, log: Logger, track: (s: Socket) => void): void {
  track(client);
  const upstream = connect({ host: spec.targetIp, port: spec.targetPort, allowHalfOpen: true, noDelay: true });
  track(upstream);

  // Any error on either side ends the whole relay: there is no way to report it to the peer
  // except by closing. A refused upstream lands here too and closes the client, as docker-proxy does.
  let failed = false;
  const fail = (side: 'client' | 'target') => (err: Error): void => {
    if (!failed) {
      failed = true;
      log.debug('port proxy connection error', { side, client: `${client.remoteAddress}:${client.remotePort}`, err });
    }
    client.destroy();
    upstream.destroy();
  };
  client.on('error', fail('client'));
  upstream.on('error', fail('target'));

  upstream.once('connect', () => {
    // .pipe() rather than stream.pipeline(): pipeline treats one direction finishing as the end
    // of the stream and destroys a duplex that is still open the other way, which breaks
    // half-close. .pipe() forwards end() (the FIN) per direction and handles backpressure;
    // errors are caught by the handlers above. Each socket is auto-destroyed once both of its
    // directions are done, so a clean close needs no extra bookkeeping.
    client.pipe(upstream);
    upstream.pipe(client);
  });
}
