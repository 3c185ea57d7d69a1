import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { ConflictError, NotFoundError, NotModifiedError, UnavailableError } from '../errdefs/index.js';
import { Client } from './client.js';
import { encodeFrame } from './stream.js';

async function fakeDaemon(t: { after: (fn: () => void) => void }, apiVersion: string, handler: http.RequestListener, onUpgrade?: (req: http.IncomingMessage, sock: import('node:net').Socket) => void): Promise<{ host: string; seen: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-client-'));
  const sock = path.join(dir, 's.sock');
  const seen: string[] = [];
  const srv = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url === '/_ping') { res.writeHead(200, { 'Api-Version': apiVersion, 'Content-Type': 'text/plain' }); res.end(req.method === 'GET' ? 'OK' : ''); return; }
    handler(req, res);
  });
  if (onUpgrade) srv.on('upgrade', (req, s) => { seen.push(`${req.method} ${req.url} (upgrade)`); onUpgrade(req, s as import('node:net').Socket); });
  await new Promise<void>((r) => srv.listen(sock, r));
  t.after(() => { srv.closeAllConnections(); srv.close(); fs.rmSync(dir, { recursive: true, force: true }); });
  return { host: `unix://${sock}`, seen };
}

const json = (res: http.ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
};

test('the client negotiates down to the daemon version and prefixes paths', async (t) => {
  const d = await fakeDaemon(t, '1.44', (_req, res) => json(res, 200, []));
  const c = new Client(d.host);
  t.after(() => c.close());
  await c.containers.list({ all: true });
  assert.deepEqual(d.seen, ['HEAD /_ping', 'GET /v1.44/containers/json?all=1']);
});

test('error responses become errdefs classes with docker text', async (t) => {
  const d = await fakeDaemon(t, '1.50', (req, res) => {
    if (req.url?.includes('nosuch')) json(res, 404, { message: 'No such container: nosuch' });
    else if (req.url?.includes('/start')) { res.writeHead(304); res.end(); } else json(res, 409, { message: 'conflict' });
  });
  const c = new Client(d.host);
  t.after(() => c.close());
  await assert.rejects(c.containers.inspect('nosuch'), (e: unknown) => e instanceof NotFoundError && e.message === 'Error response from daemon: No such container: nosuch');
  await assert.rejects(c.containers.remove('x'), ConflictError);
  await c.containers.start('running'); // 304 is success for start
  await assert.rejects(c.transport.call('POST', '/containers/x/start'), NotModifiedError);
});

test('an absent socket gives docker\'s "Cannot connect" message', async () => {
  const c = new Client('unix:///nonexistent/pier.sock');
  await assert.rejects(c.system.version(), (e: unknown) => e instanceof UnavailableError && e.message === 'Cannot connect to the Docker daemon at unix:///nonexistent/pier.sock. Is the docker daemon running?');
});

test('attach hijacks on 101 and delivers the raw frames', async (t) => {
  const d = await fakeDaemon(t, '1.50', (_req, res) => json(res, 404, { message: 'x' }), (_req, sock) => {
    sock.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    sock.end(encodeFrame(1, Buffer.from('hello\n')));
  });
  const c = new Client(d.host);
  t.after(() => c.close());
  const h = await c.containers.attach('abc', { stream: true, stdout: true, stderr: true });
  assert.equal(h.contentType, 'application/vnd.docker.multiplexed-stream');
  const chunks: Buffer[] = [h.head];
  for await (const ch of h.socket) chunks.push(ch as Buffer);
  assert.deepEqual(Buffer.concat(chunks), encodeFrame(1, Buffer.from('hello\n')));
  assert.equal(d.seen[1], 'POST /v1.50/containers/abc/attach?stderr=1&stdout=1&stream=1 (upgrade)');
});

test('wait resolves once headers arrive and settles with the body later', async (t) => {
  let finish: (() => void) | undefined;
  const d = await fakeDaemon(t, '1.50', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    finish = () => res.end('{"Error":null,"StatusCode":3}\n');
  });
  const c = new Client(d.host);
  t.after(() => c.close());
  const w = await c.containers.wait('abc', 'next-exit');
  assert.ok(finish);
  finish?.();
  assert.deepEqual(await w.result, { Error: null, StatusCode: 3 });
});
