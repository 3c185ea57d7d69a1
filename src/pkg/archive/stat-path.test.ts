import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { InvalidParameterError, NotFoundError } from '../../errdefs/index.js';
import { goFileMode, GoFileMode, rfc3339Nano, statPath } from './index.js';

async function root(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const d = await mkdtemp(`${tmpdir()}/pier-archive-test-`);
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

test('goFileMode maps Unix types and special bits to Go os.FileMode', () => {
  assert.equal(goFileMode(0o100644), 0o644);
  assert.equal(goFileMode(0o040755), 2 ** 31 + 0o755);
  assert.equal(goFileMode(0o120777), 2 ** 27 + 0o777);
  assert.equal(goFileMode(0o010600), 2 ** 25 + 0o600);
  assert.equal(goFileMode(0o140755), 2 ** 24 + 0o755);
  assert.equal(goFileMode(0o020666), GoFileMode.device + GoFileMode.charDevice + 0o666);
  assert.equal(goFileMode(0o060660), GoFileMode.device + 0o660);
  assert.equal(goFileMode(0o104755), GoFileMode.setuid + 0o755);
  assert.equal(goFileMode(0o102755), GoFileMode.setgid + 0o755);
  assert.equal(goFileMode(0o041777), GoFileMode.dir + GoFileMode.sticky + 0o777);
});

test('rfc3339Nano trims trailing zeros of the fraction like Go', () => {
  assert.equal(rfc3339Nano(0n), '1970-01-01T00:00:00Z');
  assert.equal(rfc3339Nano(1_704_067_200_123_400_000n), '2024-01-01T00:00:00.1234Z');
  assert.equal(rfc3339Nano(1_704_067_200_000_000_001n), '2024-01-01T00:00:00.000000001Z');
});

test('statPath reports name, size, Go mode and mtime of a file', async (t) => {
  const r = await root(t);
  await mkdir(`${r}/etc`);
  await writeFile(`${r}/etc/hostname`, 'box\n');
  await chmod(`${r}/etc/hostname`, 0o4755);
  await utimes(`${r}/etc/hostname`, new Date('2024-01-01T00:00:00Z'), new Date('2024-01-01T00:00:00Z'));
  assert.deepEqual(await statPath(r, '/etc/hostname'), {
    name: 'hostname', size: 4, mode: GoFileMode.setuid + 0o755, mtime: '2024-01-01T00:00:00Z', linkTarget: '',
  });
  const d = await statPath(r, '/etc');
  assert.equal(d.mode, GoFileMode.dir + 0o755);
  assert.equal((await statPath(r, '/')).name, '/');
});

test('statPath reports a symlink with its in-root target and follows it with a trailing slash', async (t) => {
  const r = await root(t);
  await mkdir(`${r}/real`);
  await symlink('/real', `${r}/link`);
  await symlink('../../../../real', `${r}/rel`);
  const s = await statPath(r, '/link');
  assert.equal(s.mode, GoFileMode.symlink + 0o777);
  assert.equal(s.linkTarget, '/real');
  assert.equal((await statPath(r, '/rel')).linkTarget, '/real');
  const followed = await statPath(r, '/link/');
  assert.equal(followed.mode, GoFileMode.dir + 0o755);
  assert.equal(followed.name, 'link');
});

test('statPath throws NotFoundError for a missing path, even through a symlink to a host path', async (t) => {
  const r = await root(t);
  await symlink('/etc', `${r}/hostetc`);
  await assert.rejects(statPath(r, '/nope'), NotFoundError);
  // /etc/passwd exists on the host but not in the root.
  await assert.rejects(statPath(r, '/hostetc/passwd'), NotFoundError);
});

test('a path past PATH_MAX is a 400 with a short message, not a 500', async (t) => {
  const r = await root(t);
  const long = '/etc/hostname'.repeat(400);
  await assert.rejects(statPath(r, long), (e: unknown) => e instanceof InvalidParameterError && /file name too long$/.test(e.message) && e.message.length < 300);
});
