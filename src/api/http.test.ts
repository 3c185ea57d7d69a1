import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonTooDeep, parseJsonText, MAX_JSON_DEPTH } from './http.js';
import { decodeParam } from './router.js';
import { InvalidParameterError } from '../errdefs/index.js';

// Regression tests for issue 10 ("Garbage in, errors out"): each was a 500 the fuzzer found.

test('a JSON body nested deeper than the bound is a 400, not a stack overflow later', () => {
  const deep = '['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1);
  assert.equal(jsonTooDeep(deep, MAX_JSON_DEPTH), true);
  assert.throws(() => parseJsonText(deep), InvalidParameterError);
  assert.throws(() => parseJsonText('['.repeat(200_000)), InvalidParameterError);
});

test('brackets inside strings do not count as nesting', () => {
  const text = JSON.stringify({ a: '['.repeat(5000), b: '\\"[[[' });
  assert.equal(jsonTooDeep(text, 4), false);
  assert.deepEqual(parseJsonText(text), JSON.parse(text));
});

test('broken JSON is a 400 that says so', () => {
  assert.throws(() => parseJsonText('{"a":'), (e: unknown) => e instanceof InvalidParameterError && /^invalid JSON: /.test(e.message));
});

test('__proto__ keys are dropped, not applied', () => {
  const v = parseJsonText('{"__proto__":{"polluted":true},"a":1}') as Record<string, unknown>;
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  assert.equal(v['a'], 1);
});

test('a path parameter with a bad escape or bytes that are not UTF-8 is a 400', () => {
  assert.equal(decodeParam('busybox%3Alatest'), 'busybox:latest');
  assert.throws(() => decodeParam('%ff%fe'), InvalidParameterError);
  assert.throws(() => decodeParam('%zz'), InvalidParameterError);
});
