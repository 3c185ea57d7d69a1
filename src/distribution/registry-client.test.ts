import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { TestContext } from 'node:test';
import { UnavailableError } from '../errdefs/index.js';
import { RegistryClient } from './registry-client.js';

async function serve(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ port: number; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
  const srv: Server = createServer((req, res) => { seen.push(req); handler(req, res); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => { srv.closeAllConnections(); return new Promise<void>((r) => srv.close(() => r())); });
  return { port: (srv.address() as { port: number }).port, seen };
}

const blob = randomBytes(1_500_000);
const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
const basic = `Basic ${Buffer.from('ann:s3cret').toString('base64')}`;

/** A registry with Basic auth whose blob GETs redirect to a storage host (another port: another host). */
async function registryWithStorage(t: TestContext): Promise<{ client: (user?: string) => RegistryClient; storage: IncomingMessage[]; registry: IncomingMessage[] }> {
  const storage = await serve(t, (req, res) => {
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      const from = Number(range[1]);
      res.writeHead(206, { 'Content-Range': `bytes ${from}-${blob.length - 1}/${blob.length}` });
      res.write(blob.subarray(from, from + 1000)); // two writes, no Content-Length: chunked
      res.end(blob.subarray(from + 1000));
      return;
    }
    res.writeHead(200, { 'Content-Length': String(blob.length) });
    res.end(blob);
  });
  const registry = await serve(t, (req, res) => {
    if (req.headers.authorization !== basic) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"', 'Content-Type': 'application/json' });
      res.end(req.url === '/v2/' ? '' : JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    if (req.url === '/v2/') { res.writeHead(200, { 'Docker-Distribution-Api-Version': 'registry/2.0' }); res.end('{}'); return; }
    if (req.url === `/v2/team/app/blobs/${digest}`) {
      res.writeHead(307, { Location: `http://localhost:${storage.port}/store/${digest.slice(7)}?sig=1` });
      res.end();
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry', detail: req.url }] }));
  });
  return {
    client: (user = 'ann') => new RegistryClient({ domain: `127.0.0.1:${registry.port}`, insecure: true, endpoint: new URL(`http://127.0.0.1:${registry.port}`), auth: { username: user, password: 's3cret' } }),
    storage: storage.seen,
    registry: registry.seen,
  };
}

async function readAll(res: { read(): Promise<Buffer | null>; release(b: Buffer): void }): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let p = await res.read(); p !== null; p = await res.read()) { parts.push(Buffer.from(p)); res.release(p); }
  return Buffer.concat(parts);
}

test('getBlobPooled: credentials to the registry, the redirect followed without them, the body whole', async (t) => {
  const r = await registryWithStorage(t);
  const res = await r.client().getBlobPooled('team/app', digest);
  assert.equal(res.statusCode, 200);
  assert.equal(res.partial, false);
  assert.deepEqual(await readAll(res), blob);
  const blobReq = r.registry.find((q) => q.url?.includes('/blobs/'));
  assert.equal(blobReq?.headers.authorization, basic, 'the registry got the credentials');
  assert.match(String(blobReq?.headers['user-agent']), /^pier\//);
  assert.equal(r.storage.length, 1);
  assert.equal(r.storage[0]?.url, `/store/${digest.slice(7)}?sig=1`);
  assert.equal(r.storage[0]?.headers.authorization, undefined, 'credentials are not sent to another host');
});

test('getBlobPooled from an offset: a Range request, answered 206 with a chunked body', async (t) => {
  const r = await registryWithStorage(t);
  const res = await r.client().getBlobPooled('team/app', digest, 1_000_000);
  assert.equal(res.partial, true);
  assert.equal(r.storage[0]?.headers.range, 'bytes=1000000-');
  assert.equal(res.headers['transfer-encoding'], 'chunked');
  assert.deepEqual(await readAll(res), blob.subarray(1_000_000));
});

test('getBlobPooled refusals: the registry\'s own words, docker\'s for refused credentials and a dead host', async (t) => {
  const r = await registryWithStorage(t);
  await assert.rejects(r.client().getBlobPooled('team/app', `sha256:${'0'.repeat(64)}`), (e: Error) => e.name === 'NotFoundError' && /blob sha256:0{64}: blob unknown: blob unknown to registry/.test(e.message));
  await assert.rejects(r.client('mallory').getBlobPooled('team/app', digest), (e: Error) => e.name === 'UnauthorizedError' && /unauthorized: authentication required/.test(e.message));
  // A registry that answered its ping, then went away: docker's words for the refused connection.
  const srv = createServer((_req, res) => { res.writeHead(200, { 'Docker-Distribution-Api-Version': 'registry/2.0' }); res.end('{}'); });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  const client = new RegistryClient({ domain: `127.0.0.1:${port}`, insecure: true, endpoint: new URL(`http://127.0.0.1:${port}`) });
  await client.ping();
  srv.closeAllConnections();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  await assert.rejects(client.getBlobPooled('team/app', digest), (e: Error) => e instanceof UnavailableError
    && e.message === `Get "http://127.0.0.1:${port}/v2/team/app/blobs/${digest}": dial tcp 127.0.0.1:${port}: connect: connection refused`);
});
