import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetachScanner, parseDetachKeys } from './detach-keys.js';
import { InvalidParameterError } from '../errdefs/index.js';

test('parseDetachKeys reads docker key specs', () => {
  assert.deepEqual(parseDetachKeys(undefined), [16, 17]);
  assert.deepEqual(parseDetachKeys('ctrl-a,x'), [1, 120]);
  assert.deepEqual(parseDetachKeys(''), []);
  assert.throws(() => parseDetachKeys('ctrl-pp'), InvalidParameterError);
});

test('DetachScanner detaches on ctrl-p ctrl-q and forwards other bytes', () => {
  const s = new DetachScanner([16, 17]);
  assert.deepEqual(s.push(Buffer.from('ab')), { forward: Buffer.from('ab'), detach: false });
  const r = s.push(Buffer.from([0x63, 16]));
  assert.deepEqual(r, { forward: Buffer.from('c'), detach: false });
  assert.deepEqual(s.push(Buffer.from([17])), { forward: Buffer.alloc(0), detach: true });
});

test('DetachScanner passes on a partial sequence that does not complete', () => {
  const s = new DetachScanner([16, 17]);
  assert.deepEqual(s.push(Buffer.from([16, 0x61])), { forward: Buffer.from([16, 0x61]), detach: false });
});
