import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket, type RemoteInfo } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { ConflictError, InvalidParameterError, SystemError } from '../../errdefs/index.js';
import { nullLogger } from '../../pkg/log/index.js';
import { PortAllocatedError, startProxy, type ProxyOptions, type RunningProxy } from './port-proxy.js';

const LO = '127.0.0.1';

async function listenTcp(t: TestContext, onConn: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const accepted = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (s) => { accepted.add(s); onConn(s); });
  server.listen(0, LO);
  await once(server, 'listening');
  t.after(() => { server.close(); for (const s of accepted) s.destroy(); });
  const addr = server.address();
  assert.ok(addr !== null && typeof addr === 'object');
  return { server, port: addr.port };
}

/** An echo target that also counts its connections and keeps them for inspection. */
async function echoTarget(t: TestContext): Promise<{ port: number; conns: Socket[] }> {
  const conns: Socket[] = [];
  const { port } = await listenTcp(t, (s) => { conns.push(s); s.on('error', () => {}); s.pipe(s); });
  return { port, conns };
}

async function proxy(t: TestContext, proto: 'tcp' | 'udp', targetPort: number, opts?: ProxyOptions): Promise<RunningProxy> {
  const p = await startProxy({ proto, hostIp: LO, hostPort: 0, targetIp: LO, targetPort }, nullLogger, opts);
  t.after(() => p.close());
  return p;
}

/** Writes payload, half-closes, and returns everything read until the peer's end. */
async function exchange(port: number, payload: Buffer): Promise<Buffer> {
  const sock = connect({ host: LO, port, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  sock.on('data', (c: Buffer) => chunks.push(c));
  sock.end(payload);
  await once(sock, 'end');
  sock.destroy();
  return Buffer.concat(chunks);
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function canBindUdp(port: number): Promise<boolean> {
  const s = createSocket('udp4');
  try {
    s.bind(port, LO);
    await once(s, 'listening');
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') return false;
    throw err;
  } finally {
    s.close();
  }
}

async function udpSocket(t: TestContext): Promise<UdpSocket> {
  const s = createSocket('udp4');
  s.bind(0, LO);
  await once(s, 'listening');
  t.after(() => { s.close(); });
  return s;
}

/** UDP echo target that records the source port of every datagram it receives. */
async function udpEchoTarget(t: TestContext): Promise<{ port: number; sources: number[] }> {
  const s = await udpSocket(t);
  const sources: number[] = [];
  s.on('message', (msg: Buffer, r: RemoteInfo) => { sources.push(r.port); s.send(msg, r.port, r.address); });
  return { port: s.address().port, sources };
}

function collect(s: UdpSocket): Buffer[] {
  const got: Buffer[] = [];
  s.on('message', (m: Buffer) => got.push(m));
  return got;
}

test('tcp proxy relays an 8 MiB payload both ways byte for byte', async (t) => {
  const target = await echoTarget(t);
  const p = await proxy(t, 'tcp', target.port);
  const payload = randomBytes(8 * 1024 * 1024);
  const reply = await exchange(p.port, payload);
  assert.equal(reply.length, payload.length);
  assert.ok(reply.equals(payload), 'echoed bytes differ from the payload');
});

test('tcp proxy applies backpressure: a client that does not read stalls the target', { timeout: 20_000 }, async (t) => {
  // The target writes as fast as it is allowed, up to 128 MiB. Kernel socket buffers on the
  // two loopback hops hold a few MiB each; a proxy that read without backpressure would let
  // the target write everything into its memory.
  const limit = 128 * 1024 * 1024;
  const chunk = Buffer.alloc(1024 * 1024, 7);
  let written = 0;
  const { port } = await listenTcp(t, (s) => {
    s.on('error', () => {});
    const pump = (): void => {
      while (written < limit && !s.destroyed) {
        written += chunk.length;
        if (!s.write(chunk)) { s.once('drain', pump); return; }
      }
    };
    pump();
  });
  const p = await proxy(t, 'tcp', port);
  const sock = connect({ host: LO, port: p.port }); // never read: no 'data' listener
  sock.on('error', () => {});
  t.after(() => { sock.destroy(); });
  // Wait until the target has stopped making progress for 300 ms (or has written everything).
  let last = -1;
  let stableSince = Date.now();
  await waitFor('the target to stall', () => {
    if (written !== last) { last = written; stableSince = Date.now(); }
    return written >= limit || (written > 0 && Date.now() - stableSince >= 300);
  }, 15_000);
  assert.ok(written < 64 * 1024 * 1024, `target wrote ${written} bytes to a client that reads nothing`);
});

test('tcp proxy forwards a half-close and the client still receives the reply', async (t) => {
  // The target answers only after it has seen the client's FIN, so the FIN must cross the
  // proxy while the reply direction stays open.
  const { port } = await listenTcp(t, (s) => {
    let n = 0;
    s.on('data', (c: Buffer) => { n += c.length; });
    s.on('end', () => { s.end(`got ${n} bytes`); });
  });
  const p = await proxy(t, 'tcp', port);
  const reply = await exchange(p.port, Buffer.from('hello, half-open world'));
  assert.equal(reply.toString(), 'got 22 bytes');
});

test('tcp proxy closes the client connection when the target refuses', { timeout: 10_000 }, async (t) => {
  const { server, port } = await listenTcp(t, () => {});
  server.close();
  await once(server, 'close');
  const p = await proxy(t, 'tcp', port);
  const sock = connect({ host: LO, port: p.port });
  let bytes = 0;
  sock.on('data', (c: Buffer) => { bytes += c.length; });
  // A reset is as good as a FIN here; events.once() would reject on 'error', so wait by hand.
  sock.on('error', () => {});
  const closed = new Promise((resolve) => sock.once('close', resolve));
  sock.write('anyone there?');
  await closed;
  assert.equal(bytes, 0);
});

test('tcp proxy serves two concurrent clients each with its own stream', async (t) => {
  const target = await echoTarget(t);
  const p = await proxy(t, 'tcp', target.port);
  const a = randomBytes(512 * 1024);
  const b = randomBytes(512 * 1024);
  const [ra, rb] = await Promise.all([exchange(p.port, a), exchange(p.port, b)]);
  assert.ok(ra.equals(a), 'client a got bytes that are not its own');
  assert.ok(rb.equals(b), 'client b got bytes that are not its own');
  assert.equal(target.conns.length, 2);
});

test('host port 0 binds a real port chosen by the OS', async (t) => {
  const target = await echoTarget(t);
  const p = await proxy(t, 'tcp', target.port);
  assert.equal(p.spec.hostPort, 0);
  assert.ok(p.port > 0 && p.port <= 65535);
  assert.equal((await exchange(p.port, Buffer.from('ping'))).toString(), 'ping');
  const u = await proxy(t, 'udp', target.port);
  assert.ok(u.port > 0 && u.port <= 65535);
});

test('a taken tcp port rejects with PortAllocatedError in docker words and leaves nothing bound', async (t) => {
  const { server, port } = await listenTcp(t, () => {});
  const spec = { proto: 'tcp' as const, hostIp: LO, hostPort: port, targetIp: LO, targetPort: 9 };
  await assert.rejects(startProxy(spec, nullLogger), (err: unknown) => {
    assert.ok(err instanceof PortAllocatedError);
    assert.ok(err instanceof ConflictError);
    assert.equal(err.message, `Bind for 127.0.0.1:${port} failed: port is already allocated`);
    return true;
  });
  await assert.rejects(startProxy({ ...spec, hostIp: '' }, nullLogger),
    { message: `Bind for 0.0.0.0:${port} failed: port is already allocated` });
  server.close();
  await once(server, 'close');
  const p = await startProxy(spec, nullLogger);
  assert.equal(p.port, port);
  await p.close();
});

test('a taken udp port rejects with PortAllocatedError', async (t) => {
  const blocker = await udpSocket(t);
  const port = blocker.address().port;
  await assert.rejects(
    startProxy({ proto: 'udp', hostIp: LO, hostPort: port, targetIp: LO, targetPort: 9 }, nullLogger),
    (err: unknown) => err instanceof PortAllocatedError
      && err.message === `Bind for 127.0.0.1:${port} failed: port is already allocated`,
  );
});

test('PortAllocatedError prints IPv6 addresses in brackets', () => {
  assert.equal(new PortAllocatedError('::', 8080).message, 'Bind for [::]:8080 failed: port is already allocated');
});

test('sctp and malformed specs are refused with InvalidParameterError', async () => {
  const base = { hostIp: LO, hostPort: 0, targetIp: LO, targetPort: 80 };
  await assert.rejects(startProxy({ ...base, proto: 'sctp' }, nullLogger), InvalidParameterError);
  await assert.rejects(startProxy({ ...base, proto: 'tcp', hostIp: 'localhost' }, nullLogger), InvalidParameterError);
  await assert.rejects(startProxy({ ...base, proto: 'tcp', targetPort: 0 }, nullLogger), InvalidParameterError);
  await assert.rejects(startProxy({ ...base, proto: 'udp', hostPort: 70000 }, nullLogger), InvalidParameterError);
});

test('a bind failure other than EADDRINUSE is a SystemError with the errno text', async () => {
  // 192.0.2.1 (TEST-NET-1) is never assigned to this host, so bind fails with EADDRNOTAVAIL.
  const spec = { proto: 'tcp' as const, hostIp: '192.0.2.1', hostPort: 0, targetIp: LO, targetPort: 80 };
  await assert.rejects(startProxy(spec, nullLogger), (err: unknown) => {
    assert.ok(err instanceof SystemError);
    assert.equal(err.message, 'Error starting userland proxy: listen tcp4 192.0.2.1:0: bind: address not available');
    return true;
  });
});

test('close() drops live connections, frees the port and is idempotent', { timeout: 10_000 }, async (t) => {
  const target = await echoTarget(t);
  const p = await proxy(t, 'tcp', target.port);
  const sock = connect({ host: LO, port: p.port });
  sock.on('error', () => {});
  sock.write('ping');
  await once(sock, 'data'); // the relay is fully established
  const targetSide = target.conns[0];
  assert.ok(targetSide);
  const clientClosed = new Promise((resolve) => sock.once('close', resolve));
  const targetClosed = new Promise((resolve) => targetSide.once('close', resolve));
  await Promise.all([p.close(), p.close()]);
  await clientClosed;
  await targetClosed;
  const again = createServer();
  again.listen(p.port, LO);
  await once(again, 'listening');
  again.close();
  await p.close();
});

test('udp proxy relays both ways and keeps two clients apart', async (t) => {
  const target = await udpEchoTarget(t);
  const p = await proxy(t, 'udp', target.port);
  const a = await udpSocket(t);
  const b = await udpSocket(t);
  const gotA = collect(a);
  const gotB = collect(b);
  const big = randomBytes(60_000); // near the 64 KiB datagram limit
  for (const m of ['a1', 'a2', 'a3']) a.send(m, p.port, LO);
  for (const m of ['b1', 'b2']) b.send(m, p.port, LO);
  a.send(big, p.port, LO);
  await waitFor('all replies', () => gotA.length === 4 && gotB.length === 2);
  assert.deepEqual(gotA.slice(0, 3).map(String).sort(), ['a1', 'a2', 'a3']);
  assert.ok(gotA.some((m) => m.equals(big)), 'the large datagram did not come back intact');
  assert.deepEqual(gotB.map(String).sort(), ['b1', 'b2']);
  // Each client is one flow: one stable upstream port per client, different between clients.
  const ports = new Set(target.sources);
  assert.equal(ports.size, 2);
});

test('udp flows expire after the idle timeout and close their upstream socket', { timeout: 10_000 }, async (t) => {
  const target = await udpEchoTarget(t);
  const p = await proxy(t, 'udp', target.port, { udpIdleTimeoutMs: 300 });
  const c = await udpSocket(t);
  const got = collect(c);
  c.send('first', p.port, LO);
  await waitFor('first reply', () => got.length === 1);
  const upstreamPort = target.sources[0];
  assert.ok(upstreamPort !== undefined);
  // While the flow lives its upstream socket holds the port; once expired the port is free.
  assert.equal(await canBindUdp(upstreamPort), false);
  await waitFor('upstream socket to close', () => canBindUdp(upstreamPort));
  c.send('second', p.port, LO);
  await waitFor('reply on a fresh flow', () => got.length === 2);
  assert.equal(target.sources.length, 2);
});

test('udp proxy evicts the least recently active client beyond the cap', { timeout: 10_000 }, async (t) => {
  const target = await udpEchoTarget(t);
  const p = await proxy(t, 'udp', target.port, { udpMaxClients: 2 });
  const clients = [await udpSocket(t), await udpSocket(t), await udpSocket(t)];
  for (const [i, c] of clients.entries()) {
    const got = collect(c);
    c.send(`c${i}`, p.port, LO);
    await waitFor(`reply to c${i}`, () => got.length === 1);
  }
  const [first, second, third] = target.sources;
  assert.ok(first !== undefined && second !== undefined && third !== undefined);
  await waitFor('the oldest flow to be evicted', () => canBindUdp(first));
  assert.equal(await canBindUdp(second), false);
  assert.equal(await canBindUdp(third), false);
});
