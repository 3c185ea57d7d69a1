import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError, SystemError } from '../errdefs/index.js';
import { parsePsOutput, top } from './ps.js';

const EF = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 16:15 ?        00:00:05 /sbin/init splash
root         812       1  0 16:20 ?        00:00:00 sh -c   echo  hi
root         813     812  0 16:20 pts/0    00:00:00 sleep 1000
root         900       1  0 16:21 ?        00:00:00 [kworker/0:1]
`;

test('parsePsOutput keeps the container\'s rows and joins the command column', () => {
  const r = parsePsOutput(EF, new Set([812, 813]));
  assert.deepEqual(r.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  assert.deepEqual(r.Processes, [
    ['root', '812', '1', '0', '16:20', '?', '00:00:00', 'sh -c echo hi'],
    ['root', '813', '812', '0', '16:20', 'pts/0', '00:00:00', 'sleep 1000'],
  ]);
});

test('parsePsOutput finds PID in any column', () => {
  const out = 'USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\nroot         7  0.0  0.0   1000   500 ?        S    16:15   0:00 top -b\n';
  assert.deepEqual(parsePsOutput(out, new Set([7])).Processes, [['root', '7', '0.0', '0.0', '1000', '500', '?', 'S', '16:15', '0:00', 'top -b']]);
  assert.deepEqual(parsePsOutput('  PID COMMAND\n    7 top\n    8 sh\n', new Set([8])), { Titles: ['PID', 'COMMAND'], Processes: [['8', 'sh']] });
});

test('parsePsOutput keeps thread rows of kept processes (ps -efm)', () => {
  const out = `UID          PID    PPID  C STIME TTY          TIME CMD
root           5       1  0 16:15 ?        00:00:00 app --serve
root           -       -  0 16:15 -        00:00:00 -
root           6       1  0 16:15 ?        00:00:00 other
root           -       -  0 16:15 -        00:00:00 -
`;
  assert.deepEqual(parsePsOutput(out, new Set([5])).Processes, [
    ['root', '5', '1', '0', '16:15', '?', '00:00:00', 'app --serve'],
    ['root', '-', '-', '0', '16:15', '-', '00:00:00', '-'],
  ]);
});

test('parsePsOutput without a PID column is InvalidParameterError with docker\'s text', () => {
  assert.throws(() => parsePsOutput('COMMAND\nsh\n', new Set([1])), (err: unknown) => err instanceof InvalidParameterError && err.message === "Couldn't find PID field in ps output");
});

test('parsePsOutput rejects a PID column that holds no pid', () => {
  assert.throws(() => parsePsOutput('PID CMD\nabc sh\n', new Set([1])), SystemError);
});

test('parsePsOutput of a header only is an empty list', () => {
  assert.deepEqual(parsePsOutput('  PID TTY          TIME CMD\n', new Set([1])), { Titles: ['PID', 'TTY', 'TIME', 'CMD'], Processes: [] });
});

test('top runs the host ps and keeps only the given pids', async () => {
  const r = await top([process.pid], '-ef');
  assert.equal(r.Titles[1], 'PID');
  assert.equal(r.Processes.length, 1);
  assert.equal(r.Processes[0]?.[1], String(process.pid));
});

test('top falls back to a full listing for options that exclude -q', async () => {
  const r = await top([process.pid], '-e f -o pid,comm');
  assert.deepEqual(r.Titles, ['PID', 'COMMAND']);
  assert.equal(r.Processes.length, 1);
  assert.equal(r.Processes[0]?.[0], String(process.pid));
});

test('top refuses to rename another column to PID', async () => {
  await assert.rejects(top([1], '-o user=PID'), (err: unknown) => err instanceof InvalidParameterError && err.message === 'specifying "user=PID" is not allowed');
  const ok = await top([process.pid], '-o pid=PID,comm');
  assert.equal(ok.Processes[0]?.[0], String(process.pid));
});

test('ps refusing the client\'s own arguments is a 400 with ps\'s first stderr line (or its exit status)', async () => {
  await assert.rejects(top([1], '--no-such-option'), (err: unknown) => err instanceof InvalidParameterError && err.message === 'ps: error: unknown gnu long option');
  await assert.rejects(top([1], '-x', { ps: '/bin/false' }), (err: unknown) => err instanceof InvalidParameterError && err.message === 'ps: exit status 1');
});

test('top reports a silent ps failure with its exit status, as Go\'s exec does', async () => {
  await assert.rejects(top([1], '-ef', { ps: '/bin/false' }), (err: unknown) => err instanceof SystemError && err.message === 'ps: exit status 1');
});

test('top without ps is a SystemError', async () => {
  await assert.rejects(top([1], '-ef', { ps: '/nonexistent/ps' }), SystemError);
});
