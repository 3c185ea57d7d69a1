import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { digestOf, type Digest } from '../pkg/digest/index.js';
import { FilesystemDriver } from './filesystem-driver.js';
import { garbageCollect } from './garbage-collect.js';
import { OCI_INDEX, OCI_MANIFEST } from './parse-manifest.js';
import { imageManifest, listFiles, startTestRegistry } from './start-test-registry.js';

const blobFile = (root: string, d: Digest): string => join(root, 'blobs', 'sha256', d.slice(7, 9), d.slice(7));

test('GC removes exactly the blobs no manifest references, and their repository links', async (t) => {
  const r = await startTestRegistry(t, { allowDelete: true });
  const kept = await r.pushImage('team/kept', '1', 'kept');
  const dropped = await r.pushImage('team/dropped', '1', 'dropped');
  const orphan = await r.pushBlob('team/kept', 'uploaded, never referenced');
  // An index and a referrer keep what they point at.
  const child = await r.pushImage('team/multi', 'amd64', 'child');
  const index = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: child.manifest, size: child.manifestBytes.length }] });
  assert.equal((await r.putManifest('team/multi', 'all', index, OCI_INDEX)).status, 201);
  assert.equal((await r.req('/v2/team/multi/manifests/amd64', { method: 'DELETE' })).status, 202); // untagged: still a revision
  const empty = await r.pushBlob('team/kept', '{}');
  const sig = imageManifest({ config: { digest: empty, size: 2, mediaType: 'application/vnd.oci.empty.v1+json' }, layers: [],
    subject: { digest: kept.manifest, size: kept.manifestBytes.length }, artifactType: 'application/vnd.example.sig' });
  assert.equal((await r.putManifest('team/kept', digestOf(sig), sig)).status, 201);
  assert.equal((await r.req(`/v2/team/dropped/manifests/${dropped.manifest}`, { method: 'DELETE' })).status, 202);
  await r.server.close();

  const expected = [dropped.manifest, dropped.config, dropped.layer, orphan].sort();
  const lines: string[] = [];
  const dry = await garbageCollect(new FilesystemDriver(r.root), { dryRun: true, onLine: (l) => lines.push(l) });
  assert.deepEqual([...dry.swept].sort(), expected);
  for (const d of expected) assert.ok(existsSync(blobFile(r.root, d)), 'a dry run deletes nothing');
  assert.ok(lines.includes(`blob eligible for deletion: ${orphan}`));
  assert.match(lines.at(-1) ?? '', /^\d+ blobs marked, 4 blobs eligible for deletion \(dry run/);

  const before = await listFiles(join(r.root, 'blobs'));
  const res = await garbageCollect(new FilesystemDriver(r.root));
  assert.deepEqual([...res.swept].sort(), expected);
  const after = await listFiles(join(r.root, 'blobs'));
  assert.deepEqual(before.filter((f) => !after.includes(f)).map((f) => `sha256:${f.split('/').at(-1)}`).sort(), expected);
  for (const d of [kept.manifest, kept.config, kept.layer, child.manifest, child.config, child.layer, digestOf(index), digestOf(sig), empty]) {
    assert.ok(existsSync(blobFile(r.root, d)), `${d} is referenced and kept`);
  }
  assert.ok(!existsSync(join(r.root, 'repositories/team/dropped/_layers/sha256', dropped.layer.slice(7))), 'dangling link removed');
  assert.ok(!existsSync(join(r.root, 'repositories/team/kept/_layers/sha256', orphan.slice(7))), 'dangling link removed');

  // A second pass finds nothing, and the survivors still serve.
  assert.deepEqual((await garbageCollect(new FilesystemDriver(r.root))).swept, []);
  const again = await startTestRegistry(t, { root: r.root });
  assert.equal((await again.req(`/v2/team/kept/blobs/${kept.layer}`)).status, 200);
  assert.equal((await again.req('/v2/team/multi/manifests/all')).status, 200);
  assert.equal((await again.req(`/v2/team/kept/blobs/${orphan}`, { method: 'HEAD' })).status, 404);
});

test('GC on an empty root marks and deletes nothing', async (t) => {
  const r = await startTestRegistry(t);
  const lines: string[] = [];
  const res = await garbageCollect(new FilesystemDriver(r.root), { onLine: (l) => lines.push(l) });
  assert.deepEqual(res, { marked: 0, swept: [] });
  assert.deepEqual(lines, ['0 blobs marked, 0 blobs eligible for deletion']);
});
