// End to end: `pier volume create|ls|inspect|rm|prune` against a private pierd, held to
// what docker 28's CLI prints against the same daemon: tables, inspect JSON, rm's joined
// errors, prune's prompts and report; and the volumes part of `pier system df` (-v) and
// `pier system prune --volumes`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usePrivateDaemon, pierBin, type PrivateDaemon, type RunResult } from '../../harness/pierd.js';
import { e2eSkip, rawRequest } from '../../harness/clients.js';
import { boundCli, assertSameResult, assertSameTable, docker, removeContainers } from './cli-helpers.js';

const skip = e2eSkip('pier volume e2e', { needsDocker: true });

let d: PrivateDaemon;
const pier = boundCli(pierBin, () => d);
const dk = boundCli(docker, () => d);

usePrivateDaemon(skip, (x) => { d = x; });

/** Runs the same arguments through pier and docker at once. */
function both(args: readonly string[], opts: { input?: string } = {}): Promise<[RunResult, RunResult]> {
  return Promise.all([pier.run(args, opts), dk.run(args, opts)]);
}

/** Runs each case through both CLIs and asserts they agree; returns pier's results. */
async function sameResults(cases: readonly string[][]): Promise<RunResult[]> {
  const results = await Promise.all(cases.map((args) => both(args)));
  results.forEach(([p, k], i) => assertSameResult(p, k, (cases[i] ?? []).join(' ')));
  return results.map(([p]) => p);
}

/** Cleanup through the API: removes volumes, ignoring ones already gone. */
async function removeVolumes(...names: string[]): Promise<void> {
  for (const n of names) await rawRequest(d, { method: 'DELETE', path: `/volumes/${encodeURIComponent(n)}?force=1` });
}

/** The names `volume ls` shows, in its order. */
async function volumeNames(): Promise<string[]> {
  return (await pier.ok('volume', 'ls', '-q')).split('\n').filter(Boolean);
}

/**
 * An anonymous volume as docker makes one: a container's `--mount type=volume`
 * without a source, the container then removed without -v. Returns its name.
 */
async function anonymousVolume(ctr: string, bytes = 0): Promise<string> {
  const cmd = bytes > 0 ? `head -c ${bytes} /dev/zero > /data/f` : 'true';
  await pier.ok('run', '--name', ctr, '--mount', 'type=volume,target=/data', 'busybox', 'sh', '-c', cmd);
  const name = (await pier.fmt('{{range .Mounts}}{{.Name}}{{end}}', ctr));
  assert.match(name, /^[0-9a-f]{64}$/);
  await pier.ok('rm', ctr);
  return name;
}

test('pier volume create prints the name and ls lists volumes as docker volume ls does', { skip }, async (t) => {
  t.after(() => removeVolumes('vc-b10', 'vc-b9', 'vc-a', 'vc-opt'));
  assert.equal(await pier.ok('volume', 'create', 'vc-b10'), 'vc-b10\n');
  assert.equal(await pier.ok('volume', 'create', '--label', 'tier=front', '--name', 'vc-b9'), 'vc-b9\n');
  assert.equal(await pier.ok('volume', 'create', '-d', 'local', '--label', 'com.example.role=db', 'vc-a'), 'vc-a\n');
  assert.equal(await pier.ok('volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '--opt', 'o=size=1m', 'vc-opt'), 'vc-opt\n');
  // creating an existing volume again is no error, from either CLI (the options go sorted, as Go marshals a map)
  assert.equal(await pier.ok('volume', 'create', 'vc-b10'), 'vc-b10\n');
  assert.equal(await dk.ok('volume', 'create', '-o', 'device=tmpfs', '-o', 'o=size=1m', '-o', 'type=tmpfs', 'vc-opt'), 'vc-opt\n');
  assert.deepEqual((await volumeNames()).filter((n) => n.startsWith('vc-')), ['vc-a', 'vc-b9', 'vc-b10', 'vc-opt']);

  const [[p, k], [q, kq], [fl, kfl], [js, kjs], [tp, ktp], [raw, kraw], [al, kal], [dg, kdg], [cl, kcl]] = await Promise.all([
    both(['volume', 'ls']),
    both(['volume', 'ls', '-q']),
    both(['volume', 'ls', '--filter', 'name=vc-b']),
    both(['volume', 'ls', '--format', 'json', '--filter', 'label=tier']),
    both(['volume', 'ls', '--format', 'table {{.Name}}\t{{.Label "com.example.role"}}\t{{.Labels}}\t{{.Scope}}\t{{.Links}}\t{{.Size}}\t{{.Mountpoint}}']),
    both(['volume', 'ls', '--format', 'raw', '-f', 'driver=local']),
    both(['volume', 'list', '-q', '--filter', 'label=com.example.role=db']),
    both(['volume', 'ls', '-f', 'dangling=true', '-f', 'name=vc-']),
    both(['volume', 'ls', '--cluster']),
  ]);
  assertSameTable(p.stdout, k.stdout, [], 'volume ls');
  assert.deepEqual(p.stdout.split('\n')[0]?.split(/ {3,}/), ['DRIVER', 'VOLUME NAME']);
  assert.match(p.stdout, /\nlocal {5}vc-b10\n/);
  assertSameResult(q, kq, 'volume ls -q');
  assertSameTable(fl.stdout, kfl.stdout, [], 'volume ls --filter name=');
  assert.equal(fl.stdout, 'DRIVER    VOLUME NAME\nlocal     vc-b9\nlocal     vc-b10\n');
  assertSameResult(js, kjs, 'volume ls --format json');
  const row = JSON.parse(js.stdout) as Record<string, string>;
  assert.deepEqual(Object.keys(row), ['Availability', 'Driver', 'Group', 'Labels', 'Links', 'Mountpoint', 'Name', 'Scope', 'Size', 'Status']);
  assert.deepEqual([row['Name'], row['Labels'], row['Links'], row['Size']], ['vc-b9', 'tier=front', 'N/A', 'N/A']);
  assertSameResult(tp, ktp, 'volume ls --format table with Label');
  assert.match(tp.stdout, /^VOLUME NAME +role +LABELS +SCOPE +LINKS +SIZE +MOUNTPOINT\n/);
  assertSameResult(raw, kraw, 'volume ls --format raw');
  assertSameResult(al, kal, 'volume list -q --filter label=k=v');
  assert.equal(al.stdout, 'vc-a\n');
  assertSameResult(dg, kdg, 'volume ls -f dangling=true');
  assertSameResult(cl, kcl, 'volume ls --cluster');
  assert.equal(cl.stdout, 'VOLUME NAME   GROUP     DRIVER    AVAILABILITY   STATUS\n');
});

test('pier volume create without a name makes a volume with a generated 64-hex name', { skip }, async (t) => {
  const name = (await pier.ok('volume', 'create')).trim();
  t.after(() => removeVolumes(name));
  assert.match(name, /^[0-9a-f]{64}$/);
  assert.ok((await volumeNames()).includes(name));
});

test('pier volume create without a name makes an anonymous volume, which volume prune removes', { skip }, async (t) => {
  const name = (await pier.ok('volume', 'create')).trim();
  t.after(() => removeVolumes(name));
  assert.equal(await pier.ok('volume', 'inspect', '-f', '{{json .Labels}}', name), '{"com.docker.volume.anonymous":""}\n');
  assert.equal(await pier.ok('volume', 'prune', '-f'), `Deleted Volumes:\n${name}\n\nTotal reclaimed space: 0B\n`);
});

test('pier run -v /path mounts a new anonymous volume there', { skip }, async (t) => {
  t.after(() => removeContainers(d, 'va-ctr'));
  await pier.ok('create', '--name', 'va-ctr', '-v', '/data', 'busybox', 'true');
  const name = await pier.fmt('{{range .Mounts}}{{.Name}}{{end}}', 'va-ctr');
  t.after(() => removeVolumes(name));
  assert.match(name, /^[0-9a-f]{64}$/);
});

test('pier volume prune -a and system df leave out volumes with driver options, as docker\'s do', { skip }, async (t) => {
  t.after(() => removeVolumes('vo-tmpfs'));
  await pier.ok('volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', 'vo-tmpfs');
  assert.ok(!(await pier.ok('system', 'df', '-v')).includes('vo-tmpfs'));
  await pier.ok('volume', 'prune', '-a', '-f');
  assert.ok((await volumeNames()).includes('vo-tmpfs'));
});

test('pier volume create, ls and inspect fail as docker does', { skip }, async () => {
  const results = await sameResults([
    ['volume', 'create', '--label', 'a b=c', 've-x'],
    ['volume', 'create', '--name', 've-a', 've-b'],
    ['volume', 'create', '-d', 'nosuchdriver', 've-x'],
    ['volume', 'create', 'bad/name'],
    ['volume', 'create', '-o', 'bogus=1', 've-x'],
    ['volume', 'ls', '--filter', 'bogus=1'],
    ['volume', 'ls', '--filter', 'dangling=maybe'],
    ['volume', 'ls', 'extra'],
    ['volume', 'inspect'],
    ['volume', 'rm'],
    ['volume', 'prune', 'extra'],
    ['volume', 'nosuch'],
  ]);
  assert.equal(results[0]?.code, 125);
  assert.deepEqual(results[1], { code: 1, stdout: '', stderr: 'conflicting options: cannot specify a volume-name through both --name and as a positional arg\n' });
  assert.deepEqual(results[2], { code: 1, stdout: '', stderr: 'Error response from daemon: create ve-x: error looking up volume plugin nosuchdriver: plugin "nosuchdriver" not found\n' });
  assert.ok(!(await volumeNames()).some((n) => n.startsWith('ve-')), 'no failed create left a volume');
});

test('pier volume inspect prints docker\'s JSON array, templates and errors', { skip }, async (t) => {
  t.after(() => removeVolumes('vi-a', 'vi-opt'));
  await pier.ok('volume', 'create', '--label', 'b=2', '--label', 'a=<1>', 'vi-a');
  await pier.ok('volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', 'vi-opt');
  const [[full, kfull], [two, ktwo], [js, kjs], [tpl, ktpl], [nil, knil], [miss, kmiss], [some, ksome], [tmiss, ktmiss], [bad, kbad]] = await Promise.all([
    both(['volume', 'inspect', 'vi-a']),
    both(['volume', 'inspect', 'vi-a', 'vi-opt']),
    both(['volume', 'inspect', '--format', 'json', 'vi-a', 'vi-opt']),
    both(['volume', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Scope}} {{.Labels}} {{index .Labels "b"}} {{.Options}} {{json .Options}}', 'vi-a', 'vi-opt']),
    both(['volume', 'inspect', '-f', '{{.UsageData}} {{.Status}} {{if .Options}}opts{{else}}none{{end}} {{json .}}', 'vi-a']),
    both(['volume', 'inspect', 'vi-nosuch']),
    both(['volume', 'inspect', 'vi-a', 'vi-nosuch', 'vi-opt']),
    both(['volume', 'inspect', '-f', '{{.Name}}', 'vi-nosuch']),
    both(['volume', 'inspect', '-f', '{{.Name', 'vi-a']),
  ]);
  assertSameResult(full, kfull, 'volume inspect');
  assert.match(full.stdout, /^\[\n {4}\{\n {8}"CreatedAt": "[^"]+",\n {8}"Driver": "local",\n {8}"Labels": \{\n {12}"a": "\\u003c1\\u003e",\n {12}"b": "2"\n {8}\},\n/);
  const parsed = JSON.parse(full.stdout) as Array<Record<string, unknown>>;
  assert.equal(parsed[0]?.['Name'], 'vi-a');
  assertSameResult(two, ktwo, 'volume inspect, two volumes');
  assertSameResult(js, kjs, 'volume inspect --format json');
  assert.equal(js.stdout.split('\n').length, 2, 'one compact JSON array on one line');
  assertSameResult(tpl, ktpl, 'volume inspect -f');
  assert.equal(tpl.stdout, 'vi-a local local map[a:<1> b:2] 2 map[] null\nvi-opt local local map[]  map[device:tmpfs type:tmpfs] {"device":"tmpfs","type":"tmpfs"}\n');
  assertSameResult(nil, knil, 'volume inspect -f with nil fields and json .');
  assertSameResult(miss, kmiss, 'volume inspect of a missing volume');
  assert.deepEqual(miss, { code: 1, stdout: '[]\n', stderr: 'Error response from daemon: get vi-nosuch: no such volume\n' });
  assertSameResult(some, ksome, 'volume inspect with one missing among found ones');
  assertSameResult(tmiss, ktmiss, 'volume inspect -f of a missing volume');
  assert.deepEqual(tmiss, { code: 1, stdout: '\n', stderr: 'Error response from daemon: get vi-nosuch: no such volume\n' });
  assertSameResult(bad, kbad, 'volume inspect with a bad template');
  assert.equal(bad.code, 64);
});

test('pier volume rm prints each name removed, then every failure, and -f ignores missing ones', { skip }, async (t) => {
  t.after(async () => {
    await removeContainers(d, 'vr-ctr');
    await removeVolumes('vr-a', 'vr-b', 'vr-c', 'vr-d', 'vr-used');
  });
  for (const n of ['vr-a', 'vr-b', 'vr-c', 'vr-d', 'vr-used']) await pier.ok('volume', 'create', n);
  const ctrId = (await pier.ok('create', '--name', 'vr-ctr', '-v', 'vr-used:/data', 'busybox', 'true')).trim();
  // docker joins the errors and prints them after the names (errors.Join), without "exit status 1"
  assert.deepEqual(await pier.run(['volume', 'rm', 'vr-a', 'vr-nosuch', 'vr-used', 'vr-b']), {
    code: 1, stdout: 'vr-a\nvr-b\n',
    stderr: `Error response from daemon: get vr-nosuch: no such volume\nError response from daemon: remove vr-used: volume is in use - [${ctrId}]\n`,
  });
  assert.deepEqual(await pier.run(['volume', 'rm', '-f', 'vr-nosuch', 'vr-c']), { code: 0, stdout: 'vr-nosuch\nvr-c\n', stderr: '' });
  assert.deepEqual(await pier.run(['volume', 'remove', 'vr-d']), { code: 0, stdout: 'vr-d\n', stderr: '' });
  const left = await volumeNames();
  assert.ok(!left.some((n) => ['vr-a', 'vr-b', 'vr-c', 'vr-d'].includes(n)), left.join(','));
  assert.ok(left.includes('vr-used'), 'a volume a container names stays');
  const results = await sameResults([['volume', 'rm', 'vr-nosuch'], ['volume', 'rm', 'vr-used'], ['volume', 'rm', '-f', 'vr-nosuch2'], ['volume', 'rm', ' ']]);
  assert.equal(results[1]?.code, 1);
});

test('pier volume prune asks first, then removes unused anonymous volumes, or with -a every unused one', { skip }, async (t) => {
  t.after(async () => {
    await removeContainers(d, 'vp-ctr', 'vp-anon1', 'vp-anon2');
    await removeVolumes('vp-named', 'vp-label', 'vp-used');
  });
  const anon = await anonymousVolume('vp-anon1', 2000);
  await pier.ok('volume', 'create', 'vp-named');
  await pier.ok('volume', 'create', '--label', 'pier-e2e=prune', 'vp-label');
  await pier.ok('volume', 'create', 'vp-used');
  await pier.ok('create', '--name', 'vp-ctr', '-v', 'vp-used:/data', 'busybox', 'true');
  t.after(() => removeVolumes(anon));

  const warning = 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ';
  const warningAll = 'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ';
  const [[no, kno], [noAll, knoAll], [conflict, kconflict], [badFilter, kbadFilter]] = await Promise.all([
    both(['volume', 'prune'], { input: 'n\n' }),
    both(['volume', 'prune', '-a'], { input: 'yes\n' }),
    both(['volume', 'prune', '-a', '--filter', 'all=1']),
    both(['volume', 'prune', '-f', '--filter', 'until=1h']),
  ]);
  assertSameResult(no, kno, 'volume prune answered n');
  assert.deepEqual(no, { code: 0, stdout: warning, stderr: '' });
  assertSameResult(noAll, knoAll, 'volume prune -a answered yes (only y confirms)');
  assert.deepEqual(noAll, { code: 0, stdout: warningAll, stderr: '' });
  assertSameResult(conflict, kconflict, 'volume prune -a --filter all=1');
  assert.deepEqual(conflict, { code: 1, stdout: '', stderr: 'conflicting options: cannot specify both --all and --filter all=1\n' });
  assertSameResult(badFilter, kbadFilter, 'volume prune --filter until');
  assert.ok((await volumeNames()).includes(anon), 'nothing went while the answer was no');

  // without -a: the anonymous volume only, and its bytes as docker's units
  assert.deepEqual(await pier.run(['volume', 'prune'], { input: 'y\n' }), { code: 0, stdout: `${warning}Deleted Volumes:\n${anon}\n\nTotal reclaimed space: 2kB\n`, stderr: '' });
  let left = await volumeNames();
  assert.ok(!left.includes(anon) && ['vp-named', 'vp-label', 'vp-used'].every((n) => left.includes(n)), left.join(','));
  // nothing left to prune: docker still prints the total
  const [empty, kempty] = await both(['volume', 'prune', '-f']);
  assertSameResult(empty, kempty, 'volume prune with nothing to remove');
  assert.deepEqual(empty, { code: 0, stdout: 'Total reclaimed space: 0B\n', stderr: '' });

  assert.deepEqual(await pier.run(['volume', 'prune', '-a', '-f', '--filter', 'label=pier-e2e=prune']), { code: 0, stdout: 'Deleted Volumes:\nvp-label\n\nTotal reclaimed space: 0B\n', stderr: '' });
  const all = await pier.run(['volume', 'prune', '--all', '--force', '--filter', 'label!=pier-e2e']);
  assert.equal(all.code, 0, all.stderr);
  assert.ok(all.stdout.startsWith('Deleted Volumes:\n') && all.stdout.split('\n').includes('vp-named'), all.stdout);
  left = await volumeNames();
  assert.ok(!left.includes('vp-named') && !left.includes('vp-label'), left.join(','));
  assert.ok(left.includes('vp-used'), 'a volume a container names survives prune -a');
});

test('pier system df shows the Local Volumes row, and -v their links and sizes, as docker does', { skip }, async (t) => {
  t.after(async () => {
    await removeContainers(d, 'vd-ctr');
    await removeVolumes('vd-used', 'vd-free');
  });
  await pier.ok('volume', 'create', 'vd-used');
  await pier.ok('volume', 'create', 'vd-free');
  await pier.ok('run', '--name', 'vd-ctr', '-v', 'vd-used:/data', 'busybox', 'sh', '-c', 'head -c 3000 /dev/zero > /data/f');
  const [[df, kdf], [js, kjs], [raw, kraw], [v, kv], [vt, kvt]] = await Promise.all([
    both(['system', 'df']),
    both(['system', 'df', '--format', 'json']),
    both(['system', 'df', '--format', 'raw']),
    both(['system', 'df', '-v']),
    both(['system', 'df', '-v', '--format', '{{range .Volumes}}{{.Name}} {{.Links}} {{.Size}};{{end}}']),
  ]);
  assertSameResult(df, kdf, 'system df');
  const volumesRow = df.stdout.split('\n').find((l) => l.startsWith('Local Volumes'));
  assert.ok(volumesRow !== undefined, df.stdout);
  const count = (await volumeNames()).length;
  assert.match(volumesRow, new RegExp(`^Local Volumes +${count} +1 +\\S+ +\\S+`));
  assertSameResult(js, kjs, 'system df --format json');
  assertSameResult(raw, kraw, 'system df --format raw');
  const section = (text: string): string => text.slice(text.indexOf('Local Volumes space usage:'), text.indexOf('Build cache usage:'));
  assert.equal(section(v.stdout), section(kv.stdout), 'system df -v: the volumes section');
  assert.match(section(v.stdout), /\nvd-used +1 +3kB\n/);
  assert.match(section(v.stdout), /\nvd-free +0 +0B\n/);
  const titles = (text: string): string[] => text.split('\n').filter((l) => /space usage:$|^Build cache usage:/.test(l));
  assert.deepEqual(titles(v.stdout), titles(kv.stdout));
  assert.deepEqual(titles(v.stdout), ['Images space usage:', 'Containers space usage:', 'Local Volumes space usage:', 'Build cache usage: 0B']);
  // the columns of the other sections (their widths follow time-dependent cells such as CREATED)
  const head = (text: string, title: string): string[] => (text.split(`${title}\n\n`)[1]?.split('\n')[0] ?? '').split(/ {2,}/);
  for (const title of ['Images space usage:', 'Containers space usage:']) assert.deepEqual(head(v.stdout, title), head(kv.stdout, title), `${title} header`);
  assert.equal(v.stdout.slice(v.stdout.indexOf('Build cache usage:')), kv.stdout.slice(kv.stdout.indexOf('Build cache usage:')));
  assertSameResult(vt, kvt, 'system df -v with a template over .Volumes');
  assert.ok(vt.stdout.includes('vd-used 1 3kB;'), vt.stdout);
});

test('pier system prune --volumes warns about anonymous volumes and removes the unused ones', { skip }, async (t) => {
  t.after(async () => {
    await removeContainers(d, 'vs-anon');
    await removeVolumes('vs-named');
  });
  const anon = await anonymousVolume('vs-anon');
  t.after(() => removeVolumes(anon));
  await pier.ok('volume', 'create', 'vs-named');
  const [[no, kno], [until, kuntil]] = await Promise.all([
    both(['system', 'prune', '--volumes'], { input: 'n\n' }),
    both(['system', 'prune', '--volumes', '--filter', 'until=1h']),
  ]);
  // docker's warning less its build cache line (pier prunes no build cache yet)
  assert.deepEqual(no, {
    code: 0, stderr: '',
    stdout: 'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n' +
      '  - all anonymous volumes not used by at least one container\n  - all dangling images\n\nAre you sure you want to continue? [y/N] ',
  });
  assert.equal(kno.code, 0);
  assert.ok(kno.stdout.includes('  - all anonymous volumes not used by at least one container\n  - all dangling images\n'), kno.stdout);
  assertSameResult(until, kuntil, 'system prune --volumes --filter until');
  assert.deepEqual(until, { code: 1, stdout: '', stderr: 'ERROR: The "until" filter is not supported with "--volumes"\n' });
  assert.ok((await volumeNames()).includes(anon));

  const r = await pier.run(['system', 'prune', '-f', '--volumes']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes(`Deleted Volumes:\n${anon}\n\n`), r.stdout);
  assert.match(r.stdout, /Total reclaimed space: .*\n$/);
  const left = await volumeNames();
  assert.ok(!left.includes(anon) && left.includes('vs-named'), left.join(','));
  // without --volumes no volume is touched
  const again = await anonymousVolume('vs-anon');
  t.after(() => removeVolumes(again));
  const plain = await pier.run(['system', 'prune', '-f']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.ok(!plain.stdout.includes('Deleted Volumes'), plain.stdout);
  assert.ok((await volumeNames()).includes(again));
});

test('pier volume --help prints docker\'s group help', { skip }, async () => {
  const [help] = await sameResults([['volume', '--help']]);
  assert.ok(help?.stdout.includes('\nCommands:\n  create      Create a volume\n'), help?.stdout);
});
