// End to end: pierd under concurrent clients and clients that vanish mid-stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { usePrivateDaemon, run, dockerBin, poll, isRoot, type PrivateDaemon } from '../../harness/pierd.js';

const docker = dockerBin();
const skip = !isRoot() ? 'needs root' : !docker ? 'the docker CLI is not on PATH' : false;
if (skip && process.env['CI'] === 'true' && !isRoot()) throw new Error('CI runs as root');

let d: PrivateDaemon;
usePrivateDaemon(skip, (x) => { d = x; });

test('twelve concurrent docker run --rm all print their own output and leave no container', { skip }, async () => {
  const runs = Array.from({ length: 12 }, (_, i) => run(docker ?? 'docker', ['run', '--rm', 'busybox', 'echo', `n${i}`], d));
  const results = await Promise.all(runs);
  results.forEach((r, i) => {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `n${i}\n`);
  });
  const ps = await run(docker ?? 'docker', ['ps', '-aq'], d);
  assert.equal(ps.stdout.trim(), '');
});

test('clients killed mid-attach, mid-logs-follow and mid-events leave the daemon serving', { skip }, async () => {
  const r0 = await run(docker ?? 'docker', ['run', '-d', '--name', 'rb-chatty', 'busybox', 'sh', '-c', 'while true; do echo tick; sleep 0.05; done'], d);
  assert.equal(r0.code, 0, r0.stderr);
  const clients = [
    ['attach', 'rb-chatty'], ['logs', '-f', 'rb-chatty'], ['events'], ['stats', 'rb-chatty'],
    ['run', '--rm', 'busybox', 'sh', '-c', 'while true; do echo x; done'],
  ].map((args) => spawn(docker ?? 'docker', args, { env: d.env, stdio: ['ignore', 'pipe', 'pipe'] }));
  // Let each stream start flowing, then kill the clients without warning.
  await Promise.all(clients.slice(0, 2).map((c) => new Promise((r) => c.stdout?.once('data', r))));
  await new Promise((r) => setTimeout(r, 300));
  for (const c of clients) c.kill('SIGKILL');
  await Promise.all(clients.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
  const ping = await run(docker ?? 'docker', ['version', '--format', '{{.Server.Version}}'], d);
  assert.equal(ping.code, 0, ping.stderr);
  assert.equal((await run(docker ?? 'docker', ['inspect', '-f', '{{.State.Running}}', 'rb-chatty'], d)).stdout.trim(), 'true');
  // The abandoned `run --rm` container keeps running (as with dockerd); removing everything works.
  const ids = (await run(docker ?? 'docker', ['ps', '-aq'], d)).stdout.split('\n').filter(Boolean);
  const rm = await run(docker ?? 'docker', ['rm', '-f', ...ids], d);
  assert.equal(rm.code, 0, rm.stderr);
  await poll(async () => (await run(docker ?? 'docker', ['ps', '-aq'], d)).stdout.trim() === '' || undefined, 10_000, 'no containers');
});

test('garbage on the socket gets a 400 and the daemon keeps serving', { skip }, async () => {
  const { connect } = await import('node:net');
  const answer = await new Promise<string>((resolve) => {
    const s = connect(d.socket, () => { s.write('NOT HTTP AT ALL\r\n\r\n'); });
    let buf = '';
    s.on('data', (b) => { buf += b.toString(); });
    s.on('close', () => resolve(buf));
    s.on('error', () => resolve(buf));
  });
  assert.match(answer, /^HTTP\/1\.1 400/);
  const v = await run(docker ?? 'docker', ['version', '--format', '{{.Server.Version}}'], d);
  assert.equal(v.code, 0);
});

test('after a crash, start-up collects host objects no record explains', { skip }, async () => {
  const { mkdirSync, existsSync, readFileSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const { join } = await import('node:path');
  const orphan = 'f'.repeat(64);
  await d.crash();
  const bundle = join(d.root, 'exec', 'containers', orphan);
  mkdirSync(join(bundle, 'rootfs'), { recursive: true });
  mkdirSync(join(d.root, 'data', 'containers', orphan), { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', 'pier-orphan', join(bundle, 'rootfs')]);
  await d.restart();
  assert.equal(existsSync(bundle), false);
  assert.equal(existsSync(join(d.root, 'data', 'containers', orphan)), false);
  assert.equal(readFileSync('/proc/self/mountinfo', 'utf8').includes(orphan), false);
});
