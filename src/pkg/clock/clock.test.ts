import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monotonicMs } from './index.js';

test('monotonicMs advances with real time and never goes back', async () => {
  const a = monotonicMs();
  await new Promise((r) => setTimeout(r, 20));
  const b = monotonicMs();
  assert.ok(b - a >= 19, `expected ≥ 19 ms to pass, got ${b - a}`);
  assert.ok(b - a < 5000);
});
