import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sprint, sprintf, sprintln } from './printf.js';
import { formatFloatG, formatNumber, formatValue, goQuote } from './format.js';

const printfCases: ReadonlyArray<[string, unknown[], string]> = [
  ['%s|%v|%d', ['a', 'b', 42], 'a|b|42'],
  ['%5d|%-5d|%05d|%+d|% d', [42, 42, 42, 42, 42], '   42|42   |00042|+42| 42'],
  ['%x %X %#x %o %#o %O %b', [255, 255, 255, 8, 8, 8, 5], 'ff FF 0xff 10 010 0o10 101'],
  ['%c %q %U %#U', [65, 65, 0x41, 0x41], "A 'A' U+0041 U+0041 'A'"],
  ['%f %.2f %8.3f %-8.1f| %e %E %g %G', [3.14159, 3.14159, 3.14159, 2.5, 1234.5678, 0.000123, 100000, 1e-7], '3.141590 3.14    3.142 2.5     | 1.234568e+03 1.230000E-04 100000 1E-07'],
  ['%g %g %g %.3g %.3g', [1e6, 1234567.0, 0.0001, 1234.5678, 1.0], '1e+06 1.234567e+06 0.0001 1.23e+03 1'],
  ['%q %+q %#q %x % x %X', ['a"b\n', 'é', 'raw', 'hi', 'hi', 'hi'], '"a\\"b\\n" "\\u00e9" `raw` 6869 68 69 6869'],
  ['%.2s|%5s|%-5s|%05s', ['abc', 'ab', 'ab', 'ab'], 'ab|   ab|ab   |000ab'],
  ['%t %v', [true, false], 'true false'],
  ['%v %v %v', [[1, 'a', null], { b: 2, a: [true] }, null], '[1 a <nil>] map[a:[true] b:2] <nil>'],
  ['%s', [[1]], '[%!s(int=1)]'],
  ['%d', ['x'], '%!d(string=x)'],
  ['%d', [1.5], '%!d(float64=1.5)'],
  ['%s', [null], '%!s(<nil>)'],
  ['%d %s', [1], '1 %!s(MISSING)'],
  ['%d', [1, 'a', 2.5], '1%!(EXTRA string=a, float64=2.5)'],
  ['100%%', [], '100%'],
  ['%', [], '%!(NOVERB)'],
  ['%z', [1], '%!z(int=1)'],
  ['%T %T %T %T %T %T', ['a', 1, 1.5, true, [], {}], 'string int float64 bool []interface {} map[string]interface {}'],
  ['%*d|%-*d', [5, 1, 3, 2], '    1|2  '],
  ['%[2]d %[1]d', [1, 2], '2 1'],
  ['%v %v %v', [Infinity, -Infinity, NaN], '+Inf -Inf NaN'],
];

for (const [fmt, args, want] of printfCases) {
  test(`sprintf(${JSON.stringify(fmt)}) gives ${JSON.stringify(want)}`, () => {
    assert.equal(sprintf(fmt, args), want);
  });
}

test('sprint adds spaces only between operands that are both non-strings', () => {
  assert.equal(sprint(['a', 1, 2, 'b', 'c', true, false]), 'a1 2bctrue false');
  assert.equal(sprintln(['a', 1, 'b']), 'a 1 b\n');
});

test('numbers print like Go: integers whole, other floats as %g with two-digit exponents', () => {
  assert.equal(formatNumber(1000000), '1000000');
  assert.equal(formatNumber(1e21), '1000000000000000000000');
  assert.equal(formatNumber(-0), '0');
  assert.equal(formatNumber(1.5), '1.5');
  assert.equal(formatNumber(1000000.5), '1.0000005e+06');
  assert.equal(formatNumber(123456.5), '123456.5');
  assert.equal(formatNumber(0.00001), '1e-05');
  assert.equal(formatNumber(0.0001), '0.0001');
  assert.equal(formatFloatG(1e100), '1e+100');
  assert.equal(formatFloatG(-2.5e-10), '-2.5e-10');
});

test('values print like Go maps, slices and nils', () => {
  assert.equal(formatValue(undefined), '<no value>');
  assert.equal(formatValue(null), '<nil>');
  assert.equal(formatValue({ z: 1, a: { c: null } }), 'map[a:map[c:<nil>] z:1]');
  assert.equal(formatValue([]), '[]');
  assert.equal(formatValue({}), 'map[]');
  assert.equal(formatValue(new Map([['b', 1], ['a', 2]])), 'map[a:2 b:1]');
});

test('goQuote escapes like strconv.Quote', () => {
  assert.equal(goQuote('a\tb"\\\x01\x7f\u00a0é😀'), '"a\\tb\\"\\\\\\x01\\x7f\\u00a0é😀"');
  assert.equal(goQuote('é', true), '"\\u00e9"');
});
