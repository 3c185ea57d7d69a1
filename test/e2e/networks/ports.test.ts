// End to end: published ports through the real docker CLI and `pier` against a private
// pierd: HTTP from the host on a loopback binding and on every address (the host's own
// non-loopback address goes through the kernel's DNAT, loopback through the userland
// proxy), UDP through a tiny static echo server built here, -P with ephemeral ports,
// port ranges, and docker's `port is already allocated` with nothing left behind.
// Ports are random in 20000-29999 and checked free first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, copyFileSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { usePrivateDaemon, pierBin, poll, repoRoot, type PrivateDaemon } from '../../harness/pierd.js';
import { e2eSkip } from '../../harness/clients.js';
import { boundCli, docker } from '../cli/cli-helpers.js';
import { hostAddress, httpFailure, httpGetWhenUp, linkNames, nftTableOf, nftTableText, randomPorts, tcpFree, udpExchange, vethOf } from './net-helpers.js';

const execFileP = promisify(execFile);
const skip = e2eSkip('network ports e2e', { needsDocker: true });

let d: PrivateDaemon;
const dk = boundCli(docker, () => d);
const pier = boundCli(pierBin, () => d);
usePrivateDaemon(skip, (x) => { d = x; });

let tmp = '';
let hostIp = '';
before(async () => {
  if (skip) return;
  tmp = mkdtempSync('/tmp/pier-e2e-ports-');
  hostIp = await hostAddress();
});
after(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

/** busybox httpd on :80 serving one page that names the container, logging each client (-v). */
function httpd(page: string): string[] {
  return ['busybox', 'sh', '-c', `mkdir -p /www && echo ${page} > /www/index.html && exec httpd -f -v -p 80 -h /www`];
}

async function cleanup(containers: string[], images: string[] = []): Promise<void> {
  if (containers.length) await dk.run(['rm', '-f', ...containers]);
  if (images.length) await dk.run(['rmi', '-f', ...images]);
}

async function endpointOf(container: string): Promise<{ ip: string; veth: string }> {
  const ip = await dk.fmt('{{.NetworkSettings.IPAddress}}', container);
  const ep = await dk.fmt('{{.NetworkSettings.EndpointID}}', container);
  return { ip, veth: vethOf(ep) };
}

test('-p 127.0.0.1:P:80 answers HTTP on 127.0.0.1 only', { skip }, async (t) => {
  t.after(() => cleanup(['pt-lo']));
  const p = await randomPorts();
  await dk.ok('run', '-d', '--name', 'pt-lo', '-p', `127.0.0.1:${p}:80`, ...httpd('pt-lo-page'));
  assert.equal(await httpGetWhenUp('127.0.0.1', p), 'pt-lo-page\n');
  assert.equal((await dk.ok('port', 'pt-lo', '80')).trim(), `127.0.0.1:${p}`);
  assert.equal(await httpFailure(hostIp, p), 'ECONNREFUSED', `a loopback binding does not answer on ${hostIp}`);
});

test('-p P:80 answers on 127.0.0.1 and on the host\'s own address, the latter through the kernel\'s DNAT', { skip }, async (t) => {
  t.after(() => cleanup(['pt-any']));
  const p = await randomPorts();
  await dk.ok('run', '-d', '--name', 'pt-any', '-p', `${p}:80`, ...httpd('pt-any-page'));
  const { ip } = await endpointOf('pt-any');
  assert.equal(await httpGetWhenUp('127.0.0.1', p), 'pt-any-page\n');
  assert.equal(await httpGetWhenUp(hostIp, p), 'pt-any-page\n');
  assert.equal((await dk.ok('port', 'pt-any', '80/tcp')).trim().split('\n')[0], `0.0.0.0:${p}`);
  // The kernel path keeps the client's address; the proxy connects from the bridge gateway.
  const gw = await dk.fmt('{{.NetworkSettings.Gateway}}', 'pt-any');
  const logs = await poll(async () => {
    const r = await dk.run(['logs', 'pt-any']);
    const text = r.stdout + r.stderr;
    return text.includes(hostIp) ? text : undefined;
  }, 5000, `httpd to log a client at ${hostIp}`).catch(async () => { const r = await dk.run(['logs', 'pt-any']); return r.stdout + r.stderr; });
  assert.match(logs, new RegExp(`\\[::ffff:${hostIp.replace(/\./g, '\\.')}\\]:\\d+: response:200`), `the request to ${hostIp} arrived with the host's address (DNAT, not the proxy):\n${logs}`);
  assert.match(logs, new RegExp(`\\[::ffff:${gw.replace(/\./g, '\\.')}\\]:\\d+: response:200`), `the loopback request came through the proxy:\n${logs}`);
  const table = await nftTableText(nftTableOf(d));
  assert.match(table, new RegExp(`tcp \\. ${p} : ${ip.replace(/\./g, '\\.')} \\. 80`), `the DNAT map holds the port:\n${table}`);
});

test('UDP: -p P:9000/udp reaches a static echo server from the host, on loopback and on the host\'s address', { skip, timeout: 60_000 }, async (t) => {
  const image = 'pier-e2e/udp-echo:1';
  t.after(() => cleanup(['pt-udp'], [image]));
  const ctx = join(tmp, 'udp-ctx');
  mkdirSync(ctx, { recursive: true });
  // The C source stays beside this test in the source tree (tsc copies only .ts).
  copyFileSync(join(repoRoot, 'test', 'e2e', 'networks', 'udp-echo.c'), join(ctx, 'udp-echo.c'));
  await execFileP('cc', ['-static', '-O2', '-o', join(ctx, 'udp-echo'), join(ctx, 'udp-echo.c')]);
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nCOPY udp-echo /usr/local/bin/udp-echo\nEXPOSE 9000/udp\nCMD ["udp-echo", "9000"]\n');
  await pier.ok('build', '-q', '-t', image, ctx);
  const p = await randomPorts();
  await dk.ok('run', '-d', '--name', 'pt-udp', '-p', `${p}:9000/udp`, image);
  await poll(async () => (await dk.run(['logs', 'pt-udp'])).stdout.includes('udp-echo: listening') || undefined, 5000, 'the echo server');
  assert.equal(await udpExchange('127.0.0.1', p, 'hello over loopback'), 'echo:hello over loopback');
  assert.equal(await udpExchange(hostIp, p, `hello via ${hostIp}`), `echo:hello via ${hostIp}`);
  assert.equal((await dk.ok('port', 'pt-udp')).trim(), `9000/udp -> 0.0.0.0:${p}`);
});

test('-P with --expose publishes ephemeral ports that docker port and pier port show alike', { skip }, async (t) => {
  t.after(() => cleanup(['pt-all']));
  await dk.ok('run', '-d', '--name', 'pt-all', '-P', '--expose', '80', '--expose', '5353/udp', ...httpd('pt-all-page'));
  const shown = (await dk.ok('port', 'pt-all')).trim().split('\n').sort();
  assert.equal(shown.length, 2, shown.join('\n'));
  const tcp = /^80\/tcp -> 0\.0\.0\.0:(\d+)$/m.exec(shown.join('\n'));
  const udp = /^5353\/udp -> 0\.0\.0\.0:(\d+)$/m.exec(shown.join('\n'));
  assert.ok(tcp && udp, shown.join('\n'));
  const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  for (const m of [tcp, udp]) {
    const port = Number(m[1]);
    assert.ok(port >= (lo ?? 1024) && port <= (hi ?? 65535), `${port} is an ephemeral port (${lo}-${hi})`);
  }
  assert.equal((await pier.ok('port', 'pt-all')).trim().split('\n').sort().join('\n'), shown.join('\n'), 'pier port prints what docker port prints');
  assert.equal((await pier.ok('port', 'pt-all', '80/tcp')).trim(), `0.0.0.0:${tcp[1]}`);
  assert.equal(await httpGetWhenUp('127.0.0.1', Number(tcp[1])), 'pt-all-page\n');
  const ps = await dk.ok('ps', '--filter', 'name=pt-all', '--format', '{{.Ports}}');
  assert.match(ps, new RegExp(`0\\.0\\.0\\.0:${tcp[1]}->80/tcp`));
  assert.match(ps, new RegExp(`0\\.0\\.0\\.0:${udp[1]}->5353/udp`));
});

test('a host port range gives the second container the next free port', { skip }, async (t) => {
  t.after(() => cleanup(['pt-r1', 'pt-r2', 'pt-r3']));
  const a = await randomPorts(2);
  const range = `${a}-${a + 1}:80`;
  await dk.ok('run', '-d', '--name', 'pt-r1', '-p', range, ...httpd('pt-r1-page'));
  await dk.ok('run', '-d', '--name', 'pt-r2', '-p', range, ...httpd('pt-r2-page'));
  assert.equal((await dk.ok('port', 'pt-r1', '80')).trim(), `0.0.0.0:${a}`);
  assert.equal((await dk.ok('port', 'pt-r2', '80')).trim(), `0.0.0.0:${a + 1}`);
  assert.equal(await httpGetWhenUp('127.0.0.1', a), 'pt-r1-page\n');
  assert.equal(await httpGetWhenUp('127.0.0.1', a + 1), 'pt-r2-page\n');
  const third = await dk.run(['run', '-d', '--name', 'pt-r3', '-p', range, 'busybox', 'sleep', '300']);
  assert.equal(third.code, 125, 'the range is used up');
  assert.match(third.stderr, /port is already allocated/);
});

test('a port already taken fails with docker\'s error (exit 125) and leaves no veth, no listener and no rule', { skip }, async (t) => {
  t.after(() => cleanup(['pt-first', 'pt-second']));
  const p = await randomPorts();
  const q = await randomPorts();
  await dk.ok('run', '-d', '--name', 'pt-first', '-p', `127.0.0.1:${p}:80`, ...httpd('pt-first-page'));
  assert.equal(await httpGetWhenUp('127.0.0.1', p), 'pt-first-page\n');
  const linksBefore = (await linkNames()).filter((l) => l.startsWith('pier')).sort();
  const table = nftTableOf(d);

  // q is free and bound first, then p collides: both must be let go.
  const r = await dk.run(['run', '-d', '--name', 'pt-second', '-p', `${q}:81`, '-p', `127.0.0.1:${p}:80`, ...httpd('pt-second-page')]);
  assert.equal(r.code, 125, r.stderr);
  assert.match(r.stderr, new RegExp(`Error response from daemon: driver failed programming external connectivity on endpoint pt-second \\([0-9a-f]+\\): Bind for 127\\.0\\.0\\.1:${p} failed: port is already allocated`), r.stderr);
  assert.equal(await dk.fmt('{{.State.Status}}', 'pt-second'), 'created', 'the container stays created, as with docker');
  assert.deepEqual((await linkNames()).filter((l) => l.startsWith('pier')).sort(), linksBefore, 'no veth was left behind');
  assert.equal(await tcpFree(q), true, `the proxy of ${q} was closed`);
  assert.doesNotMatch(await nftTableText(table), new RegExp(`\\b${q}\\b`), `no DNAT rule for ${q}`);
  assert.equal((await dk.ok('port', 'pt-second')).trim(), '', 'no published port is reported');
  assert.equal(await httpGetWhenUp('127.0.0.1', p), 'pt-first-page\n', 'the first container still answers');

  await dk.ok('rm', '-f', 'pt-first');
  assert.equal(await poll(() => tcpFree(p, '127.0.0.1').then((ok) => ok || undefined), 5000, `127.0.0.1:${p} to be free`), true);
  assert.doesNotMatch(await nftTableText(table), new RegExp(`\\b${p}\\b`));
  // Now the second can start and gets both ports.
  await dk.ok('start', 'pt-second');
  assert.equal(await httpGetWhenUp('127.0.0.1', p), 'pt-second-page\n');
  const { veth } = await endpointOf('pt-second');
  assert.ok((await linkNames()).includes(veth), `${veth} exists while it runs`);
  await dk.ok('rm', '-f', 'pt-second');
  assert.ok(!(await linkNames()).includes(veth), `${veth} is gone with the container`);
  assert.equal(await tcpFree(q), true);
  assert.equal(await tcpFree(p, '127.0.0.1'), true);
});
