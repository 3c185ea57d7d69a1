import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError } from '../../errdefs/index.js';
import { familiarName, familiarString, fullString, isFullId, isValidTag, parseReference, withDefaultTag, type Reference } from './index.js';

const D = `sha256:${'0123456789abcdef'.repeat(4)}`;

const valid: ReadonlyArray<[string, Reference, string, string]> = [
  // input, parsed, familiarString(withDefaultTag), fullString(withDefaultTag)
  ['busybox', { domain: 'docker.io', path: 'library/busybox' }, 'busybox:latest', 'docker.io/library/busybox:latest'],
  ['busybox:1.36', { domain: 'docker.io', path: 'library/busybox', tag: '1.36' }, 'busybox:1.36', 'docker.io/library/busybox:1.36'],
  ['library/busybox', { domain: 'docker.io', path: 'library/busybox' }, 'busybox:latest', 'docker.io/library/busybox:latest'],
  ['docker.io/busybox', { domain: 'docker.io', path: 'library/busybox' }, 'busybox:latest', 'docker.io/library/busybox:latest'],
  ['index.docker.io/library/busybox', { domain: 'docker.io', path: 'library/busybox' }, 'busybox:latest', 'docker.io/library/busybox:latest'],
  ['user/x', { domain: 'docker.io', path: 'user/x' }, 'user/x:latest', 'docker.io/user/x:latest'],
  ['docker.io/library/a/b', { domain: 'docker.io', path: 'library/a/b' }, 'library/a/b:latest', 'docker.io/library/a/b:latest'],
  ['localhost:5000/a/b:1', { domain: 'localhost:5000', path: 'a/b', tag: '1' }, 'localhost:5000/a/b:1', 'localhost:5000/a/b:1'],
  ['localhost/x', { domain: 'localhost', path: 'x' }, 'localhost/x:latest', 'localhost/x:latest'],
  [`127.0.0.1:5000/x@${D}`, { domain: '127.0.0.1:5000', path: 'x', digest: D }, `127.0.0.1:5000/x@${D}`, `127.0.0.1:5000/x@${D}`],
  [`x:tag@${D}`, { domain: 'docker.io', path: 'library/x', tag: 'tag', digest: D }, `x:tag@${D}`, `docker.io/library/x:tag@${D}`],
  ['ghcr.io/org/app:v1.2.3-rc_1', { domain: 'ghcr.io', path: 'org/app', tag: 'v1.2.3-rc_1' }, 'ghcr.io/org/app:v1.2.3-rc_1', 'ghcr.io/org/app:v1.2.3-rc_1'],
  ['[::1]:5000/img', { domain: '[::1]:5000', path: 'img' }, '[::1]:5000/img:latest', '[::1]:5000/img:latest'],
  ['Registry.Example.com/a', { domain: 'Registry.Example.com', path: 'a' }, 'Registry.Example.com/a:latest', 'Registry.Example.com/a:latest'],
  ['a__b/c-d.e---f:TAG', { domain: 'docker.io', path: 'a__b/c-d.e---f', tag: 'TAG' }, 'a__b/c-d.e---f:TAG', 'docker.io/a__b/c-d.e---f:TAG'],
  ['x:_', { domain: 'docker.io', path: 'library/x', tag: '_' }, 'x:_', 'docker.io/library/x:_'],
];

for (const [input, parsed, familiar, full] of valid) {
  test(`reference ${input} normalises to ${full}`, () => {
    const r = parseReference(input);
    assert.deepEqual(r, parsed);
    assert.equal(familiarString(withDefaultTag(r)), familiar);
    assert.equal(fullString(withDefaultTag(r)), full);
    // Both printed forms parse back to the same reference.
    assert.deepEqual(parseReference(familiar), withDefaultTag(r));
    assert.deepEqual(parseReference(full), withDefaultTag(r));
  });
}

const invalid: ReadonlyArray<[string, string]> = [
  ['Busybox', 'invalid reference format: repository name (library/Busybox) must be lowercase'],
  ['user/Repo:tag', 'invalid reference format: repository name (user/Repo) must be lowercase'],
  ['', 'invalid reference format'],
  ['busybox:', 'invalid reference format'],
  [':tag', 'invalid reference format'],
  ['a//b', 'invalid reference format'],
  ['a/b/', 'invalid reference format'],
  ['-a', 'invalid reference format'],
  ['a-', 'invalid reference format'],
  ['a..b', 'invalid reference format'],
  ['a___b', 'invalid reference format'],
  ['busybox:-tag', 'invalid reference format'],
  [`busybox:${'t'.repeat(129)}`, 'invalid reference format'],
  ['busybox@sha256:abc', 'invalid reference format'],
  ['a b', 'invalid reference format'],
  ['http://x/y', 'invalid reference format'],
  [`x@sha256:${'A'.repeat(64)}`, 'invalid checksum digest format'],
  [`x@sha256:${'a'.repeat(63)}`, 'invalid checksum digest length'],
  [`x@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
  ['a'.repeat(64), `invalid repository name (${'a'.repeat(64)}), cannot specify 64-byte hexadecimal strings`],
  [`example.com/${'a'.repeat(250)}`, 'repository name must not be more than 255 characters'],
  ['x'.repeat(5000), 'invalid reference format'],
];

for (const [input, message] of invalid) {
  test(`reference ${JSON.stringify(input.slice(0, 40))} is rejected with "${message.slice(0, 60)}"`, () => {
    assert.throws(() => parseReference(input), (err: unknown) => {
      assert.ok(err instanceof InvalidParameterError);
      assert.equal(err.message, message);
      return true;
    });
  });
}

test('withDefaultTag adds latest only when there is neither tag nor digest', () => {
  assert.equal(withDefaultTag(parseReference('a')).tag, 'latest');
  assert.equal(withDefaultTag(parseReference('a:1')).tag, '1');
  assert.equal(withDefaultTag(parseReference(`a@${D}`)).tag, undefined);
  assert.equal(parseReference('a').tag, undefined);
});

test('familiarName drops tag, digest and docker.io/library', () => {
  assert.equal(familiarName(parseReference('busybox:1')), 'busybox');
  assert.equal(familiarName(parseReference('user/x@' + D)), 'user/x');
  assert.equal(familiarName(parseReference('localhost:5000/a/b:1')), 'localhost:5000/a/b');
});

test('isFullId recognises image IDs, not names', () => {
  assert.equal(isFullId('a'.repeat(64)), true);
  assert.equal(isFullId(`sha256:${'a'.repeat(64)}`), true);
  assert.equal(isFullId('a'.repeat(63)), false);
  assert.equal(isFullId('A'.repeat(64)), false);
  assert.equal(isFullId('busybox'), false);
  assert.equal(isFullId(`sha512:${'a'.repeat(64)}`), false);
});

test('isValidTag follows the tag grammar', () => {
  assert.equal(isValidTag('v1.0_rc-1'), true);
  assert.equal(isValidTag('.x'), false);
  assert.equal(isValidTag('t'.repeat(128)), true);
  assert.equal(isValidTag('t'.repeat(129)), false);
});
