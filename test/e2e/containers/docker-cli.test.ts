// End to end: the real docker CLI drives a private pierd through the container lifecycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usePrivateDaemon, run, dockerBin, poll, isRoot, type PrivateDaemon, type RunResult } from '../../harness/pierd.js';

const docker = dockerBin();
const skip = !isRoot() ? 'needs root' : !docker ? 'the docker CLI is not on PATH' : false;
if (skip && process.env['CI'] === 'true' && !isRoot()) throw new Error('CI runs as root');
if (skip) console.log(`# skipping docker CLI e2e: ${skip}`);

let d: PrivateDaemon;
const dk = (...args: string[]): Promise<RunResult> => run(docker ?? 'docker', args, d);
const ok = async (...args: string[]): Promise<string> => {
  const r = await dk(...args);
  assert.equal(r.code, 0, `docker ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
};

usePrivateDaemon(skip, (x) => { d = x; });

test('docker run --rm busybox echo hello prints hello', { skip }, async () => {
  assert.equal(await ok('run', '--rm', 'busybox', 'echo', 'hello'), 'hello\n');
});

test('the container exit code becomes the CLI exit code', { skip }, async () => {
  const r = await dk('run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3');
  assert.equal(r.code, 3);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
});

test('a missing command exits 127 and a non-executable one 126', { skip }, async () => {
  const r = await dk('run', '--rm', 'busybox', 'nosuchcmd');
  assert.equal(r.code, 127, r.stderr);
  const r2 = await dk('run', '--rm', 'busybox', '/etc/passwd');
  assert.equal(r2.code, 126, r2.stderr);
});

test('stdin reaches the container with -i', { skip }, async () => {
  const r = await run(docker ?? 'docker', ['run', '--rm', '-i', 'busybox', 'sh', '-c', 'tr a-z A-Z'], d, { input: 'piped text\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'PIPED TEXT\n');
});

test('run -d, ps, exec, logs, inspect, top, stop and rm work on a named container', { skip }, async () => {
  const id = (await ok('run', '-d', '--name', 'e2e-a', 'busybox', 'sh', '-c', 'echo started; sleep 300; exit 0')).trim();
  assert.match(id, /^[a-f0-9]{64}$/);
  assert.match(await ok('ps', '--format', '{{.Names}} {{.Status}}'), /^e2e-a Up /m);
  assert.equal(await ok('exec', 'e2e-a', 'echo', 'inside'), 'inside\n');
  const cmdline = await ok('exec', 'e2e-a', 'cat', '/proc/1/cmdline');
  assert.equal(cmdline.replace(/\0/g, ' ').trim(), 'sh -c echo started; sleep 300; exit 0');
  await poll(async () => (await dk('logs', 'e2e-a')).stdout === 'started\n' || undefined, 5000, 'logs');
  assert.equal((await ok('inspect', '-f', '{{.State.Running}} {{.Name}}', 'e2e-a')).trim(), 'true /e2e-a');
  assert.match(await ok('top', 'e2e-a'), /sleep 300/);
  assert.equal((await ok('exec', 'e2e-a', 'hostname')).trim(), id.slice(0, 12));
  await ok('stop', '-t', '1', 'e2e-a');
  assert.equal((await ok('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'e2e-a')).trim(), 'exited 137'); // sh as pid 1 ignores SIGTERM: killed after the timeout, as with docker
  await ok('rm', 'e2e-a');
  const gone = await dk('inspect', 'e2e-a');
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /No such object: e2e-a/);
});

test('pause freezes and unpause thaws a container', { skip }, async () => {
  await ok('run', '-d', '--name', 'e2e-p', 'busybox', 'sleep', '300');
  await ok('pause', 'e2e-p');
  assert.equal((await ok('inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'e2e-p')).trim(), 'paused true');
  await ok('unpause', 'e2e-p');
  assert.equal((await ok('inspect', '-f', '{{.State.Status}}', 'e2e-p')).trim(), 'running');
  await ok('rm', '-f', 'e2e-p');
});

test('a memory limit lands in the container cgroup', { skip }, async () => {
  const out = await ok('run', '--rm', '-m', '64m', 'busybox', 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max');
  assert.equal(out.trim(), '67108864');
});

test('bad input gets docker errors and changes nothing', { skip }, async () => {
  await ok('run', '-d', '--name', 'e2e-dup', 'busybox', 'sleep', '300');
  const dup = await dk('run', '-d', '--name', 'e2e-dup', 'busybox', 'true');
  assert.equal(dup.code, 125);
  assert.match(dup.stderr, /Conflict\. The container name "\/e2e-dup" is already in use/);
  const rmRunning = await dk('rm', 'e2e-dup');
  assert.equal(rmRunning.code, 1);
  assert.match(rmRunning.stderr, /stop the container before removing or force remove/);
  const badName = await dk('create', '--name', 'bad/name!', 'busybox');
  assert.match(badName.stderr, /Invalid container name \(bad\/name!\)/);
  const lowMem = await dk('run', '--rm', '-m', '1m', 'busybox', 'true');
  assert.match(lowMem.stderr, /Minimum memory limit allowed is 6MB/);
  const noImage = await dk('run', '--rm', 'nosuchimage:1', 'true');
  assert.equal(noImage.code, 125);
  assert.match(noImage.stderr, /Unable to find image 'nosuchimage:1' locally/);
  const startRunning = await dk('start', 'e2e-dup');
  assert.equal(startRunning.code, 0);
  assert.equal((await ok('ps', '-a', '--filter', 'name=e2e-', '--format', '{{.Names}}')).trim(), 'e2e-dup');
  await ok('rm', '-f', 'e2e-dup');
});

test('events report the lifecycle in docker shape', { skip }, async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  await ok('run', '--name', 'e2e-ev', 'busybox', 'true');
  await ok('rm', 'e2e-ev');
  const until = Math.floor(Date.now() / 1000) + 1;
  const out = await ok('events', '--since', String(since), '--until', String(until), '--filter', 'container=e2e-ev', '--format', '{{.Action}}');
  assert.deepEqual(out.trim().split('\n'), ['create', 'attach', 'start', 'die', 'destroy']);
});

test('cp copies files both ways, export and diff see the container filesystem', { skip }, async () => {
  await ok('run', '-d', '--name', 'e2e-cp', 'busybox', 'sh', '-c', 'mkdir /data && echo one > /data/f && sleep 300');
  await poll(async () => (await dk('exec', 'e2e-cp', 'cat', '/data/f')).stdout === 'one\n' || undefined, 5000, 'file');
  const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
  const tmp = mkdtempSync('/tmp/pier-e2e-cp-');
  await ok('cp', 'e2e-cp:/data/f', `${tmp}/f`);
  assert.equal(readFileSync(`${tmp}/f`, 'utf8'), 'one\n');
  writeFileSync(`${tmp}/g`, 'two\n');
  await ok('cp', `${tmp}/g`, 'e2e-cp:/data/');
  assert.equal(await ok('exec', 'e2e-cp', 'cat', '/data/g'), 'two\n');
  const diff = await ok('diff', 'e2e-cp');
  assert.match(diff, /^A \/data$/m);
  assert.match(diff, /^A \/data\/g$/m);
  await ok('rm', '-f', 'e2e-cp');
  const { rmSync } = await import('node:fs');
  rmSync(tmp, { recursive: true, force: true });
});

test('restart policy on-failure restarts a failing container up to its limit', { skip }, async () => {
  await ok('run', '-d', '--name', 'e2e-rp', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 1');
  await poll(async () => (await ok('inspect', '-f', '{{.RestartCount}} {{.State.Status}}', 'e2e-rp')).trim() === '2 exited' || undefined, 15_000, 'two restarts');
  await ok('rm', '-f', 'e2e-rp');
});

test('a container keeps running across kill -9 of pierd, and one that exits meanwhile shows its code', { skip }, async () => {
  await ok('run', '-d', '--name', 'e2e-live', 'busybox', 'sh', '-c', 'echo before; sleep 300');
  await ok('run', '-d', '--name', 'e2e-short', 'busybox', 'sh', '-c', 'sleep 1; exit 7');
  await d.crash();
  await new Promise((r) => setTimeout(r, 1500));
  await d.restart();
  assert.equal((await ok('inspect', '-f', '{{.State.Running}}', 'e2e-live')).trim(), 'true');
  await poll(async () => (await ok('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'e2e-short')).trim() === 'exited 7' || undefined, 5000, 'exit code 7');
  assert.equal(await ok('logs', 'e2e-live'), 'before\n');
  await ok('stop', '-t', '1', 'e2e-live');
  await ok('rm', 'e2e-live', 'e2e-short');
});

test('echo x | docker exec -i c cat: stdin and its EOF always arrive (40 times in a row)', { skip }, async () => {
  // The exec start body sometimes arrives after the head; the socket was then left paused and
  // about one exec in five hung with its stdin unread.
  await ok('run', '-d', '--name', 'dc-execi', 'busybox', 'sleep', '300');
  for (let i = 0; i < 40; i++) {
    const r = await run(docker ?? 'docker', ['exec', '-i', 'dc-execi', 'cat'], d, { input: `line ${i}\n`, timeoutMs: 10_000 });
    assert.equal(r.code, 0, `exec ${i}: ${r.stderr}`);
    assert.equal(r.stdout, `line ${i}\n`);
  }
  await ok('rm', '-f', 'dc-execi');
});
