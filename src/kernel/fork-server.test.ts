import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { ForkServer } from './fork-server.js';
import { exec, useForkServer } from './exec.js';

// dist/src/kernel → repo root
const binary = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'native', 'build', 'pier-spawn');
let dir: string;
let fs: ForkServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pier-spawn-test-'));
  fs = new ForkServer({ binary, socketPath: join(dir, 's.sock') });
  await fs.start();
});
after(() => {
  useForkServer(undefined);
  fs.close();
  rmSync(dir, { recursive: true, force: true });
});

function collect(r: Readable): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    r.setEncoding('utf8');
    r.on('data', (d: string) => { s += d; });
    r.on('close', () => resolve(s));
    r.on('end', () => resolve(s));
    r.resume();
  });
}

test('run captures stdout, stderr and the exit code, and feeds stdin', async () => {
  const r = await fs.run('/bin/sh', ['-c', 'cat; echo oops >&2; exit 3'], { input: 'from stdin\n' });
  assert.deepEqual(r, { code: 3, stdout: 'from stdin\n', stderr: 'oops\n' });
});

test('run reports a signal as 128+n and a missing program as -errno', async () => {
  assert.equal((await fs.run('/bin/sh', ['-c', 'kill -9 $$'])).code, 137);
  const missing = await fs.run('/nonexistent/prog', []);
  assert.equal(missing.code, -2);
  assert.match(missing.stderr, /No such file/);
});

test('run passes env additions, a cleared env and cwd', async () => {
  const r = await fs.run('/bin/sh', ['-c', 'echo "$PIER_T:$HOME"; pwd'], { env: { PIER_T: 'x y' }, clearEnv: true, cwd: dir });
  assert.equal(r.stdout, `x y:\n${dir}\n`);
});

test('a large output arrives whole', async () => {
  const r = await fs.run('/bin/sh', ['-c', 'i=0; while [ $i -lt 20000 ]; do echo line-$i; i=$((i+1)); done']);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 20000);
  assert.equal(lines[19999], 'line-19999');
});

test('concurrent runs do not mix their outputs', async () => {
  const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => fs.run('/bin/echo', [`n${i}`])));
  rs.forEach((r, i) => assert.equal(r.stdout, `n${i}\n`));
});

test('stream mode hands the socket to the child and reports its exit', async () => {
  const c = await fs.spawn('/bin/sh', ['-c', 'echo hi >&3; read x <&4; echo "got $x" >&3; exit 5'], { stdio: ['null', 'null', 'null', 'main', 'main'], wait: true });
  assert.ok(c.pid > 0);
  const out = collect(c.socket as Readable);
  c.socket?.end('zz\n');
  assert.equal(await out, 'hi\ngot zz\n');
  assert.equal(await c.exited, 5);
});

test('relay mode gives the child real pipes (it can open /dev/stdout) and keeps stderr apart', async () => {
  const c = await fs.spawn('/bin/sh', ['-c', 'cat > /dev/stdout; echo err > /dev/stderr; [ -p /proc/self/fd/1 ] && echo is-pipe'], { stdio: ['pipe-main', 'pipe-main', 'pipe-extra'], wait: true });
  const out = collect(c.socket as Readable);
  const err = collect(c.extra[0] as Readable);
  c.socket?.end('piped in\n');
  assert.equal(await out, 'piped in\nis-pipe\n');
  assert.equal(await err, 'err\n');
  assert.equal(await c.exited, 0);
});

test('append fds write to a file; a missing program is refused before fork', async () => {
  const log = join(dir, 'out.log');
  const c = await fs.spawn('/bin/sh', ['-c', 'echo appended; echo x >&3'], { stdio: ['null', { append: log }, { append: log }, 'main'], wait: true });
  await collect(c.socket as Readable);
  assert.equal(await c.exited, 0);
  assert.equal(readFileSync(log, 'utf8'), 'appended\n');
  await assert.rejects(fs.spawn('/nonexistent/prog', [], { stdio: ['main'] }), /no such file or directory/);
});

test('kernel exec() goes through the fork server and keeps its error contract', async () => {
  useForkServer(fs);
  try {
    assert.equal((await exec('echo', ['via', 'server'])).stdout, 'via server\n');
    await assert.rejects(exec('sh', ['-c', 'echo bad >&2; exit 2']), /sh -c failed: bad/);
    assert.equal((await exec('sh', ['-c', 'exit 4'], { allowFailure: true })).code, 4);
    await assert.rejects(exec('/nonexistent/prog', []), /Cannot run \/nonexistent\/prog/);
  } finally {
    useForkServer(undefined);
  }
});

test('the server removes its socket when its owner closes it', async () => {
  const other = new ForkServer({ binary, socketPath: join(dir, 'o.sock') });
  await other.start();
  assert.ok(existsSync(join(dir, 'o.sock')));
  other.close();
  for (let i = 0; i < 100 && existsSync(join(dir, 'o.sock')); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(!existsSync(join(dir, 'o.sock')));
});

test('mount and umount are done by the server itself, with errno text on failure', async () => {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { isMounted, mountBind, unmount } = await import('./mount.js');
  const src = join(dir, 'src');
  const dst = join(dir, 'dst');
  mkdirSync(src);
  mkdirSync(dst);
  writeFileSync(join(src, 'f'), 'x');
  await fs.mount('tmpfs', dst, 'tmpfs', 0, 'size=1m');
  assert.ok(await isMounted(dst));
  await fs.umount(dst);
  assert.ok(!(await isMounted(dst)));
  await assert.rejects(fs.mount('none', join(dir, 'missing'), 'tmpfs', 0, ''), /no such file or directory/);
  useForkServer(fs);
  try {
    await mountBind(src, dst, { readonly: true });
    assert.equal(readFileSync(join(dst, 'f'), 'utf8'), 'x');
    assert.throws(() => writeFileSync(join(dst, 'g'), 'y'), /EROFS/);
    await unmount(dst);
    assert.ok(!(await isMounted(dst)));
  } finally {
    useForkServer(undefined);
  }
});

test('seal keeps one sealed, runnable in-memory copy per executable', async () => {
  const { readlinkSync, openSync, writeSync, closeSync } = await import('node:fs');
  const a = await fs.seal('/bin/echo');
  const b = await fs.seal('/bin/echo');
  assert.deepEqual(a, b, 'the same copy for the same path');
  assert.equal(a.pid, fs.pid);
  assert.match(readlinkSync(a.path), /^\/memfd:pier-sealed-runtime/);
  assert.deepEqual(await fs.run(a.path, ['sealed', 'copy']), { code: 0, stdout: 'sealed copy\n', stderr: '' });
  // Sealed against writes: nobody (a container's crun exec included) can change it.
  assert.throws(() => { const fd = openSync(a.path, 'r+'); try { writeSync(fd, 'x'); } finally { closeSync(fd); } }, /EPERM/);
  await assert.rejects(fs.seal(join(dir, 'missing')), /no such file or directory/);
  await assert.rejects(fs.seal(dir), /invalid argument/i);
});
