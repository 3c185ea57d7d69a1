import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError } from '../../errdefs/index.js';
import { formatTimestamp, parseRfc3339Nano, parseSince } from './timestamp.js';

const S = 1_000_000_000n;

test('formatTimestamp prints RFC3339Nano UTC with trailing zeros trimmed, like Go', () => {
  assert.equal(formatTimestamp(1_700_000_000n * S + 123_456_789n), '2023-11-14T22:13:20.123456789Z');
  assert.equal(formatTimestamp(1_700_000_000n * S + 120_000_000n), '2023-11-14T22:13:20.12Z');
  assert.equal(formatTimestamp(1_700_000_000n * S + 5n), '2023-11-14T22:13:20.000000005Z');
  assert.equal(formatTimestamp(1_700_000_000n * S), '2023-11-14T22:13:20Z');
});

test('parseRfc3339Nano honours the local offset conmon writes', () => {
  const utc = parseRfc3339Nano('2026-11-25T16:20:01.123456789Z');
  assert.equal(parseRfc3339Nano('2026-11-25T17:20:01.123456789+01:00'), utc);
  assert.equal(parseRfc3339Nano('2026-11-25T11:50:01.123456789-04:30'), utc);
  assert.equal(parseRfc3339Nano('2026-11-25T16:20:01.123456789+00:00'), utc);
  assert.equal(formatTimestamp(utc ?? 0n), '2026-11-25T16:20:01.123456789Z');
  assert.equal(parseRfc3339Nano('2026-11-25T16:20:01Z'), BigInt(Date.UTC(2026, 10, 25, 16, 20, 1)) * 1_000_000n);
  assert.equal(parseRfc3339Nano('yesterday'), undefined);
});

test('parseSince reads unix seconds with an optional fraction', () => {
  assert.equal(parseSince('1700000000'), 1_700_000_000n * S);
  assert.equal(parseSince('1700000000.5'), 1_700_000_000n * S + 500_000_000n);
  assert.equal(parseSince('1700000000.123456789'), 1_700_000_000n * S + 123_456_789n);
  assert.equal(parseSince('1700000000.000000001'), 1_700_000_000n * S + 1n);
});

test('parseSince treats empty and 0 as unset', () => {
  assert.equal(parseSince(''), 0n);
  assert.equal(parseSince('0'), 0n);
});

test('parseSince accepts relative durations and RFC3339 dates too', () => {
  const now = new Date(Date.UTC(2026, 0, 1, 12, 0, 0));
  assert.equal(parseSince('10m', now), BigInt(now.getTime() - 600_000) * 1_000_000n);
  assert.equal(parseSince('1h30m', now), BigInt(now.getTime() - 5_400_000) * 1_000_000n);
  assert.equal(parseSince('2026-01-01T11:00:00Z', now), BigInt(now.getTime() - 3_600_000) * 1_000_000n);
  assert.equal(parseSince('2026-01-01', now), BigInt(Date.UTC(2026, 0, 1)) * 1_000_000n);
});

test('parseSince rejects anything else with InvalidParameterError', () => {
  assert.throws(() => parseSince('soon'), InvalidParameterError);
  assert.throws(() => parseSince('12abc'), InvalidParameterError);
});
