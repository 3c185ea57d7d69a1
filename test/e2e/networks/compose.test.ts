// End to end: docker-compose (Debian's package, 1.29) against a private pierd: two
// services on a labelled user-defined network, where the client reaches the server by
// service name and by a network alias, and `down` takes the network away again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { usePrivateDaemon, run, type PrivateDaemon, type RunResult } from '../../harness/pierd.js';
import { e2eSkip } from '../../harness/clients.js';
import { boundCli, docker } from '../cli/cli-helpers.js';
import { bridgeOf, linkNames, randTag } from './net-helpers.js';

const COMPOSE = '/usr/bin/docker-compose';
const base = e2eSkip('network compose e2e', { needsDocker: true });
const skip = base || (!existsSync(COMPOSE) ? `${COMPOSE} is not installed (Debian package docker-compose)` : false);
if (!base && skip) console.log(`# skipping network compose e2e: ${skip}`);

let d: PrivateDaemon;
const dk = boundCli(docker, () => d);
usePrivateDaemon(skip, (x) => { d = x; });

let dir = '';
before(() => { if (!skip) dir = mkdtempSync('/tmp/pier-e2e-compose-'); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const FILE = `version: "3.8"
services:
  server:
    image: busybox
    command: ["httpd", "-f", "-p", "8080", "-h", "/etc"]
    labels:
      e2e.role: server
    networks:
      back:
        aliases: [x]
  client:
    image: busybox
    command: ["sleep", "300"]
    depends_on: [server]
    networks: [back]
networks:
  back:
    labels:
      e2e.purpose: compose-test
`;

function compose(project: string, ...args: string[]): Promise<RunResult> {
  return run(COMPOSE, ['-p', project, '-f', join(dir, 'docker-compose.yml'), ...args], d, { timeoutMs: 60_000 });
}

test('docker-compose: two services on a labelled network talk by service name and alias, and down removes the network', { skip, timeout: 90_000 }, async (t) => {
  const project = `pe2e${randTag()}`;
  const net = `${project}_back`;
  writeFileSync(join(dir, 'docker-compose.yml'), FILE);
  t.after(async () => {
    await compose(project, 'down', '-t', '1');
    await dk.run(['rm', '-f', `${project}_server_1`, `${project}_client_1`]);
    await dk.run(['network', 'rm', net]);
  });

  const up = await compose(project, 'up', '-d');
  assert.equal(up.code, 0, `docker-compose up failed:\n${up.stderr}`);
  const netId = (await dk.ok('network', 'inspect', '-f', '{{.Id}}', net)).trim();
  const labels = JSON.parse(await dk.ok('network', 'inspect', '-f', '{{json .Labels}}', net)) as Record<string, string>;
  assert.equal(labels['e2e.purpose'], 'compose-test');
  assert.equal(labels['com.docker.compose.project'], project);
  assert.equal(labels['com.docker.compose.network'], 'back');
  assert.ok((await linkNames()).includes(bridgeOf(netId)), `bridge ${bridgeOf(netId)} exists`);

  const server = `${project}_server_1`;
  const client = `${project}_client_1`;
  assert.equal(await dk.fmt('{{index .Config.Labels "e2e.role"}}', server), 'server');
  assert.equal(await dk.fmt('{{index .Config.Labels "com.docker.compose.service"}}', server), 'server');
  const id12 = (await dk.fmt('{{.Id}}', server)).slice(0, 12);
  const serverIp = await dk.fmt(`{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, server);
  assert.match(serverIp, /^\d+\.\d+\.\d+\.\d+$/);

  const byService = await compose(project, 'exec', '-T', 'client', 'wget', '-qO-', 'http://server:8080/hostname');
  assert.equal(byService.code, 0, byService.stderr);
  assert.equal(byService.stdout, `${id12}\n`, 'the client reaches the server by service name');
  assert.equal(await dk.ok('exec', client, 'wget', '-qO-', 'http://x:8080/hostname'), `${id12}\n`, 'and by its network alias');
  const look = await dk.ok('exec', client, 'nslookup', 'server');
  assert.match(look, new RegExp(`Name:\\s*server\\s+Address:\\s*${serverIp.replace(/\./g, '\\.')}\\b`), look);

  const ps = await compose(project, 'ps');
  assert.equal(ps.code, 0, ps.stderr);
  assert.match(ps.stdout, new RegExp(`^${server}\\s.*\\bUp\\b`, 'm'), ps.stdout);
  assert.match(ps.stdout, new RegExp(`^${client}\\s.*\\bUp\\b`, 'm'), ps.stdout);

  const down = await compose(project, 'down', '-t', '1');
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stderr, new RegExp(`Removing network ${net}`), down.stderr);
  const gone = await dk.run(['network', 'inspect', net]);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, new RegExp(`network ${net} not found`));
  assert.equal((await dk.ok('ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`)).trim(), '');
  assert.ok(!(await linkNames()).includes(bridgeOf(netId)), 'the bridge is gone');
});
