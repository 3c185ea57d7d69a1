// End to end: docker-compose (Debian's package, 1.29) with a named volume against a
// private pierd: `up` writes into the volume, `down` (without -v) keeps it and a second
// `up` reads the data back, and `down -v` removes the volume and its directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { usePrivateDaemon, run, poll, type PrivateDaemon, type RunResult } from '../../harness/pierd.js';
import { e2eSkip } from '../../harness/clients.js';
import { boundCli, docker } from '../cli/cli-helpers.js';
import { cleanup, inspectVolume, volumeNames } from './vol-helpers.js';

const COMPOSE = '/usr/bin/docker-compose';
const base = e2eSkip('volume compose e2e', { needsDocker: true });
const skip = base || (!existsSync(COMPOSE) ? `${COMPOSE} is not installed (Debian package docker-compose)` : false);
if (!base && skip) console.log(`# skipping volume compose e2e: ${skip}`);

let d: PrivateDaemon;
const dk = boundCli(docker, () => d);
usePrivateDaemon(skip, (x) => { d = x; });

let dir = '';
before(() => { if (!skip) dir = mkdtempSync('/tmp/pier-e2e-volcompose-'); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

/** The service writes TOKEN into the volume when it is empty and reports what it found either way. */
const file = (token: string): string => `version: "3.8"
services:
  app:
    image: busybox
    environment:
      TOKEN: "${token}"
    command: ["sh", "-c", "if [ -f /data/stamp ]; then echo \\"found $$(cat /data/stamp)\\"; else echo $$TOKEN > /data/stamp; echo wrote; fi; trap 'exit 0' TERM; while :; do sleep 0.1; done"]
    volumes:
      - appdata:/data
volumes:
  appdata:
    labels:
      e2e.purpose: compose-volume
`;

function compose(project: string, ...args: string[]): Promise<RunResult> {
  return run(COMPOSE, ['-p', project, '-f', join(dir, 'docker-compose.yml'), ...args], d, { timeoutMs: 60_000 });
}

test('docker-compose: a named volume keeps its data across down and up, and down -v removes it', { skip, timeout: 60_000 }, async (t) => {
  const project = `pe2ev${randomInt(0x10000, 0xfffff).toString(16)}`;
  const vol = `${project}_appdata`;
  const ctr = `${project}_app_1`;
  const token = `token-${project}`;
  writeFileSync(join(dir, 'docker-compose.yml'), file(token));
  t.after(async () => {
    await compose(project, 'down', '-v', '-t', '1');
    await cleanup(dk, { containers: [ctr], volumes: [vol] });
    await dk.run(['network', 'rm', `${project}_default`]);
  });
  const logsOf = async (): Promise<string> => poll(async () => {
    const out = (await dk.run(['logs', ctr])).stdout;
    return /wrote|found/.test(out) ? out : undefined;
  }, 10_000, `${ctr} to report what it found in the volume`);

  const up1 = await compose(project, 'up', '-d');
  assert.equal(up1.code, 0, `docker-compose up failed:\n${up1.stderr}`);
  assert.match(up1.stderr, new RegExp(`Creating volume "${vol}" with default driver`), up1.stderr);
  assert.equal(await logsOf(), 'wrote\n', 'the first up finds an empty volume');
  const v = await inspectVolume(dk, vol);
  assert.equal(v.Labels?.['e2e.purpose'], 'compose-volume');
  assert.equal(v.Labels?.['com.docker.compose.project'], project);
  assert.equal(v.Labels?.['com.docker.compose.volume'], 'appdata');

  const down = await compose(project, 'down', '-t', '1');
  assert.equal(down.code, 0, down.stderr);
  assert.equal((await dk.run(['inspect', ctr])).code, 1, 'down removed the container');
  assert.deepEqual(await volumeNames(dk, `name=${vol}`), [vol], 'down without -v keeps the volume');
  assert.deepEqual(await inspectVolume(dk, vol), v, 'unchanged');

  const up2 = await compose(project, 'up', '-d');
  assert.equal(up2.code, 0, `second docker-compose up failed:\n${up2.stderr}`);
  assert.doesNotMatch(up2.stderr, /Creating volume/, 'the second up reuses the volume');
  assert.equal(await logsOf(), `found ${token}\n`, 'the second up reads what the first wrote');
  const exec = await compose(project, 'exec', '-T', 'app', 'cat', '/data/stamp');
  assert.equal(exec.code, 0, exec.stderr);
  assert.equal(exec.stdout, `${token}\n`);

  const downV = await compose(project, 'down', '-v', '-t', '1');
  assert.equal(downV.code, 0, downV.stderr);
  assert.match(downV.stderr, new RegExp(`Removing volume ${vol}`), downV.stderr);
  assert.deepEqual(await volumeNames(dk, `name=${vol}`), [], 'down -v removes the volume');
  assert.ok(!existsSync(join(v.Mountpoint, '..')), 'and its directory under the data root');
});
