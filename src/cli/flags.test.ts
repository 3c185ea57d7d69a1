import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlagError, type FlagSpec, parseFlags } from './flags.js';

const specs: FlagSpec[] = [
  { long: 'interactive', short: 'i', type: 'bool', desc: '' },
  { long: 'tty', short: 't', type: 'bool', desc: '' },
  { long: 'detach', short: 'd', type: 'bool', desc: '' },
  { long: 'env', short: 'e', type: 'list', desc: '' },
  { long: 'name', type: 'string', desc: '' },
  { long: 'memory', short: 'm', type: 'bytes', desc: '' },
  { long: 'timeout', type: 'int', desc: '' },
  { long: 'publish', short: 'p', type: 'list', desc: '' },
];

test('combined shorthands set every bool', () => {
  const r = parseFlags(['-itd', 'busybox'], specs, { interspersed: false });
  assert.equal(r.flags.bool('interactive'), true);
  assert.equal(r.flags.bool('tty'), true);
  assert.equal(r.flags.bool('detach'), true);
  assert.deepEqual(r.args, ['busybox']);
});

test('a shorthand value may be attached, separate, or after =', () => {
  const r = parseFlags(['-eA=1', '-e', 'B=2', '-p8080:80', '-m=64m'], specs, { interspersed: true });
  assert.deepEqual(r.flags.list('env'), ['A=1', 'B=2']);
  assert.deepEqual(r.flags.list('publish'), ['8080:80']);
  assert.equal(r.flags.string('memory'), '64m');
});

test('a bool shorthand followed by a value flag takes the rest as its value', () => {
  const r = parseFlags(['-ie', 'X=1', 'img'], specs, { interspersed: false });
  assert.equal(r.flags.bool('interactive'), true);
  assert.deepEqual(r.flags.list('env'), ['X=1']);
});

test('long flags take --flag=value and --flag value; scalars keep the last', () => {
  const r = parseFlags(['--name=a', '--name', 'b', 'img'], specs, { interspersed: true });
  assert.equal(r.flags.string('name'), 'b');
  assert.deepEqual(r.args, ['img']);
});

test('bool flags accept =false and =true', () => {
  const r = parseFlags(['--detach=false', '-i=true'], specs, { interspersed: true });
  assert.equal(r.flags.bool('detach'), false);
  assert.equal(r.flags.changed('detach'), true);
  assert.equal(r.flags.bool('interactive'), true);
  assert.throws(() => parseFlags(['--detach=maybe'], specs, { interspersed: true }), /invalid argument "maybe" for "-d, --detach" flag/);
});

test('parsing stops at the first positional when not interspersed', () => {
  const r = parseFlags(['-d', 'busybox', 'ls', '-l', '--name', 'x'], specs, { interspersed: false });
  assert.deepEqual(r.args, ['busybox', 'ls', '-l', '--name', 'x']);
  assert.equal(r.flags.changed('name'), false);
});

test('interspersed commands take flags after positionals', () => {
  const r = parseFlags(['c1', '-d', 'c2'], specs, { interspersed: true });
  assert.deepEqual(r.args, ['c1', 'c2']);
  assert.equal(r.flags.bool('detach'), true);
});

test('-- ends flags', () => {
  const r = parseFlags(['-d', '--', '-i', '--name'], specs, { interspersed: true });
  assert.deepEqual(r.args, ['-i', '--name']);
  assert.equal(r.flags.bool('interactive'), false);
});

test('unknown flags and missing values use pflag wording', () => {
  assert.throws(() => parseFlags(['--foo'], specs, { interspersed: true }), (e: unknown) => e instanceof FlagError && e.message === 'unknown flag: --foo');
  assert.throws(() => parseFlags(['-x'], specs, { interspersed: true }), /unknown shorthand flag: 'x' in -x/);
  assert.throws(() => parseFlags(['--name'], specs, { interspersed: true }), /flag needs an argument: --name/);
  assert.throws(() => parseFlags(['-e'], specs, { interspersed: true }), /flag needs an argument: 'e' in -e/);
});

test('typed values are checked with docker messages', () => {
  assert.throws(() => parseFlags(['-m', 'abc'], specs, { interspersed: true }), /invalid argument "abc" for "-m, --memory" flag: invalid size: 'abc'/);
  assert.throws(() => parseFlags(['--timeout', 'x'], specs, { interspersed: true }), /strconv.ParseInt: parsing "x": invalid syntax/);
});

test('--help and an unowned -h ask for help', () => {
  assert.equal(parseFlags(['--help'], specs, { interspersed: true }).help, true);
  assert.equal(parseFlags(['-h'], specs, { interspersed: true }).help, true);
});
