// Overlay networks across hosts: two simulated hosts (network namespaces made
// here, joined by a veth), each with its own pierd told about the other; a
// container on host A reaches one on host B by name over VXLAN.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomInt } from 'node:crypto';
import { isRoot, startDaemon, run, dockerBin, poll, type PrivateDaemon } from '../../harness/pierd.js';

const execFileP = promisify(execFile);
const docker = dockerBin();
const skip = !isRoot() ? 'needs root' : !docker ? 'needs the docker CLI' : false;
const tag = randomInt(1000, 9999);
const ns = { a: `pier-e2e-ov${tag}a`, b: `pier-e2e-ov${tag}b` };
const octet = randomInt(1, 250);
const addr = { a: `10.249.${octet}.1`, b: `10.249.${octet}.2` };
const subnet = `10.248.${octet}.0/24`;
let hostA: PrivateDaemon | undefined;
let hostB: PrivateDaemon | undefined;

async function ip(...args: string[]): Promise<string> {
  return (await execFileP('ip', args)).stdout;
}

before(async () => {
  if (skip) return;
  await ip('netns', 'add', ns.a);
  await ip('netns', 'add', ns.b);
  for (const n of [ns.a, ns.b]) await ip('-n', n, 'link', 'set', 'lo', 'up');
  await ip('link', 'add', `pierov${tag}a`, 'type', 'veth', 'peer', 'name', `pierov${tag}b`);
  await ip('link', 'set', `pierov${tag}a`, 'netns', ns.a);
  await ip('link', 'set', `pierov${tag}b`, 'netns', ns.b);
  await ip('-n', ns.a, 'addr', 'add', `${addr.a}/24`, 'dev', `pierov${tag}a`);
  await ip('-n', ns.b, 'addr', 'add', `${addr.b}/24`, 'dev', `pierov${tag}b`);
  await ip('-n', ns.a, 'link', 'set', `pierov${tag}a`, 'up');
  await ip('-n', ns.b, 'link', 'set', `pierov${tag}b`, 'up');
  hostA = await startDaemon({ netns: ns.a, extraArgs: ['--cluster-advertise', addr.a, '--cluster-peer', addr.b] });
  hostB = await startDaemon({ netns: ns.b, extraArgs: ['--cluster-advertise', addr.b, '--cluster-peer', addr.a] });
});

after(async () => {
  for (const [d, n] of [[hostA, ns.a], [hostB, ns.b]] as const) {
    if (d) {
      await run(docker ?? 'docker', ['network', 'rm', 'e2e-ov'], d).catch(() => undefined);
      await d.stop();
    }
    if (!skip) await ip('netns', 'del', n).catch(() => undefined);
  }
});

const dk = (d: PrivateDaemon | undefined, ...args: string[]): ReturnType<typeof run> => run(docker ?? 'docker', args, d!);

test('a container on host A reaches one on host B by name over the overlay', { skip }, async () => {
  for (const d of [hostA, hostB]) {
    const r = await dk(d, 'network', 'create', '-d', 'overlay', '--subnet', subnet, 'e2e-ov');
    assert.equal(r.code, 0, r.stderr);
  }
  const idA = (await dk(hostA, 'network', 'inspect', '-f', '{{.Id}}', 'e2e-ov')).stdout.trim();
  const idB = (await dk(hostB, 'network', 'inspect', '-f', '{{.Id}}', 'e2e-ov')).stdout.trim();
  assert.equal(idA, idB, 'both hosts name the overlay network with one ID');

  const srv = await dk(hostB, 'run', '-d', '--name', 'ov-srv', '--network', 'e2e-ov', '--network-alias', 'web', 'busybox', 'httpd', '-f', '-p', '8080', '-h', '/etc');
  assert.equal(srv.code, 0, srv.stderr);
  const srvIp = (await dk(hostB, 'inspect', '-f', '{{(index .NetworkSettings.Networks "e2e-ov").IPAddress}}', 'ov-srv')).stdout.trim();
  const srvHostname = (await dk(hostB, 'inspect', '-f', '{{.Config.Hostname}}', 'ov-srv')).stdout.trim();

  // The peer table converges within a push (or the 5 s pull): poll the lookup from host A.
  const looked = await poll(async () => {
    const r = await dk(hostA, 'run', '--rm', '--network', 'e2e-ov', 'busybox', 'nslookup', 'ov-srv');
    return r.code === 0 && r.stdout.includes(srvIp) ? r.stdout : undefined;
  }, 20_000, 'host A to resolve ov-srv');
  assert.match(looked, new RegExp(`Address: ${srvIp.replace(/\./g, '\\.')}`));

  const byName = await dk(hostA, 'run', '--rm', '--network', 'e2e-ov', 'busybox', 'wget', '-qO-', 'http://ov-srv:8080/hostname');
  assert.equal(byName.code, 0, byName.stderr);
  assert.equal(byName.stdout.trim(), srvHostname, 'the page came from the container on host B');
  const byAlias = await dk(hostA, 'run', '--rm', '--network', 'e2e-ov', 'busybox', 'wget', '-qO-', 'http://web:8080/hostname');
  assert.equal(byAlias.stdout.trim(), srvHostname, 'network aliases resolve across hosts too');
});

test('each host hands out addresses only from its own share of the subnet', { skip }, async () => {
  const a = await dk(hostA, 'run', '-d', '--name', 'ov-a', '--network', 'e2e-ov', 'busybox', 'sleep', '60');
  assert.equal(a.code, 0, a.stderr);
  const ipA = (await dk(hostA, 'inspect', '-f', '{{(index .NetworkSettings.Networks "e2e-ov").IPAddress}}', 'ov-a')).stdout.trim();
  const ipB = (await dk(hostB, 'inspect', '-f', '{{(index .NetworkSettings.Networks "e2e-ov").IPAddress}}', 'ov-srv')).stdout.trim();
  const last = (x: string): number => Number(x.split('.')[3]);
  assert.ok(last(ipA) < 128 && last(ipB) >= 128, `A=${ipA} in the lower half, B=${ipB} in the upper half`);
  // Host B reaches host A's container by address across the VXLAN link.
  const ping = await dk(hostB, 'exec', 'ov-srv', 'ping', '-c', '1', '-W', '3', ipA);
  assert.equal(ping.code, 0, ping.stdout + ping.stderr);
  await dk(hostA, 'rm', '-f', 'ov-a');
  await dk(hostB, 'rm', '-f', 'ov-srv');
});

test('removing the overlay network leaves no bridge or VXLAN device on either host', { skip }, async () => {
  for (const [d, n] of [[hostA, ns.a], [hostB, ns.b]] as const) {
    const r = await dk(d, 'network', 'rm', 'e2e-ov');
    assert.equal(r.code, 0, r.stderr);
    const links = (await ip('-n', n, '-br', 'link')).split('\n').map((l) => l.split(/\s+/)[0] ?? '').filter((l) => l.startsWith('pier') && !l.startsWith('pierov'));
    assert.deepEqual(links, [], `links left in ${n}`);
  }
});
