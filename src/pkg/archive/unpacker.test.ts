import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { CanceledError, InvalidParameterError, SystemError } from '../../errdefs/index.js';
import { LayerUnpacker, unpackLayer } from './index.js';
import { tarOf, type FixtureEntry } from './tar-fixtures.js';

type T = { after: (fn: () => Promise<void> | void) => void };
async function scratch(t: T): Promise<string> {
  const d = await mkdtemp(`${tmpdir()}/pier-unpacker-test-`);
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}
function unpacker(t: T): LayerUnpacker {
  const u = new LayerUnpacker();
  t.after(() => u.close());
  return u;
}
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
/** `blob` written to a file under `d`, opened for reading (closed after the test). */
async function blobFile(t: T, d: string, blob: Buffer): Promise<number> {
  await writeFile(`${d}/blob`, blob);
  const fd = openSync(`${d}/blob`, 'r');
  t.after(() => closeSync(fd));
  return fd;
}
const layer: FixtureEntry[] = [
  { name: 'etc/', type: 'directory', mode: 0o755 },
  { name: 'etc/motd', body: 'hello from the worker\n', mode: 0o644 },
  { name: 'big.bin', body: randomBytes(3 << 20), mode: 0o600 },
  { name: 'etc/link', type: 'symlink', linkname: 'motd' },
  { name: 'gone/.wh..wh..opq', body: '' },
];

test('a gzip layer unpacks on the worker: its diff ID, size and files are those of the tar', async (t) => {
  const d = await scratch(t);
  const tar = await tarOf(layer);
  const fd = await blobFile(t, d, gzipSync(tar));
  await mkdir(`${d}/root`);
  const got = await unpacker(t).unpackFile(fd, gzipSync(tar).length, `${d}/root`, { whiteouts: 'overlay' });
  assert.deepEqual(got, { digest: sha(tar), size: tar.length });
  assert.equal(await readFile(`${d}/root/etc/motd`, 'utf8'), 'hello from the worker\n');
  assert.equal((await stat(`${d}/root/big.bin`)).size, 3 << 20);
  assert.equal((await stat(`${d}/root/big.bin`)).mode & 0o777, 0o600);
  assert.ok((await lstat(`${d}/root/etc/link`)).isSymbolicLink());
});

test('an idle worker ends after its idle time, then onEnd is told; the next layer starts a new one', async (t) => {
  const d = await scratch(t);
  let ended = 0;
  const u = new LayerUnpacker({ idleMs: 100, onEnd: () => { ended++; } });
  t.after(() => u.close());
  const tar = await tarOf(layer);
  const gz = gzipSync(tar);
  const fd = await blobFile(t, d, gz);
  await mkdir(`${d}/a`);
  assert.equal((await u.unpackFile(fd, gz.length, `${d}/a`, { whiteouts: 'overlay' })).digest, sha(tar));
  assert.equal(ended, 0, 'not while it may be used again soon');
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(ended, 1);
  await mkdir(`${d}/b`);
  assert.equal((await u.unpackFile(fd, gz.length, `${d}/b`, { whiteouts: 'overlay' })).digest, sha(tar));
  await u.close();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(ended, 1, 'close() at shutdown is not an idle end');
});

test('the worker gives the same answer as unpacking in-thread, for gzip, zstd and plain layers', async (t) => {
  const d = await scratch(t);
  const tar = await tarOf(layer);
  const u = unpacker(t);
  for (const [name, blob] of [['gzip', gzipSync(tar)], ['zstd', zstdCompressSync(tar)], ['plain', tar]] as const) {
    await mkdir(`${d}/w-${name}`);
    await mkdir(`${d}/i-${name}`);
    await writeFile(`${d}/${name}`, blob);
    const fd = openSync(`${d}/${name}`, 'r');
    try {
      const off = await u.unpackFile(fd, blob.length, `${d}/w-${name}`, { whiteouts: 'overlay' });
      const inThread = await unpackLayer(Readable.from([blob]), `${d}/i-${name}`, { whiteouts: 'overlay' });
      assert.deepEqual(off, inThread, name);
      assert.equal(off.digest, sha(tar), name);
      assert.deepEqual(await readFile(`${d}/w-${name}/big.bin`), await readFile(`${d}/i-${name}/big.bin`), name);
    } finally {
      closeSync(fd);
    }
  }
});

test('the worker follows a blob that is still being written, up to its size', async (t) => {
  const d = await scratch(t);
  const tar = await tarOf(layer);
  const gz = gzipSync(tar);
  const wfd = openSync(`${d}/blob`, 'w');
  const fd = openSync(`${d}/blob`, 'r');
  t.after(() => { closeSync(fd); });
  await mkdir(`${d}/root`);
  const unpacking = unpacker(t).unpackFile(fd, gz.length, `${d}/root`, { whiteouts: 'overlay' });
  // The "download": the blob arrives in pieces, with pauses the reader must wait out.
  for (let off = 0; off < gz.length; off += 256 << 10) {
    writeSync(wfd, gz, off, Math.min(256 << 10, gz.length - off));
    await new Promise((r) => setTimeout(r, 5));
  }
  closeSync(wfd);
  assert.deepEqual(await unpacking, { digest: sha(tar), size: tar.length });
  assert.equal((await stat(`${d}/root/big.bin`)).size, 3 << 20);
});

test('a download whose first write is shorter than the gzip magic unpacks all the same', async (t) => {
  const d = await scratch(t);
  const tar = await tarOf([{ name: 'x', body: 'split magic' }]);
  const gz = gzipSync(tar);
  const wfd = openSync(`${d}/blob`, 'w');
  const fd = openSync(`${d}/blob`, 'r');
  t.after(() => { closeSync(fd); });
  await mkdir(`${d}/root`);
  writeSync(wfd, gz, 0, 2); // 1f 8b, and the reader looks before the rest comes
  const unpacking = unpacker(t).unpackFile(fd, gz.length, `${d}/root`, { whiteouts: 'overlay' });
  await new Promise((r) => setTimeout(r, 50));
  writeSync(wfd, gz, 2, gz.length - 2);
  closeSync(wfd);
  assert.deepEqual(await unpacking, { digest: sha(tar), size: tar.length });
  assert.equal(await readFile(`${d}/root/x`, 'utf8'), 'split magic');
});

test("a hostile layer is refused on the worker with extractTar's own error", async (t) => {
  const d = await scratch(t);
  const gz = gzipSync(await tarOf([{ name: 'ok', body: 'fine' }, { name: '../escaped', body: 'pwned' }]));
  const fd = await blobFile(t, d, gz);
  await mkdir(`${d}/root`);
  await assert.rejects(unpacker(t).unpackFile(fd, gz.length, `${d}/root`, { whiteouts: 'overlay' }),
    (e: unknown) => e instanceof InvalidParameterError && /refusing to extract "\.\.\/escaped": path escapes the destination/.test(e.message));
  await assert.rejects(stat(`${d}/escaped`), { code: 'ENOENT' });
});

test('a corrupt gzip layer is an InvalidParameterError, and the worker serves the next layer', async (t) => {
  const d = await scratch(t);
  const gz = gzipSync(await tarOf(layer));
  gz.fill(0x41, 4096, 8192); // the deflate stream damaged in the middle
  const fd = await blobFile(t, d, gz);
  await mkdir(`${d}/bad`);
  const u = unpacker(t);
  await assert.rejects(u.unpackFile(fd, gz.length, `${d}/bad`, { whiteouts: 'overlay' }), (e: unknown) => e instanceof InvalidParameterError);
  const good = gzipSync(await tarOf([{ name: 'x', body: 'y' }]));
  await writeFile(`${d}/good`, good);
  const gfd = openSync(`${d}/good`, 'r');
  try {
    await mkdir(`${d}/root`);
    await u.unpackFile(gfd, good.length, `${d}/root`, { whiteouts: 'overlay' });
    assert.equal(await readFile(`${d}/root/x`, 'utf8'), 'y');
  } finally {
    closeSync(gfd);
  }
});

test('aborting a layer whose bytes stopped coming ends it (the download failed)', async (t) => {
  const d = await scratch(t);
  const gz = gzipSync(await tarOf(layer));
  await writeFile(`${d}/blob`, gz.subarray(0, 100_000)); // a third of it, and no more will come
  const fd = openSync(`${d}/blob`, 'r');
  t.after(() => closeSync(fd));
  await mkdir(`${d}/root`);
  const ac = new AbortController();
  const unpacking = unpacker(t).unpackFile(fd, gz.length, `${d}/root`, { whiteouts: 'overlay', signal: ac.signal });
  setTimeout(() => ac.abort(new Error('unexpected EOF after 100000 bytes')), 50);
  await assert.rejects(unpacking, (e: unknown) => e instanceof CanceledError && /unexpected EOF after 100000 bytes/.test(e.message));
});

test('a worker that dies fails its layers with a SystemError; the next layer starts a new one', async (t) => {
  const d = await scratch(t);
  const gz = gzipSync(await tarOf(layer));
  await writeFile(`${d}/blob`, gz.subarray(0, 1000)); // it waits for the rest
  const fd = openSync(`${d}/blob`, 'r');
  t.after(() => closeSync(fd));
  await mkdir(`${d}/a`);
  const u = unpacker(t);
  const waiting = u.unpackFile(fd, gz.length, `${d}/a`, { whiteouts: 'overlay' });
  await new Promise((r) => setTimeout(r, 100));
  await u.close();
  await assert.rejects(waiting, (e: unknown) => e instanceof SystemError && /layer unpacking worker exited/.test(e.message));
  const good = gzipSync(await tarOf([{ name: 'x', body: 'again' }]));
  await writeFile(`${d}/good`, good);
  const gfd = openSync(`${d}/good`, 'r');
  try {
    await mkdir(`${d}/b`);
    await u.unpackFile(gfd, good.length, `${d}/b`, { whiteouts: 'overlay' });
    assert.equal(await readFile(`${d}/b/x`, 'utf8'), 'again');
  } finally {
    closeSync(gfd);
  }
});

test('with a userns remap the worker stores the mapped host ids', { skip: process.getuid?.() !== 0 && 'needs root (chown)' }, async (t) => {
  const d = await scratch(t);
  const gz = gzipSync(await tarOf([{ name: 'f', body: 'x', uid: 0, gid: 0 }, { name: 'g', body: 'y', uid: 1000, gid: 100 }]));
  const fd = await blobFile(t, d, gz);
  await mkdir(`${d}/root`);
  const idMapping = { user: 'test', group: 'test', uids: [{ containerId: 0, hostId: 200000, size: 65536 }], gids: [{ containerId: 0, hostId: 300000, size: 65536 }] };
  await unpacker(t).unpackFile(fd, gz.length, `${d}/root`, { whiteouts: 'overlay', idMapping });
  const f = await stat(`${d}/root/f`);
  const g = await stat(`${d}/root/g`);
  assert.deepEqual([f.uid, f.gid, g.uid, g.gid], [200000, 300000, 201000, 300100]);
});
