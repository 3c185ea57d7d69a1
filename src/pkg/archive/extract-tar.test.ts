import { test } from 'node:test';
import assert from 'node:assert/strict';
import { link, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { zstdCompressSync } from 'node:zlib';
import { ConflictError, InvalidParameterError, SystemError } from '../../errdefs/index.js';
import { extractTar, extractTarAtomic, type ExtractOptions } from './index.js';
import { tarOf, type FixtureEntry } from './tar-fixtures.js';

type T = { after: (fn: () => Promise<void>) => void };
async function scratch(t: T): Promise<string> {
  const d = await mkdtemp(`${tmpdir()}/pier-archive-test-`);
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}
/** A destination inside a scratch dir, so an escape would land in the scratch dir, not the host. */
async function dest(t: T): Promise<{ outer: string; dest: string }> {
  const outer = await scratch(t);
  await mkdir(`${outer}/a/b/dest`, { recursive: true });
  return { outer, dest: `${outer}/a/b/dest` };
}
const plain: ExtractOptions = { whiteouts: 'none' };
async function extract(entries: FixtureEntry[], d: string, opts: ExtractOptions = plain): Promise<{ files: number; bytes: number }> {
  return extractTar(Readable.from([await tarOf(entries)]), d, opts);
}
const refused = (re: RegExp) => (e: unknown): boolean => e instanceof InvalidParameterError && re.test(e.message);

test('an entry whose ../ climbs out of the destination is refused, naming the entry', async (t) => {
  const { outer, dest: d } = await dest(t);
  await assert.rejects(extract([{ name: '../x', body: 'pwned' }], d), refused(/^refusing to extract "\.\.\/x": path escapes the destination$/));
  await assert.rejects(extract([{ name: 'ok/../../../x', body: 'pwned' }], d), refused(/path escapes the destination/));
  await assert.rejects(stat(`${outer}/a/b/x`), { code: 'ENOENT' });
  await assert.rejects(stat(`${outer}/a/x`), { code: 'ENOENT' });
});

test('absolute names are taken relative to the destination, as docker does', async (t) => {
  const { dest: d } = await dest(t);
  await extract([{ name: '/etc/x', body: 'hi' }, { name: '/../../y', body: 'yo' }], d);
  assert.equal(await readFile(`${d}/etc/x`, 'utf8'), 'hi');
  assert.equal(await readFile(`${d}/y`, 'utf8'), 'yo');
});

test('writing through an absolute symlink lands inside the destination', async (t) => {
  const { outer, dest: d } = await dest(t);
  await mkdir(`${outer}/victim`);
  await extract([
    { name: 'link', type: 'symlink', linkname: `${outer}/victim` },
    { name: 'link/pwned', body: 'x' },
  ], d);
  assert.deepEqual(await readdir(`${outer}/victim`), []);
  assert.equal(await readFile(`${d}${outer}/victim/pwned`, 'utf8'), 'x');
  assert.equal(await readlink(`${d}/link`), `${outer}/victim`);
});

test('a relative symlink climbing with ../../.. cannot lead out of the destination', async (t) => {
  const { outer, dest: d } = await dest(t);
  await extract([
    { name: 'sub/up', type: 'symlink', linkname: '../../../../../../..' },
    { name: 'sub/up/pwned', body: 'x' },
    { name: 'sub/up/a/b/c', body: 'y' },
  ], d);
  assert.equal(await readFile(`${d}/pwned`, 'utf8'), 'x');
  assert.equal(await readFile(`${d}/a/b/c`, 'utf8'), 'y');
  await assert.rejects(stat(`${outer}/pwned`), { code: 'ENOENT' });
  await assert.rejects(stat(`${outer}/a/b/c`), { code: 'ENOENT' });
});

test('a hard link to /etc/passwd is resolved in the destination and refused when missing there', async (t) => {
  const { dest: d } = await dest(t);
  const before = (await stat('/etc/passwd')).nlink;
  await assert.rejects(extract([{ name: 'pw', type: 'link', linkname: '/etc/passwd' }], d), refused(/^refusing to extract "pw": hard link target "\/etc\/passwd" does not exist/));
  await assert.rejects(extract([{ name: 'pw', type: 'link', linkname: '../../../../../../etc/passwd' }], d), refused(/hard link target .* escapes the destination/));
  assert.equal((await stat('/etc/passwd')).nlink, before);
});

test('a hard link through a symlinked directory links the file inside the destination', async (t) => {
  const { dest: d } = await dest(t);
  await extract([
    { name: 'etc/passwd', body: 'inside' },
    { name: 'hostetc', type: 'symlink', linkname: '/etc' },
    { name: 'x', type: 'link', linkname: 'hostetc/passwd' },
  ], d);
  assert.equal(await readFile(`${d}/x`, 'utf8'), 'inside');
  assert.equal((await stat(`${d}/x`)).ino, (await stat(`${d}/etc/passwd`)).ino);
  const { dest: d2 } = await dest(t);
  await assert.rejects(extract([
    { name: 'hostetc', type: 'symlink', linkname: '/etc' },
    { name: 'x', type: 'link', linkname: 'hostetc/passwd' },
  ], d2), refused(/does not exist in the destination/));
});

test('an existing file is replaced, never written through (symlink or shared hard link)', async (t) => {
  const { outer, dest: d } = await dest(t);
  await writeFile(`${outer}/secret`, 'keep');
  await symlink(`${outer}/secret`, `${d}/viasymlink`);
  await link(`${outer}/secret`, `${d}/viahardlink`);
  await extract([{ name: 'viasymlink', body: 'new1' }, { name: 'viahardlink', body: 'new2' }], d);
  assert.equal(await readFile(`${outer}/secret`, 'utf8'), 'keep');
  assert.equal(await readFile(`${d}/viasymlink`, 'utf8'), 'new1');
  assert.equal(await readFile(`${d}/viahardlink`, 'utf8'), 'new2');
  assert.equal((await lstat(`${d}/viasymlink`)).isSymbolicLink(), false);
});

test('a symlink loop in a parent path fails with SystemError', async (t) => {
  const { dest: d } = await dest(t);
  await assert.rejects(extract([
    { name: 'a', type: 'symlink', linkname: 'b' }, { name: 'b', type: 'symlink', linkname: 'a' }, { name: 'a/x', body: '' },
  ], d), SystemError);
});

test('long names use PAX and names past maxPathLength are refused', async (t) => {
  const { dest: d } = await dest(t);
  const long = `${'d'.repeat(120)}/${'e'.repeat(120)}/${'f'.repeat(150)}.txt`;
  await extract([{ name: long, body: 'deep' }, { name: 'ln', type: 'symlink', linkname: long }], d);
  assert.equal(await readFile(`${d}/${long}`, 'utf8'), 'deep');
  assert.equal(await readFile(`${d}/ln`, 'utf8'), 'deep');
  await assert.rejects(extract([{ name: 'x'.repeat(300), body: '' }], d, { whiteouts: 'none', maxPathLength: 200 }), refused(/longer than 200 bytes/));
});

test('gzip input is detected and extracted', async (t) => {
  const { dest: d } = await dest(t);
  const gz = await tarOf([{ name: 'z/f', body: 'zipped' }], { gzip: true });
  assert.deepEqual(await extractTar(Readable.from([gz.subarray(0, 2), gz.subarray(2)]), d, plain), { files: 1, bytes: 6 });
  assert.equal(await readFile(`${d}/z/f`, 'utf8'), 'zipped');
});

test('zstd input is detected and extracted when node has zstd', { skip: typeof zstdCompressSync !== 'function' && 'no zstd in this node' }, async (t) => {
  const { dest: d } = await dest(t);
  const zst = zstdCompressSync(await tarOf([{ name: 'z/f', body: 'zstd' }]));
  await extractTar(Readable.from([zst]), d, plain);
  assert.equal(await readFile(`${d}/z/f`, 'utf8'), 'zstd');
});

test('xz and bzip2 input is refused with a clear message', async (t) => {
  const { dest: d } = await dest(t);
  await assert.rejects(extractTar(Readable.from([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0])]), d, plain),
    refused(/unsupported compression format xz/));
});

test('a truncated or corrupt archive is refused with InvalidParameterError', async (t) => {
  const { dest: d } = await dest(t);
  const tar = await tarOf([{ name: 'f', body: 'x'.repeat(2000) }]);
  await assert.rejects(extractTar(Readable.from([tar.subarray(0, 1000)]), d, plain), InvalidParameterError);
  await assert.rejects(extractTar(Readable.from([Buffer.alloc(512, 7)]), d, plain), InvalidParameterError);
  const gz = await tarOf([{ name: 'f', body: 'x' }], { gzip: true });
  await assert.rejects(extractTar(Readable.from([gz.subarray(0, 20)]), d, plain), InvalidParameterError);
});

test('modes (setuid, sticky), mtimes and owners are kept; directory mtimes survive their children', async (t) => {
  const { dest: d } = await dest(t);
  const when = new Date('2024-01-01T00:00:00Z');
  const asRoot = process.getuid?.() === 0;
  await extract([
    { name: 'tmp', type: 'directory', mode: 0o1777, mtime: when },
    { name: 'tmp/f', body: 'x', mode: 0o4755, mtime: when, uid: 1234, gid: 4321 },
    { name: 'tmp/l', type: 'symlink', linkname: 'f', mtime: when, uid: 1234, gid: 4321 },
  ], d);
  const dir = await stat(`${d}/tmp`);
  assert.equal(dir.mode & 0o7777, 0o1777);
  assert.equal(dir.mtime.getTime(), when.getTime());
  const f = await stat(`${d}/tmp/f`);
  assert.equal(f.mode & 0o7777, 0o4755);
  assert.equal(f.mtime.getTime(), when.getTime());
  const l = await lstat(`${d}/tmp/l`);
  assert.equal(l.mtime.getTime(), when.getTime());
  if (asRoot) {
    assert.deepEqual([f.uid, f.gid, l.uid, l.gid], [1234, 4321, 1234, 4321]);
  }
});

test('chown: false keeps files owned by the extracting user', async (t) => {
  const { dest: d } = await dest(t);
  await extract([{ name: 'f', body: 'x', uid: 1234, gid: 4321 }], d, { whiteouts: 'none', chown: false });
  assert.equal((await stat(`${d}/f`)).uid, process.getuid?.());
});

test('an existing directory is kept and updated; a dir/non-dir swap is replaced or refused', async (t) => {
  const { dest: d } = await dest(t);
  await mkdir(`${d}/keep`, { mode: 0o700 });
  await writeFile(`${d}/keep/old`, 'old');
  await mkdir(`${d}/dir`);
  await writeFile(`${d}/file`, '');
  await assert.rejects(extract([{ name: 'dir', body: 'x' }], d, { whiteouts: 'literal', noOverwriteDirNonDir: true }),
    refused(/^cannot overwrite directory "\/dir" with non-directory "\/dir"$/));
  await assert.rejects(extract([{ name: 'file', type: 'directory' }], d, { whiteouts: 'literal', noOverwriteDirNonDir: true }),
    refused(/^cannot overwrite non-directory "\/file" with directory "\/file"$/));
  await extract([{ name: 'keep', type: 'directory', mode: 0o751 }, { name: 'dir', body: 'now a file' }, { name: 'file', type: 'directory' }], d);
  assert.equal((await stat(`${d}/keep`)).mode & 0o777, 0o751);
  assert.equal(await readFile(`${d}/keep/old`, 'utf8'), 'old');
  assert.equal(await readFile(`${d}/dir`, 'utf8'), 'now a file');
  assert.equal((await stat(`${d}/file`)).isDirectory(), true);
});

test('a directory replaced later in the same archive does not break the final mtime pass', async (t) => {
  const { dest: d } = await dest(t);
  await extract([{ name: 'a', type: 'directory' }, { name: 'a/f', body: '' }, { name: 'a', body: 'file now' }], d);
  assert.equal(await readFile(`${d}/a`, 'utf8'), 'file now');
});

test('onEntry sees every header and the result counts entries and bytes', async (t) => {
  const { dest: d } = await dest(t);
  const seen: string[] = [];
  const res = await extract([{ name: 'a', type: 'directory' }, { name: 'a/f', body: 'abc' }, { name: 'a/g', type: 'link', linkname: 'a/f' }], d,
    { whiteouts: 'none', onEntry: (h) => seen.push(h.name) });
  assert.deepEqual(seen, ['a', 'a/f', 'a/g']);
  assert.deepEqual(res, { files: 3, bytes: 3 });
});

test('an aborted signal stops the extraction', async (t) => {
  const { dest: d } = await dest(t);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(extract([{ name: 'f', body: 'x' }], d, { whiteouts: 'none', signal: ac.signal }), { name: 'AbortError' });
  const ac2 = new AbortController();
  await assert.rejects(extract([{ name: 'f', body: 'x' }, { name: 'g', body: 'y' }], d, {
    whiteouts: 'none', signal: ac2.signal, onEntry: () => ac2.abort(),
  }), { name: 'AbortError' });
});

test('extractTarAtomic renames into place on success and leaves nothing on failure', async (t) => {
  const outer = await scratch(t);
  const ok = await tarOf([{ name: 'f', body: 'x' }]);
  await extractTarAtomic(Readable.from([ok]), `${outer}/layer1`, plain);
  assert.equal(await readFile(`${outer}/layer1/f`, 'utf8'), 'x');
  const bad = await tarOf([{ name: 'f', body: 'x' }, { name: '../../evil', body: 'x' }]);
  await assert.rejects(extractTarAtomic(Readable.from([bad]), `${outer}/layer2`, plain), InvalidParameterError);
  await assert.rejects(extractTarAtomic(Readable.from([ok]), `${outer}/layer1`, plain), ConflictError);
  assert.deepEqual((await readdir(outer)).sort(), ['layer1']);
});
