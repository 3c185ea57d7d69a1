import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readLogs, type ReadLogsOptions } from './read-logs.js';
import type { LogEntry } from './entry-assembler.js';
import { BASE, rec, S, tempDir } from './k8s-fixtures.js';

const ALL: ReadLogsOptions = { stdout: true, stderr: true, follow: false };

async function collect(it: AsyncIterable<LogEntry>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of it) out.push(`${e.stream}:${e.data.toString()}`);
  return out;
}

async function logFile(t: TestContext, content: string): Promise<string> {
  const p = join(await tempDir(t), 'ctr.log');
  await writeFile(p, content);
  return p;
}

test('F records become entries that keep their newline', async (t) => {
  const p = await logFile(t, rec(1, 'stdout', 'one') + rec(2, 'stderr', 'two') + rec(3, 'stdout', ''));
  assert.deepEqual(await collect(readLogs({ current: p, rotated: [] }, ALL)), ['stdout:one\n', 'stderr:two\n', 'stdout:\n']);
});

test('entries carry the first record time with nanoseconds', async (t) => {
  const p = await logFile(t, rec(1, 'stdout', 'a', true, 123456789) + rec(2, 'stdout', 'b'));
  const entries: LogEntry[] = [];
  for await (const e of readLogs({ current: p, rotated: [] }, ALL)) entries.push(e);
  assert.equal(entries.length, 1);
  assert.equal(entries[0]?.timeNano, BigInt(BASE + 1) * S + 123456789n);
  assert.equal(entries[0]?.time.getTime(), (BASE + 1) * 1000 + 123);
});

test('P records are joined into one line per stream', async (t) => {
  const p = await logFile(t, rec(1, 'stdout', 'ab', true) + rec(1, 'stdout', 'cd', true) + rec(2, 'stdout', 'ef') + rec(3, 'stdout', 'g'));
  assert.deepEqual(await collect(readLogs({ current: p, rotated: [] }, ALL)), ['stdout:abcdef\n', 'stdout:g\n']);
});

test('output cut off without a newline is still output, without one', async (t) => {
  const p = await logFile(t, rec(1, 'stdout', 'done') + rec(2, 'stdout', 'no newline', true));
  assert.deepEqual(await collect(readLogs({ current: p, rotated: [] }, ALL)), ['stdout:done\n', 'stdout:no newline']);
});

test('partial lines of two streams interleave without mixing', async (t) => {
  const p = await logFile(t, rec(1, 'stdout', 'a', true) + rec(2, 'stderr', 'x') + rec(3, 'stdout', 'b'));
  assert.deepEqual(await collect(readLogs({ current: p, rotated: [] }, ALL)), ['stderr:x\n', 'stdout:ab\n']);
  assert.deepEqual(await collect(readLogs({ current: p, rotated: [] }, { ...ALL, tail: 1 })), ['stdout:ab\n']);
  assert.deepEqual(await collect(readLogs({ current: p, rotated: [] }, { ...ALL, tail: 2 })), ['stderr:x\n', 'stdout:ab\n']);
});

test('stdout and stderr are selected separately', async (t) => {
  const p = await logFile(t, rec(1, 'stdout', 'out') + rec(2, 'stderr', 'err'));
  const paths = { current: p, rotated: [] };
  assert.deepEqual(await collect(readLogs(paths, { ...ALL, stderr: false })), ['stdout:out\n']);
  assert.deepEqual(await collect(readLogs(paths, { ...ALL, stdout: false })), ['stderr:err\n']);
  assert.deepEqual(await collect(readLogs(paths, { ...ALL, stdout: false, stderr: false })), []);
});

test('tail counts entries of both streams before selecting one, like docker', async (t) => {
  const p = await logFile(t, rec(1, 'stdout', 'o1') + rec(2, 'stdout', 'o2') + rec(3, 'stderr', 'e1'));
  assert.deepEqual(await collect(readLogs({ current: p, rotated: [] }, { ...ALL, stderr: false, tail: 2 })), ['stdout:o2\n']);
});

test('tail reads backwards across chunk boundaries', async (t) => {
  const lines: string[] = [];
  for (let i = 0; i < 6000; i++) lines.push(rec(i, i % 7 === 0 ? 'stderr' : 'stdout', `line ${i} ${'x'.repeat(i % 97)}`));
  const p = await logFile(t, lines.join(''));
  const want = (n: number): string[] =>
    Array.from({ length: n }, (_, k) => 6000 - n + k).map((i) => `${i % 7 === 0 ? 'stderr' : 'stdout'}:line ${i} ${'x'.repeat(i % 97)}\n`);
  for (const n of [1, 3, 1000, 4321]) {
    assert.deepEqual(await collect(readLogs({ current: p, rotated: [] }, { ...ALL, tail: n })), want(n), `tail ${n}`);
  }
  assert.equal((await collect(readLogs({ current: p, rotated: [] }, { ...ALL, tail: 50000 }))).length, 6000);
  assert.equal((await collect(readLogs({ current: p, rotated: [] }, { ...ALL, tail: -1 }))).length, 6000);
});

test('tail 0 returns nothing', async (t) => {
  const p = await logFile(t, rec(1, 'stdout', 'a'));
  assert.deepEqual(await collect(readLogs({ current: p, rotated: [] }, { ...ALL, tail: 0 })), []);
});

test('tail keeps a long partial line whole when it starts in an earlier chunk', async (t) => {
  const parts: string[] = [];
  for (let i = 0; i < 40; i++) parts.push(rec(1, 'stdout', 'y'.repeat(4000), true));
  const p = await logFile(t, rec(0, 'stdout', 'before') + parts.join('') + rec(2, 'stdout', 'end'));
  const out = await collect(readLogs({ current: p, rotated: [] }, { ...ALL, tail: 1 }));
  // docker splits lines longer than 16 KiB into several entries; the bytes are the line's.
  assert.equal(out.map((s) => s.slice('stdout:'.length)).join(''), `${'y'.repeat(160000)}end\n`);
});

test('tail and follow-less reads span rotated files, oldest first', async (t) => {
  const dir = await tempDir(t);
  const cur = join(dir, 'ctr.log');
  await writeFile(`${cur}.2`, rec(1, 'stdout', 'r2a') + rec(2, 'stdout', 'r2b'));
  await writeFile(`${cur}.1`, rec(3, 'stdout', 'r1a') + rec(4, 'stdout', 'start', true));
  await writeFile(cur, rec(5, 'stdout', ' continued') + rec(6, 'stderr', 'c'));
  const paths = { current: cur, rotated: [`${cur}.2`, `${cur}.1`] };
  assert.deepEqual(await collect(readLogs(paths, ALL)), ['stdout:r2a\n', 'stdout:r2b\n', 'stdout:r1a\n', 'stdout:start continued\n', 'stderr:c\n']);
  assert.deepEqual(await collect(readLogs(paths, { ...ALL, tail: 3 })), ['stdout:r1a\n', 'stdout:start continued\n', 'stderr:c\n']);
  assert.deepEqual(await collect(readLogs(paths, { ...ALL, tail: 4 })), ['stdout:r2b\n', 'stdout:r1a\n', 'stdout:start continued\n', 'stderr:c\n']);
});

test('missing files read as an empty log', async (t) => {
  const dir = await tempDir(t);
  assert.deepEqual(await collect(readLogs({ current: join(dir, 'none.log'), rotated: [join(dir, 'none.log.1')] }, ALL)), []);
});

test('an unterminated last line is left for the writer to finish', async (t) => {
  const p = await logFile(t, rec(1, 'stdout', 'a') + rec(2, 'stdout', 'b').slice(0, 20));
  assert.deepEqual(await collect(readLogs({ current: p, rotated: [] }, ALL)), ['stdout:a\n']);
  assert.deepEqual(await collect(readLogs({ current: p, rotated: [] }, { ...ALL, tail: 1 })), ['stdout:a\n']);
});

test('since keeps entries at or after it; until stops after it', async (t) => {
  const p = await logFile(t, [1, 2, 3, 4, 5].map((i) => rec(i, 'stdout', `l${i}`)).join(''));
  const paths = { current: p, rotated: [] };
  const at = (sec: number): bigint => BigInt(BASE + sec) * S;
  assert.deepEqual(await collect(readLogs(paths, { ...ALL, since: at(3) })), ['stdout:l3\n', 'stdout:l4\n', 'stdout:l5\n']);
  assert.deepEqual(await collect(readLogs(paths, { ...ALL, until: at(2) })), ['stdout:l1\n', 'stdout:l2\n']);
  assert.deepEqual(await collect(readLogs(paths, { ...ALL, since: at(2) + 1n, until: at(4) })), ['stdout:l3\n', 'stdout:l4\n']);
  // docker applies tail first, then since.
  assert.deepEqual(await collect(readLogs(paths, { ...ALL, tail: 2, since: at(2) })), ['stdout:l4\n', 'stdout:l5\n']);
  assert.deepEqual(await collect(readLogs(paths, { ...ALL, tail: 4, since: at(4) })), ['stdout:l4\n', 'stdout:l5\n']);
});

test('garbage lines are skipped', async (t) => {
  const p = await logFile(t, 'garbage\n' + rec(1, 'stdout', 'a') + '\n' + rec(2, 'stdout', 'b'));
  assert.deepEqual(await collect(readLogs({ current: p, rotated: [] }, ALL)), ['stdout:a\n', 'stdout:b\n']);
});

test('breaking out of the iteration closes the reader', async (t) => {
  const p = await logFile(t, rec(1, 'stdout', 'a') + rec(2, 'stdout', 'b'));
  const out: string[] = [];
  for await (const e of readLogs({ current: p, rotated: [] }, ALL)) {
    out.push(e.data.toString());
    break;
  }
  assert.deepEqual(out, ['a\n']);
});

