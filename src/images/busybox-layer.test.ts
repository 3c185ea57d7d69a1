import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import { SystemError } from '../errdefs/index.js';
import { extractTar } from '../pkg/archive/index.js';
import { digestOf } from '../pkg/digest/index.js';
import { extract as tarExtract, type Header } from 'tar-stream';
import { buildBusyboxLayer, busyboxImageConfig, inspectElf } from './busybox-layer.js';

/** Headers and bodies of a small in-memory tar. */
async function listTar(tar: Buffer): Promise<(Header & { body: Buffer })[]> {
  const ex = tarExtract();
  ex.end(tar);
  const out: (Header & { body: Buffer })[] = [];
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
    out.push({ ...entry.header, body: Buffer.concat(chunks) });
  }
  return out;
}

const haveBusybox = await access('/bin/busybox').then(() => true, () => false);
const skip = haveBusybox || process.env['CI'] === 'true' ? false : 'needs /bin/busybox (apt-get install busybox-static)';

test('the busybox layer is byte-identical across builds and its diffID is the sha256 of the tar', { skip }, async () => {
  const a = await buildBusyboxLayer();
  const b = await buildBusyboxLayer();
  assert.equal(Buffer.compare(a.tar, b.tar), 0);
  assert.equal(a.diffId, digestOf(a.tar));
  assert.equal(a.diffId, b.diffId);
});

test('the busybox layer holds bin/busybox, applets as hard links to it, and root-owned etc files', { skip }, async () => {
  const { tar } = await buildBusyboxLayer();
  const entries = await listTar(tar);
  const byName = new Map(entries.map((e) => [e.name, e]));
  assert.equal(entries[0]?.name, 'bin/');
  assert.equal(entries[1]?.name, 'bin/busybox');
  assert.equal(byName.get('bin/busybox')?.mode, 0o755);
  assert.equal(byName.get('bin/sh')?.type, 'link');
  assert.equal(byName.get('bin/sh')?.linkname, 'bin/busybox');
  assert.equal(byName.get('root/')?.mode, 0o700);
  assert.equal(byName.get('tmp/')?.mode, 0o1777);
  assert.equal(byName.get('etc/shadow')?.mode, 0o600);
  assert.match(byName.get('etc/passwd')?.body.toString() ?? '', /^root:x:0:0:root:\/root:\/bin\/sh\n/);
  assert.match(byName.get('etc/passwd')?.body.toString() ?? '', /\nnobody:x:65534:65534:nobody:\/home:\/bin\/false\n$/);
  assert.match(byName.get('etc/group')?.body.toString() ?? '', /\nwheel:x:10:root\n/);
  assert.equal(byName.get('etc/nsswitch.conf')?.body.toString(), 'hosts: files dns\n');
  for (const e of entries) {
    assert.deepEqual([e.uid, e.gid, e.mtime.toISOString()], [0, 0, '2024-01-01T00:00:00.000Z'], e.name);
  }
  for (const d of ['dev/', 'etc/', 'home/', 'proc/', 'sys/', 'usr/bin/', 'usr/sbin/', 'var/spool/', 'var/www/']) {
    assert.equal(byName.get(d)?.type, 'directory', d);
  }
});

test('the extracted busybox layer runs its shell through the hard links', { skip }, async (t) => {
  const d = await mkdtemp(`${tmpdir()}/pier-busybox-test-`);
  t.after(() => rm(d, { recursive: true, force: true }));
  const { tar } = await buildBusyboxLayer();
  await extractTar(Readable.from([tar]), d, { whiteouts: 'none' });
  assert.equal((await stat(`${d}/bin/sh`)).ino, (await stat(`${d}/bin/busybox`)).ino);
  const { stdout } = await promisify(execFile)(`${d}/bin/sh`, ['-c', 'echo hello from busybox']);
  assert.equal(stdout, 'hello from busybox\n');
});

test('buildBusyboxLayer refuses a missing or dynamically linked binary with SystemError', async () => {
  await assert.rejects(buildBusyboxLayer({ busyboxPath: '/nonexistent/busybox' }),
    (e: unknown) => e instanceof SystemError && /busybox-static is required: apt-get install busybox-static/.test(e.message));
  await assert.rejects(buildBusyboxLayer({ busyboxPath: process.execPath }), /dynamically linked/);
  await assert.rejects(buildBusyboxLayer({ busyboxPath: '/etc/hostname' }), /not an ELF executable/);
});

test('inspectElf reads the architecture and spots a program interpreter', async () => {
  const fh = await open(process.execPath, 'r');
  const head = Buffer.alloc(64 * 1024);
  await fh.read(head, 0, head.length, 0);
  await fh.close();
  const node = inspectElf(head);
  assert.equal(node?.dynamic, true);
  assert.equal(node?.architecture, process.arch === 'x64' ? 'amd64' : process.arch);
  assert.equal(inspectElf(Buffer.from('#!/bin/sh\necho not elf\n'.padEnd(64))), undefined);
});

test('busyboxImageConfig names the layer, sh as Cmd and the default PATH', () => {
  const diffId = digestOf('layer');
  const cfg = JSON.parse(busyboxImageConfig(diffId, { created: '2024-01-01T00:00:00Z', architecture: 'amd64' }).toString()) as Record<string, unknown>;
  assert.deepEqual(cfg, {
    architecture: 'amd64', os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created: '2024-01-01T00:00:00Z', created_by: "pier: busybox from the host's busybox-static" }],
    created: '2024-01-01T00:00:00Z',
  });
  assert.equal(digestOf(busyboxImageConfig(diffId, { created: 'x' })), digestOf(busyboxImageConfig(diffId, { created: 'x' })));
});
