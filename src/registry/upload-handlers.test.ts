import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { digestOf } from '../pkg/digest/index.js';
import { listFiles, startTestRegistry } from './start-test-registry.js';

const blobFile = (root: string, d: string): string => join(root, 'blobs', 'sha256', d.slice(7, 9), d.slice(7));

test('POST starts an upload: 202 with Location, Range 0-0 and Docker-Upload-UUID', async (t) => {
  const r = await startTestRegistry(t);
  const res = await r.req('/v2/team/x/blobs/uploads/', { method: 'POST' });
  assert.equal(res.status, 202);
  const id = res.headers.get('docker-upload-uuid') ?? '';
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.equal(res.headers.get('location'), `/v2/team/x/blobs/uploads/${id}`);
  assert.equal(res.headers.get('range'), '0-0');
  assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
});

test('a monolithic POST ?digest= stores the blob: 201, then HEAD and GET serve it', async (t) => {
  const r = await startTestRegistry(t);
  const body = Buffer.from('hello blob');
  const d = digestOf(body);
  const res = await r.req(`/v2/team/x/blobs/uploads/?digest=${d}`, { method: 'POST', body });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('location'), `/v2/team/x/blobs/${d}`);
  assert.equal(res.headers.get('docker-content-digest'), d);
  const head = await r.req(`/v2/team/x/blobs/${d}`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(body.length));
  assert.equal(head.headers.get('content-type'), 'application/octet-stream');
  assert.equal(head.headers.get('docker-content-digest'), d);
  const get = await r.req(`/v2/team/x/blobs/${d}`);
  assert.deepEqual(Buffer.from(await get.arrayBuffer()), body);
  assert.deepEqual(await readFile(blobFile(r.root, d)), body);
  assert.deepEqual(await listFiles(join(r.root, 'uploads')), [], 'the upload is gone');
});

test('chunked PATCHes with Content-Range, then PUT with a final chunk, store the whole blob', async (t) => {
  const r = await startTestRegistry(t);
  const parts = [Buffer.alloc(100_000, 'a'), Buffer.alloc(50_000, 'b')];
  const tail = Buffer.from('tail');
  const whole = Buffer.concat([...parts, tail]);
  const start = await r.req('/v2/team/x/blobs/uploads/', { method: 'POST' });
  let loc = start.headers.get('location') ?? '';
  let offset = 0;
  for (const p of parts) {
    const res = await r.req(loc, { method: 'PATCH', headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${offset + p.length - 1}` }, body: p });
    assert.equal(res.status, 202);
    offset += p.length;
    assert.equal(res.headers.get('range'), `0-${offset - 1}`);
    loc = res.headers.get('location') ?? '';
  }
  const status = await r.req(loc);
  assert.equal(status.status, 204);
  assert.equal(status.headers.get('range'), `0-${offset - 1}`);
  const d = digestOf(whole);
  const put = await r.req(`${loc}?digest=${d}`, { method: 'PUT', headers: { 'Content-Range': `${offset}-${whole.length - 1}` }, body: tail });
  assert.equal(put.status, 201);
  assert.equal(put.headers.get('docker-content-digest'), d);
  assert.deepEqual(await readFile(blobFile(r.root, d)), whole);
});

test('a PATCH out of order is 416 with the current Range, and writes nothing', async (t) => {
  const r = await startTestRegistry(t);
  const loc = (await r.req('/v2/team/x/blobs/uploads/', { method: 'POST' })).headers.get('location') ?? '';
  assert.equal((await r.req(loc, { method: 'PATCH', headers: { 'Content-Range': '0-4' }, body: 'abcde' })).status, 202);
  const res = await r.req(loc, { method: 'PATCH', headers: { 'Content-Range': '10-14' }, body: 'fghij' });
  assert.equal(res.status, 416);
  assert.equal(res.headers.get('range'), '0-4');
  assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code, 'RANGE_INVALID');
  assert.equal((await r.req(loc)).headers.get('range'), '0-4');
});

test('a streamed PATCH without Content-Range (chunked encoding, as dockerd sends) is appended', async (t) => {
  const r = await startTestRegistry(t);
  const loc = (await r.req('/v2/team/x/blobs/uploads/', { method: 'POST' })).headers.get('location') ?? '';
  const chunks = Array.from({ length: 20 }, (_, i) => Buffer.alloc(64 * 1024, i));
  const stream = new ReadableStream<Uint8Array>({
    pull(c) { const next = chunks.shift(); if (next) c.enqueue(next); else c.close(); },
  });
  const all = Buffer.concat(Array.from({ length: 20 }, (_, i) => Buffer.alloc(64 * 1024, i)));
  const res = await r.req(loc, { method: 'PATCH', body: stream, duplex: 'half' } as RequestInit);
  assert.equal(res.status, 202);
  assert.equal(res.headers.get('range'), `0-${all.length - 1}`);
  const d = digestOf(all);
  assert.equal((await r.req(`${loc}?digest=${d}`, { method: 'PUT' })).status, 201);
  assert.deepEqual(await readFile(blobFile(r.root, d)), all);
});

test('a digest mismatch on PUT is 400 DIGEST_INVALID and stores nothing', async (t) => {
  const r = await startTestRegistry(t);
  const loc = (await r.req('/v2/team/x/blobs/uploads/', { method: 'POST' })).headers.get('location') ?? '';
  await r.req(loc, { method: 'PATCH', body: 'real bytes' });
  const wrong = digestOf('other bytes');
  const res = await r.req(`${loc}?digest=${wrong}`, { method: 'PUT' });
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code, 'DIGEST_INVALID');
  assert.deepEqual(await listFiles(join(r.root, 'blobs')), []);
  assert.deepEqual(await listFiles(join(r.root, 'uploads')), []);
  assert.equal((await r.req(`/v2/team/x/blobs/${digestOf('real bytes')}`, { method: 'HEAD' })).status, 404);
  // A monolithic push with a wrong digest leaves nothing either.
  assert.equal((await r.req(`/v2/team/x/blobs/uploads/?digest=${wrong}`, { method: 'POST', body: 'x' })).status, 400);
  assert.deepEqual(await listFiles(r.root), []);
});

test('PUT without ?digest= is 400 DIGEST_INVALID; a sha512 digest is refused as unsupported', async (t) => {
  const r = await startTestRegistry(t);
  const loc = (await r.req('/v2/team/x/blobs/uploads/', { method: 'POST' })).headers.get('location') ?? '';
  assert.equal((await r.req(loc, { method: 'PUT' })).status, 400);
  const res = await r.req(`${loc}?digest=sha512:${'a'.repeat(128)}`, { method: 'PUT' });
  assert.equal(res.status, 400);
  const e = ((await res.json()) as { errors: { code: string; message: string }[] }).errors[0];
  assert.equal(e?.code, 'DIGEST_INVALID');
  assert.match(e?.message ?? '', /unsupported digest algorithm/);
});

test('DELETE on an upload cancels it: 204, then 404 BLOB_UPLOAD_UNKNOWN', async (t) => {
  const r = await startTestRegistry(t);
  const loc = (await r.req('/v2/team/x/blobs/uploads/', { method: 'POST' })).headers.get('location') ?? '';
  assert.equal((await r.req(loc, { method: 'DELETE' })).status, 204);
  const res = await r.req(loc);
  assert.equal(res.status, 404);
  assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code, 'BLOB_UPLOAD_UNKNOWN');
  assert.deepEqual(await listFiles(join(r.root, 'uploads')), []);
});

test('an upload belongs to its repository: another name cannot write to it', async (t) => {
  const r = await startTestRegistry(t);
  const start = await r.req('/v2/team/x/blobs/uploads/', { method: 'POST' });
  const id = start.headers.get('docker-upload-uuid') ?? '';
  const res = await r.req(`/v2/team/y/blobs/uploads/${id}`, { method: 'PATCH', body: 'x' });
  assert.equal(res.status, 404);
  assert.equal((await r.req(`/v2/team/x/blobs/uploads/${id}`)).headers.get('range'), '0-0');
});

test('a cross-repository mount is 201 when the source has the blob, else 202 and a normal upload', async (t) => {
  const r = await startTestRegistry(t);
  const d = await r.pushBlob('team/src', 'shared layer');
  const res = await r.req(`/v2/team/dst/blobs/uploads/?mount=${d}&from=team/src`, { method: 'POST' });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('location'), `/v2/team/dst/blobs/${d}`);
  assert.equal(res.headers.get('docker-content-digest'), d);
  assert.equal((await r.req(`/v2/team/dst/blobs/${d}`, { method: 'HEAD' })).status, 200);
  const missing = digestOf('nobody has this');
  const fallback = await r.req(`/v2/team/dst/blobs/uploads/?mount=${missing}&from=team/src`, { method: 'POST' });
  assert.equal(fallback.status, 202);
  assert.match(fallback.headers.get('location') ?? '', /^\/v2\/team\/dst\/blobs\/uploads\/[0-9a-f-]{36}$/);
  // The source must hold the blob: a repository that never linked it cannot be mounted from.
  assert.equal((await r.req(`/v2/team/third/blobs/uploads/?mount=${d}&from=team/other`, { method: 'POST' })).status, 202);
});

test('concurrent uploads of the same blob both succeed and store it once', async (t) => {
  const r = await startTestRegistry(t);
  const body = Buffer.alloc(2 << 20, 'z');
  const d = digestOf(body);
  const results = await Promise.all(['team/a', 'team/b', 'team/a'].map((n) => r.req(`/v2/${n}/blobs/uploads/?digest=${d}`, { method: 'POST', body })));
  assert.deepEqual(results.map((x) => x.status), [201, 201, 201]);
  assert.deepEqual(await readFile(blobFile(r.root, d)), body);
  assert.deepEqual((await listFiles(join(r.root, 'blobs'))).length, 1);
});

test('an upload survives a server restart: the digest is verified from the data on disk', async (t) => {
  const first = await startTestRegistry(t);
  const loc = (await first.req('/v2/team/x/blobs/uploads/', { method: 'POST' })).headers.get('location') ?? '';
  await first.req(loc, { method: 'PATCH', body: 'part one, ' });
  await first.server.close();
  const second = await startTestRegistry(t, { root: first.root });
  const d = digestOf('part one, part two');
  const res = await second.req(`${loc}?digest=${d}`, { method: 'PUT', body: 'part two' });
  assert.equal(res.status, 201);
  assert.equal(await (await second.req(`/v2/team/x/blobs/${d}`)).text(), 'part one, part two');
});

test('uploads older than the stale age are purged when the server starts', async (t) => {
  const first = await startTestRegistry(t);
  await first.req('/v2/team/x/blobs/uploads/', { method: 'POST' });
  assert.equal((await listFiles(join(first.root, 'uploads'))).length, 2);
  await first.server.close();
  await startTestRegistry(t, { root: first.root, staleUploadAgeMs: 0 });
  assert.deepEqual(await listFiles(join(first.root, 'uploads')), []);
});

test('GET with a Range serves 206 with Content-Range; an unsatisfiable one is 416', async (t) => {
  const r = await startTestRegistry(t);
  const d = await r.pushBlob('team/x', '0123456789');
  const res = await r.req(`/v2/team/x/blobs/${d}`, { headers: { Range: 'bytes=2-5' } });
  assert.equal(res.status, 206);
  assert.equal(res.headers.get('content-range'), 'bytes 2-5/10');
  assert.equal(await res.text(), '2345');
  const bad = await r.req(`/v2/team/x/blobs/${d}`, { headers: { Range: 'bytes=20-' } });
  assert.equal(bad.status, 416);
  assert.equal(bad.headers.get('content-range'), 'bytes */10');
});

test('a blob is visible only in the repositories that link it', async (t) => {
  const r = await startTestRegistry(t);
  const d = await r.pushBlob('team/x', 'private layer');
  const res = await r.req(`/v2/team/y/blobs/${d}`);
  assert.equal(res.status, 404);
  assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code, 'BLOB_UNKNOWN');
});

test('DELETE of a blob is 405 UNSUPPORTED unless deletes are enabled, then 202 and the blob is gone', async (t) => {
  const r = await startTestRegistry(t);
  const d = await r.pushBlob('team/x', 'to delete');
  const refused = await r.req(`/v2/team/x/blobs/${d}`, { method: 'DELETE' });
  assert.equal(refused.status, 405);
  assert.equal(((await refused.json()) as { errors: { code: string }[] }).errors[0]?.code, 'UNSUPPORTED');
  const w = await startTestRegistry(t, { allowDelete: true });
  const d2 = await w.pushBlob('team/x', 'to delete');
  assert.equal((await w.req(`/v2/team/x/blobs/${d2}`, { method: 'DELETE' })).status, 202);
  assert.equal((await w.req(`/v2/team/x/blobs/${d2}`, { method: 'HEAD' })).status, 404);
  assert.equal((await w.req(`/v2/team/x/blobs/${d2}`, { method: 'DELETE' })).status, 404);
});
