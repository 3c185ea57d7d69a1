import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, link, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { buffer } from 'node:stream/consumers';
import { createTar, extractTar } from './index.js';
import { findTool, mknod, runTool } from './host-tools.js';
import { listTar } from './tar-fixtures.js';

type T = { after: (fn: () => Promise<void>) => void };
async function scratch(t: T): Promise<string> {
  const d = await mkdtemp(`${tmpdir()}/pier-archive-test-`);
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}
const asRoot = process.getuid?.() === 0;
const rootOnly = asRoot || process.env['CI'] === 'true' ? false : 'needs root (chown, mknod, trusted.* xattrs)';
const hasAttr = (await findTool('setfattr')) !== undefined && (await findTool('getfattr')) !== undefined;
const attrOnly = hasAttr || process.env['CI'] === 'true' ? false : 'needs setfattr/getfattr (Debian package attr)';
const when = new Date('2024-01-01T00:00:00Z');

/** A small tree with the awkward cases: setuid, sticky, symlinks, hard links, fifo, long names. */
async function sampleTree(t: T): Promise<string> {
  const s = await scratch(t);
  await mkdir(`${s}/bin`);
  await writeFile(`${s}/bin/tool`, 'binary');
  await chmod(`${s}/bin/tool`, 0o4755);
  await link(`${s}/bin/tool`, `${s}/bin/alias`);
  await symlink('tool', `${s}/bin/sh`);
  await symlink('/bin', `${s}/abs`);
  await mkdir(`${s}/tmp`);
  await chmod(`${s}/tmp`, 0o1777);
  await writeFile(`${s}/secret`, 'x');
  await chmod(`${s}/secret`, asRoot ? 0o000 : 0o400); // only root reads a mode-0 file
  const long = `${s}/${'l'.repeat(90)}/${'m'.repeat(90)}`;
  await mkdir(long, { recursive: true });
  await writeFile(`${long}/${'n'.repeat(100)}`, 'long');
  await runTool('mkfifo', [`${s}/pipe`]);
  if (asRoot) await chown(`${s}/secret`, 300000, 1234);
  for (const p of ['bin/tool', 'secret', 'tmp', 'bin', 'pipe']) await utimes(`${s}/${p}`, when, when);
  return s;
}

async function tree(root: string, rel = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(`${root}/${rel}`)).sort()) {
    const r = rel === '' ? name : `${rel}/${name}`;
    const st = await lstat(`${root}/${r}`);
    const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? `link->${await readlink(`${root}/${r}`)}` : st.isFIFO() ? 'fifo'
      : `file:${st.mode & 0o777 ? (await readFile(`${root}/${r}`)).toString() : '?'}`;
    out[r] = `${kind} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} n${st.isDirectory() ? '' : st.nlink}${st.isDirectory() ? '' : ` ${Math.floor(st.mtimeMs / 1000)}`}`;
    if (st.isDirectory()) Object.assign(out, await tree(root, r));
  }
  return out;
}

test('createTar then extractTar reproduces modes, owners, symlinks, hard links, fifos and mtimes', async (t) => {
  const src = await sampleTree(t);
  const dst = await scratch(t);
  await extractTar(createTar(src), dst, { whiteouts: 'none' });
  assert.deepEqual(await tree(dst), await tree(src));
  assert.equal((await lstat(`${dst}/bin/alias`)).ino, (await lstat(`${dst}/bin/tool`)).ino);
  if (asRoot) assert.equal((await lstat(`${dst}/secret`)).uid, 300000);
});

test('createTar lists entries in byte order with hard links as link entries and PAX long names', async (t) => {
  const src = await sampleTree(t);
  const entries = await listTar(createTar(src));
  const names = entries.map((e) => e.name);
  assert.equal(names[0], 'abs');
  assert.deepEqual(names.slice(1, 5), ['bin/', 'bin/alias', 'bin/sh', 'bin/tool']);
  const alias = entries.find((e) => e.name === 'bin/alias');
  const tool = entries.find((e) => e.name === 'bin/tool');
  assert.equal(alias?.type, 'file');
  assert.equal(tool?.type, 'link');
  assert.equal(tool?.linkname, 'bin/alias');
  assert.ok(names.some((n) => n.endsWith('n'.repeat(100)) && n.length > 280));
  assert.equal(entries.find((e) => e.name === 'abs')?.uname, asRoot ? 'root' : '');
});

test('createTar is byte-identical across runs with a deterministic mtime', async (t) => {
  const src = await sampleTree(t);
  const a = await buffer(createTar(src, { deterministic: { mtime: when } }));
  await utimes(`${src}/bin/tool`, new Date(), new Date());
  const b = await buffer(createTar(src, { deterministic: { mtime: when } }));
  assert.equal(Buffer.compare(a, b), 0);
});

test('createTar with paths and rename archives one entry under a new top name, like docker cp', async (t) => {
  const src = await sampleTree(t);
  const names = (await listTar(createTar(src, { paths: ['/bin'], rename: { from: 'bin', to: 'tools' } }))).map((e) => e.name);
  assert.deepEqual(names, ['tools/', 'tools/alias', 'tools/sh', 'tools/tool']);
  const one = await listTar(createTar(src, { paths: ['abs/tool'], rename: { from: 'abs/tool', to: 'tool' } }));
  // abs -> /bin is resolved inside the root, never to the host's /bin.
  assert.deepEqual(one.map((e) => [e.name, e.body.toString()]), [['tool', 'binary']]);
});

test('createTar includes ./ only on request and honours excludes', async (t) => {
  const src = await sampleTree(t);
  const names = (await listTar(createTar(src, { includeRoot: true, excludes: (p) => p === 'bin' || p.startsWith('l') }))).map((e) => e.name);
  assert.deepEqual(names, ['./', 'abs', 'pipe', 'secret', 'tmp/']);
});

test('createTar converts overlay whiteouts to .wh. entries and back', { skip: rootOnly || attrOnly }, async (t) => {
  const upper = await scratch(t);
  await mkdir(`${upper}/etc/opq`, { recursive: true });
  await writeFile(`${upper}/etc/opq/new`, 'n');
  await runTool('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', `${upper}/etc/opq`]);
  await mknod({ path: `${upper}/etc/gone`, kind: 'c', major: 0, minor: 0, mode: 0 });
  const entries = await listTar(createTar(upper, { overlayWhiteouts: true }));
  assert.deepEqual(entries.map((e) => [e.name, e.type, e.size]), [
    ['etc/', 'directory', 0], ['etc/.wh.gone', 'file', 0], ['etc/opq/', 'directory', 0],
    ['etc/opq/.wh..wh..opq', 'file', 0], ['etc/opq/new', 'file', 1],
  ]);
  assert.equal(entries.some((e) => JSON.stringify(e.pax ?? {}).includes('overlay')), false);
  const back = await scratch(t);
  await extractTar(createTar(upper, { overlayWhiteouts: true }), back, { whiteouts: 'overlay' });
  assert.equal((await lstat(`${back}/etc/gone`)).isCharacterDevice(), true);
  const r = await runTool('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', `${back}/etc/opq`]);
  assert.equal(r.stdout.toString(), 'y');
});

test('createTar stores user xattrs as SCHILY.xattr PAX records when asked', { skip: attrOnly }, async (t) => {
  const src = await scratch(t);
  await writeFile(`${src}/f`, '');
  await runTool('setfattr', ['-n', 'user.pier', '-v', 'v1', `${src}/f`]);
  const [f] = await listTar(createTar(src, { xattrs: true }));
  assert.equal(f?.pax?.['SCHILY.xattr.user.pier'], 'v1');
  const [g] = await listTar(createTar(src));
  assert.equal(g?.pax ?? undefined, undefined);
});

test('createTar pauses its walk while the reader is slow', async (t) => {
  const src = await scratch(t);
  for (let i = 0; i < 1000; i++) await writeFile(`${src}/f${i}`, '');
  const s = createTar(src);
  t.after(() => { s.destroy(); });
  for (let i = 0; i < 200; i++) await new Promise((r) => setImmediate(r));
  // 1000 headers are 512 KiB; an unbounded producer would have queued them all.
  assert.ok(s.readableLength < 160 * 1024, `buffered ${s.readableLength} bytes`);
  const all = await buffer(s);
  assert.equal(all.length, 1000 * 512 + 1024);
});

test('createTar stops with the abort reason when its signal fires', async (t) => {
  const src = await sampleTree(t);
  const ac = new AbortController();
  const s = createTar(src, { signal: ac.signal });
  ac.abort(new Error('client gone'));
  await assert.rejects(buffer(s), /client gone/);
});

test('createTar fails the stream when the source directory is missing', async (t) => {
  const src = await scratch(t);
  await assert.rejects(buffer(createTar(`${src}/missing`)), { code: 'ENOENT' });
});
