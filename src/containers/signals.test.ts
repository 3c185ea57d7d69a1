import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSignal } from './signals.js';
import { InvalidParameterError } from '../errdefs/index.js';

test('parseSignal accepts docker spellings of a signal', () => {
  assert.equal(parseSignal('KILL'), 9);
  assert.equal(parseSignal('SIGTERM'), 15);
  assert.equal(parseSignal('hup'), 1);
  assert.equal(parseSignal('10'), 10);
  assert.equal(parseSignal('SIGRTMIN+3'), 37);
});

test('parseSignal refuses unknown signals with InvalidParameterError', () => {
  assert.throws(() => parseSignal('NOPE'), InvalidParameterError);
  assert.throws(() => parseSignal('0'), InvalidParameterError);
  assert.throws(() => parseSignal('99'), InvalidParameterError);
});
