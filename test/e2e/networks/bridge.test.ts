// End to end: user-defined bridge networks and the default bridge through the real
// docker CLI against a private pierd: names and aliases resolved by the embedded DNS
// server, isolation between two networks, connect/disconnect of a running container,
// several networks per container, static addresses, network inspect, ps --filter
// network=, and the /etc/hosts and /etc/resolv.conf a container is given.
//
// Debian's busybox wget segfaults when a lookup fails and when given -T, so a
// failure is shown by its cause (nslookup's answer, `timeout` killing a wget that
// got no answer), never by a non-zero exit alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usePrivateDaemon, type PrivateDaemon } from '../../harness/pierd.js';
import { e2eSkip } from '../../harness/clients.js';
import { boundCli, docker } from '../cli/cli-helpers.js';
import { bridgeOf, linkNames, randomSubnet24 } from './net-helpers.js';

const skip = e2eSkip('network bridge e2e', { needsDocker: true });

let d: PrivateDaemon;
const dk = boundCli(docker, () => d);
usePrivateDaemon(skip, (x) => { d = x; });

/** busybox httpd serving /etc: GET /hostname answers the container's short ID. */
const HTTPD = ['busybox', 'httpd', '-f', '-p', '8080', '-h', '/etc'];

async function cleanup(containers: string[], networks: string[]): Promise<void> {
  if (containers.length) await dk.run(['rm', '-f', ...containers]);
  for (const n of networks) await dk.run(['network', 'rm', n]);
}

/** A throw-away busybox container on `network` running a shell script; returns its output. */
async function client(network: string, script: string, extra: string[] = []): Promise<{ code: number; out: string }> {
  const r = await dk.run(['run', '--rm', '--network', network, ...extra, 'busybox', 'sh', '-c', script]);
  return { code: r.code, out: r.stdout + r.stderr };
}

async function ipOn(container: string, network: string): Promise<string> {
  return dk.fmt(`{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container);
}

async function shortId(container: string): Promise<string> {
  return (await dk.fmt('{{.Id}}', container)).slice(0, 12);
}

/** The `Address:` lines nslookup printed for the answer (the server's own line left out). */
function answers(nslookupOut: string): string[] {
  const afterName = nslookupOut.split(/^Name:/m).slice(1).join('\n');
  return [...afterName.matchAll(/^Address:\s*([0-9.]+)\s*$/gm)].map((m) => m[1] ?? '');
}

/** `timeout 3 wget` to a URL, then its status: rc=143 means nothing answered and timeout killed it. */
const WGET_TIMEOUT = (url: string): string => `timeout 3 wget -qO- ${url}; echo "rc=$?"`;

test('containers on a user-defined network find each other by name and by --network-alias, and the request answers', { skip }, async (t) => {
  t.after(() => cleanup(['br-srv', 'br-late'], ['br-app']));
  await dk.ok('network', 'create', 'br-app');
  await dk.ok('run', '-d', '--name', 'br-srv', '--network', 'br-app', '--network-alias', 'web', '--network-alias', 'www', ...HTTPD);
  const ip = await ipOn('br-srv', 'br-app');
  const id12 = await shortId('br-srv');
  const r = await client('br-app', 'nslookup br-srv; nslookup web; wget -qO- http://br-srv:8080/hostname; wget -qO- http://www:8080/hostname');
  assert.equal(r.code, 0, r.out);
  const [byName, byAlias] = r.out.split(/^Server:/m).slice(1);
  assert.deepEqual(answers(byName ?? ''), [ip], `br-srv resolves to ${ip}:\n${r.out}`);
  assert.deepEqual(answers(byAlias ?? ''), [ip], `the alias web resolves to ${ip}:\n${r.out}`);
  assert.equal(r.out.split('\n').filter((l) => l === id12).length, 2, `both requests reach br-srv:\n${r.out}`);

  // An alias given by `network connect --alias` to a container started on another network.
  await dk.ok('run', '-d', '--name', 'br-late', 'busybox', 'sleep', '300');
  await dk.ok('network', 'connect', '--alias', 'latecomer', 'br-app', 'br-late');
  const lateIp = await ipOn('br-late', 'br-app');
  assert.match(lateIp, /^\d+\.\d+\.\d+\.\d+$/);
  const r2 = await client('br-app', 'nslookup latecomer; nslookup br-late');
  assert.equal(r2.code, 0, r2.out);
  const [byConnectAlias, byLateName] = r2.out.split(/^Server:/m).slice(1);
  assert.deepEqual(answers(byConnectAlias ?? ''), [lateIp], r2.out);
  assert.deepEqual(answers(byLateName ?? ''), [lateIp], r2.out);
});

test('two user-defined networks are isolated: the name does not resolve and the address does not answer', { skip }, async (t) => {
  t.after(() => cleanup(['iso-srv'], ['iso-a', 'iso-b']));
  await dk.ok('network', 'create', 'iso-a');
  await dk.ok('network', 'create', 'iso-b');
  await dk.ok('run', '-d', '--name', 'iso-srv', '--network', 'iso-a', ...HTTPD);
  const ip = await ipOn('iso-srv', 'iso-a');
  const id12 = await shortId('iso-srv');
  // Control: from its own network the server answers by address.
  const same = await client('iso-a', `wget -qO- http://${ip}:8080/hostname`);
  assert.equal(same.out.trim(), id12, same.out);
  const other = await client('iso-b', `nslookup iso-srv; ${WGET_TIMEOUT(`http://${ip}:8080/hostname`)}`);
  assert.doesNotMatch(other.out, new RegExp(`Address:\\s*${ip.replace(/\./g, '\\.')}`), other.out);
  assert.doesNotMatch(other.out, new RegExp(id12), 'no answer crossed the networks');
  assert.match(other.out, /rc=143/, `wget to ${ip} timed out (was killed by timeout):\n${other.out}`);
  assert.match(other.out, /can't find iso-srv/, `nslookup says the name is unknown on iso-b:\n${other.out}`);
});

test('network connect joins a running container to a network and disconnect takes it off again', { skip }, async (t) => {
  t.after(() => cleanup(['cd-srv', 'cd-c'], ['cd-a', 'cd-b']));
  await dk.ok('network', 'create', 'cd-a');
  await dk.ok('network', 'create', 'cd-b');
  await dk.ok('run', '-d', '--name', 'cd-srv', '--network', 'cd-a', ...HTTPD);
  await dk.ok('run', '-d', '--name', 'cd-c', '--network', 'cd-b', 'busybox', 'sleep', '300');
  const ip = await ipOn('cd-srv', 'cd-a');
  const id12 = await shortId('cd-srv');

  const before = await dk.run(['exec', 'cd-c', 'sh', '-c', WGET_TIMEOUT(`http://${ip}:8080/hostname`)]);
  assert.match(before.stdout + before.stderr, /rc=143/, 'not reachable before connect');

  await dk.ok('network', 'connect', 'cd-a', 'cd-c');
  const joinedIp = await ipOn('cd-c', 'cd-a');
  const ifs = await dk.ok('exec', 'cd-c', 'ip', '-4', '-o', 'addr');
  assert.match(ifs, new RegExp(`\\beth1\\s+inet ${joinedIp.replace(/\./g, '\\.')}/`), `a second interface with the new address:\n${ifs}`);
  assert.equal(await dk.ok('exec', 'cd-c', 'wget', '-qO-', 'http://cd-srv:8080/hostname'), `${id12}\n`, 'reachable by name after connect');
  assert.equal((await dk.fmt('{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', 'cd-c')), 'cd-a cd-b');

  await dk.ok('network', 'disconnect', 'cd-a', 'cd-c');
  const after = await dk.run(['exec', 'cd-c', 'sh', '-c', `ip -4 -o addr; nslookup cd-srv; ${WGET_TIMEOUT(`http://${ip}:8080/hostname`)}`]);
  const out = after.stdout + after.stderr;
  assert.doesNotMatch(out, /\beth1\b/, `the interface is gone:\n${out}`);
  assert.match(out, /rc=143/, `not reachable after disconnect:\n${out}`);
  assert.equal(await dk.fmt('{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', 'cd-c'), 'cd-b');
  const inspectA = JSON.parse(await dk.ok('network', 'inspect', '-f', '{{json .Containers}}', 'cd-a')) as Record<string, { Name: string }>;
  assert.deepEqual(Object.values(inspectA).map((c) => c.Name), ['cd-srv']);
  assert.match(out, /can't find cd-srv/, `nslookup says the name is gone:\n${out}`);
});

test('a container on two networks has an interface and an address on each, and reaches both', { skip }, async (t) => {
  t.after(() => cleanup(['mn-a', 'mn-b', 'mn-both'], ['mn-net1', 'mn-net2']));
  await dk.ok('network', 'create', 'mn-net1');
  await dk.ok('network', 'create', 'mn-net2');
  await dk.ok('run', '-d', '--name', 'mn-a', '--network', 'mn-net1', ...HTTPD);
  await dk.ok('run', '-d', '--name', 'mn-b', '--network', 'mn-net2', ...HTTPD);
  await dk.ok('run', '-d', '--name', 'mn-both', '--network', 'mn-net1', '--network', 'mn-net2', 'busybox', 'sleep', '300');
  const nets = JSON.parse(await dk.fmt('{{json .NetworkSettings.Networks}}', 'mn-both')) as Record<string, { IPAddress: string; NetworkID: string; Gateway: string }>;
  assert.deepEqual(Object.keys(nets).sort(), ['mn-net1', 'mn-net2']);
  const sub1 = await dk.ok('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', 'mn-net1');
  const sub2 = await dk.ok('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', 'mn-net2');
  assert.notEqual(sub1.trim(), sub2.trim());
  const addrs = await dk.ok('exec', 'mn-both', 'ip', '-4', '-o', 'addr');
  for (const n of ['mn-net1', 'mn-net2']) {
    const ip = nets[n]?.IPAddress ?? '';
    assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/, `${n} gave an address`);
    assert.match(addrs, new RegExp(`\\beth[01]\\s+inet ${ip.replace(/\./g, '\\.')}/`), `${ip} is on an interface:\n${addrs}`);
  }
  assert.equal(addrs.split('\n').filter((l) => /\beth\d+\s+inet /.test(l)).length, 2, addrs);
  const routes = await dk.ok('exec', 'mn-both', 'ip', 'route');
  assert.equal(routes.split('\n').filter((l) => l.startsWith('default ')).length, 1, `one default route:\n${routes}`);
  const idA = await shortId('mn-a');
  const idB = await shortId('mn-b');
  assert.equal(await dk.ok('exec', 'mn-both', 'wget', '-qO-', 'http://mn-a:8080/hostname'), `${idA}\n`);
  assert.equal(await dk.ok('exec', 'mn-both', 'wget', '-qO-', 'http://mn-b:8080/hostname'), `${idB}\n`);
  for (const n of ['mn-net1', 'mn-net2']) {
    const members = JSON.parse(await dk.ok('network', 'inspect', '-f', '{{json .Containers}}', n)) as Record<string, { Name: string }>;
    assert.ok(Object.values(members).some((m) => m.Name === 'mn-both'), `${n} lists mn-both`);
  }
});

test('--ip gives the container that address, network inspect lists it in Containers, ps --filter network= finds it', { skip }, async (t) => {
  t.after(() => cleanup(['ip-fixed', 'ip-auto', 'ip-elsewhere'], ['ip-net', 'ip-other']));
  const { prefix, subnet } = await randomSubnet24();
  const netId = (await dk.ok('network', 'create', '--subnet', subnet, '--gateway', `${prefix}.1`, 'ip-net')).trim();
  await dk.ok('network', 'create', 'ip-other');
  const fixedId = (await dk.ok('run', '-d', '--name', 'ip-fixed', '--network', 'ip-net', '--ip', `${prefix}.77`, 'busybox', 'sleep', '300')).trim();
  const autoId = (await dk.ok('run', '-d', '--name', 'ip-auto', '--network', 'ip-net', 'busybox', 'sleep', '300')).trim();
  await dk.ok('run', '-d', '--name', 'ip-elsewhere', '--network', 'ip-other', 'busybox', 'sleep', '300');

  assert.equal(await ipOn('ip-fixed', 'ip-net'), `${prefix}.77`);
  assert.match(await dk.ok('exec', 'ip-fixed', 'ip', '-4', '-o', 'addr', 'show', 'eth0'), new RegExp(`inet ${prefix.replace(/\./g, '\\.')}\\.77/24 `));
  assert.equal(await dk.fmt('{{(index .NetworkSettings.Networks "ip-net").IPAMConfig.IPv4Address}}', 'ip-fixed'), `${prefix}.77`);
  const autoIp = await ipOn('ip-auto', 'ip-net');
  assert.match(autoIp, new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.\\d+$`), 'the automatic address comes from the subnet');
  assert.notEqual(autoIp, `${prefix}.77`);
  assert.notEqual(autoIp, `${prefix}.1`, 'never the gateway');
  const look = await client('ip-net', 'nslookup ip-fixed');
  assert.deepEqual(answers(look.out), [`${prefix}.77`], look.out);

  const net = JSON.parse(await dk.ok('network', 'inspect', 'ip-net')) as [{ Id: string; IPAM: { Config: { Subnet: string; Gateway: string }[] }; Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string }> }];
  assert.equal(net[0].Id, netId);
  assert.deepEqual(net[0].IPAM.Config, [{ Subnet: subnet, Gateway: `${prefix}.1` }]);
  const members = net[0].Containers;
  assert.deepEqual(Object.keys(members).sort(), [fixedId, autoId].sort());
  assert.equal(members[fixedId]?.Name, 'ip-fixed');
  assert.equal(members[fixedId]?.IPv4Address, `${prefix}.77/24`);
  assert.equal(members[autoId]?.IPv4Address, `${autoIp}/24`);
  assert.equal(members[fixedId]?.EndpointID, await dk.fmt('{{(index .NetworkSettings.Networks "ip-net").EndpointID}}', 'ip-fixed'));
  assert.equal(members[fixedId]?.MacAddress, await dk.fmt('{{(index .NetworkSettings.Networks "ip-net").MacAddress}}', 'ip-fixed'));
  assert.ok((await linkNames()).includes(bridgeOf(netId)), `bridge ${bridgeOf(netId)} exists`);

  const byName = (await dk.ok('ps', '--filter', 'network=ip-net', '--format', '{{.Names}}')).trim().split('\n').sort();
  assert.deepEqual(byName, ['ip-auto', 'ip-fixed']);
  const byId = (await dk.ok('ps', '--filter', `network=${netId}`, '--format', '{{.Names}}')).trim().split('\n').sort();
  assert.deepEqual(byId, ['ip-auto', 'ip-fixed']);
  assert.equal((await dk.ok('ps', '--filter', 'network=ip-other', '--format', '{{.Names}}')).trim(), 'ip-elsewhere');
  assert.equal((await dk.ok('ps', '--format', '{{.Networks}}', '--filter', 'name=ip-fixed')).trim(), 'ip-net');

  await dk.ok('rm', '-f', 'ip-auto');
  const left = JSON.parse(await dk.ok('network', 'inspect', '-f', '{{json .Containers}}', 'ip-net')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(left), [fixedId], 'a removed container leaves the Containers map');
});

test('the default bridge: 172.x addresses, no names between containers, host-gateway is its gateway', { skip }, async (t) => {
  t.after(() => cleanup(['db-first', 'db-second'], []));
  const gw = (await dk.ok('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'bridge')).trim();
  const subnet = (await dk.ok('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', 'bridge')).trim();
  assert.match(subnet, /^172\.(1[6-9]|2\d|3[01])\.0\.0\/16$/, 'docker\'s first default pool');
  await dk.ok('run', '-d', '--name', 'db-first', 'busybox', 'sleep', '300');
  const ip = (await dk.fmt('{{.NetworkSettings.IPAddress}}', 'db-first'));
  assert.match(ip, /^172\.(1[6-9]|2\d|3[01])\.\d+\.\d+$/);
  assert.equal(await dk.fmt('{{.NetworkSettings.Gateway}}', 'db-first'), gw);
  assert.equal(await ipOn('db-first', 'bridge'), ip);
  // No DNS by name on the default bridge (docker's rule): nothing answers on its gateway,
  // /etc/hosts holds no other container, resolv.conf does not name the gateway. The lookup
  // goes to the gateway only, so nothing leaves the host.
  await dk.ok('run', '-d', '--name', 'db-second', '--add-host', 'hostgw:host-gateway', '--add-host', 'fixed.example:10.1.2.3', 'busybox', 'sleep', '300');
  const r = await dk.run(['exec', 'db-second', 'sh', '-c', `cat /etc/hosts; echo =====; cat /etc/resolv.conf; echo =====; timeout 5 nslookup db-first ${gw}; echo "rc=$?"; ping -c1 -W2 ${ip}`]);
  const [hosts = '', resolv = '', rest = ''] = (r.stdout + r.stderr).split('=====\n');
  assert.doesNotMatch(hosts, /db-first/, hosts);
  assert.match(hosts, new RegExp(`^${gw.replace(/\./g, '\\.')}\\s+hostgw$`, 'm'), `host-gateway is the default bridge gateway:\n${hosts}`);
  assert.match(hosts, /^10\.1\.2\.3\s+fixed\.example$/m, hosts);
  assert.doesNotMatch(resolv, new RegExp(`nameserver ${gw.replace(/\./g, '\\.')}\\b`), resolv);
  assert.doesNotMatch(rest, new RegExp(`Name:\\s*db-first[\\s\\S]*Address:\\s*${ip.replace(/\./g, '\\.')}`), `db-first must not resolve:\n${rest}`);
  assert.match(rest, /no servers could be reached|can't find db-first|rc=143|connection refused/i, rest);
  assert.match(rest, /1 packets received/, `containers on the default bridge reach each other by address:\n${rest}`);
});

test('resolv.conf on a user-defined network names docker\'s 127.0.0.11, with --dns-search and --dns-option as docker writes them', { skip }, async (t) => {
  t.after(() => cleanup([], ['rc-net']));
  await dk.ok('network', 'create', 'rc-net');
  const r = await client('rc-net', 'cat /etc/resolv.conf', ['--dns-search', 'a.example', '--dns-search', 'b.example', '--dns-option', 'timeout:2', '--dns-option', 'attempts:3']);
  assert.equal(r.code, 0, r.out);
  const lines = r.out.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.deepEqual(lines.filter((l) => l.startsWith('nameserver')), ['nameserver 127.0.0.11']);
  assert.deepEqual(lines.filter((l) => l.startsWith('search')), ['search a.example b.example']);
  assert.deepEqual(lines.filter((l) => l.startsWith('options')), ['options timeout:2 attempts:3 ndots:0']);
  const plain = await client('rc-net', 'cat /etc/resolv.conf');
  const plainLines = plain.out.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.deepEqual(plainLines.filter((l) => l.startsWith('nameserver')), ['nameserver 127.0.0.11']);
  assert.ok(plainLines.includes('options ndots:0'), plain.out);
});

test('--dns on a user-defined network is an upstream of the embedded DNS, not a nameserver line (docker\'s rule)', { skip }, async (t) => {
  t.after(() => cleanup([], ['rcd-net']));
  await dk.ok('network', 'create', 'rcd-net');
  const r = await client('rcd-net', 'cat /etc/resolv.conf', ['--dns', '10.9.8.7']);
  assert.equal(r.code, 0, r.out);
  const ns = r.out.split('\n').filter((l) => l.startsWith('nameserver'));
  // docker: `nameserver 127.0.0.11` only, 10.9.8.7 listed as "# ExtServers: [10.9.8.7]". A second
  // nameserver line lets a resolver that asks all servers at once (musl) take an external
  // NXDOMAIN for a container name.
  assert.deepEqual(ns, ['nameserver 127.0.0.11'], r.out);
});

test('resolv.conf on the default bridge carries --dns, --dns-search and --dns-option as given', { skip }, async () => {
  const r = await dk.run(['run', '--rm', '--dns', '10.9.8.7', '--dns', '10.9.8.6', '--dns-search', 'x.example', '--dns-option', 'ndots:2', 'busybox', 'cat', '/etc/resolv.conf']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l && !l.startsWith('#')).sort();
  assert.deepEqual(lines, ['nameserver 10.9.8.6', 'nameserver 10.9.8.7', 'options ndots:2', 'search x.example'].sort());
  assert.ok(r.stdout.indexOf('10.9.8.7') < r.stdout.indexOf('10.9.8.6'), 'servers keep their order');
});

test('a container started on the default bridge resolves names of a user-defined network once connected to it', { skip }, async (t) => {
  t.after(() => cleanup(['dc-srv', 'dc-joiner'], ['dc-net']));
  await dk.ok('network', 'create', 'dc-net');
  await dk.ok('run', '-d', '--name', 'dc-srv', '--network', 'dc-net', ...HTTPD);
  // --dns 127.0.0.1: should the lookup not go to the embedded DNS, it fails inside the
  // container instead of asking the host's resolvers.
  await dk.ok('run', '-d', '--name', 'dc-joiner', '--dns', '127.0.0.1', 'busybox', 'sleep', '300');
  await dk.ok('network', 'connect', 'dc-net', 'dc-joiner');
  const ip = await ipOn('dc-srv', 'dc-net');
  const id12 = await shortId('dc-srv');
  // By address it answers at once; by name it needs the embedded DNS, which docker
  // gives a container when it joins its first user-defined network.
  assert.equal(await dk.ok('exec', 'dc-joiner', 'wget', '-qO-', `http://${ip}:8080/hostname`), `${id12}\n`);
  const r = await dk.run(['exec', 'dc-joiner', 'sh', '-c', 'cat /etc/resolv.conf; timeout 5 nslookup dc-srv; echo "rc=$?"']);
  const out = r.stdout + r.stderr;
  assert.deepEqual(answers(out), [ip], `dc-srv resolves from the connected container:\n${out}`);
});
