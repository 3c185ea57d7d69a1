// End to end: `pier network create|ls|inspect|rm|prune|connect|disconnect` against a
// private pierd, held to what docker 28's CLI prints against the same daemon: tables,
// inspect JSON, the per-network errors of rm, prune's prompt and report, and the
// endpoint a connect adds to a running container. `pier system prune` prunes networks too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usePrivateDaemon, pierBin, type PrivateDaemon, type RunResult } from '../../harness/pierd.js';
import { e2eSkip, rawRequest } from '../../harness/clients.js';
import { boundCli, assertSameResult, assertSameTable, docker, removeContainers } from './cli-helpers.js';

const skip = e2eSkip('pier network e2e', { needsDocker: true });

let d: PrivateDaemon;
const pier = boundCli(pierBin, () => d);
const dk = boundCli(docker, () => d);

usePrivateDaemon(skip, (x) => { d = x; });

/** Runs the same arguments through pier and docker at once. */
function both(args: readonly string[], opts: { input?: string } = {}): Promise<[RunResult, RunResult]> {
  return Promise.all([pier.run(args, opts), dk.run(args, opts)]);
}

/** Cleanup through the API: removes networks, ignoring ones already gone. */
async function removeNetworks(...names: string[]): Promise<void> {
  for (const n of names) await rawRequest(d, { method: 'DELETE', path: `/networks/${encodeURIComponent(n)}` });
}

/** The names `network ls` shows, in its order. */
async function networkNames(): Promise<string[]> {
  return (await pier.ok('network', 'ls', '--format', '{{.Name}}')).split('\n').filter(Boolean);
}

test('pier network create prints the new ID and ls lists it as docker network ls does', { skip }, async (t) => {
  t.after(() => removeNetworks('nc-b10', 'nc-b9', 'nc-a'));
  const id = (await pier.ok('network', 'create', 'nc-b10')).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  await pier.ok('network', 'create', '--label', 'tier=front', 'nc-b9');
  await pier.ok('network', 'create', '-d', 'bridge', 'nc-a');

  const names = await networkNames();
  for (const builtin of ['bridge', 'host', 'none']) assert.ok(names.includes(builtin), `the predefined ${builtin} network is listed`);
  // sortorder.NaturalLess: nc-a, nc-b9, nc-b10
  const ours = names.filter((n) => n.startsWith('nc-'));
  assert.deepEqual(ours, ['nc-a', 'nc-b9', 'nc-b10']);

  const [[p, k], [q, kq], [nt, knt], [fl, kfl], [js, kjs], [tp, ktp], [al, kal]] = await Promise.all([
    both(['network', 'ls']),
    both(['network', 'ls', '-q']),
    both(['network', 'ls', '--no-trunc']),
    both(['network', 'ls', '--filter', 'name=nc-b']),
    both(['network', 'ls', '--format', 'json', '--filter', 'label=tier']),
    both(['network', 'ls', '--format', 'table {{.Name}}\t{{.Driver}}\t{{.Label "tier"}}\t{{.Internal}}\t{{.IPv6}}']),
    both(['network', 'list', '-q', '--filter', 'driver=bridge']),
  ]);
  assertSameTable(p.stdout, k.stdout, [], 'network ls');
  assert.deepEqual(p.stdout.split('\n')[0]?.split(/ {3,}/), ['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE']);
  assert.match(p.stdout, new RegExp(`\\n${id.slice(0, 12)} +nc-b10 +bridge +local\\n`));
  assertSameResult(q, kq, 'network ls -q');
  assert.ok(q.stdout.split('\n').includes(id.slice(0, 12)));
  assertSameTable(nt.stdout, knt.stdout, [], 'network ls --no-trunc');
  assert.ok(nt.stdout.includes(id));
  assertSameTable(fl.stdout, kfl.stdout, [], 'network ls --filter name=');
  assert.deepEqual(parseNames(fl.stdout), ['nc-b9', 'nc-b10']);
  assertSameResult(js, kjs, 'network ls --format json');
  const row = JSON.parse(js.stdout) as Record<string, string>;
  assert.deepEqual(Object.keys(row), ['CreatedAt', 'Driver', 'ID', 'IPv4', 'IPv6', 'Internal', 'Labels', 'Name', 'Scope']);
  assert.deepEqual([row['Name'], row['Labels'], row['Driver'], row['Scope']], ['nc-b9', 'tier=front', 'bridge', 'local']);
  assertSameResult(tp, ktp, 'network ls --format table with Label');
  assertSameResult(al, kal, 'network list -q --filter driver=bridge');
});

/** The NAME column of a network ls table. */
function parseNames(table: string): string[] {
  return table.split('\n').slice(1).filter(Boolean).map((l) => l.split(/ {3,}/)[1] ?? '');
}

test('pier network create passes IPAM, options, labels and flags through; inspect shows them as docker does', { skip }, async (t) => {
  t.after(() => removeNetworks('ni-ipam'));
  await pier.ok('network', 'create', '--subnet', '10.231.0.0/16', '--gateway', '10.231.0.254', '--ip-range', '10.231.5.0/24',
    '--aux-address', 'router=10.231.0.2', '--label', 'com.example=x', '--internal', '--attachable',
    '-o', 'com.docker.network.driver.mtu=1400', 'ni-ipam');
  assert.equal(await pier.ok('network', 'inspect', '-f',
    '{{.Name}} {{.Driver}} {{.Scope}} {{.Internal}} {{.Attachable}} {{.EnableIPv4}} {{.IPAM.Driver}}|{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}} {{.AuxiliaryAddresses}}{{end}}|{{.Labels}}|{{index .Options "com.docker.network.driver.mtu"}}',
    'ni-ipam'), 'ni-ipam bridge local true true true default|10.231.0.0/16 10.231.0.254 10.231.5.0/24 map[router:10.231.0.2]|map[com.example:x]|1400\n');

  const [[full, kfull], [two, ktwo], [js, kjs], [v, kv]] = await Promise.all([
    both(['network', 'inspect', 'ni-ipam']),
    both(['network', 'inspect', '-f', '{{.Name}} {{.Id}}', 'ni-ipam', 'bridge']),
    both(['network', 'inspect', '--format', 'json', 'ni-ipam', 'host']),
    both(['network', 'inspect', '-v', 'none']),
  ]);
  assertSameResult(full, kfull, 'network inspect');
  const parsed = JSON.parse(full.stdout) as Array<Record<string, unknown>>;
  assert.equal(parsed.length, 1);
  assert.equal(parsed[0]?.['Name'], 'ni-ipam');
  assert.match(full.stdout, /^\[\n {4}\{\n {8}"Name": "ni-ipam",\n/);
  assertSameResult(two, ktwo, 'network inspect -f, two networks');
  assert.equal(two.stdout.split('\n').filter(Boolean).length, 2);
  assertSameResult(js, kjs, 'network inspect --format json');
  assert.equal(js.stdout.split('\n').length, 2, 'one compact JSON array on one line');
  assertSameResult(v, kv, 'network inspect -v');
});

test('pier network create --ipv6 with an IPv6 subnet makes a dual-stack network', { skip, todo: 'pierd has no IPv6 networks yet (README: what does not work)' }, async (t) => {
  t.after(() => removeNetworks('ni-v6'));
  await pier.ok('network', 'create', '--ipv6', '--subnet', 'fd42:231::/64', 'ni-v6');
  // docker 28 also gives it an IPv4 subnet from the default pools (IPv4 stays on)
  const shown = await pier.ok('network', 'inspect', '-f', '{{.EnableIPv6}} {{.EnableIPv4}} {{range .IPAM.Config}}{{.Subnet}} {{end}}', 'ni-v6');
  assert.match(shown, /^true true (\S+ )*fd42:231::\/64 \n$/);
  const [p, k] = await both(['network', 'inspect', 'ni-v6']);
  assertSameResult(p, k, 'network inspect of an IPv6 network');
});

test('pier network create and inspect fail as docker does', { skip }, async (t) => {
  t.after(() => removeNetworks('ne-dup'));
  await pier.ok('network', 'create', 'ne-dup');
  const cases: string[][] = [
    ['network', 'create', 'ne-dup'],
    ['network', 'create', '--gateway', '10.9.0.1', 'ne-x'],
    ['network', 'create', '--subnet', '10.9.0.0/24', '--gateway', '1.2.3.4', 'ne-x'],
    ['network', 'create', '--subnet', '10.9.0.0/24', '--subnet', '10.9.0.0/16', 'ne-x'],
    ['network', 'create', '--subnet', '10.9.0.0/24', '--ip-range', 'bad', 'ne-x'],
    ['network', 'create', '--label', 'a b=c', 'ne-x'],
    ['network', 'create', '--subnet', 'a"b', 'ne-x'],
    ['network', 'create'],
    ['network', 'inspect', 'ne-nosuch'],
    ['network', 'inspect', 'ne-dup', 'ne-nosuch'],
    ['network', 'inspect', '-f', '{{.Name}}', 'ne-nosuch'],
    ['network', 'inspect', '-f', '{{.Name', 'ne-dup'],
    ['network', 'ls', '--filter', 'bogus=1'],
  ];
  const results = await Promise.all(cases.map((args) => both(args)));
  results.forEach(([p, k], i) => assertSameResult(p, k, (cases[i] ?? []).join(' ')));
  assert.deepEqual(results[0]?.[0], { code: 1, stdout: '', stderr: 'Error response from daemon: network with name ne-dup already exists\n' });
  assert.deepEqual(results[2]?.[0], { code: 1, stdout: '', stderr: 'no matching subnet for gateway 1.2.3.4\n' });
  assert.equal(results[5]?.[0].code, 125);
  assert.deepEqual(results[8]?.[0], { code: 1, stdout: '[]\n', stderr: 'Error response from daemon: network ne-nosuch not found\n' });
  assert.deepEqual(results[10]?.[0], { code: 1, stdout: '\n', stderr: 'Error response from daemon: network ne-nosuch not found\n' });
  assert.ok((await networkNames()).every((n) => n !== 'ne-x'), 'no failed create left a network');
});

test('pier network rm prints each name, reports each failure, and -f ignores missing ones', { skip }, async (t) => {
  t.after(() => removeNetworks('nr-a', 'nr-b', 'nr-c', 'nr-d', 'nr-e'));
  for (const n of ['nr-a', 'nr-b', 'nr-c', 'nr-d', 'nr-e']) await pier.ok('network', 'create', n);
  assert.deepEqual(await pier.run(['network', 'rm', 'nr-a', 'nr-nosuch', 'nr-b']), {
    code: 1, stdout: 'nr-a\nnr-b\n', stderr: 'Error response from daemon: network nr-nosuch not found\nexit status 1\n',
  });
  assert.deepEqual(await pier.run(['network', 'rm', '-f', 'nr-nosuch', 'nr-c']), { code: 0, stdout: 'nr-c\n', stderr: '' });
  assert.deepEqual(await pier.run(['network', 'remove', 'nr-d']), { code: 0, stdout: 'nr-d\n', stderr: '' });
  const remaining = await networkNames();
  assert.ok(!remaining.some((n) => ['nr-a', 'nr-b', 'nr-c', 'nr-d'].includes(n)));
  assert.ok(remaining.includes('nr-e'));
  // what docker prints for the errors, against the same daemon
  const cases: string[][] = [['network', 'rm', 'nr-nosuch'], ['network', 'rm', 'bridge'], ['network', 'rm', '-f', 'nr-nosuch'], ['network', 'rm']];
  const results = await Promise.all(cases.map((args) => both(args)));
  results.forEach(([p, k], i) => assertSameResult(p, k, (cases[i] ?? []).join(' ')));
  assert.equal(results[1]?.[0].code, 1);
  assert.match(results[1]?.[0].stderr ?? '', /^Error response from daemon: .*bridge.*\nexit status 1\n$/);
});

test('pier network prune asks first, then removes only unused custom networks', { skip }, async (t) => {
  t.after(async () => {
    await removeContainers(d, 'np-ctr');
    await removeNetworks('np-a', 'np-b', 'np-used');
  });
  await pier.ok('network', 'create', '--label', 'pier-e2e=prune', 'np-a');
  await pier.ok('network', 'create', 'np-b');
  await pier.ok('network', 'create', '--label', 'pier-e2e=prune', 'np-used');
  await pier.ok('run', '-d', '--name', 'np-ctr', '--network', 'np-used', 'busybox', 'sleep', '300');

  const prompt = 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ';
  const [no, kno] = await both(['network', 'prune'], { input: 'n\n' });
  assertSameResult(no, kno, 'network prune answered n');
  assert.deepEqual(no, { code: 0, stdout: prompt, stderr: '' });
  const [yes, kyes] = await both(['network', 'prune', '--filter', 'label=pier-e2e=nothing'], { input: 'yes\n' });
  assertSameResult(yes, kyes, 'network prune answered yes (only y confirms)');
  assert.ok((await networkNames()).includes('np-a'));

  assert.deepEqual(await pier.run(['network', 'prune', '-f', '--filter', 'label=pier-e2e=prune']), { code: 0, stdout: 'Deleted Networks:\nnp-a\n\n', stderr: '' });
  const afterFilter = await networkNames();
  assert.ok(!afterFilter.includes('np-a') && afterFilter.includes('np-b') && afterFilter.includes('np-used'), afterFilter.join(','));

  const all = await pier.run(['network', 'prune'], { input: 'y\n' });
  assert.equal(all.code, 0, all.stderr);
  assert.ok(all.stdout.startsWith(`${prompt}Deleted Networks:\n`), all.stdout);
  assert.ok(all.stdout.split('\n').includes('np-b'));
  assert.ok(!all.stdout.split('\n').includes('np-used'), 'a network with a container stays');
  const left = await networkNames();
  for (const n of ['bridge', 'host', 'none', 'np-used']) assert.ok(left.includes(n), `${n} survives prune`);
  assert.ok(!left.includes('np-b'));
  // nothing left to prune: docker prints nothing at all
  const [empty, kempty] = await both(['network', 'prune', '-f', '--filter', 'label=pier-e2e=prune']);
  assertSameResult(empty, kempty, 'network prune with nothing to remove');
  assert.deepEqual(empty, { code: 0, stdout: '', stderr: '' });
});

test('pier network connect gives a running container an endpoint with the asked IP and alias; disconnect takes it away', { skip }, async (t) => {
  t.after(async () => {
    await removeContainers(d, 'nx-ctr');
    await removeNetworks('nx-net');
  });
  await pier.ok('network', 'create', '--subnet', '10.232.0.0/24', 'nx-net');
  await pier.ok('run', '-d', '--name', 'nx-ctr', 'busybox', 'sleep', '300');

  assert.deepEqual(await pier.run(['network', 'connect', '--alias', 'web,www', '--ip', '10.232.0.10', 'nx-net', 'nx-ctr']), { code: 0, stdout: '', stderr: '' });
  const ep = JSON.parse(await pier.fmt('{{json (index .NetworkSettings.Networks "nx-net")}}', 'nx-ctr')) as { IPAddress: string; Aliases: string[] | null; IPAMConfig: { IPv4Address?: string } | null };
  assert.equal(ep.IPAddress, '10.232.0.10');
  assert.equal(ep.IPAMConfig?.IPv4Address, '10.232.0.10');
  assert.ok(ep.Aliases?.includes('web') && ep.Aliases.includes('www'), JSON.stringify(ep.Aliases));
  assert.equal(await pier.ok('network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}', 'nx-net'), 'nx-ctr 10.232.0.10/24\n');
  const addrs = await pier.ok('exec', 'nx-ctr', 'ip', '-o', '-4', 'addr');
  assert.match(addrs, /inet 10\.232\.0\.10\/24/, 'the container has the address');

  // errors a user sees while connected, as docker prints them
  const cases: string[][] = [
    ['network', 'connect', 'nx-net', 'nx-ctr'],
    ['network', 'connect', 'nx-nosuch', 'nx-ctr'],
    ['network', 'connect', 'nx-net', 'nx-nosuch'],
    ['network', 'connect', '--link', 'a:b:c', 'nx-net', 'nx-ctr'],
    ['network', 'connect', '--driver-opt', 'novalue', 'nx-net', 'nx-ctr'],
    ['network', 'rm', 'nx-net'],
    ['network', 'connect', 'nx-net'],
  ];
  const results = await Promise.all(cases.map((args) => both(args)));
  results.forEach(([p, k], i) => assertSameResult(p, k, (cases[i] ?? []).join(' ')));
  assert.equal(results[5]?.[0].code, 1, 'a network in use is not removed');

  assert.deepEqual(await pier.run(['network', 'disconnect', 'nx-net', 'nx-ctr']), { code: 0, stdout: '', stderr: '' });
  assert.equal(await pier.fmt('{{if index .NetworkSettings.Networks "nx-net"}}still{{else}}gone{{end}}', 'nx-ctr'), 'gone');
  assert.equal(await pier.ok('network', 'inspect', '-f', '{{len .Containers}}', 'nx-net'), '0\n');
  const [again, kagain] = await both(['network', 'disconnect', 'nx-net', 'nx-ctr']);
  assertSameResult(again, kagain, 'disconnect a container that is not connected');
  assert.equal(again.code, 1);

  // -f disconnects too; then the network can go
  await pier.ok('network', 'connect', 'nx-net', 'nx-ctr');
  assert.deepEqual(await pier.run(['network', 'disconnect', '-f', 'nx-net', 'nx-ctr']), { code: 0, stdout: '', stderr: '' });
  assert.deepEqual(await pier.run(['network', 'rm', 'nx-net']), { code: 0, stdout: 'nx-net\n', stderr: '' });
});

test('pier system prune warns about networks and removes the unused ones', { skip }, async (t) => {
  t.after(() => removeNetworks('ns-unused'));
  await pier.ok('network', 'create', 'ns-unused');
  const warning = 'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n\n' +
    'Are you sure you want to continue? [y/N] ';
  assert.deepEqual(await pier.run(['system', 'prune'], { input: 'n\n' }), { code: 0, stdout: warning, stderr: '' });
  assert.ok((await networkNames()).includes('ns-unused'));
  const r = await pier.run(['system', 'prune', '-f']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes('Deleted Networks:\nns-unused\n\n'), r.stdout);
  assert.match(r.stdout, /Total reclaimed space: .*\n$/);
  assert.ok(!(await networkNames()).includes('ns-unused'));
});
