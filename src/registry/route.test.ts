import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RegistryError } from './registry-error.js';
import { parseRoute } from './route.js';

test('parseRoute maps each endpoint, including names with components such as "blobs"', () => {
  assert.deepEqual(parseRoute('/v2/'), { kind: 'base' });
  assert.deepEqual(parseRoute('/v2/_catalog'), { kind: 'catalog' });
  assert.deepEqual(parseRoute('/v2/a/b/tags/list'), { kind: 'tags', name: 'a/b' });
  assert.deepEqual(parseRoute('/v2/a/manifests/v1.0'), { kind: 'manifest', name: 'a', reference: 'v1.0' });
  assert.deepEqual(parseRoute('/v2/a/blobs/uploads/'), { kind: 'upload-start', name: 'a' });
  assert.deepEqual(parseRoute('/v2/a/blobs/uploads'), { kind: 'upload-start', name: 'a' });
  assert.deepEqual(parseRoute('/v2/a/blobs/uploads/abc'), { kind: 'upload', name: 'a', id: 'abc' });
  assert.deepEqual(parseRoute('/v2/a/blobs/sha256%3Aab'), { kind: 'blob', name: 'a', digest: 'sha256:ab' });
  assert.deepEqual(parseRoute('/v2/x/blobs/blobs/sha256:ab'), { kind: 'blob', name: 'x/blobs', digest: 'sha256:ab' });
  assert.deepEqual(parseRoute('/v2/x/manifests/tags/list'), { kind: 'tags', name: 'x/manifests' });
  assert.deepEqual(parseRoute('/v2/a__b.c-d/referrers/sha256:1'), { kind: 'referrers', name: 'a__b.c-d', digest: 'sha256:1' });
});

test('parseRoute: an invalid name is NAME_INVALID, a path outside the API is undefined', () => {
  for (const p of ['/v2/A/tags/list', '/v2/a//b/tags/list', '/v2/../x/manifests/1', '/v2/-a/blobs/uploads/', '/v2/a_/tags/list']) {
    assert.throws(() => parseRoute(p), (e: unknown) => e instanceof RegistryError && e.code === 'NAME_INVALID', p);
  }
  for (const p of ['/', '/v2/a', '/v2/a/b', '/v1/_catalog', `/v2/${'a/'.repeat(600)}tags/list`]) assert.equal(parseRoute(p), undefined, p);
});
