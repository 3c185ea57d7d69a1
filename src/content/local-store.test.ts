import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { LocalContentStore } from './local-store.js';

async function store(t: TestContext): Promise<{ s: LocalContentStore; root: string }> {
  const root = await mkdtemp(join(tmpdir(), 'pier-content-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  return { s: new LocalContentStore(root), root };
}

const digestOf = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

test('writer: onFile names a file that exists already; each written() comes once the file holds that piece', async (t) => {
  const { s } = await store(t);
  let file = '';
  const w = await s.writer({ onFile: (p) => { file = p; assert.ok(existsSync(p), 'the file exists when onFile is told'); } });
  assert.notEqual(file, '');
  const pieces = [randomBytes(100_000), randomBytes(3), randomBytes(70_000)];
  let upTo = 0;
  const checks = pieces.map((p, i) => new Promise<void>((resolve) => {
    upTo += p.length;
    const mustHave = upTo;
    w.write(p, () => {
      assert.ok(statSync(file).size >= mustHave, `piece ${i} is in the file when its written() runs`);
      resolve();
    });
  }));
  await Promise.all(checks);
  const all = Buffer.concat(pieces);
  const info = await w.commit({ digest: digestOf(all), size: all.length });
  assert.equal(info.digest, digestOf(all));
  assert.deepEqual(readFileSync(s.path(info.digest)), all);
  assert.equal(existsSync(file), false, 'the temporary file was renamed into place');
});

test('writer: a digest or size that does not match, or an abort, leaves nothing behind', async (t) => {
  const { s, root } = await store(t);
  const w1 = await s.writer();
  w1.write(Buffer.from('hello'));
  await assert.rejects(w1.commit({ digest: digestOf(Buffer.from('other')) }), /unexpected commit digest sha256:2cf24d.*, expected sha256:/);
  const w2 = await s.writer();
  w2.write(Buffer.from('hello'));
  await assert.rejects(w2.commit({ size: 6 }), /unexpected commit size 5, expected 6/);
  const w3 = await s.writer();
  w3.write(randomBytes(1 << 20), () => undefined);
  await w3.abort();
  assert.deepEqual(await readdir(join(root, 'ingest')), []);
  assert.deepEqual(await readdir(join(root, 'blobs', 'sha256')), []);
});
