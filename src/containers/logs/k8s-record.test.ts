import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatK8sRecord, parseK8sRecord, peekStreamAndTag } from './k8s-record.js';
import { parseRfc3339Nano } from './timestamp.js';

const TS = '2026-11-25T16:20:01.123456789+00:00';
const line = (s: string): Buffer => Buffer.from(s);

test('an F record keeps its newline', () => {
  const r = parseK8sRecord(line(`${TS} stdout F hello world`));
  assert.deepEqual(r, { timeNano: parseRfc3339Nano(TS), stream: 'stdout', partial: false, data: Buffer.from('hello world\n') });
});

test('a P record has no newline', () => {
  const r = parseK8sRecord(line(`${TS} stderr P abc`));
  assert.equal(r?.stream, 'stderr');
  assert.equal(r?.partial, true);
  assert.equal(r?.data.toString(), 'abc');
});

test('an empty line is an F record with no text', () => {
  assert.equal(parseK8sRecord(line(`${TS} stdout F `))?.data.toString(), '\n');
  assert.equal(parseK8sRecord(line(`${TS} stdout F`))?.data.toString(), '\n');
});

test('text keeps spaces, tabs and carriage returns as written', () => {
  assert.equal(parseK8sRecord(line(`${TS} stdout F  a\tb  \r`))?.data.toString(), ' a\tb  \r\n');
});

test('lines that are not records are rejected', () => {
  for (const bad of ['', 'hello', `${TS} stdin F x`, `${TS} stdout X x`, `${TS} stdout Fx`, `not-a-time stdout F x`]) {
    assert.equal(parseK8sRecord(line(bad)), undefined, bad);
  }
});

test('leading NUL bytes (a hole after truncation) are skipped', () => {
  const r = parseK8sRecord(Buffer.concat([Buffer.alloc(5), line(`${TS} stdout F x`)]));
  assert.equal(r?.data.toString(), 'x\n');
});

test('peekStreamAndTag reads the header without the timestamp', () => {
  assert.deepEqual(peekStreamAndTag(line(`${TS} stderr P abc`)), { stream: 'stderr', partial: true });
});

test('formatK8sRecord writes what parseK8sRecord reads', () => {
  const text = formatK8sRecord({ time: TS, stream: 'stdout', partial: false, text: 'x y' });
  assert.equal(text, `${TS} stdout F x y\n`);
  assert.equal(parseK8sRecord(line(text.slice(0, -1)))?.data.toString(), 'x y\n');
});

test('a line read with its newline gives the same record', () => {
  assert.equal(parseK8sRecord(line(`${TS} stdout F abc\n`))?.data.toString(), 'abc\n');
  assert.equal(parseK8sRecord(line(`${TS} stdout P abc\n`))?.data.toString(), 'abc');
  assert.equal(parseK8sRecord(line(`${TS} stdout F\n`))?.data.toString(), '\n');
  assert.deepEqual(peekStreamAndTag(line(`${TS} stdout F\n`)), { stream: 'stdout', partial: false });
});

test('timestamps in other layouts still parse (Z, fewer digits)', () => {
  assert.equal(parseK8sRecord(line('2026-11-25T16:20:01.5Z stdout F x'))?.timeNano, parseRfc3339Nano('2026-11-25T16:20:01.500000000+00:00'));
  const a = parseK8sRecord(line('2026-11-25T16:20:01.000000001+02:00 stdout F x'));
  const b = parseK8sRecord(line('2026-11-25T16:20:01.000000002+00:00 stdout F x'));
  assert.equal((b?.timeNano ?? 0n) - (a?.timeNano ?? 0n), 7_200_000_000_001n);
});
