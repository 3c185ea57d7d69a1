import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMallocControl } from './index.js';

const addon = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'native', 'build', 'pier-malloc.node');

test('the addon loads and its controls answer; bad input is a RangeError', { skip: existsSync(addon) ? false : 'native/build/pier-malloc.node is not built' }, () => {
  const m = loadMallocControl(addon);
  assert.ok(m, 'loaded');
  assert.equal(m.setTrimThreshold(16 << 20), true);
  // Freed memory at the top of the heap beyond the threshold would be trimmed by free(); trim() returns what is left.
  const hold = Array.from({ length: 64 }, () => Buffer.allocUnsafeSlow(64 << 10).fill(1));
  hold.length = 0;
  assert.equal(typeof m.trim(), 'boolean');
  assert.throws(() => m.setTrimThreshold(-1), RangeError);
  assert.throws(() => m.setTrimThreshold(2 ** 31), RangeError);
  assert.equal(m.setTrimThreshold(128 << 10), true, 'back to glibc\'s default');
});

test('a missing or foreign file is no control at all, not an error', () => {
  assert.equal(loadMallocControl('/nonexistent/pier-malloc.node'), undefined);
  assert.equal(loadMallocControl(fileURLToPath(import.meta.url)), undefined);
});
