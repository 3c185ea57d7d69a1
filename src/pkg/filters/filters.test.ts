import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError } from '../../errdefs/index.js';
import {
  encodeFilters, exactMatch, filterValues, fuzzyMatch, getBoolOrDefault, matchAny, matchLabels, parseBool,
  parseFilters, regexpMatch, validateFilters,
} from './index.js';

test('the map form the docker CLI sends is decoded into sets of values', () => {
  const f = parseFilters('{"label":{"a=b":true,"c":true},"status":{"running":true}}');
  assert.deepEqual(filterValues(f, 'label'), ['a=b', 'c']);
  assert.deepEqual(filterValues(f, 'status'), ['running']);
});

test('the list form docker-py and compose send is decoded the same way', () => {
  const f = parseFilters('{"label": ["com.docker.compose.project=x", "com.docker.compose.oneoff=False"]}');
  assert.deepEqual(filterValues(f, 'label'), ['com.docker.compose.project=x', 'com.docker.compose.oneoff=False']);
});

test('a URL-decoded list form with + already turned into spaces parses', () => {
  const raw = new URLSearchParams('filters=%7B%22label%22%3A+%5B%22a%3Db%22%5D%7D').get('filters');
  assert.deepEqual(filterValues(parseFilters(raw), 'label'), ['a=b']);
});

test('absent, empty and null filter documents mean no filters', () => {
  for (const raw of [undefined, null, '', '{}', 'null']) assert.equal(parseFilters(raw).size, 0);
  assert.equal(parseFilters('{"label":null}').get('label')?.size, 0);
});

test('a document that is not a filter map is rejected with moby\'s "invalid filter"', () => {
  for (const raw of ['{', 'not json', '[]', '"x"', '1', '{"a":1}', '{"a":[1]}', '{"a":{"x":"yes"}}', '{"a":"x"}']) {
    assert.throws(() => parseFilters(raw), (err: unknown) => {
      assert.ok(err instanceof InvalidParameterError);
      assert.equal(err.message, 'invalid filter');
      return true;
    }, raw);
  }
});

test('a __proto__ key stays an ordinary filter key', () => {
  const f = parseFilters('{"__proto__":{"x":true}}');
  assert.deepEqual(filterValues(f, '__proto__'), ['x']);
  assert.equal(({} as Record<string, unknown>)['x'], undefined);
});

test('validateFilters rejects an unknown key with docker 28\'s wording', () => {
  const f = parseFilters('{"label":["a"],"all":["1"]}');
  assert.throws(() => validateFilters(f, ['label']), (err: unknown) => {
    assert.ok(err instanceof InvalidParameterError);
    assert.equal(err.message, "invalid filter 'all'");
    return true;
  });
  assert.doesNotThrow(() => validateFilters(f, ['label', 'all']));
});

test('label filters match presence for k and equality for k=v, all of them (AND)', () => {
  const labels = { a: 'b', c: '', 'x=y': 'z' };
  const m = (json: string, l: Record<string, string> | null | undefined = labels): boolean => matchLabels(parseFilters(json), l);
  assert.equal(m('{}'), true);
  assert.equal(m('{"label":["a"]}'), true);
  assert.equal(m('{"label":["a=b"]}'), true);
  assert.equal(m('{"label":["a=c"]}'), false);
  assert.equal(m('{"label":["c="]}'), true);
  assert.equal(m('{"label":["a=b","c"]}'), true);
  assert.equal(m('{"label":["a=b","nope"]}'), false);
  assert.equal(m('{"label":["x=y"]}'), false);
  assert.equal(m('{"label":["a=b=c"]}', { a: 'b=c' }), true);
  assert.equal(m('{"label":["a"]}', null), false);
  assert.equal(m('{"label":["a"]}', {}), false);
  assert.equal(m('{"status":["x"]}', null), true);
  assert.equal(matchLabels(parseFilters('{"label!":["a"]}'), labels, 'label!'), true);
});

test('matchAny is true for an absent key and ORs the values of a present one', () => {
  const f = parseFilters('{"status":{"running":true,"paused":true}}');
  assert.equal(matchAny(f, 'status', (v) => v === 'paused'), true);
  assert.equal(matchAny(f, 'status', (v) => v === 'exited'), false);
  assert.equal(matchAny(f, 'name', () => false), true);
});

test('exact, prefix and regexp matching follow moby\'s Args helpers', () => {
  const f = parseFilters('{"id":["abc"],"name":["^we.$","(bad"]}');
  assert.equal(exactMatch(f, 'id', 'abc'), true);
  assert.equal(exactMatch(f, 'id', 'abcd'), false);
  assert.equal(exactMatch(f, 'other', 'x'), true);
  assert.equal(fuzzyMatch(f, 'id', 'abcdef'), true);
  assert.equal(fuzzyMatch(f, 'id', 'xabc'), false);
  assert.equal(regexpMatch(f, 'name', 'web'), true);
  assert.equal(regexpMatch(f, 'name', 'webs'), false);
});

test('getBoolOrDefault reads 1/true and 0/false and rejects conflicts', () => {
  assert.equal(getBoolOrDefault(parseFilters('{}'), 'dangling', true), true);
  assert.equal(getBoolOrDefault(parseFilters('{"dangling":["true"]}'), 'dangling', false), true);
  assert.equal(getBoolOrDefault(parseFilters('{"dangling":["0"]}'), 'dangling', true), false);
  assert.throws(() => getBoolOrDefault(parseFilters('{"dangling":["true","false"]}'), 'dangling', true), {
    message: "invalid filter 'dangling=[true false]'",
  });
  assert.throws(() => getBoolOrDefault(parseFilters('{"dangling":["maybe"]}'), 'dangling', true), InvalidParameterError);
});

test('encodeFilters writes the CLI\'s map form with sorted keys and round-trips', () => {
  const s = encodeFilters({ status: ['running'], label: ['b', 'a=1'], empty: [] });
  assert.equal(s, '{"label":{"a=1":true,"b":true},"status":{"running":true}}');
  assert.deepEqual(filterValues(parseFilters(s), 'label'), ['a=1', 'b']);
  assert.equal(encodeFilters({}), '');
  assert.equal(encodeFilters({ __proto__: ['x'] } as Record<string, string[]>), '');
  const odd: Record<string, string[]> = {};
  Object.defineProperty(odd, '__proto__', { value: ['x'], enumerable: true });
  assert.equal(encodeFilters(odd), '{"__proto__":{"x":true}}');
});

test('parseBool follows moby BoolValue with a default for absent parameters', () => {
  for (const v of ['', '0', 'no', 'false', 'none', ' FALSE ', 'None']) assert.equal(parseBool(v, true), false, v);
  for (const v of ['1', 'true', 'True', 'yes', 'anything']) assert.equal(parseBool(v, false), true, v);
  assert.equal(parseBool(undefined, true), true);
  assert.equal(parseBool(null, false), false);
});
