import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { extractTar, type ExtractOptions } from './index.js';
import { findTool, runTool } from './host-tools.js';
import { tarOf, type FixtureEntry } from './tar-fixtures.js';

type T = { after: (fn: () => Promise<void>) => void };
async function scratch(t: T): Promise<string> {
  const d = await mkdtemp(`${tmpdir()}/pier-archive-test-`);
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}
async function extract(entries: FixtureEntry[], d: string, opts: ExtractOptions): Promise<void> {
  await extractTar(Readable.from([await tarOf(entries)]), d, opts);
}
/** STYLE §8: skip without root, but fail under CI=true. */
const rootOnly = process.getuid?.() === 0 || process.env['CI'] === 'true' ? false : 'needs root (mknod, trusted.* xattrs)';
const hasAttr = (await findTool('setfattr')) !== undefined && (await findTool('getfattr')) !== undefined;
const attrOnly = hasAttr || process.env['CI'] === 'true' ? false : 'needs setfattr/getfattr (Debian package attr)';

async function xattr(path: string, name: string): Promise<string | undefined> {
  const r = await runTool('getfattr', ['-h', '--only-values', '-n', name, '--', path]);
  return r.code === 0 ? r.stdout.toString() : undefined;
}

test('overlay mode turns a/.wh.b into a 0/0 character device owned like the entry', { skip: rootOnly }, async (t) => {
  const d = await scratch(t);
  await mkdir(`${d}/a`);
  await writeFile(`${d}/a/b`, 'from a lower layer? no: replaced');
  await extract([
    { name: 'a', type: 'directory' },
    { name: 'a/.wh.b', body: '', uid: 7, gid: 8 },
    { name: 'a/.wh.c', body: '' },
    { name: 'dev0', type: 'character-device', devmajor: 0, devminor: 0 },
  ], d, { whiteouts: 'overlay' });
  for (const p of ['a/b', 'a/c', 'dev0']) {
    const st = await lstat(`${d}/${p}`);
    assert.equal(st.isCharacterDevice(), true, p);
    assert.equal(st.rdev, 0, p);
  }
  const b = await lstat(`${d}/a/b`);
  assert.deepEqual([b.uid, b.gid], [7, 8]);
  assert.deepEqual((await readdir(`${d}/a`)).sort(), ['b', 'c']);
});

test('overlay mode marks a/.wh..wh..opq with trusted.overlay.opaque=y', { skip: rootOnly || attrOnly }, async (t) => {
  const d = await scratch(t);
  await extract([
    { name: 'a', type: 'directory' },
    { name: 'a/.wh..wh..opq', body: '' },
    { name: 'a/new', body: 'n' },
  ], d, { whiteouts: 'overlay' });
  assert.equal(await xattr(`${d}/a`, 'trusted.overlay.opaque'), 'y');
  assert.deepEqual(await readdir(`${d}/a`), ['new']);
});

test('none mode deletes whited-out paths and empties opaque dirs but keeps what the layer added', async (t) => {
  const d = await scratch(t);
  await mkdir(`${d}/x/y/deep`, { recursive: true });
  await mkdir(`${d}/opq/olddir`, { recursive: true });
  await writeFile(`${d}/opq/old`, '');
  await writeFile(`${d}/x/keep`, '');
  await extract([
    { name: 'x/.wh.y', body: '' },
    { name: 'x/.wh.absent', body: '' },
    { name: 'opq', type: 'directory' },
    { name: 'opq/new', body: 'n' },
    { name: 'opq/.wh..wh..opq', body: '' },
    { name: 'opq/.wh..wh.plnk', body: '' },
    { name: 'dev0', type: 'character-device', devmajor: 0, devminor: 0 },
  ], d, { whiteouts: 'none' });
  assert.deepEqual(await readdir(`${d}/x`), ['keep']);
  assert.deepEqual(await readdir(`${d}/opq`), ['new']);
  await assert.rejects(lstat(`${d}/dev0`), { code: 'ENOENT' });
});

test('literal mode extracts .wh. names as ordinary files', async (t) => {
  const d = await scratch(t);
  await extract([{ name: 'a/.wh.b', body: 'plain' }, { name: 'a/.wh..wh..opq', body: '' }], d, { whiteouts: 'literal' });
  assert.equal(await readFile(`${d}/a/.wh.b`, 'utf8'), 'plain');
  assert.deepEqual((await readdir(`${d}/a`)).sort(), ['.wh..wh..opq', '.wh.b']);
});

test('a whiteout cannot name . or .. to delete outside its directory', async (t) => {
  const d = await scratch(t);
  await assert.rejects(extract([{ name: 'a/.wh...', body: '' }], d, { whiteouts: 'none' }), /invalid whiteout name/);
});

test('device nodes are created as root', { skip: rootOnly }, async (t) => {
  const d = await scratch(t);
  await extract([{ name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 }], d, { whiteouts: 'literal' });
  const st = await lstat(`${d}/dev/null`);
  assert.equal(st.isCharacterDevice(), true);
  assert.equal(st.rdev, (1 << 8) | 3);
  assert.equal(st.mode & 0o777, 0o666);
});

test('SCHILY.xattr PAX records become xattrs; overlay bookkeeping xattrs are ignored', { skip: attrOnly }, async (t) => {
  const d = await scratch(t);
  await extract([
    { name: 'f', body: 'x', pax: { 'SCHILY.xattr.user.pier': 'hello', 'SCHILY.xattr.trusted.overlay.redirect': '/etc' } },
    { name: 'dir', type: 'directory', pax: { 'SCHILY.xattr.user.d': 'dv' } },
  ], d, { whiteouts: 'none' });
  assert.equal(await xattr(`${d}/f`, 'user.pier'), 'hello');
  assert.equal(await xattr(`${d}/dir`, 'user.d'), 'dv');
  assert.equal(await xattr(`${d}/f`, 'trusted.overlay.redirect'), undefined);
});
