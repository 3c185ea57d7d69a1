import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import bcrypt from 'bcryptjs';
import { digestOf } from '../pkg/digest/index.js';
import { Htpasswd } from './htpasswd.js';
import { listFiles, rawRequest, startTestRegistry } from './start-test-registry.js';

const code = async (res: Response): Promise<string | undefined> => ((await res.json()) as { errors: { code: string }[] }).errors[0]?.code;

test('with an htpasswd file, requests without valid credentials are 401 with a Basic challenge', async (t) => {
  // htpasswd -B writes $2y$; bcryptjs writes $2b$: the same algorithm.
  const hash = bcrypt.hashSync('s3cret', 4).replace(/^\$2b\$/, '$2y$');
  const r = await startTestRegistry(t, { htpasswd: new Htpasswd(`alice:${hash}\nbob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n`), realm: 'test realm' });
  const basic = (u: string, p: string): Record<string, string> => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
  const none = await r.req('/v2/');
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Basic realm="test realm"');
  assert.equal(none.headers.get('docker-distribution-api-version'), 'registry/2.0');
  assert.equal(await code(none), 'UNAUTHORIZED');
  assert.equal((await r.req('/v2/', { headers: basic('alice', 'wrong') })).status, 401);
  assert.equal((await r.req('/v2/', { headers: basic('bob', 'password') })).status, 401, 'non-bcrypt entries cannot log in');
  assert.equal((await r.req('/v2/team/x/tags/list', { headers: basic('nobody', 's3cret') })).status, 401);
  assert.equal((await r.req('/v2/', { headers: basic('alice', 's3cret') })).status, 200);
  const d = digestOf('with auth');
  const push = await r.req(`/v2/team/x/blobs/uploads/?digest=${d}`, { method: 'POST', headers: basic('alice', 's3cret'), body: 'with auth' });
  assert.equal(push.status, 201);
  assert.equal((await r.req(`/v2/team/x/blobs/${d}`)).status, 401);
});

test('in read-only mode every write is 405 UNSUPPORTED and reads still work', async (t) => {
  const w = await startTestRegistry(t);
  const img = await w.pushImage('team/x', '1');
  await w.server.close();
  const r = await startTestRegistry(t, { root: w.root, readOnly: true, allowDelete: true });
  const before = await listFiles(r.root);
  const post = await r.req('/v2/team/x/blobs/uploads/', { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(await code(post), 'UNSUPPORTED');
  const put = await r.putManifest('team/x', '2', img.manifestBytes);
  assert.equal(put.status, 405);
  assert.match(put.headers.get('allow') ?? '', /GET, HEAD/);
  assert.equal((await r.req(`/v2/team/x/manifests/${img.manifest}`, { method: 'DELETE' })).status, 405);
  assert.equal((await r.req(`/v2/team/x/blobs/${img.layer}`, { method: 'DELETE' })).status, 405);
  assert.deepEqual(await listFiles(r.root), before);
  assert.equal((await r.req('/v2/team/x/manifests/1')).status, 200);
  assert.equal((await r.req(`/v2/team/x/blobs/${img.layer}`)).status, 200);
});

test('path traversal in names, digests and upload IDs is refused and writes nothing outside the root', async (t) => {
  const r = await startTestRegistry(t, { allowDelete: true });
  const upload = await r.req('/v2/team/x/blobs/uploads/', { method: 'POST' });
  const uploadId = upload.headers.get('docker-upload-uuid') ?? '';
  const cases: [string, string, number, string][] = [
    ['GET', '/v2/../../etc/manifests/latest', 400, 'NAME_INVALID'],
    ['GET', '/v2/%2e%2e/%2e%2e/etc/tags/list', 400, 'NAME_INVALID'],
    ['PUT', '/v2/team/../../x/manifests/latest', 400, 'NAME_INVALID'],
    ['POST', '/v2/team/%2e%2e/blobs/uploads/', 400, 'NAME_INVALID'],
    ['POST', '/v2/Team/X/blobs/uploads/', 400, 'NAME_INVALID'],
    ['GET', `/v2/${'a'.repeat(256)}/tags/list`, 400, 'NAME_INVALID'],
    ['GET', '/v2/team/x/blobs/%2e%2e', 400, 'DIGEST_INVALID'],
    ['GET', '/v2/team/x/blobs/sha256:..%2f..%2f..%2fetc', 400, 'DIGEST_INVALID'],
    ['DELETE', '/v2/team/x/manifests/sha256:%2e%2e%2f%2e%2e', 400, 'DIGEST_INVALID'],
    ['GET', '/v2/team/x/referrers/..', 400, 'DIGEST_INVALID'],
    ['POST', '/v2/team/x/blobs/uploads/?mount=sha256:../../x&from=team/y', 400, 'DIGEST_INVALID'],
    ['PATCH', '/v2/team/x/blobs/uploads/..%2f..%2fescape', 404, 'BLOB_UPLOAD_UNKNOWN'],
    ['PUT', `/v2/team/x/blobs/uploads/${uploadId}?digest=sha256:..%2F..%2Fescape`, 400, 'DIGEST_INVALID'],
    ['GET', '/v2/team/x/manifests/..', 404, 'MANIFEST_UNKNOWN'],
  ];
  for (const [method, path, status, want] of cases) {
    const res = await rawRequest(r.url, method, path);
    assert.equal(res.status, status, `${method} ${path}: ${res.body}`);
    assert.equal((JSON.parse(res.body) as { errors: { code: string }[] }).errors[0]?.code, want, `${method} ${path}`);
  }
  // Paths fetch would never send (dot segments) leave the API entirely.
  assert.equal((await rawRequest(r.url, 'GET', '/v2/../etc/passwd')).status, 404);
  assert.deepEqual(await readdir(r.parent), ['root'], 'nothing appeared beside the root');
  assert.deepEqual((await listFiles(r.root)).filter((f) => !f.startsWith(`uploads/${uploadId}/`)), []);
});

test('unknown paths are 404 and unsupported methods 405 UNSUPPORTED', async (t) => {
  const r = await startTestRegistry(t);
  assert.equal((await r.req('/')).status, 404);
  assert.equal((await r.req('/v2/team/x/unknown/thing')).status, 404);
  assert.equal((await r.req('/v3/')).status, 404);
  const res = await r.req('/v2/team/x/tags/list', { method: 'POST' });
  assert.equal(res.status, 405);
  assert.equal(await code(res), 'UNSUPPORTED');
  assert.equal(res.headers.get('allow'), 'GET');
});

test('close() is idempotent and stops the server', async (t) => {
  const r = await startTestRegistry(t);
  await Promise.all([r.server.close(), r.server.close()]);
  await r.server.close();
  await assert.rejects(fetch(`${r.url}/v2/`));
});

const haveOpenssl = ['/usr/bin/openssl', '/bin/openssl'].some((p) => existsSync(p));

test('with a certificate the registry serves HTTPS, TLS 1.2 or later only', { skip: haveOpenssl ? false : 'openssl is not installed' }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pier-registry-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const cert = await readFile(join(dir, 'cert.pem'));
  const r = await startTestRegistry(t, { tls: { cert, key: await readFile(join(dir, 'key.pem')) } });
  assert.match(r.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const get = (opts: { maxVersion?: 'TLSv1.1' }): Promise<{ status: number; body: string }> => new Promise((resolve, reject) => {
    const u = new URL(`${r.url}/v2/`);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, ca: cert, agent: false, ...opts }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
  assert.deepEqual(await get({}), { status: 200, body: '{}' });
  await assert.rejects(get({ maxVersion: 'TLSv1.1' }));
});
