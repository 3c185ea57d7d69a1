import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestOf } from '../pkg/digest/index.js';
import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST } from './parse-manifest.js';
import { imageManifest, startTestRegistry } from './start-test-registry.js';

interface ErrorBody { errors: { code: string; message: string; detail?: { digest?: string } }[] }
const codes = async (res: Response): Promise<string[]> => ((await res.json()) as ErrorBody).errors.map((e) => e.code);

test('a manifest PUT by tag is 201; GET by tag and by digest return the exact bytes and media type', async (t) => {
  const r = await startTestRegistry(t);
  const img = await r.pushImage('team/x', '1');
  // Odd spacing on purpose: the digest covers the bytes as pushed, never a re-serialisation.
  const bytes = Buffer.from(`  ${img.manifestBytes.toString()}\n`);
  const put = await r.putManifest('team/x', 'spaced', bytes);
  assert.equal(put.status, 201);
  const d = digestOf(bytes);
  assert.equal(put.headers.get('docker-content-digest'), d);
  assert.equal(put.headers.get('location'), `/v2/team/x/manifests/${d}`);
  for (const ref of ['spaced', d]) {
    const get = await r.req(`/v2/team/x/manifests/${ref}`, { headers: { Accept: OCI_MANIFEST } });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('content-type'), OCI_MANIFEST);
    assert.equal(get.headers.get('docker-content-digest'), d);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), bytes);
  }
  const head = await r.req('/v2/team/x/manifests/spaced', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(bytes.length));
  assert.equal(head.headers.get('docker-content-digest'), d);
  assert.equal(await head.text(), '');
});

test('a docker schema 2 manifest and manifest list round-trip with their media types', async (t) => {
  const r = await startTestRegistry(t);
  const img = await r.pushImage('team/x', 'base');
  const cfg = JSON.parse(img.manifestBytes.toString()) as { config: { size: number }; layers: { size: number }[] };
  const docker = imageManifest({
    mediaType: DOCKER_MANIFEST,
    config: { digest: img.config, size: cfg.config.size, mediaType: 'application/vnd.docker.container.image.v1+json' },
    layers: [{ digest: img.layer, size: cfg.layers[0]?.size ?? 0 }],
  });
  assert.equal((await r.putManifest('team/x', 'docker', docker, DOCKER_MANIFEST)).status, 201);
  const list = JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_MANIFEST_LIST, manifests: [
    { mediaType: DOCKER_MANIFEST, digest: digestOf(docker), size: docker.length, platform: { architecture: 'amd64', os: 'linux' } }] });
  assert.equal((await r.putManifest('team/x', 'list', list, DOCKER_MANIFEST_LIST)).status, 201);
  const get = await r.req('/v2/team/x/manifests/list');
  assert.equal(get.headers.get('content-type'), DOCKER_MANIFEST_LIST);
  assert.equal(await get.text(), list);
});

test('a PUT by digest must match the body: 400 DIGEST_INVALID otherwise', async (t) => {
  const r = await startTestRegistry(t);
  const img = await r.pushImage('team/x', '1');
  const wrong = digestOf('something else');
  const res = await r.putManifest('team/x', wrong, img.manifestBytes);
  assert.equal(res.status, 400);
  assert.deepEqual(await codes(res), ['DIGEST_INVALID']);
  assert.equal((await r.putManifest('team/x', img.manifest, img.manifestBytes)).status, 201);
});

test('a manifest whose mediaType disagrees with Content-Type, or that is not JSON, is 400 MANIFEST_INVALID', async (t) => {
  const r = await startTestRegistry(t);
  const img = await r.pushImage('team/x', '1');
  const asIndex = await r.putManifest('team/x', 'bad', img.manifestBytes, OCI_INDEX);
  assert.equal(asIndex.status, 400);
  assert.deepEqual(await codes(asIndex), ['MANIFEST_INVALID']);
  const notJson = await r.putManifest('team/x', 'bad', '{"schemaVersion": 2,');
  assert.equal(notJson.status, 400);
  assert.deepEqual(await codes(notJson), ['MANIFEST_INVALID']);
  const schema1 = await r.putManifest('team/x', 'bad', img.manifestBytes, 'application/vnd.docker.distribution.manifest.v1+prettyjws');
  assert.equal(schema1.status, 400);
  assert.equal((await r.req('/v2/team/x/manifests/bad')).status, 404);
});

test('a manifest referencing blobs the repository lacks is 400 MANIFEST_BLOB_UNKNOWN naming each', async (t) => {
  const r = await startTestRegistry(t);
  const config = await r.pushBlob('team/x', '{}');
  const elsewhere = await r.pushBlob('team/other', 'layer in another repo');
  const absent = digestOf('never pushed');
  const m = imageManifest({ config: { digest: config, size: 2 }, layers: [{ digest: elsewhere, size: 21 }, { digest: absent, size: 12 }] });
  const res = await r.putManifest('team/x', '1', m);
  assert.equal(res.status, 400);
  const body = (await res.json()) as ErrorBody;
  assert.deepEqual(body.errors.map((e) => e.code), ['MANIFEST_BLOB_UNKNOWN', 'MANIFEST_BLOB_UNKNOWN']);
  assert.deepEqual(body.errors.map((e) => e.detail?.digest).sort(), [absent, elsewhere].sort());
  assert.equal((await r.req('/v2/team/x/manifests/1')).status, 404);
});

test('an index needs its child manifests in the repository', async (t) => {
  const r = await startTestRegistry(t);
  const img = await r.pushImage('team/x', 'amd64');
  const child = (d: string): object => ({ mediaType: OCI_MANIFEST, digest: d, size: 10, platform: { architecture: 'amd64', os: 'linux' } });
  const missing = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [child(img.manifest), child(digestOf('no such manifest'))] });
  const res = await r.putManifest('team/x', 'multi', missing, OCI_INDEX);
  assert.equal(res.status, 400);
  assert.deepEqual(await codes(res), ['MANIFEST_BLOB_UNKNOWN']);
  const ok = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [child(img.manifest)] });
  assert.equal((await r.putManifest('team/x', 'multi', ok, OCI_INDEX)).status, 201);
});

test('DELETE of a tag removes only the tag; DELETE by digest removes the manifest and its tags', async (t) => {
  const r = await startTestRegistry(t, { allowDelete: true });
  const img = await r.pushImage('team/x', '1');
  assert.equal((await r.putManifest('team/x', '2', img.manifestBytes)).status, 201);
  assert.equal((await r.req('/v2/team/x/manifests/1', { method: 'DELETE' })).status, 202);
  assert.equal((await r.req('/v2/team/x/manifests/1')).status, 404);
  assert.equal((await r.req(`/v2/team/x/manifests/${img.manifest}`)).status, 200);
  assert.equal((await r.req(`/v2/team/x/manifests/${img.manifest}`, { method: 'DELETE' })).status, 202);
  const gone = await r.req(`/v2/team/x/manifests/${img.manifest}`);
  assert.equal(gone.status, 404);
  assert.deepEqual(await codes(gone), ['MANIFEST_UNKNOWN']);
  assert.deepEqual(((await (await r.req('/v2/team/x/tags/list')).json()) as { tags: string[] }).tags, []);
  assert.equal((await r.req(`/v2/team/x/manifests/${img.manifest}`, { method: 'DELETE' })).status, 404);
});

test('DELETE of a manifest is 405 UNSUPPORTED when deletes are disabled (the default)', async (t) => {
  const r = await startTestRegistry(t);
  const img = await r.pushImage('team/x', '1');
  const res = await r.req(`/v2/team/x/manifests/${img.manifest}`, { method: 'DELETE' });
  assert.equal(res.status, 405);
  assert.deepEqual(await codes(res), ['UNSUPPORTED']);
  assert.equal((await r.req('/v2/team/x/manifests/1')).status, 200);
});

test('the referrers API lists manifests whose subject is the digest, filtered by artifactType', async (t) => {
  const r = await startTestRegistry(t, { allowDelete: true });
  const img = await r.pushImage('team/x', '1');
  const empty = await r.pushBlob('team/x', '{}');
  const sig = imageManifest({ artifactType: 'application/vnd.example.sig', config: { digest: empty, size: 2, mediaType: 'application/vnd.oci.empty.v1+json' },
    layers: [], subject: { digest: img.manifest, size: img.manifestBytes.length } });
  const sbom = imageManifest({ config: { digest: empty, size: 2, mediaType: 'application/vnd.example.sbom' },
    layers: [], subject: { digest: img.manifest, size: img.manifestBytes.length } });
  for (const m of [sig, sbom]) {
    const put = await r.putManifest('team/x', digestOf(m), m);
    assert.equal(put.status, 201);
    assert.equal(put.headers.get('oci-subject'), img.manifest);
  }
  const all = await r.req(`/v2/team/x/referrers/${img.manifest}`);
  assert.equal(all.status, 200);
  assert.equal(all.headers.get('content-type'), OCI_INDEX);
  assert.equal(all.headers.get('oci-filters-applied'), null);
  const index = (await all.json()) as { schemaVersion: number; mediaType: string; manifests: { digest: string; artifactType: string; size: number }[] };
  assert.equal(index.mediaType, OCI_INDEX);
  assert.deepEqual(index.manifests.map((m) => [m.digest, m.artifactType, m.size]).sort(), [
    [digestOf(sig), 'application/vnd.example.sig', sig.length], [digestOf(sbom), 'application/vnd.example.sbom', sbom.length]].sort());
  const filtered = await r.req(`/v2/team/x/referrers/${img.manifest}?artifactType=application/vnd.example.sig`);
  assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
  assert.deepEqual(((await filtered.json()) as typeof index).manifests.map((m) => m.digest), [digestOf(sig)]);
  const none = await r.req(`/v2/team/x/referrers/${digestOf('nothing refers to this')}`);
  assert.equal(none.status, 200);
  assert.deepEqual(((await none.json()) as typeof index).manifests, []);
  assert.equal((await r.req(`/v2/team/x/manifests/${digestOf(sig)}`, { method: 'DELETE' })).status, 202);
  assert.deepEqual(((await (await r.req(`/v2/team/x/referrers/${img.manifest}`)).json()) as typeof index).manifests.map((m) => m.digest), [digestOf(sbom)]);
});

test('a manifest over 4 MiB is refused with 413', async (t) => {
  const r = await startTestRegistry(t);
  const res = await r.putManifest('team/x', 'huge', Buffer.alloc((4 << 20) + 1, ' '));
  assert.equal(res.status, 413);
  assert.deepEqual(await codes(res), ['SIZE_INVALID']);
});

test('an invalid tag is refused: MANIFEST_INVALID on PUT, MANIFEST_UNKNOWN on GET', async (t) => {
  const r = await startTestRegistry(t);
  const img = await r.pushImage('team/x', '1');
  const put = await r.putManifest('team/x', '.hidden', img.manifestBytes);
  assert.equal(put.status, 400);
  assert.deepEqual(await codes(put), ['MANIFEST_INVALID']);
  const get = await r.req('/v2/team/x/manifests/-x');
  assert.equal(get.status, 404);
  assert.deepEqual(await codes(get), ['MANIFEST_UNKNOWN']);
});
