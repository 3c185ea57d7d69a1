import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidParameterError } from '../errdefs/index.js';
import { resolveInRoot, resolveUser, rootfsReader } from './user.js';

const files: Record<string, string> = {
  '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n# comment\nnobody:x:65534:65534:nobody:/home:/bin/false\nwww:x:33:33::/var/www:/bin/sh\n',
  '/etc/group': 'root:x:0:\nwheel:x:10:root,www\nwww-data:x:33:\nstaff:x:50:www\n',
};
const readFile = (p: string) => files[p];

test('an empty user is root with its primary and listed groups', () => {
  assert.deepEqual(resolveUser('', { readFile }), { uid: 0, gid: 0, additionalGids: [0, 10], home: '/root' });
});

test('a user name takes uid, gid and supplementary groups from the image', () => {
  assert.deepEqual(resolveUser('www', { readFile }), { uid: 33, gid: 33, additionalGids: [33, 10, 50], home: '/var/www' });
});

test('numeric ids need no passwd entry', () => {
  assert.deepEqual(resolveUser('1000', { readFile }), { uid: 1000, gid: 0, additionalGids: [0], home: '/' });
  assert.deepEqual(resolveUser('1000:2000', { readFile: () => undefined }), { uid: 1000, gid: 2000, additionalGids: [2000], home: '/' });
  assert.equal(resolveUser('33', { readFile }).gid, 33);
});

test('name:group sets the primary group and skips supplementary groups', () => {
  assert.deepEqual(resolveUser('www:staff', { readFile }).additionalGids, [50]);
  assert.equal(resolveUser('nobody:10', { readFile }).gid, 10);
});

test('--group-add appends by name or id', () => {
  assert.deepEqual(resolveUser('nobody', { readFile, groupAdd: ['wheel', '4242'] }).additionalGids, [65534, 10, 4242]);
  assert.throws(() => resolveUser('nobody', { readFile, groupAdd: ['nope'] }), InvalidParameterError);
});

test('unknown names fail with runc\'s wording', () => {
  assert.throws(() => resolveUser('ghost', { readFile }),
    (e: unknown) => e instanceof InvalidParameterError && e.message === 'unable to find user ghost: no matching entries in passwd file');
  assert.throws(() => resolveUser('www:ghosts', { readFile }), { message: 'unable to find group ghosts: no matching entries in group file' });
  assert.throws(() => resolveUser('ghost', { readFile: () => undefined }), InvalidParameterError);
  assert.throws(() => resolveUser('4294967296', { readFile }), { message: 'uids and gids must be in range 0-2147483647' });
});

test('rootfsReader keeps symlinks inside the rootfs', (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-rootfs-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, 'etc'));
  fs.mkdirSync(path.join(root, 'real'));
  fs.writeFileSync(path.join(root, 'real/passwd'), 'inside\n');
  fs.symlinkSync('/real/passwd', path.join(root, 'etc/passwd'));        // absolute: re-rooted
  fs.symlinkSync('../../../../../etc/hostname', path.join(root, 'etc/group')); // escapes are clamped at /
  fs.symlinkSync('loop', path.join(root, 'etc/loop'));
  const read = rootfsReader(root);
  assert.equal(read('/etc/passwd'), 'inside\n');
  assert.equal(read('/etc/group'), undefined);
  assert.equal(read('/etc/loop'), undefined);
  assert.equal(read('/etc/missing'), undefined);
  assert.equal(resolveInRoot(root, '/etc/../real/./passwd'), path.join(root, 'real/passwd'));
});
