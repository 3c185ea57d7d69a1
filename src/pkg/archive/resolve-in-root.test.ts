import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { SystemError } from '../../errdefs/index.js';
import { resolveInRoot } from './index.js';

async function root(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const d = await mkdtemp(`${tmpdir()}/pier-archive-test-`);
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

test('resolveInRoot evaluates an absolute symlink with the root as /', async (t) => {
  const r = await root(t);
  await mkdir(`${r}/etc`);
  await symlink('/etc', `${r}/link`);
  assert.equal(await resolveInRoot(r, 'link/passwd', { followFinal: true }), `${r}/etc/passwd`);
  assert.equal(await resolveInRoot(r, '/link', { followFinal: false }), `${r}/link`);
  assert.equal(await resolveInRoot(r, '/link', { followFinal: true }), `${r}/etc`);
});

test('resolveInRoot keeps ../ climbing relative symlinks at the root', async (t) => {
  const r = await root(t);
  await mkdir(`${r}/a/b`, { recursive: true });
  await symlink('../../../../../../../tmp', `${r}/a/b/up`);
  assert.equal(await resolveInRoot(r, 'a/b/up/x', { followFinal: true }), `${r}/tmp/x`);
  assert.equal(await resolveInRoot(r, '../../../x', { followFinal: true }), `${r}/x`);
});

test('resolveInRoot follows chains of symlinks and relative targets', async (t) => {
  const r = await root(t);
  await mkdir(`${r}/usr/lib`, { recursive: true });
  await writeFile(`${r}/usr/lib/f`, '');
  await symlink('usr/lib', `${r}/lib`);
  await symlink('/lib', `${r}/lib2`);
  await symlink('lib2/f', `${r}/f`);
  assert.equal(await resolveInRoot(r, '/f', { followFinal: true }), `${r}/usr/lib/f`);
  assert.equal(await resolveInRoot(r, '/missing/../lib2/x', { followFinal: true }), `${r}/usr/lib/x`);
});

test('resolveInRoot fails with SystemError on a symlink loop', async (t) => {
  const r = await root(t);
  await symlink('b', `${r}/a`);
  await symlink('a', `${r}/b`);
  await assert.rejects(resolveInRoot(r, 'a/x', { followFinal: true }), (e: unknown) => e instanceof SystemError && /too many levels/.test(e.message));
});
