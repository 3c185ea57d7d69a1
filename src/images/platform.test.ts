import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlatform, parsePlatformParam, platformMatches, platformMismatch } from './platform.js';

test('parsePlatformParam takes the text form and the OCI JSON docker sends to save and load', () => {
  assert.deepEqual(parsePlatformParam('linux/arm64'), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(parsePlatformParam('{"architecture":"arm64","os":"linux","variant":"v8"}'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(parsePlatformParam('{"architecture":"x86_64","os":"linux"}'), { os: 'linux', architecture: 'amd64' });
  assert.throws(() => parsePlatformParam('{"os":1}'), /invalid platform/);
  assert.throws(() => parsePlatformParam('{not json'), /invalid platform/);
});

test('platformMatches: os and architecture must agree; arm64 without a variant is arm64/v8', () => {
  assert.equal(platformMatches({ os: 'linux', architecture: 'amd64' }, parsePlatform('linux/amd64')), true);
  assert.equal(platformMatches({ os: 'linux', architecture: 'amd64' }, parsePlatform('linux/arm64')), false);
  assert.equal(platformMatches({ os: 'linux', architecture: 'arm64' }, parsePlatform('linux/arm64/v8')), true);
  assert.equal(platformMatches({ os: 'linux', architecture: 'arm', variant: 'v7' }, parsePlatform('linux/arm/v6')), false);
  assert.equal(platformMatches({}, parsePlatform('linux/amd64')), true, 'a config without a platform is the host\'s');
});

test('platformMismatch is docker\'s NotFound wording', () => {
  const e = platformMismatch('busybox', { os: 'linux', architecture: 'amd64' }, parsePlatform('linux/arm64'));
  assert.equal(e.message, 'image with reference busybox was found but does not match the specified platform: wanted linux/arm64, actual: linux/amd64');
  assert.equal(e.constructor.name, 'NotFoundError');
});
