import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError } from '../../errdefs/index.js';
import { ADJECTIVES, SURNAMES, generateName, newId, shortId, truncIndexMatch, validateContainerName } from './index.js';

test('newId returns 64 lower-case hex whose first 12 characters are never all digits', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const id = newId();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.doesNotMatch(id, /^[0-9]{12}/);
    seen.add(id);
  }
  assert.equal(seen.size, 2000);
});

test('shortId is the first 12 characters, without a sha256: prefix', () => {
  assert.equal(shortId('0123456789abcdef'), '0123456789ab');
  assert.equal(shortId(`sha256:${'a'.repeat(64)}`), 'aaaaaaaaaaaa');
});

test('word lists are unique, lower-case ASCII and big enough', () => {
  assert.ok(ADJECTIVES.length >= 100, `${ADJECTIVES.length} adjectives`);
  assert.ok(SURNAMES.length >= 250, `${SURNAMES.length} surnames`);
  for (const list of [ADJECTIVES, SURNAMES]) {
    assert.equal(new Set(list).size, list.length);
    for (const w of list) assert.match(w, /^[a-z]+$/);
  }
});

test('generated names are valid container names, adjective_surname, never boring_wozniak', () => {
  for (let i = 0; i < 2000; i++) {
    const name = generateName(0);
    assert.match(name, /^[a-z]+_[a-z]+$/);
    assert.notEqual(name, 'boring_wozniak');
    const [adj, sur] = name.split('_');
    assert.ok(ADJECTIVES.includes(adj ?? ''), name);
    assert.ok(SURNAMES.includes(sur ?? ''), name);
    assert.equal(validateContainerName(name), name);
  }
});

test('a collision retry appends exactly one random digit', () => {
  const digits = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const name = generateName(1 + (i % 5));
    assert.match(name, /^[a-z]+_[a-z]+[0-9]$/);
    digits.add(name.slice(-1));
  }
  assert.ok(digits.size > 5, 'digits vary');
});

test('container names: one leading slash is stripped and the rest must match docker\'s pattern', () => {
  assert.equal(validateContainerName('web'), 'web');
  assert.equal(validateContainerName('/web'), 'web');
  assert.equal(validateContainerName('a1'), 'a1');
  assert.equal(validateContainerName('A.b_c-d'), 'A.b_c-d');
  for (const bad of ['', '/', 'a', '/a', '//ab', '-ab', '.ab', '_ab', 'a b', 'a/b', 'é1', 'ab!']) {
    assert.throws(() => validateContainerName(bad), (err: unknown) => {
      assert.ok(err instanceof InvalidParameterError);
      assert.equal(err.message, `Invalid container name (${bad}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
      return true;
    }, bad);
  }
});

test('truncIndexMatch prefers an exact ID, then a unique prefix, and reports ambiguity', () => {
  const items: Array<[string, string]> = [['abc123', 'one'], ['abd456', 'two'], ['abc', 'three']];
  assert.equal(truncIndexMatch(items, 'abc'), 'three');
  assert.equal(truncIndexMatch(items, 'abc1'), 'one');
  assert.equal(truncIndexMatch(items, 'abd'), 'two');
  assert.equal(truncIndexMatch(items, 'ab'), 'ambiguous');
  assert.equal(truncIndexMatch(items, 'x'), undefined);
  assert.equal(truncIndexMatch(items, ''), undefined);
  assert.equal(truncIndexMatch(new Map([['id1', 1]]), 'id'), 1);
});
