import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { HttpProtocolError, pooledGet, type PooledResponse } from './index.js';

/** A raw TCP server: `answer` writes whatever it likes; the request head it was sent is kept. */
async function rawServer(t: TestContext, answer: (s: Socket, head: string) => void, make: (l: (s: Socket) => void) => Server = createServer): Promise<{ url: (path?: string) => URL; heads: string[] }> {
  const heads: string[] = [];
  const sockets = new Set<Socket>();
  const srv = make((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let got = '';
    const onData = (d: Buffer): void => {
      got += d.toString('latin1');
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return;
      s.off('data', onData);
      heads.push(got.slice(0, end));
      answer(s, got.slice(0, end));
    };
    s.on('data', onData);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => { for (const s of sockets) s.destroy(); return new Promise<void>((r) => srv.close(() => r())); });
  const port = (srv.address() as { port: number }).port;
  const scheme = make === createServer ? 'http' : 'https';
  return { url: (path = '/blob') => new URL(`${scheme}://127.0.0.1:${port}${path}`), heads };
}

/** Reads the whole body, releasing each piece once hashed. */
async function drain(res: PooledResponse): Promise<{ bytes: Buffer; pieces: number }> {
  const parts: Buffer[] = [];
  let pieces = 0;
  for (let p = await res.read(); p !== null; p = await res.read()) {
    parts.push(Buffer.from(p));
    pieces++;
    res.release(p);
  }
  return { bytes: Buffer.concat(parts), pieces };
}

/** Writes `data` in pieces of `sizes` (cycled), each in its own write a tick apart. */
async function dribble(s: Socket, data: Buffer, sizes: number[]): Promise<void> {
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length] as number;
    s.write(data.subarray(at, at + n));
    at += n;
    await new Promise((r) => setImmediate(r));
  }
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

test('a Content-Length body arrives whole, and the request carries the headers, Host and Connection: close', async (t) => {
  const body = randomBytes(3 << 20);
  const srv = await rawServer(t, (s) => { s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nX-Two: a\r\nx-two: b\r\nConstructor: c\r\n__proto__: p\r\n\r\n`); s.end(body); });
  const res = await pooledGet({ url: srv.url('/v2/x/blobs/sha256:1?y=2'), headers: { Authorization: 'Bearer t0k', Range: 'bytes=0-' }, bufferSize: 16 << 10, buffers: 4 });
  assert.equal(res.statusCode, 200);
  assert.equal(res.statusMessage, 'OK');
  assert.equal(res.headers['content-length'], String(body.length));
  assert.equal(res.headers['x-two'], 'a, b');
  assert.equal(res.headers['constructor'], 'c');
  assert.equal(res.headers['__proto__'], 'p');
  const got = await drain(res);
  assert.equal(sha(got.bytes), sha(body));
  assert.ok(got.pieces >= body.length / (16 << 10), `every piece fits a 16 KiB pooled buffer (${got.pieces} pieces)`);
  const head = srv.heads[0] as string;
  assert.match(head, /^GET \/v2\/x\/blobs\/sha256:1\?y=2 HTTP\/1\.1\r\n/);
  assert.match(head, new RegExp(`\r\nHost: 127\\.0\\.0\\.1:${srv.url().port}\r\n`));
  assert.match(head, /\r\nAuthorization: Bearer t0k\r\n/);
  assert.match(head, /\r\nRange: bytes=0-\r\n/);
  assert.match(head, /\r\nConnection: close$/);
  assert.equal(await res.read(), null, 'read after the end is null again');
});

test('the head split over many reads, and body bytes in the head\'s last read, are parsed', async (t) => {
  const body = Buffer.from('0123456789'.repeat(1000));
  const whole = Buffer.concat([Buffer.from(`HTTP/1.1 206 Partial Content\r\nContent-Length: ${body.length}\r\nContent-Range: bytes 5-10004/10005\r\n\r\n`), body]);
  const srv = await rawServer(t, (s) => { void dribble(s, whole, [1, 3, 7]).then(() => s.end()); });
  const res = await pooledGet({ url: srv.url() });
  assert.equal(res.statusCode, 206);
  assert.equal(res.headers['content-range'], 'bytes 5-10004/10005');
  assert.deepEqual((await drain(res)).bytes, body);
});

test('chunked bodies: sizes, extensions and trailers split anywhere across reads', async (t) => {
  const payload = randomBytes(200_000);
  const parts: string[] = [];
  const enc: Buffer[] = [Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')];
  for (let at = 0, i = 0; at < payload.length; i++) {
    const n = Math.min([1, 4095, 70_000, 17][i % 4] as number, payload.length - at);
    enc.push(Buffer.from(`${n.toString(16)}${i % 3 === 0 ? ';ext=1' : ''}\r\n`), payload.subarray(at, at + n), Buffer.from('\r\n'));
    parts.push(String(n));
    at += n;
  }
  enc.push(Buffer.from('0\r\nX-Trailer: yes\r\n\r\n'));
  const wire = Buffer.concat(enc);
  // The server leaves the connection open: the body's end is its last chunk, not the close.
  const srv = await rawServer(t, (s) => { void dribble(s, wire, [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 9000]); });
  const res = await pooledGet({ url: srv.url(), bufferSize: 4096, buffers: 8 });
  assert.equal(sha((await drain(res)).bytes), sha(payload));
});

test('a body without length or chunks ends with the connection; 204 and a 100 Continue have none', async (t) => {
  const srv = await rawServer(t, (s, head) => {
    if (head.startsWith('GET /eof')) { s.write('HTTP/1.0 200 OK\r\n\r\nuntil'); setTimeout(() => s.end(' the end'), 20); return; }
    if (head.startsWith('GET /204')) { s.write('HTTP/1.1 204 No Content\r\n\r\n'); return; }
    s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  });
  assert.equal((await drain(await pooledGet({ url: srv.url('/eof') }))).bytes.toString(), 'until the end');
  const nc = await pooledGet({ url: srv.url('/204') });
  assert.equal(nc.statusCode, 204);
  assert.equal(await nc.read(), null);
  const cont = await pooledGet({ url: srv.url('/continue') });
  assert.equal(cont.statusCode, 200);
  assert.equal((await drain(cont)).bytes.toString(), 'ok');
});

test('the socket pauses while every buffer is lent out, and reads on as pieces come back', async (t) => {
  const body = randomBytes(8 << 20);
  let serverDone = false;
  const srv = await rawServer(t, (s) => {
    s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
    s.end(body, () => { serverDone = true; });
  });
  const res = await pooledGet({ url: srv.url(), bufferSize: 16 << 10, buffers: 4 });
  const held: Buffer[] = [];
  for (let i = 0; i < 3; i++) held.push((await res.read()) as Buffer);
  // With 3 of 4 buffers held, the 4th waits in the socket for the next read: nothing more arrives.
  const more = res.read();
  const raced = await Promise.race([more.then(() => 'piece'), new Promise((r) => setTimeout(() => r('waiting'), 200))]);
  assert.equal(raced, 'waiting', 'no piece beyond the pool while all are held');
  assert.equal(serverDone, false, 'the server is held back by TCP flow control (8 MiB is more than the socket buffers)');
  const hash = createHash('sha256');
  for (const p of held) { hash.update(p); res.release(p); }
  for (let p: Buffer | null = await more; p !== null; p = await res.read()) { hash.update(p); res.release(p); }
  assert.equal(hash.digest('hex'), sha(body));
});

test('a body cut short, a refused connection, a malformed head or chunk: each a clear error', async (t) => {
  const srv = await rawServer(t, (s, head) => {
    const path = head.split(' ')[1];
    if (path === '/short') { s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this'); setTimeout(() => s.destroy(), 20); }
    if (path === '/garbage') s.end('SSH-2.0-OpenSSH_9.2\r\n\r\n');
    if (path === '/bigHead') s.write(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`);
    if (path === '/badChunk') s.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
    if (path === '/noCRLF') s.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX');
    if (path === '/gzipTE') s.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n');
    if (path === '/badLength') s.end('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n');
  });
  const short = await pooledGet({ url: srv.url('/short') });
  assert.deepEqual(await short.read(), Buffer.from('only this'));
  await assert.rejects(short.read(), { code: 'UNEXPECTED_EOF', message: 'unexpected EOF' });
  await assert.rejects(pooledGet({ url: srv.url('/garbage') }), (e: unknown) => e instanceof HttpProtocolError && /malformed HTTP response "SSH-2.0/.test(e.message));
  await assert.rejects(pooledGet({ url: srv.url('/bigHead') }), /response head larger than 65536 bytes/);
  const bad = await pooledGet({ url: srv.url('/badChunk') });
  await assert.rejects(bad.read(), /bad chunk size "zz"/);
  const noCrlf = await pooledGet({ url: srv.url('/noCRLF') });
  assert.deepEqual(await noCrlf.read(), Buffer.from('ok'));
  await assert.rejects(noCrlf.read(), /missing CRLF after chunk data/);
  await assert.rejects(pooledGet({ url: srv.url('/gzipTE') }), /unsupported transfer encoding "gzip"/);
  await assert.rejects(pooledGet({ url: srv.url('/badLength') }), /bad Content-Length "-1"/);
  const free = createServer();
  await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
  const port = (free.address() as { port: number }).port;
  await new Promise<void>((r) => free.close(() => r()));
  await assert.rejects(pooledGet({ url: new URL(`http://127.0.0.1:${port}/`) }), { code: 'ECONNREFUSED' });
  await assert.rejects(pooledGet({ url: new URL('ftp://127.0.0.1/x') }), /unsupported protocol scheme "ftp"/);
});

test('a header value carrying CR or LF is refused before anything is sent', async (t) => {
  const srv = await rawServer(t, (s) => { s.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'); });
  await assert.rejects(pooledGet({ url: srv.url(), headers: { Authorization: 'Bearer x\r\nX-Injected: 1' } }), { code: 'ERR_INVALID_HTTP_TOKEN' });
  await assert.rejects(pooledGet({ url: srv.url(), headers: { 'Bad Name': 'v' } }), { code: 'ERR_INVALID_HTTP_TOKEN' });
  assert.equal(srv.heads.length, 0);
});

test('abort: before the head, and mid-body, reject with the signal\'s reason', async (t) => {
  const srv = await rawServer(t, (s, head) => {
    if (head.includes('/slow')) return; // never answers
    s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\nfirst');
  });
  const early = new AbortController();
  const p = pooledGet({ url: srv.url('/slow'), signal: early.signal });
  setTimeout(() => early.abort(new Error('client gone')), 20);
  await assert.rejects(p, /client gone/);
  const mid = new AbortController();
  const res = await pooledGet({ url: srv.url('/body'), signal: mid.signal });
  assert.deepEqual(await res.read(), Buffer.from('first'));
  const next = res.read();
  mid.abort();
  await assert.rejects(next, { name: 'AbortError' });
  const gone = new AbortController();
  gone.abort();
  await assert.rejects(pooledGet({ url: srv.url('/slow'), signal: gone.signal }), { name: 'AbortError' });
});

const haveOpenssl = ['/usr/bin/openssl', '/bin/openssl'].some((p) => existsSync(p));

test('https: verified by default, not verified when insecure, body read through the pool', { skip: haveOpenssl ? false : 'openssl is not installed' }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pier-pooled-get-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const cert = await readFile(join(dir, 'cert.pem'));
  const key = await readFile(join(dir, 'key.pem'));
  const body = randomBytes(2 << 20);
  const srv = await rawServer(t, (s) => { s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`); s.end(body); },
    (l) => createTlsServer({ cert, key }, l) as unknown as Server);
  await assert.rejects(pooledGet({ url: srv.url() }), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  const res = await pooledGet({ url: srv.url(), insecure: true, bufferSize: 16 << 10, buffers: 4 });
  const got = await drain(res);
  assert.equal(sha(got.bytes), sha(body));
  assert.ok(got.pieces >= body.length / (16 << 10), `TLS reads land in the 16 KiB pool too (${got.pieces} pieces)`);
});
