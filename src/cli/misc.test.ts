import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EscapeFilter, parseDetachKeys } from './hijack-io.js';
import { parseImageRef } from './image-ref.js';
import { runExitCode } from './commands/run.js';
import { toApiTimestamp } from './timestamps.js';
import { formatEvent } from './commands/events.js';
import { naturalCompare } from './commands/misc.js';
import { resolveHost } from './main.js';

test('detach keys parse and are caught across chunks', () => {
  assert.deepEqual(parseDetachKeys('ctrl-p,ctrl-q'), [16, 17]);
  assert.deepEqual(parseDetachKeys('ctrl-a,x'), [1, 120]);
  const f = new EscapeFilter([16, 17]);
  assert.deepEqual(f.feed(Buffer.from([97, 16])), { pass: Buffer.from([97]), detached: false });
  assert.deepEqual(f.feed(Buffer.from([98])), { pass: Buffer.from([16, 98]), detached: false });
  const r = f.feed(Buffer.from([16, 17]));
  assert.equal(r.detached, true);
});

test('image references normalise as docker pulls them', () => {
  assert.deepEqual(parseImageRef('busybox'), { repository: 'docker.io/library/busybox', tag: 'latest', digest: '', familiar: 'busybox:latest' });
  assert.equal(parseImageRef('user/x:1')?.repository, 'docker.io/user/x');
  assert.equal(parseImageRef('127.0.0.1:5000/x/y:v1')?.repository, '127.0.0.1:5000/x/y');
  assert.equal(parseImageRef('127.0.0.1:5000/x/y:v1')?.familiar, '127.0.0.1:5000/x/y:v1');
  assert.equal(parseImageRef('localhost/x')?.repository, 'localhost/x');
  assert.equal(parseImageRef('a'.repeat(64)), undefined);
});

test('run exit codes follow the error text', () => {
  assert.equal(runExitCode('exec: "nope": executable file not found in $PATH'), 127);
  assert.equal(runExitCode('stat /nonexistent: no such file or directory'), 127);
  assert.equal(runExitCode('exec /etc: permission denied'), 126);
  assert.equal(runExitCode('Error response from daemon: Conflict'), 125);
});

test('--since values become API timestamps', () => {
  const now = new Date(Date.UTC(2026, 0, 1, 0, 10, 0));
  assert.equal(toApiTimestamp('10m', now), String(Date.UTC(2026, 0, 1) / 1000));
  assert.equal(toApiTimestamp('2026-01-02T13:23:37Z', now), `${Date.UTC(2026, 0, 2, 13, 23, 37) / 1000}.000000000`);
  assert.equal(toApiTimestamp('2026-01-02T13:23:37.5+01:00', now), `${Date.UTC(2026, 0, 2, 12, 23, 37) / 1000}.500000000`);
  assert.equal(toApiTimestamp('1700000000', now), '1700000000');
  assert.equal(toApiTimestamp('1700000000.123', now), '1700000000.123');
  assert.throws(() => toApiTimestamp('yesterday', now), /failed to parse value as time or duration/);
});

test('events print in docker layout with sorted attributes', () => {
  const line = formatEvent({ Type: 'container', Action: 'create', Actor: { ID: 'abc', Attributes: { name: 'x', image: 'busybox' } }, time: 0, timeNano: 0 }, 1795548135560328736n);
  assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.560328736(Z|[+-]\d\d:\d\d) container create abc \(image=busybox, name=x\)\n$/);
});

test('natural sort orders ports numerically', () => {
  assert.deepEqual(['9000/tcp', '80/tcp', '443/tcp'].sort(naturalCompare), ['80/tcp', '443/tcp', '9000/tcp']);
});

test('host resolution: -H first, then PIER_HOST, DOCKER_HOST, default', () => {
  assert.equal(resolveHost(['unix:///a', 'unix:///b'], { PIER_HOST: 'x' }), 'unix:///a');
  assert.equal(resolveHost([], { PIER_HOST: 'unix:///p', DOCKER_HOST: 'unix:///d' }), 'unix:///p');
  assert.equal(resolveHost([], { DOCKER_HOST: 'tcp://127.0.0.1:2375' }), 'tcp://127.0.0.1:2375');
  assert.equal(resolveHost([], {}), 'unix:///run/pier/pier.sock');
});
