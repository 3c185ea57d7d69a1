// End to end: the life of networks around their errors and the daemon's: bad input
// refused with docker's message and nothing half-made (no network record, bridge,
// veth or nft element), network prune, a daemon restart with containers running
// (address, DNS and published port kept; the address not handed out again), a kill -9
// of the daemon followed by removal of everything (no link, veth or nft element left),
// and --internal networks that reach nothing outside while normal ones are masqueraded
// to a namespace made here.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { usePrivateDaemon, poll, type PrivateDaemon } from '../../harness/pierd.js';
import { e2eSkip, rawRequest, jsonBody } from '../../harness/clients.js';
import { boundCli, docker } from '../cli/cli-helpers.js';
import {
  bridgeOf, defaultBridgeOf, hostAddress, httpGetWhenUp, linkNames, makeOutsideTarget, nftTableOf, nftTableText,
  randomPorts, randomSubnet24, tcpFree, vethOf,
} from './net-helpers.js';

const skip = e2eSkip('network lifecycle e2e', { needsDocker: true });

let d: PrivateDaemon;
const dk = boundCli(docker, () => d);
usePrivateDaemon(skip, (x) => { d = x; });

let hostIp = '';
before(async () => { if (!skip) hostIp = await hostAddress(); });

const HTTPD = ['busybox', 'httpd', '-f', '-p', '8080', '-h', '/etc'];
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

async function cleanup(containers: string[], networks: string[]): Promise<void> {
  if (containers.length) await dk.run(['rm', '-f', ...containers]);
  for (const n of networks) await dk.run(['network', 'rm', n]);
}

/** What the host and the daemon hold of networks: names, pier links, the nft table. */
async function snapshot(): Promise<{ networks: string[]; links: string[]; nft: string }> {
  const networks = (await dk.ok('network', 'ls', '--format', '{{.Name}}')).trim().split('\n').sort();
  const links = (await linkNames()).filter((l) => l.startsWith('pier')).sort();
  return { networks, links, nft: await nftTableText(nftTableOf(d)) };
}

/** Collects mismatches so one run reports every wrong message at once. */
class Problems {
  readonly list: string[] = [];
  expect(what: string, r: { code: number; stdout: string; stderr: string }, code: number, message: RegExp): void {
    if (r.code !== code) this.list.push(`${what}: exit ${r.code}, want ${code} (${r.stderr.trim()})`);
    if (!message.test(r.stderr)) this.list.push(`${what}: stderr ${JSON.stringify(r.stderr.trim())} does not match ${String(message)}`);
  }
  check(): void { assert.deepEqual(this.list, [], this.list.join('\n')); }
}

test('network create refuses bad input with docker\'s errors and makes nothing', { skip }, async (t) => {
  t.after(() => cleanup([], ['lc-base', 'lc-overlap', 'lc-bad', 'lc-api', 'lc-foo']));
  const { prefix, subnet } = await randomSubnet24();
  const base = (await dk.ok('network', 'create', '--subnet', subnet, 'lc-base')).trim();
  const before = await snapshot();
  const p = new Problems();
  const [a, b] = prefix.split('.');
  const other = `${a}.${b}.${(Number(prefix.split('.')[2]) + 1) % 256}`;

  p.expect('overlapping subnet', await dk.run(['network', 'create', '--subnet', `${prefix}.0/25`, 'lc-overlap']), 1,
    /Error response from daemon: invalid pool request: Pool overlaps with other one on this address space/);
  p.expect('overlapping bigger subnet', await dk.run(['network', 'create', '--subnet', `${a}.${b}.0.0/16`, 'lc-overlap']), 1,
    /Pool overlaps with other one on this address space/);
  // docker 28's daemon (api/types/network ValidateIPAM): "invalid network config:\ninvalid subnet …: invalid CIDR block notation"
  p.expect('prefix length 33', await dk.run(['network', 'create', '--subnet', `${other}.0/33`, 'lc-bad']), 1,
    new RegExp(`invalid subnet ${esc(other)}\\.0/33: invalid CIDR block notation`));
  p.expect('not an address', await dk.run(['network', 'create', '--subnet', 'not-a-subnet', 'lc-bad']), 1,
    /invalid subnet not-a-subnet: invalid CIDR block notation/);
  p.expect('host bits set', await dk.run(['network', 'create', '--subnet', `${other}.5/24`, 'lc-bad']), 1,
    new RegExp(`invalid subnet ${esc(other)}\\.5/24: it should be ${esc(other)}\\.0/24`));
  // The docker CLI checks a gateway against the subnets itself…
  p.expect('gateway outside (CLI)', await dk.run(['network', 'create', '--subnet', `${other}.0/24`, '--gateway', `${prefix}.1`, 'lc-bad']), 1,
    new RegExp(`no matching subnet for gateway ${esc(prefix)}\\.1`));
  // …other clients (compose, docker-py) meet the daemon's check.
  const api = await rawRequest(d, { method: 'POST', path: '/networks/create', body: JSON.stringify({ Name: 'lc-api', IPAM: { Config: [{ Subnet: `${other}.0/24`, Gateway: `${prefix}.1` }] } }) });
  const apiMsg = String((jsonBody(api) as { message?: unknown }).message);
  if (api.status !== 400) p.list.push(`gateway outside (API): status ${api.status}, want 400 (${apiMsg})`);
  if (!new RegExp(`invalid gateway ${esc(prefix)}\\.1: parent subnet ${esc(other)}\\.0/24 doesn't contain this address`).test(apiMsg)) {
    p.list.push(`gateway outside (API): message ${JSON.stringify(apiMsg)} is not docker's "invalid gateway ${prefix}.1: parent subnet ${other}.0/24 doesn't contain this address"`);
  }
  p.expect('unknown driver', await dk.run(['network', 'create', '-d', 'foo', 'lc-foo']), 1, /Error response from daemon: plugin "foo" not found/);
  p.expect('duplicate name', await dk.run(['network', 'create', 'lc-base']), 1, /Error response from daemon: network with name lc-base already exists/);

  assert.deepEqual(await snapshot(), before, 'no network, link or nft element was made by the failed requests');
  assert.equal((await dk.ok('network', 'ls', '-q', '--filter', 'name=lc-base', '--no-trunc')).trim(), base, 'the first lc-base is untouched');
  p.check();
});

test('--ip outside the subnet or already in use is refused, and the failed container holds nothing', { skip }, async (t) => {
  t.after(() => cleanup(['lc-holder', 'lc-dup', 'lc-out', 'lc-def'], ['lc-ipnet']));
  const { prefix, subnet } = await randomSubnet24();
  await dk.ok('network', 'create', '--subnet', subnet, 'lc-ipnet');
  await dk.ok('run', '-d', '--name', 'lc-holder', '--network', 'lc-ipnet', '--ip', `${prefix}.10`, ...HTTPD);
  const holderId = (await dk.fmt('{{.Id}}', 'lc-holder')).slice(0, 12);
  const before = await snapshot();
  const p = new Problems();

  const outside = `${prefix.split('.').slice(0, 2).join('.')}.${(Number(prefix.split('.')[2]) + 1) % 256}.9`;
  const out = await dk.run(['run', '--name', 'lc-out', '--network', 'lc-ipnet', '--ip', outside, 'busybox', 'true']);
  p.expect('--ip outside the subnet', out, 125, new RegExp(`no configured subnet or ip-range contain the IP address ${esc(outside)}`));
  const dup = await dk.run(['run', '-d', '--name', 'lc-dup', '--network', 'lc-ipnet', '--ip', `${prefix}.10`, ...HTTPD]);
  p.expect('--ip in use', dup, 125, /Address already in use/);
  const def = await dk.run(['run', '--name', 'lc-def', '--ip', '172.17.0.250', 'busybox', 'true']);
  p.expect('--ip on the default bridge', def, 125, /user specified IP address is supported on user defined networks only/);

  assert.deepEqual(await snapshot(), before, 'no veth or nft element was left by the failed runs');
  assert.equal(await dk.fmt('{{(index .NetworkSettings.Networks "lc-ipnet").IPAddress}}', 'lc-holder'), `${prefix}.10`);
  const ask = await dk.run(['run', '--rm', '--network', 'lc-ipnet', 'busybox', 'wget', '-qO-', `http://${prefix}.10:8080/hostname`]);
  assert.equal(ask.stdout, `${holderId}\n`, 'the holder keeps its address and answers on it');
  const dupState = await dk.run(['inspect', '-f', '{{.State.Status}}', 'lc-dup']);
  if (dupState.code === 0) {
    // docker creates the container and fails its start: once the address is free it starts with it.
    assert.equal(dupState.stdout.trim(), 'created');
    await dk.ok('rm', '-f', 'lc-holder');
    await dk.ok('start', 'lc-dup');
    assert.equal(await dk.fmt('{{(index .NetworkSettings.Networks "lc-ipnet").IPAddress}}', 'lc-dup'), `${prefix}.10`);
  }
  p.check();
});

test('network rm with a running container, connect to an unknown network: docker\'s errors, nothing changed', { skip }, async (t) => {
  t.after(() => cleanup(['lc-busy-c', 'lc-nonet'], ['lc-busy']));
  const id = (await dk.ok('network', 'create', 'lc-busy')).trim();
  await dk.ok('run', '-d', '--name', 'lc-busy-c', '--network', 'lc-busy', 'busybox', 'sleep', '300');
  const cid = (await dk.fmt('{{.Id}}', 'lc-busy-c')).slice(0, 12);
  const before = await snapshot();
  const p = new Problems();
  p.expect('rm with an endpoint', await dk.run(['network', 'rm', 'lc-busy']), 1,
    new RegExp(`Error response from daemon: error while removing network: network lc-busy has active endpoints \\(name:"lc-busy-c" id:"${cid}"\\)`));
  p.expect('connect to an unknown network', await dk.run(['network', 'connect', 'nosuchnet', 'lc-busy-c']), 1, /Error response from daemon: network nosuchnet not found/);
  // docker accepts the create (the network may appear before the start) and fails the start. A 404 at
  // create would make `docker run` take the network for a missing image and try to pull it, so this
  // goes through the API instead of `docker run`, which would reach out to a registry.
  const created = await rawRequest(d, { method: 'POST', path: '/containers/create?name=lc-nonet', body: JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'nosuchnet' } }) });
  if (created.status !== 201) {
    p.list.push(`create on an unknown network: status ${created.status} (${created.body.trim()}), want 201 as docker (a 404 here makes docker run pull the image)`);
  } else {
    p.expect('start on an unknown network', await dk.run(['start', 'lc-nonet']), 1, /Error response from daemon: network nosuchnet not found/);
  }
  p.expect('rm the default bridge', await dk.run(['network', 'rm', 'bridge']), 1, /bridge is a pre-defined network and cannot be removed/);
  assert.deepEqual(await snapshot(), before);
  assert.ok(before.links.includes(bridgeOf(id)));

  await dk.ok('rm', '-f', 'lc-busy-c');
  await dk.ok('network', 'rm', 'lc-busy');
  const after = await snapshot();
  assert.ok(!after.links.includes(bridgeOf(id)), 'the bridge goes with the network');
  assert.doesNotMatch(after.nft, new RegExp(bridgeOf(id)), 'so do its nft elements');
  p.check();
});

test('network prune removes only unused custom networks', { skip }, async (t) => {
  t.after(() => cleanup(['lc-prune-c'], ['lc-prune-free', 'lc-prune-temp', 'lc-prune-used']));
  const free = (await dk.ok('network', 'create', 'lc-prune-free')).trim();
  const temp = (await dk.ok('network', 'create', '--label', 'lifetime=temp', 'lc-prune-temp')).trim();
  const used = (await dk.ok('network', 'create', 'lc-prune-used')).trim();
  await dk.ok('run', '-d', '--name', 'lc-prune-c', '--network', 'lc-prune-used', 'busybox', 'sleep', '300');

  const byLabel = await dk.ok('network', 'prune', '-f', '--filter', 'label=lifetime=temp');
  assert.equal(byLabel, 'Deleted Networks:\nlc-prune-temp\n\n');
  const all = await dk.ok('network', 'prune', '-f');
  assert.equal(all, 'Deleted Networks:\nlc-prune-free\n\n');
  const names = (await dk.ok('network', 'ls', '--format', '{{.Name}}')).trim().split('\n').sort();
  assert.deepEqual(names, ['bridge', 'host', 'lc-prune-used', 'none']);
  const links = await linkNames();
  assert.ok(!links.includes(bridgeOf(free)) && !links.includes(bridgeOf(temp)), 'pruned bridges are gone');
  assert.ok(links.includes(bridgeOf(used)), 'the used bridge stays');
  assert.equal(await dk.ok('network', 'prune', '-f'), '', 'nothing more to prune');
});

test('after a daemon restart a running container keeps its address, its name and its published port, and the address is not given again', { skip, timeout: 90_000 }, async (t) => {
  t.after(() => cleanup(['lc-r-srv', 'lc-r-next', 'lc-r-gone'], ['lc-r']));
  const p = await randomPorts();
  await dk.ok('network', 'create', 'lc-r');
  // A container before lc-r-srv that goes: the address after it must not be reused either.
  await dk.ok('run', '-d', '--name', 'lc-r-gone', '--network', 'lc-r', 'busybox', 'sleep', '300');
  await dk.ok('run', '-d', '--name', 'lc-r-srv', '--network', 'lc-r', '-p', `${p}:8080`, ...HTTPD);
  await dk.ok('rm', '-f', 'lc-r-gone');
  const ip = await dk.fmt('{{(index .NetworkSettings.Networks "lc-r").IPAddress}}', 'lc-r-srv');
  const id12 = (await dk.fmt('{{.Id}}', 'lc-r-srv')).slice(0, 12);
  assert.equal(await httpGetWhenUp('127.0.0.1', p, '/hostname'), `${id12}\n`);

  const exited = new Promise((r) => d.proc.once('exit', r));
  d.proc.kill('SIGTERM');
  await exited;
  await d.restart();

  assert.equal(await dk.fmt('{{.State.Status}}', 'lc-r-srv'), 'running');
  assert.equal(await dk.fmt('{{(index .NetworkSettings.Networks "lc-r").IPAddress}}', 'lc-r-srv'), ip);
  assert.match(await dk.ok('exec', 'lc-r-srv', 'ip', '-4', '-o', 'addr', 'show', 'eth0'), new RegExp(`inet ${esc(ip)}/`));
  const r = await dk.run(['run', '--rm', '--network', 'lc-r', 'busybox', 'sh', '-c', 'nslookup lc-r-srv; wget -qO- http://lc-r-srv:8080/hostname']);
  assert.match(r.stdout, new RegExp(`Name:\\s*lc-r-srv\\s+Address:\\s*${esc(ip)}\\b`), `DNS still answers for it:\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, new RegExp(`^${id12}$`, 'm'));
  assert.equal(await httpGetWhenUp('127.0.0.1', p, '/hostname'), `${id12}\n`, 'the published port answers on loopback');
  assert.equal(await httpGetWhenUp(hostIp, p, '/hostname'), `${id12}\n`, `the published port answers on ${hostIp}`);
  assert.equal((await dk.ok('port', 'lc-r-srv', '8080')).trim(), `0.0.0.0:${p}`);
  await dk.ok('run', '-d', '--name', 'lc-r-next', '--network', 'lc-r', 'busybox', 'sleep', '300');
  const next = await dk.fmt('{{(index .NetworkSettings.Networks "lc-r").IPAddress}}', 'lc-r-next');
  assert.match(next, /^\d+\.\d+\.\d+\.\d+$/);
  assert.notEqual(next, ip, 'the running container\'s address is not handed out again');
});

test('after kill -9 of pierd and a restart, removing everything leaves no link, veth or nft element behind', { skip, timeout: 90_000 }, async (t) => {
  t.after(() => cleanup(['lc-k-a', 'lc-k-b', 'lc-k-c'], ['lc-k']));
  const [p, q] = [await randomPorts(), await randomPorts()];
  const netId = (await dk.ok('network', 'create', 'lc-k')).trim();
  await dk.ok('run', '-d', '--name', 'lc-k-a', '--network', 'lc-k', '-p', `${p}:8080`, ...HTTPD);
  await dk.ok('run', '-d', '--name', 'lc-k-b', '-p', `${q}:8080`, ...HTTPD);
  await dk.ok('run', '-d', '--name', 'lc-k-c', '--network', 'lc-k', 'busybox', 'sleep', '300');
  const ids: Record<string, string> = {};
  const veths: Record<string, string> = {};
  const ips: string[] = [];
  for (const [c, n] of [['lc-k-a', 'lc-k'], ['lc-k-b', 'bridge'], ['lc-k-c', 'lc-k']] as const) {
    ids[c] = (await dk.fmt('{{.Id}}', c)).slice(0, 12);
    veths[c] = vethOf(await dk.fmt(`{{(index .NetworkSettings.Networks "${n}").EndpointID}}`, c));
    ips.push(await dk.fmt(`{{(index .NetworkSettings.Networks "${n}").IPAddress}}`, c));
  }
  const links = await linkNames();
  for (const v of Object.values(veths)) assert.ok(links.includes(v), `${v} exists while its container runs`);
  assert.equal(await httpGetWhenUp('127.0.0.1', p, '/hostname'), `${ids['lc-k-a']}\n`);
  assert.equal(await httpGetWhenUp('127.0.0.1', q, '/hostname'), `${ids['lc-k-b']}\n`);
  const pidC = Number(await dk.fmt('{{.State.Pid}}', 'lc-k-c'));

  await d.crash();
  process.kill(pidC, 'SIGKILL'); // lc-k-c dies while no daemon watches
  await d.restart();

  assert.equal(await dk.fmt('{{.State.Status}}', 'lc-k-c'), 'exited');
  assert.ok(!(await linkNames()).includes(veths['lc-k-c'] ?? ''), 'the veth of a container that died meanwhile is gone');
  assert.equal(await httpGetWhenUp('127.0.0.1', p, '/hostname'), `${ids['lc-k-a']}\n`, 'lc-k-a answers after the restart');
  assert.equal(await httpGetWhenUp(hostIp, q, '/hostname'), `${ids['lc-k-b']}\n`, 'lc-k-b answers after the restart');

  await dk.ok('rm', '-f', 'lc-k-a', 'lc-k-b', 'lc-k-c');
  await dk.ok('network', 'rm', 'lc-k');
  const bridges = [bridgeOf(netId), defaultBridgeOf(d)];
  const left = await poll(async () => {
    const now = await linkNames();
    const stale = [...Object.values(veths), ...bridges].filter((l) => now.includes(l));
    return stale.length === 0 ? [] : undefined;
  }, 5000, 'the links to go').catch(async () => {
    const now = await linkNames();
    return [...Object.values(veths), ...bridges].filter((l) => now.includes(l));
  });
  assert.deepEqual(left, [], `no link of these containers is left (${(await linkNames()).filter((l) => l.startsWith('pier')).join(' ')})`);
  const nft = await nftTableText(nftTableOf(d));
  for (const needle of [...ips, ...bridges, ` ${p} `, ` ${q} `]) {
    assert.ok(!nft.includes(needle), `the nft table holds nothing of ${needle.trim()}:\n${nft}`);
  }
  assert.equal(await tcpFree(p), true);
  assert.equal(await tcpFree(q), true);
});

test('--internal: a container reaches nothing outside, while one on a normal network reaches the same target (masquerade)', { skip, timeout: 60_000 }, async (t) => {
  const target = await makeOutsideTarget();
  t.after(async () => {
    await cleanup(['lc-int-srv'], ['lc-int', 'lc-ext']);
    await target.remove();
  });
  await dk.ok('network', 'create', '--internal', 'lc-int');
  await dk.ok('network', 'create', 'lc-ext');
  assert.equal((await dk.ok('network', 'inspect', '-f', '{{.Internal}}', 'lc-int')).trim(), 'true');
  const url = `http://${target.ip}:${target.port}/`;

  const ext = await dk.run(['run', '--rm', '--network', 'lc-ext', 'busybox', 'wget', '-qO-', url]);
  assert.equal(ext.stdout, target.body, `a normal network reaches ${target.ip}:\n${ext.stderr}`);

  const int = await dk.run(['run', '--rm', '--network', 'lc-int', 'busybox', 'sh', '-c', `ip route; timeout 5 wget -qO- ${url}; echo "rc=$?"`]);
  const intOut = int.stdout + int.stderr;
  assert.doesNotMatch(intOut, /^default /m, `no default route on an internal network:\n${intOut}`);
  assert.match(intOut, /Network is unreachable/, intOut);
  assert.ok(!intOut.includes(target.body.trim()), intOut);

  // Even with a route put in by hand, the host forwards nothing out of an internal network.
  const gw = (await dk.ok('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'lc-int')).trim();
  const forced = await dk.run(['run', '--rm', '--cap-add', 'NET_ADMIN', '--network', 'lc-int', 'busybox', 'sh', '-c', `ip route add default via ${gw} && timeout 3 wget -qO- ${url}; echo "rc=$?"`]);
  const forcedOut = forced.stdout + forced.stderr;
  assert.ok(!forcedOut.includes(target.body.trim()), forcedOut);
  assert.match(forcedOut, /rc=143/, `the request got no answer and was killed by timeout:\n${forcedOut}`);

  // Inside the internal network containers still talk to each other.
  await dk.ok('run', '-d', '--name', 'lc-int-srv', '--network', 'lc-int', ...HTTPD);
  const id12 = (await dk.fmt('{{.Id}}', 'lc-int-srv')).slice(0, 12);
  const inside = await dk.run(['run', '--rm', '--network', 'lc-int', 'busybox', 'wget', '-qO-', 'http://lc-int-srv:8080/hostname']);
  assert.equal(inside.stdout, `${id12}\n`, inside.stderr);
});
