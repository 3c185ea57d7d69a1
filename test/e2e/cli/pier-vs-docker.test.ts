// End to end: `pier` prints what the docker CLI prints against the same private pierd:
// ps and images tables, inspect, version, info, system df, events and the errors a
// user sees; and pier finds its daemon through -H, PIER_HOST and DOCKER_HOST.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { usePrivateDaemon, pierBin, type PrivateDaemon } from '../../harness/pierd.js';
import { e2eSkip } from '../../harness/clients.js';
import { boundCli, runWithEnv, envWithout, assertSameResult, assertSameTable, parseTable, docker, stoppable, removeContainers, removeImages } from './cli-helpers.js';

const skip = e2eSkip('pier vs docker CLI e2e', { needsDocker: true });

let d: PrivateDaemon;
const pier = boundCli(pierBin, () => d);
const dk = boundCli(docker, () => d);

usePrivateDaemon(skip, (x) => { d = x; });

/** Runs the same arguments through pier and docker at once. */
async function both(...args: string[]): Promise<[string, string]> {
  const [p, k] = await Promise.all([pier.ok(...args), dk.ok(...args)]);
  return [p, k];
}

test('pier finds the daemon through DOCKER_HOST or PIER_HOST alone, and -H wins over both', { skip }, async () => {
  const bogus = `unix://${join(d.root, 'bogus.sock')}`;
  const [viaDocker, viaPier, viaFlag, longFlag] = await Promise.all([
    runWithEnv(pierBin, ['version', '-f', '{{.Server.Os}}'], envWithout({ DOCKER_HOST: d.host })),
    runWithEnv(pierBin, ['version', '-f', '{{.Server.Os}}'], envWithout({ PIER_HOST: d.host })),
    runWithEnv(pierBin, ['-H', d.host, 'version', '-f', '{{.Server.Os}}'], envWithout({ DOCKER_HOST: bogus, PIER_HOST: bogus })),
    runWithEnv(pierBin, ['--host', d.host, 'version', '-f', '{{.Server.Os}}'], envWithout({ DOCKER_HOST: bogus })),
  ]);
  const reached = { code: 0, stdout: 'linux\n', stderr: '' };
  assert.deepEqual(viaDocker, reached, 'DOCKER_HOST alone');
  assert.deepEqual(viaPier, reached, 'PIER_HOST alone');
  assert.deepEqual(viaFlag, reached, '-H over DOCKER_HOST and PIER_HOST');
  assert.deepEqual(longFlag, reached, '--host over DOCKER_HOST');
});

test('with no daemon at the address pier says so like docker and exits 1', { skip }, async () => {
  const nowhere = `unix://${join(d.root, 'nosuch', 'docker.sock')}`;
  const args = ['-H', nowhere, 'ps'];
  const [p, k] = await Promise.all([runWithEnv(pierBin, args, envWithout({})), runWithEnv(docker, args, envWithout({}))]);
  assert.equal(p.code, 1);
  assert.equal(p.stderr, `Cannot connect to the Docker daemon at ${nowhere}. Is the docker daemon running?\n`);
  assertSameResult(p, k, 'ps with no daemon');
});

test('errors a user sees match docker: unknown container, unknown image, missing arguments', { skip }, async () => {
  const cases: string[][] = [
    ['rm', 'pv-nosuch'], ['stop', 'pv-nosuch'], ['logs', 'pv-nosuch'],
    ['run', '--rm', 'nosuchimage'], ['rmi', 'nosuchimage'],
    ['start'], ['rename', 'only-one'], ['exec', 'pv-nosuch'],
  ];
  const results = await Promise.all(cases.map((args) => Promise.all([pier.run(args), dk.run(args)])));
  results.forEach(([p, k], i) => assertSameResult(p, k, (cases[i] ?? []).join(' ')));
  const [rm, img, usage] = [results[0]?.[0], results[3]?.[0], results[5]?.[0]];
  assert.deepEqual(rm, { code: 1, stdout: '', stderr: 'Error response from daemon: No such container: pv-nosuch\n' });
  assert.equal(img?.code, 125);
  assert.match(img?.stderr ?? '', /^Unable to find image 'nosuchimage:latest' locally\n.*Error response from daemon: /);
  assert.equal(usage?.code, 1);
  assert.match(usage?.stderr ?? '', /'pier start' requires at least 1 argument\n\nUsage: {2}pier start \[OPTIONS\] CONTAINER \[CONTAINER\.\.\.\]\n/);
});

test('pier export -o into a missing directory fails before asking the daemon, like docker', { skip }, async () => {
  const args = ['export', '-o', '/nonexistent-dir/out.tar', 'pv-nosuch'];
  const [p, k] = await Promise.all([pier.run(args), dk.run(args)]);
  assert.equal(k.stderr, 'failed to export container: invalid output path: stat /nonexistent-dir: no such file or directory\n');
  assertSameResult(p, k, args.join(' '));
});

test('pier ps prints docker ps tables: header, rows and widths; -a -q, filters, --format, --no-trunc', { skip }, async (t) => {
  t.after(() => removeContainers(d, 'pv-up', 'pv-exited', 'pv-created'));
  await pier.ok('run', '-d', '--name', 'pv-up', '-l', 'a=b', 'busybox', 'sh', '-c', stoppable);
  assert.equal((await pier.run(['run', '--name', 'pv-exited', 'busybox', 'sh', '-c', 'exit 3'])).code, 3);
  await pier.ok('create', '--name', 'pv-created', '-l', 'a=c', 'busybox', 'echo', 'a rather long command line to widen the column');
  const tables = [['ps'], ['ps', '-a'], ['ps', '-a', '--no-trunc'], ['ps', '-a', '--filter', 'status=exited'], ['ps', '-a', '--filter', 'label=a=b']];
  const outs = await Promise.all(tables.map((args) => both(...args)));
  outs.forEach(([p, k], i) => assertSameTable(p, k, ['CREATED', 'STATUS'], (tables[i] ?? []).join(' ')));
  const [q, kq] = await both('ps', '-a', '-q');
  assert.equal(q, kq);
  assert.equal(q.split('\n').filter(Boolean).length, 3);
  assert.match(q, /^([0-9a-f]{12}\n){3}$/);
  const [f, kf] = await both('ps', '-a', '--format', '{{.Names}} {{.Status}}');
  const firstWords = (s: string): string[] => s.split('\n').map((l) => l.split(' ').slice(0, 2).join(' '));
  assert.deepEqual(firstWords(f), firstWords(kf));
  assert.match(f, /^pv-created Created\npv-exited Exited \(3\) .+ ago\npv-up Up .+\n$/);
  const ex = parseTable(outs[3]?.[0] ?? '');
  assert.deepEqual(ex.rows.map((r) => r.at(-1)), ['pv-exited'], '--filter status=exited');
  const lb = parseTable(outs[4]?.[0] ?? '');
  assert.deepEqual(lb.rows.map((r) => r.at(-1)), ['pv-up'], '--filter label=a=b');
  const nt = parseTable(outs[2]?.[0] ?? '');
  assert.match(nt.rows[0]?.[0] ?? '', /^[0-9a-f]{64}$/, '--no-trunc shows whole ids');
});

test('pier images and images -q print what docker images prints', { skip }, async (t) => {
  t.after(() => removeImages(d, 'pv-img:one', 'pv-img:two'));
  await pier.ok('tag', 'busybox', 'pv-img:one');
  await pier.ok('tag', 'busybox', 'pv-img:two');
  const [[p, k], [q, kq], [fm, kfm]] = await Promise.all([both('images'), both('images', '-q'), both('images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}')]);
  // docker prints an image's repositories in Go map order (random); tags of one repository keep the API order
  assertSameTable(p, k, ['CREATED'], 'images', { unordered: true });
  const repoRows = (s: string): string[] => s.split('\n').filter((l) => l.startsWith('pv-img'));
  const tagsOf = (s: string): string[] => repoRows(s).map((l) => l.split(/ +/)[1] ?? '');
  assert.deepEqual(tagsOf(p), tagsOf(k), 'the tags of one repository in docker\'s order');
  assert.equal(tagsOf(p).length, 2);
  assert.equal(q, kq);
  assert.match(q, /^[0-9a-f]{12}\n/);
  assert.deepEqual(fm.split('\n').sort(), kfm.split('\n').sort());
});

test('pier inspect prints docker inspect JSON; -f, --type and unknown names', { skip }, async (t) => {
  t.after(() => removeContainers(d, 'pv-insp'));
  await pier.ok('run', '-d', '--name', 'pv-insp', 'busybox', 'sleep', '300');
  const json = [['inspect', 'pv-insp'], ['inspect', 'busybox'], ['image', 'inspect', 'busybox']];
  const jsonOuts = await Promise.all(json.map((args) => both(...args)));
  jsonOuts.forEach(([p, k], i) => {
    const what = (json[i] ?? []).join(' ');
    assert.ok(Array.isArray(JSON.parse(p)), `${what} prints a JSON array`);
    assert.equal(p, k, what);
  });
  const [[f, kf], [ty, kty]] = await Promise.all([
    both('inspect', '-f', '{{.Name}} {{.State.Running}} {{json .Config.Cmd}}', 'pv-insp'),
    both('inspect', '--type', 'image', '-f', '{{.Os}} {{.Architecture}}', 'busybox'),
  ]);
  assert.equal(f, '/pv-insp true ["sleep","300"]\n');
  assert.equal(f, kf);
  assert.equal(ty, 'linux amd64\n');
  assert.equal(ty, kty);
  const bad = [['inspect', 'x'], ['inspect', '--type', 'container', 'busybox'], ['image', 'inspect', 'pv-nosuch']];
  const badOuts = await Promise.all(bad.map((args) => Promise.all([pier.run(args), dk.run(args)])));
  badOuts.forEach(([p, k], i) => assertSameResult(p, k, (bad[i] ?? []).join(' ')));
  assert.deepEqual(badOuts[0]?.[0], { code: 1, stdout: '[]\n', stderr: 'Error: No such object: x\n' });
});

test('pier version has Client and Server sections; the Server one is docker\'s', { skip }, async () => {
  const [p, k] = await both('version');
  const sections = (s: string): string[] => s.split('\n').filter((l) => /^\S/.test(l));
  assert.deepEqual(sections(p).map((l) => l.replace(/:.*/, '')), ['Client', 'Server']);
  const server = (s: string): string => s.slice(s.indexOf('\nServer'));
  assert.equal(server(p), server(k));
  const labels = (s: string): string[] => s.slice(0, s.indexOf('\nServer')).split('\n').map((l) => l.replace(/:.*/, ''));
  assert.deepEqual(labels(p), labels(k));
  assert.match(p, /^ API version: +1\.50$/m);
});

test('pier info counts containers and images like docker info; system df matches', { skip }, async (t) => {
  t.after(() => removeContainers(d, 'pv-info-up', 'pv-info-ex'));
  await Promise.all([pier.ok('run', '-d', '--name', 'pv-info-up', 'busybox', 'sleep', '300'), pier.ok('run', '--name', 'pv-info-ex', 'busybox', 'true')]);
  const [[p, k], [df, kdf], counts] = await Promise.all([both('info'), both('system', 'df'), pier.ok('info', '-f', '{{.Containers}} {{.ContainersRunning}} {{.Images}}')]);
  assert.match(p, /^ Containers: 2\n {2}Running: 1\n {2}Paused: 0\n {2}Stopped: 1\n Images: 1\n/m);
  // The docker CLI prints the Runtimes line from a Go map: its order changes from run to run.
  const server = (s: string): string => s.slice(s.indexOf('\nServer:'))
    .replace(/^( Runtimes: )(.*)$/m, (_m, head: string, list: string) => head + list.split(' ').sort().join(' '));
  assert.equal(server(p), server(k));
  assert.equal(counts, '2 1 1\n');
  assert.equal(df, kdf);
  assert.match(df, /^Containers +2 +1 /m);
});

test('pier image inspect, history, tag and rmi print docker\'s lines', { skip }, async (t) => {
  t.after(() => removeImages(d, 'pv-tag:1'));
  assert.equal(await pier.ok('tag', 'busybox', 'pv-tag:1'), '');
  const [[a, b], busybox] = await Promise.all([both('image', 'inspect', '-f', '{{.Id}}', 'pv-tag:1'), pier.ok('image', 'inspect', '-f', '{{.Id}}', 'busybox')]);
  assert.equal(a, b);
  assert.equal(a, busybox, 'the tag names the same image');
  assert.equal(await pier.ok('rmi', 'pv-tag:1'), 'Untagged: pv-tag:1\n');
  assert.equal((await pier.run(['image', 'inspect', 'pv-tag:1'])).code, 1);
  const hist = [['history', 'busybox'], ['image', 'history', '-q', 'busybox']];
  const histOuts = await Promise.all(hist.map((args) => Promise.all([pier.run(args), dk.run(args)])));
  histOuts.forEach(([p, k], i) => assertSameResult(p, k, (hist[i] ?? []).join(' ')));
});

test('pier import of a pier export, with -c CMD, runs; rmi prints Untagged and Deleted', { skip }, async (t) => {
  const tarFile = join(d.root, 'pv-export.tar');
  t.after(async () => { await removeContainers(d, 'pv-exp'); await removeImages(d, 'pv-imported:v1'); });
  await pier.ok('create', '--name', 'pv-exp', 'busybox');
  await pier.ok('export', '-o', tarFile, 'pv-exp');
  const id = (await pier.ok('import', '-c', 'CMD ["echo","hi"]', tarFile, 'pv-imported:v1')).trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  const [cmd, ran, listed] = await Promise.all([pier.fmt('{{json .Config.Cmd}}', 'pv-imported:v1'), pier.ok('run', '--rm', 'pv-imported:v1'),
    pier.ok('images', '--format', '{{.Repository}}:{{.Tag}}')]);
  assert.equal(cmd, '["echo","hi"]');
  assert.equal(ran, 'hi\n');
  assert.match(listed, /^pv-imported:v1$/m);
  assert.equal(await pier.ok('rmi', 'pv-imported:v1'), `Untagged: pv-imported:v1\nDeleted: ${id}\n`);
});

test('pier events --since/--until --format lists a run\'s actions like docker events', { skip }, async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  await pier.ok('run', '--name', 'pv-ev', 'busybox', 'true');
  await pier.ok('rm', 'pv-ev');
  const until = String(Math.floor(Date.now() / 1000) + 1);
  const [[p, k], [j, kj]] = await Promise.all([
    both('events', '--since', String(since), '--until', until, '--filter', 'container=pv-ev', '--format', '{{.Action}}'),
    both('events', '--since', String(since), '--until', until, '--filter', 'container=pv-ev', '--filter', 'event=die', '--format', '{{.Type}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}'),
  ]);
  assert.equal(p, 'create\nattach\nstart\ndie\ndestroy\n');
  assert.equal(p, k);
  assert.equal(j, 'container pv-ev 0\n');
  assert.equal(j, kj);
});
