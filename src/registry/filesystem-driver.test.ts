import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FilesystemDriver } from './filesystem-driver.js';
import { storageDriverSuite } from './storage-driver-testsuite.js';

storageDriverSuite('FilesystemDriver', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pier-registry-fs-'));
  return { driver: new FilesystemDriver(join(dir, 'root')), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

test('FilesystemDriver leaves no temp file behind and writes nothing outside its root', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pier-registry-fs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const d = new FilesystemDriver(join(dir, 'root'));
  await d.putContent('a/b', 'x');
  await d.putContent('a/b', 'y');
  await assert.rejects(d.putContent('../escape', 'x'));
  assert.deepEqual(await readdir(join(dir, 'root', 'a')), ['b']);
  assert.deepEqual(await readdir(dir), ['root']);
});
