import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byteProgress, humanSize, progressBar, shortId } from './progress.js';
import { parsePlatform } from './platform.js';

test('humanSize and progressBar render as dockerd does', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(2153000), '2.153MB');
  assert.equal(humanSize(1e9), '1GB');
  assert.equal(progressBar(1076500, 2153000), `[${'='.repeat(25)}>${' '.repeat(25)}]  1.077MB/2.153MB`);
  assert.equal(progressBar(5, 0), '      5B');
  assert.equal(shortId('sha256:0123456789abcdef0123'), '0123456789ab');
});

test('byte progress is throttled but always reports the end', () => {
  const seen: unknown[] = [];
  const tick = byteProgress((m) => seen.push(m), 'abc', 'Downloading', 100);
  tick(10);
  tick(20);
  tick(100);
  assert.equal(seen.length, 2);
  assert.deepEqual((seen[1] as { progressDetail: unknown }).progressDetail, { current: 100, total: 100 });
});

test('--platform parsing: os/arch[/variant], bare arch, aliases, garbage refused', () => {
  assert.deepEqual(parsePlatform(''), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(parsePlatform('x86_64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('Linux/AARCH64'), { os: 'linux', architecture: 'arm64' });
  assert.throws(() => parsePlatform('linux/$$'), /unknown operating system or architecture/);
});
