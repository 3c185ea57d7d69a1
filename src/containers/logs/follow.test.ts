import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, open, rename, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readLogs, type ReadLogsOptions } from './read-logs.js';
import { BASE, rec, S, tempDir } from './k8s-fixtures.js';

/** A follow reader driven one entry at a time; `done()` tells it the container exited. */
function follower(current: string, extra: Partial<ReadLogsOptions> = {}, rotated: string[] = []) {
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const it = readLogs({ current, rotated }, { stdout: true, stderr: true, follow: true, done, pollMs: 20, ...extra })[Symbol.asyncIterator]();
  return {
    next: async (): Promise<string | undefined> => {
      const r = await it.next();
      return r.done === true ? undefined : `${r.value.stream}:${r.value.data.toString()}`;
    },
    done: finish,
    close: async (): Promise<void> => void (await it.return?.(undefined)),
  };
}

async function logPath(t: TestContext, content?: string): Promise<string> {
  const p = join(await tempDir(t), 'ctr.log');
  if (content !== undefined) await writeFile(p, content);
  return p;
}

test('follow sees appended lines and ends once done resolves and the log is drained', async (t) => {
  const p = await logPath(t, rec(1, 'stdout', 'a'));
  const f = follower(p);
  t.after(f.close);
  assert.equal(await f.next(), 'stdout:a\n');
  await appendFile(p, rec(2, 'stderr', 'b'));
  assert.equal(await f.next(), 'stderr:b\n');
  await appendFile(p, rec(3, 'stdout', 'c') + rec(4, 'stdout', 'cut off', true));
  f.done();
  assert.equal(await f.next(), 'stdout:c\n');
  assert.equal(await f.next(), 'stdout:cut off');
  assert.equal(await f.next(), undefined);
});

test('follow joins a partial line completed by a later write', async (t) => {
  const p = await logPath(t, rec(1, 'stdout', 'abc', true));
  const f = follower(p);
  t.after(f.close);
  const first = f.next();
  await appendFile(p, rec(2, 'stdout', 'def'));
  assert.equal(await first, 'stdout:abcdef\n');
  f.done();
  assert.equal(await f.next(), undefined);
});

test('follow with tail starts from the last entries', async (t) => {
  const p = await logPath(t, rec(1, 'stdout', 'a') + rec(2, 'stdout', 'b') + rec(3, 'stdout', 'c'));
  const f = follower(p, { tail: 1 });
  t.after(f.close);
  assert.equal(await f.next(), 'stdout:c\n');
  await appendFile(p, rec(4, 'stdout', 'd'));
  assert.equal(await f.next(), 'stdout:d\n');
  f.done();
  assert.equal(await f.next(), undefined);
});

test('follow with tail 0 shows only new output', async (t) => {
  const p = await logPath(t, rec(1, 'stdout', 'old'));
  const f = follower(p, { tail: 0 });
  t.after(f.close);
  const next = f.next();
  // The reader finds the end of what exists asynchronously; a line appended before that is
  // "existing" for tail 0 (as for docker logs -f --tail 0). Give it a few polls first.
  await new Promise((r) => setTimeout(r, 100));
  await appendFile(p, rec(2, 'stdout', 'new'));
  assert.equal(await next, 'stdout:new\n');
  f.done();
  assert.equal(await f.next(), undefined);
});

test('follow survives a rotation: drains the renamed file, then reads the new one', async (t) => {
  const p = await logPath(t);
  const writer = await open(p, 'a'); // conmon's O_APPEND descriptor
  t.after(() => writer.close().catch(() => undefined));
  await writer.write(rec(1, 'stdout', 'a'));
  const f = follower(p, {}, [`${p}.1`]);
  t.after(f.close);
  assert.equal(await f.next(), 'stdout:a\n');
  await writer.write(rec(2, 'stdout', 'b'));
  assert.equal(await f.next(), 'stdout:b\n');
  await rename(p, `${p}.1`);
  await writer.write(rec(3, 'stdout', 'written before conmon reopened'));
  await writer.close();
  await writeFile(p, rec(4, 'stdout', 'd')); // conmon's reopen creates a new file
  assert.equal(await f.next(), 'stdout:written before conmon reopened\n');
  assert.equal(await f.next(), 'stdout:d\n');
  await appendFile(p, rec(5, 'stdout', 'e'));
  assert.equal(await f.next(), 'stdout:e\n');
  f.done();
  assert.equal(await f.next(), undefined);
});

test('follow reads every file when several rotations happen between two looks', async (t) => {
  const p = await logPath(t, rec(1, 'stdout', 'a'));
  const f = follower(p, { pollMs: 60_000 }, [`${p}.2`, `${p}.1`]);
  t.after(f.close);
  assert.equal(await f.next(), 'stdout:a\n');
  const next = f.next(); // waiting; with no watch event it would not look again for a minute
  await appendFile(p, rec(2, 'stdout', 'b'));
  await rename(p, `${p}.1`);
  await writeFile(p, rec(3, 'stdout', 'c'));
  await rename(`${p}.1`, `${p}.2`);
  await rename(p, `${p}.1`);
  await writeFile(p, rec(4, 'stdout', 'd'));
  assert.equal(await next, 'stdout:b\n');
  assert.equal(await f.next(), 'stdout:c\n');
  assert.equal(await f.next(), 'stdout:d\n');
  f.done();
  assert.equal(await f.next(), undefined);
});

test('follow starts over when the file is truncated in place', async (t) => {
  const p = await logPath(t, rec(1, 'stdout', 'aaaa') + rec(2, 'stdout', 'bbbb'));
  const f = follower(p);
  t.after(f.close);
  assert.equal(await f.next(), 'stdout:aaaa\n');
  assert.equal(await f.next(), 'stdout:bbbb\n');
  const next = f.next();
  await truncate(p, 0);
  await appendFile(p, rec(3, 'stdout', 'x'));
  assert.equal(await next, 'stdout:x\n');
  f.done();
  assert.equal(await f.next(), undefined);
});

test('follow waits for a log file that does not exist yet', async (t) => {
  const p = await logPath(t);
  const f = follower(p);
  t.after(f.close);
  const next = f.next();
  await writeFile(p, rec(1, 'stdout', 'hello'));
  assert.equal(await next, 'stdout:hello\n');
  f.done();
  assert.equal(await f.next(), undefined);
});

test('follow ends when the signal aborts', async (t) => {
  const p = await logPath(t, rec(1, 'stdout', 'a'));
  const ac = new AbortController();
  const f = follower(p, { signal: ac.signal });
  t.after(f.close);
  assert.equal(await f.next(), 'stdout:a\n');
  const next = f.next();
  ac.abort();
  assert.equal(await next, undefined);
});

test('follow does not wait when until is already past', async (t) => {
  const p = await logPath(t, rec(1, 'stdout', 'a') + rec(5, 'stdout', 'b'));
  const f = follower(p, { until: BigInt(BASE + 2) * S });
  t.after(f.close);
  assert.equal(await f.next(), 'stdout:a\n');
  assert.equal(await f.next(), undefined);
});

test('follow drains output written just before done resolves', async (t) => {
  const p = await logPath(t, '');
  const f = follower(p);
  t.after(f.close);
  await appendFile(p, rec(1, 'stdout', 'last words'));
  f.done();
  assert.equal(await f.next(), 'stdout:last words\n');
  assert.equal(await f.next(), undefined);
});
