import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesSize, formatGoDuration, humanDuration, humanSize, parseGoDuration, parseNanoCpus, parseRamBytes } from './units.js';

test('humanDuration follows go-units', () => {
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1000), '1 second');
  assert.equal(humanDuration(5000), '5 seconds');
  assert.equal(humanDuration(60_000), 'About a minute');
  assert.equal(humanDuration(119_000), 'About a minute');
  assert.equal(humanDuration(120_000), '2 minutes');
  assert.equal(humanDuration(3_600_000), 'About an hour');
  assert.equal(humanDuration(2 * 3_600_000), '2 hours');
  assert.equal(humanDuration(47 * 3_600_000), '47 hours');
  assert.equal(humanDuration(3 * 86_400_000), '3 days');
  assert.equal(humanDuration(15 * 86_400_000), '2 weeks');
  assert.equal(humanDuration(90 * 86_400_000), '3 months');
  assert.equal(humanDuration(800 * 86_400_000), '2 years');
});

test('humanSize and bytesSize match go-units', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(1982298, 3), '1.98MB');
  assert.equal(humanSize(4096), '4.096kB');
  assert.equal(humanSize(4096, 3), '4.1kB');
  assert.equal(bytesSize(67108864), '64MiB');
  assert.equal(bytesSize(1536), '1.5KiB');
});

test('RAM sizes, durations and CPU decimals parse like docker', () => {
  assert.equal(parseRamBytes('64m'), 67108864);
  assert.equal(parseRamBytes('1g'), 1073741824);
  assert.equal(parseRamBytes('512'), 512);
  assert.equal(parseRamBytes('1.5k'), 1536);
  assert.throws(() => parseRamBytes('abc'), /invalid size: 'abc'/);
  assert.equal(parseGoDuration('5s'), 5e9);
  assert.equal(parseGoDuration('1m30s'), 90e9);
  assert.equal(parseGoDuration('250ms'), 250e6);
  assert.throws(() => parseGoDuration('abc'), /time: invalid duration "abc"/);
  assert.equal(formatGoDuration(90e9), '1m30s');
  assert.equal(parseNanoCpus('1.5'), 1500000000);
  assert.equal(parseNanoCpus('2'), 2000000000);
  assert.throws(() => parseNanoCpus('x'), /failed to parse x as a rational number/);
});
