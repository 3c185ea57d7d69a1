// Crash safety (issue 10): image deletions never take a blob or layer an image-making
// operation in flight relies on, and the start-up GC takes what a crash left unreferenced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, access, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { openStore } from '../store/index.js';
import { LocalContentStore } from '../content/index.js';
import { OverlaySnapshotter } from '../snapshots/index.js';
import { EventBus } from '../events/index.js';
import { nullLogger } from '../pkg/log/index.js';
import { ImageService } from './image-service.js';

async function layer(files: Record<string, string>): Promise<Readable> {
  const p = pack();
  for (const [name, body] of Object.entries(files)) p.entry({ name, mode: 0o644 }, body);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as AsyncIterable<Buffer>) chunks.push(c);
  return Readable.from([Buffer.concat(chunks)]);
}

async function setup(t: { after(fn: () => Promise<void>): void }): Promise<{ images: ImageService; content: LocalContentStore; snapshots: OverlaySnapshotter; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'pier-image-gc-'));
  const store = openStore(join(dir, 'pier.db'));
  t.after(async () => { store.close(); await rm(dir, { recursive: true, force: true }); });
  const content = new LocalContentStore(join(dir, 'content'));
  await mkdir(join(dir, 'snapshots'), { recursive: true });
  const snapshots = new OverlaySnapshotter(join(dir, 'snapshots'), store);
  const images = new ImageService({ store, content, snapshots, events: new EventBus(), log: nullLogger, containersUsing: () => [] });
  return { images, content, snapshots, dir };
}

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);
async function snapshotKeys(s: OverlaySnapshotter): Promise<string[]> {
  const out: string[] = [];
  for await (const x of s.list()) out.push(x.key);
  return out;
}

test('an rmi during a commit that shares its layer leaves the layer to the GC, and the new image stays whole', async (t) => {
  const { images, content, snapshots } = await setup(t);
  const a = await images.importRootfs(await layer({ same: 'x' }), {});
  let release!: () => void;
  const held = new Promise<void>((r) => { release = r; });
  // A second import of the same layer: its blob and chain exist, so it writes neither.
  const b = images.writing(async () => {
    await held;
    return images.importRootfs(await layer({ same: 'x' }), { message: 'second' });
  });
  await images.remove(a.id, { force: false, prune: false });
  assert.equal(images.get(a.id), undefined);
  assert.ok(await exists(content.path(a.diffIds[0] ?? '')), 'the layer blob waits for the writer');
  release();
  const rec = await b;
  for (let i = 0; i < 50 && (await exists(content.path(a.id))); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(await exists(content.path(rec.diffIds[0] ?? '')), 'the second image keeps its layer blob');
  assert.ok((await snapshotKeys(snapshots)).includes(rec.chainIds[0] ?? ''), 'and its layer snapshot');
  assert.equal(await exists(content.path(a.id)), a.id === rec.id, 'the deleted image\'s own config went with the GC');
});

test('the GC takes the layers, unpack snapshots and blobs no image references (what a crash leaves)', async (t) => {
  const { images, content, snapshots } = await setup(t);
  const kept = await images.importRootfs(await layer({ keep: '1' }), {});
  // A crash after "commit the layer" and before "record the image":
  const x = await images.extractLayer(await layer({ lost: '2' }));
  const chain = await images.commitLayer(x, '');
  await images.extractLayer(await layer({ unpacking: '3' })); // a crash mid-unpack
  const stray = await content.ingest(Buffer.from('a manifest whose image was never recorded'));
  const r = await images.collectGarbage();
  assert.deepEqual(r, { snapshots: 2, blobs: 3 }); // the lost layer's tar, the unpacked one's, the manifest
  assert.deepEqual(await snapshotKeys(snapshots), kept.chainIds);
  assert.equal(await exists(content.path(stray.digest)), false);
  assert.equal(await exists(content.path(chain)), false);
  assert.ok(await exists(content.path(kept.id)));
  assert.ok(await exists(content.path(kept.diffIds[0] ?? '')));
});
