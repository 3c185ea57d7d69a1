import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChallenges } from './challenge.js';
import { isInsecureRegistry } from './insecure.js';

test('Bearer challenge with quoted params, as Docker Hub sends it', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
  ]);
});

test('Basic challenge, unquoted values, escapes and several challenges in one header', () => {
  assert.deepEqual(parseChallenges('Basic realm=pier'), [{ scheme: 'basic', params: { realm: 'pier' } }]);
  assert.deepEqual(parseChallenges('Basic realm="a \\"b\\"", Bearer realm="https://t/x",service=s'), [
    { scheme: 'basic', params: { realm: 'a "b"' } },
    { scheme: 'bearer', params: { realm: 'https://t/x', service: 's' } },
  ]);
  assert.deepEqual(parseChallenges(['Basic realm="x"', 'Bearer realm="y"']).map((c) => c.scheme), ['basic', 'bearer']);
  assert.deepEqual(parseChallenges(undefined), []);
  assert.deepEqual(parseChallenges(''), []);
});

test('loopback registries are always insecure; others when configured by name or CIDR', () => {
  assert.equal(isInsecureRegistry('127.0.0.1:5000', []), true);
  assert.equal(isInsecureRegistry('127.9.9.9', []), true);
  assert.equal(isInsecureRegistry('localhost:5000', []), true);
  assert.equal(isInsecureRegistry('[::1]:5000', []), true);
  assert.equal(isInsecureRegistry('docker.io', []), false);
  assert.equal(isInsecureRegistry('10.1.2.3:5000', []), false);
  assert.equal(isInsecureRegistry('10.1.2.3:5000', ['10.0.0.0/8']), true);
  assert.equal(isInsecureRegistry('10.1.2.3:5000', ['10.1.2.3:5000']), true);
  assert.equal(isInsecureRegistry('reg.example:5000', ['reg.example']), true);
  assert.equal(isInsecureRegistry('reg.example:5000', ['other.example', '192.168.0.0/16']), false);
});
