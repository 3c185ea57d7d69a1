import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server } from 'node:net';
import {
  decode, encode, AUTHORITATIVE_ANSWER, RECURSION_AVAILABLE, RECURSION_DESIRED,
  type DecodedPacket, type RecordType,
} from 'dns-packet';
import { ConflictError } from '../../errdefs/index.js';
import { createLogger } from '../../pkg/log/index.js';
import { EmbeddedDns, type DnsRecords } from './index.js';

const HOST = '127.0.0.1';
const rcodeOf = (p: DecodedPacket): string => (p as DecodedPacket & { rcode: string }).rcode;

interface FakeRecords extends DnsRecords { calls: string[][] }

function fakeRecords(names: Record<string, string[]>, ptrs: Record<string, string> = {}): FakeRecords {
  const calls: string[][] = [];
  return {
    calls,
    lookup(key, name, clientIp) { calls.push(['lookup', key, name, clientIp]); return names[name]; },
    reverse(key, ip) { calls.push(['reverse', key, ip]); return ptrs[ip]; },
  };
}

interface Started { dns: EmbeddedDns; port: number; logs: Array<Record<string, unknown>> }

async function start(t: TestContext, o: {
  records?: DnsRecords; upstreams?: string[]; forward?: boolean; timeoutMs?: number;
} = {}): Promise<Started> {
  const logs: Array<Record<string, unknown>> = [];
  const dns = new EmbeddedDns({
    records: o.records ?? fakeRecords({}),
    upstreams: () => o.upstreams ?? [],
    log: createLogger({ level: 'debug', write: (line) => { logs.push(JSON.parse(line) as Record<string, unknown>); } }),
    timeoutMs: o.timeoutMs ?? 2000,
  });
  t.after(() => dns.closeAll());
  const { port } = await dns.listen('net1', HOST, { port: 0, forward: o.forward ?? true });
  return { dns, port, logs };
}

function query(name: string, type: RecordType = 'A', id = 4242): Buffer {
  return encode({ type: 'query', id, flags: RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] });
}

/** Sends each packet in order from one socket and resolves with the first datagram back. */
async function udpAsk(t: TestContext, port: number, ...packets: Buffer[]): Promise<Buffer> {
  const sock = createSocket('udp4');
  t.after(() => { try { sock.close(); } catch { /* closed already */ } });
  await new Promise<void>((resolve) => { sock.bind(0, HOST, resolve); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('no UDP reply within 5 s')); }, 5000);
    sock.once('message', (msg) => { clearTimeout(timer); resolve(msg); });
    for (const p of packets) sock.send(p, port, HOST);
  });
}

/** Writes raw bytes on a TCP connection; resolves with the first frame, or undefined if the server hangs up. */
function tcpExchange(port: number, bytes: Buffer): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: HOST, port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('no TCP reply within 5 s')); }, 5000);
    sock.on('connect', () => { sock.write(bytes); });
    sock.on('error', reject);
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(timer);
        sock.destroy();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    sock.on('close', () => { clearTimeout(timer); resolve(undefined); });
  });
}

function framed(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

interface FakeUpstream { addr: string; udp: Buffer[]; tcp: Buffer[]; sent: Buffer[] }
type Respond = (q: DecodedPacket, raw: Buffer) => Buffer[];

/** A DNS server on loopback (UDP and TCP on one port) that records what it gets and replies with `respond`. */
async function fakeUpstream(t: TestContext, respond: Respond): Promise<FakeUpstream> {
  const up: FakeUpstream = { addr: '', udp: [], tcp: [], sent: [] };
  for (let attempt = 0; attempt < 8 && up.addr === ''; attempt++) {
    const udp: UdpSocket = createSocket('udp4');
    await new Promise<void>((resolve) => { udp.bind(0, HOST, resolve); });
    const port = udp.address().port;
    const tcp: Server = createServer((sock) => {
      sock.on('error', () => { /* the engine hangs up when it is done; nothing to check */ });
      sock.on('data', (chunk: Buffer) => {
        const raw = chunk.subarray(2);
        up.tcp.push(raw);
        for (const r of respond(decode(raw), raw)) { up.sent.push(r); sock.write(framed(r)); }
      });
    });
    const ok = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => { resolve(false); });
      tcp.listen(port, HOST, () => { resolve(true); });
    });
    if (!ok) { udp.close(); continue; }
    udp.on('message', (raw, rinfo) => {
      up.udp.push(raw);
      for (const r of respond(decode(raw), raw)) { up.sent.push(r); udp.send(r, rinfo.port, rinfo.address); }
    });
    t.after(() => { udp.close(); tcp.close(); });
    up.addr = `${HOST}:${port}`;
  }
  assert.notEqual(up.addr, '', 'fake upstream could not bind one port for UDP and TCP');
  return up;
}

const answerWith = (data: string): Respond => (q) => [encode({
  type: 'response', id: q.id ?? 0, flags: RECURSION_DESIRED | RECURSION_AVAILABLE,
  questions: q.questions ?? [],
  answers: [{ type: 'A', name: q.questions?.[0]?.name ?? '', ttl: 1234, data }],
})];
const silent: Respond = () => [];

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

test('A query for a container name is answered authoritatively with TTL 600', async (t) => {
  const records = fakeRecords({ web: ['10.0.0.2'] });
  const { port } = await start(t, { records });
  const reply = decode(await udpAsk(t, port, query('web', 'A', 777)));
  assert.equal(reply.type, 'response');
  assert.equal(reply.id, 777);
  assert.equal(rcodeOf(reply), 'NOERROR');
  assert.ok(reply.flag_aa && reply.flag_rd && reply.flag_ra);
  assert.deepEqual(reply.questions, [{ name: 'web', type: 'A', class: 'IN' }]);
  assert.deepEqual(reply.answers?.map((a) => [a.type, a.name, (a as { ttl?: number }).ttl, a.type === 'A' && a.data]),
    [['A', 'web', 600, '10.0.0.2']]);
  assert.deepEqual(records.calls, [['lookup', 'net1', 'web', HOST]]);
});

test('names are matched case-insensitively and every address is returned', async (t) => {
  const records = fakeRecords({ 'db.mynet': ['10.0.0.3', '10.0.0.4'] });
  const { port } = await start(t, { records });
  const reply = decode(await udpAsk(t, port, query('Db.MyNet')));
  assert.equal(reply.flags !== undefined && (reply.flags & AUTHORITATIVE_ANSWER) !== 0, true);
  assert.deepEqual(reply.questions?.[0]?.name, 'Db.MyNet', 'the question is echoed as asked');
  assert.deepEqual(reply.answers?.map((a) => a.type === 'A' ? a.data : '').sort(), ['10.0.0.3', '10.0.0.4']);
  assert.deepEqual(records.calls[0], ['lookup', 'net1', 'db.mynet', HOST]);
});

test('AAAA for a container name is an empty NOERROR and is not forwarded', async (t) => {
  const up = await fakeUpstream(t, answerWith('198.51.100.7'));
  const { port } = await start(t, { records: fakeRecords({ web: ['10.0.0.2'] }), upstreams: [up.addr] });
  const reply = decode(await udpAsk(t, port, query('web', 'AAAA')));
  assert.equal(rcodeOf(reply), 'NOERROR');
  assert.equal(reply.flag_aa, true);
  assert.deepEqual(reply.answers, []);
  assert.equal(up.udp.length, 0);
});

test('PTR for a container address is answered from records.reverse', async (t) => {
  const records = fakeRecords({}, { '10.0.0.2': 'web.mynet' });
  const { port } = await start(t, { records });
  const reply = decode(await udpAsk(t, port, query('2.0.0.10.in-addr.arpa', 'PTR')));
  assert.equal(rcodeOf(reply), 'NOERROR');
  assert.deepEqual(reply.answers?.map((a) => [a.type, a.type === 'PTR' && a.data, (a as { ttl?: number }).ttl]),
    [['PTR', 'web.mynet', 600]]);
  assert.deepEqual(records.calls, [['reverse', 'net1', '10.0.0.2']]);
});

test('a name not ours is forwarded and the upstream answer relayed with the client id', async (t) => {
  const up = await fakeUpstream(t, answerWith('198.51.100.7'));
  const { port } = await start(t, { upstreams: [up.addr] });
  const raw = await udpAsk(t, port, query('example.com', 'A', 31337));
  const reply = decode(raw);
  assert.equal(reply.id, 31337);
  assert.deepEqual(reply.answers?.map((a) => [a.type === 'A' && a.data, (a as { ttl?: number }).ttl]), [['198.51.100.7', 1234]]);
  assert.equal(up.udp.length, 1);
  assert.deepEqual(decode(up.udp[0] ?? Buffer.alloc(0)).questions, [{ name: 'example.com', type: 'A', class: 'IN' }]);
  // Unchanged apart from the id: the bytes after the 2-byte id are the upstream's own.
  assert.deepEqual(raw.subarray(2), up.sent[0]?.subarray(2));
});

test('a forwarded reply whose id does not match the query is ignored', async (t) => {
  const up = await fakeUpstream(t, (q, raw) => {
    const forged = answerWith('203.0.113.66')(q, raw)[0] ?? Buffer.alloc(0);
    forged.writeUInt16BE(((q.id ?? 0) + 1) & 0xffff, 0);
    return [forged, ...answerWith('198.51.100.7')(q, raw)];
  });
  const { port } = await start(t, { upstreams: [up.addr] });
  const reply = decode(await udpAsk(t, port, query('example.com')));
  assert.deepEqual(reply.answers?.map((a) => a.type === 'A' && a.data), ['198.51.100.7']);
});

test('an upstream that times out is skipped for the next one', async (t) => {
  const dead = await fakeUpstream(t, silent);
  const live = await fakeUpstream(t, answerWith('198.51.100.8'));
  const { port } = await start(t, { upstreams: [dead.addr, live.addr], timeoutMs: 150 });
  const reply = decode(await udpAsk(t, port, query('example.org')));
  assert.deepEqual(reply.answers?.map((a) => a.type === 'A' && a.data), ['198.51.100.8']);
  assert.equal(dead.udp.length, 1);
  assert.equal(live.udp.length, 1);
});

test('SERVFAIL when no upstream answers', async (t) => {
  const a = await fakeUpstream(t, silent);
  const b = await fakeUpstream(t, silent);
  const { port } = await start(t, { upstreams: ['not-an-ip', a.addr, b.addr], timeoutMs: 100 });
  const reply = decode(await udpAsk(t, port, query('example.net', 'A', 99)));
  assert.equal(rcodeOf(reply), 'SERVFAIL');
  assert.equal(reply.id, 99);
  assert.deepEqual(reply.questions, [{ name: 'example.net', type: 'A', class: 'IN' }]);
  assert.equal(a.udp.length + b.udp.length, 2);
});

test('forward: false answers names not ours with SERVFAIL without asking upstream', async (t) => {
  const up = await fakeUpstream(t, answerWith('198.51.100.7'));
  const { port } = await start(t, { records: fakeRecords({ web: ['10.0.0.2'] }), upstreams: [up.addr], forward: false });
  assert.equal(rcodeOf(decode(await udpAsk(t, port, query('example.com')))), 'SERVFAIL');
  assert.equal(rcodeOf(decode(await udpAsk(t, port, query('9.9.9.9.in-addr.arpa', 'PTR')))), 'SERVFAIL');
  const own = decode(await udpAsk(t, port, query('web')));
  assert.deepEqual(own.answers?.map((a) => a.type === 'A' && a.data), ['10.0.0.2']);
  assert.equal(up.udp.length + up.tcp.length, 0);
});

test('TCP queries are answered locally and forwarded over TCP', async (t) => {
  const up = await fakeUpstream(t, answerWith('198.51.100.9'));
  const { port } = await start(t, { records: fakeRecords({ web: ['10.0.0.2'] }), upstreams: [up.addr] });
  const own = await tcpExchange(port, framed(query('web', 'A', 5)));
  assert.ok(own);
  assert.equal(decode(own).id, 5);
  assert.deepEqual(decode(own).answers?.map((a) => a.type === 'A' && a.data), ['10.0.0.2']);
  const fwd = await tcpExchange(port, framed(query('example.com', 'A', 6)));
  assert.ok(fwd);
  assert.equal(decode(fwd).id, 6);
  assert.deepEqual(decode(fwd).answers?.map((a) => a.type === 'A' && a.data), ['198.51.100.9']);
  assert.equal(up.tcp.length, 1);
  assert.equal(up.udp.length, 0);
});

test('malformed packets are dropped and the server keeps answering', async (t) => {
  const { port, logs } = await start(t, { records: fakeRecords({ web: ['10.0.0.2'] }) });
  const truncated = query('web').subarray(0, 15);
  const asResponse = encode({ type: 'response', id: 1, questions: [{ type: 'A', name: 'web' }] });
  // The first datagram back must answer the last packet: the earlier ones got nothing.
  const reply = decode(await udpAsk(t, port, Buffer.from('junk'), truncated, asResponse, query('web', 'A', 8)));
  assert.equal(reply.id, 8);
  assert.equal(logs.filter((l) => l['msg'] === 'dns dropped malformed packet' && l['level'] === 'debug').length, 2);
  assert.equal(await tcpExchange(port, framed(Buffer.from('garbage-garbage'))), undefined, 'TCP connection closed');
  assert.equal(decode(await udpAsk(t, port, query('web', 'A', 9))).id, 9);
});

test('forwards in flight are bounded; the excess gets SERVFAIL at once', async (t) => {
  const dead = await fakeUpstream(t, silent);
  const { port } = await start(t, { upstreams: [dead.addr], timeoutMs: 10_000 });
  const sock = createSocket('udp4');
  t.after(() => { sock.close(); });
  const fails: number[] = [];
  sock.on('message', (m) => { const p = decode(m); if (rcodeOf(p) === 'SERVFAIL') fails.push(p.id ?? -1); });
  await new Promise<void>((resolve) => { sock.bind(0, HOST, resolve); });
  // In batches: a loopback socket's receive buffer holds only ~256 datagrams, and a
  // datagram the kernel drops would look like one we failed to answer.
  for (let id = 0; id < 300; id++) {
    sock.send(query('flood.example', 'A', id), port, HOST);
    if (id % 50 === 49) await waitFor(() => dead.udp.length + fails.length === id + 1, `query ${id} to be handled`);
  }
  assert.equal(fails.length, 44);
  assert.deepEqual(fails, Array.from({ length: 44 }, (_, i) => 256 + i));
  assert.equal(dead.udp.length, 256);
});

test('close frees the port for UDP and TCP and is idempotent', async (t) => {
  const { dns, port } = await start(t);
  await dns.close('net1');
  await dns.close('net1');
  const udp = createSocket('udp4');
  t.after(() => { udp.close(); });
  await new Promise<void>((resolve, reject) => { udp.once('error', reject); udp.bind(port, HOST, resolve); });
  const tcp = createServer();
  t.after(() => { tcp.close(); });
  await new Promise<void>((resolve, reject) => { tcp.once('error', reject); tcp.listen(port, HOST, resolve); });
});

test('listen reports EADDRINUSE and closes the half-opened UDP socket', async (t) => {
  const { dns, port } = await start(t);
  await assert.rejects(dns.listen('net2', HOST, { port }), { code: 'EADDRINUSE' });

  // Only TCP is taken: UDP binds first, and must be released when TCP fails.
  const tcp = createServer();
  t.after(() => { tcp.close(); });
  await new Promise<void>((resolve) => { tcp.listen(0, HOST, resolve); });
  const taken = (tcp.address() as { port: number }).port;
  await assert.rejects(dns.listen('net3', HOST, { port: taken }), { code: 'EADDRINUSE' });
  const udp = createSocket('udp4');
  t.after(() => { udp.close(); });
  await new Promise<void>((resolve, reject) => { udp.once('error', reject); udp.bind(taken, HOST, resolve); });
  // A failed listen leaves its key free.
  assert.ok((await dns.listen('net3', HOST, { port: 0 })).port > 0);
});

test('listening twice on one key is a ConflictError', async (t) => {
  const { dns } = await start(t);
  await assert.rejects(dns.listen('net1', HOST, { port: 0 }), ConflictError);
});

test('null from records is NXDOMAIN, answered here and never forwarded', async (t) => {
  const up = await fakeUpstream(t, answerWith('198.51.100.7'));
  const records: DnsRecords = { lookup: () => null, reverse: () => undefined };
  const { port } = await start(t, { records, upstreams: [up.addr] });
  const reply = decode(await udpAsk(t, port, query('nosuchcontainer')));
  assert.equal(rcodeOf(reply), 'NXDOMAIN');
  assert.deepEqual(reply.answers, []);
  assert.equal(up.udp.length, 0, 'the upstream never saw the query');
});

test('a client with its own upstreams (--dns) is forwarded there, not to the default ones', async (t) => {
  const mine = await fakeUpstream(t, answerWith('198.51.100.8'));
  const theirs = await fakeUpstream(t, answerWith('198.51.100.7'));
  const records: DnsRecords = {
    lookup: () => undefined, reverse: () => undefined,
    upstreamsFor: (key, clientIp) => (key === 'net1' && clientIp === HOST ? [mine.addr] : undefined),
  };
  const { port } = await start(t, { records, upstreams: [theirs.addr] });
  const reply = decode(await udpAsk(t, port, query('example.com')));
  assert.deepEqual(reply.answers?.map((a) => a.type === 'A' && a.data), ['198.51.100.8']);
  assert.equal(theirs.udp.length, 0);
  assert.equal(mine.udp.length, 1);
});
