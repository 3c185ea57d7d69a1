// End to end: volume objects through the real docker CLI against a private pierd.
// Named volume data outlives the container that wrote it, a daemon restart and a
// kill -9 of the daemon; `volume create` is idempotent; `volume inspect` shows what
// docker shows; `volume ls` filters; `volume rm` is refused while any container
// (even a stopped one) names the volume; prune removes unused anonymous volumes
// only, or every unused one with -a; `system df -v` lists volumes with their size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { usePrivateDaemon, type PrivateDaemon } from '../../harness/pierd.js';
import { e2eSkip } from '../../harness/clients.js';
import { boundCli, docker } from '../cli/cli-helpers.js';
import { cleanup, esc, inspectVolume, volumeNames, volumesRoot, Problems, STOPPABLE } from './vol-helpers.js';

const skip = e2eSkip('volumes e2e', { needsDocker: true });

let d: PrivateDaemon;
const dk = boundCli(docker, () => d);
usePrivateDaemon(skip, (x) => { d = x; });

/** SIGTERM, wait for the exit, start again on the same roots (the harness's restart()). */
async function gracefulRestart(): Promise<void> {
  const p = d.proc;
  if (p.exitCode === null && p.signalCode === null) {
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  }
  await d.restart();
}

const readBack = async (vol: string): Promise<string> => dk.ok('run', '--rm', '-v', `${vol}:/data`, 'busybox', 'cat', '/data/f');

test('data a container writes to a named volume is read by a second container after the first is removed', { skip }, async (t) => {
  t.after(() => cleanup(dk, { containers: ['vw-writer'], volumes: ['vw-data'] }));
  assert.equal((await dk.ok('volume', 'create', 'vw-data')).trim(), 'vw-data');
  await dk.ok('run', '--name', 'vw-writer', '-v', 'vw-data:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f');
  await dk.ok('rm', 'vw-writer');
  assert.equal((await dk.run(['inspect', 'vw-writer'])).code, 1, 'the writer is gone');
  assert.equal(await readBack('vw-data'), 'kept\n');
  const v = await inspectVolume(dk, 'vw-data');
  assert.equal(readFileSync(join(v.Mountpoint, 'f'), 'utf8'), 'kept\n', 'the data sits in the volume\'s Mountpoint on the host');
});

test('a volume named by `run -v` is created on first use and kept after `run --rm`', { skip }, async (t) => {
  t.after(() => cleanup(dk, { volumes: ['vw-auto'] }));
  assert.deepEqual(await volumeNames(dk, 'name=vw-auto'), []);
  await dk.ok('run', '--rm', '-v', 'vw-auto:/data', 'busybox', 'sh', '-c', 'echo auto > /data/f');
  assert.deepEqual(await volumeNames(dk, 'name=vw-auto'), ['vw-auto'], '--rm removes only anonymous volumes');
  assert.equal(await readBack('vw-auto'), 'auto\n');
  const v = await inspectVolume(dk, 'vw-auto');
  assert.ok(!v.Labels || !('com.docker.volume.anonymous' in v.Labels), 'a named volume does not carry the anonymous label');
});

test('named volume data survives a daemon restart and a kill -9 of the daemon with a container using it', { skip, timeout: 60_000 }, async (t) => {
  t.after(() => cleanup(dk, { containers: ['vr-holder'], volumes: ['vr-data'] }));
  await dk.ok('volume', 'create', '--label', 'keep=me', 'vr-data');
  await dk.ok('run', '--rm', '-v', 'vr-data:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f');
  const before = await inspectVolume(dk, 'vr-data');

  await gracefulRestart();
  assert.equal(await readBack('vr-data'), 'kept\n', 'after a daemon restart');
  assert.deepEqual(await inspectVolume(dk, 'vr-data'), before, 'the volume record is unchanged by the restart');

  await dk.ok('run', '-d', '--name', 'vr-holder', '-v', 'vr-data:/data', 'busybox', ...STOPPABLE);
  await dk.ok('exec', 'vr-holder', 'sh', '-c', 'echo before-crash > /data/g');
  await d.crash();
  await d.restart();
  assert.deepEqual(await volumeNames(dk, 'name=vr-data'), ['vr-data'], 'the volume is listed after kill -9');
  assert.deepEqual(await inspectVolume(dk, 'vr-data'), before, 'the volume record is unchanged by kill -9');
  assert.equal(await readBack('vr-data'), 'kept\n', 'data written before the crash is read back after it');
  assert.equal(await dk.ok('run', '--rm', '-v', 'vr-data:/data', 'busybox', 'cat', '/data/g'), 'before-crash\n');

  // A container still running after the crash is still a user of the volume.
  const holder = await dk.fmt('{{.Id}}', 'vr-holder');
  assert.equal(await dk.fmt('{{.State.Running}}', 'vr-holder'), 'true', 'the container outlives the daemon\'s kill -9');
  await dk.ok('exec', 'vr-holder', 'sh', '-c', 'echo after-crash > /data/h');
  assert.equal(await dk.ok('run', '--rm', '-v', 'vr-data:/data', 'busybox', 'cat', '/data/h'), 'after-crash\n',
    'the container that outlived the crash writes into the same volume');
  const rm = await dk.run(['volume', 'rm', 'vr-data']);
  assert.equal(rm.code, 1, 'a volume its container still names is not removed after the crash');
  assert.match(rm.stderr, new RegExp(`Error response from daemon: remove vr-data: volume is in use - \\[${holder}\\]`));
  await dk.ok('rm', '-f', 'vr-holder');
  assert.equal(await readBack('vr-data'), 'kept\n', 'rm -f of the holder leaves the named volume alone');
});

test('a tmpfs volume (local driver options) a running container uses stays one mount across a daemon kill -9, unmounted after its last user', { skip, timeout: 60_000 }, async (t) => {
  t.after(() => cleanup(dk, { containers: ['vt-holder'], volumes: ['vt-tmp'] }));
  await dk.ok('volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m', 'vt-tmp');
  const mp = (await inspectVolume(dk, 'vt-tmp')).Mountpoint;
  const mountsAt = (): number => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4] === mp).length;
  await dk.ok('run', '-d', '--name', 'vt-holder', '-v', 'vt-tmp:/t', 'busybox', ...STOPPABLE);
  await dk.ok('exec', 'vt-holder', 'sh', '-c', 'echo in-tmpfs > /t/f');
  assert.equal(mountsAt(), 1, 'mounted once on the host while in use');
  await d.crash();
  await d.restart();
  assert.equal(mountsAt(), 1, 'still mounted after the restart: its user kept running');
  assert.equal(await dk.ok('run', '--rm', '-v', 'vt-tmp:/t', 'busybox', 'cat', '/t/f'), 'in-tmpfs\n', 'a new container shares the same tmpfs');
  assert.equal(mountsAt(), 1, 'the second user did not mount it again, nor did its exit unmount it');
  await dk.ok('rm', '-f', 'vt-holder');
  assert.equal(mountsAt(), 0, 'the last user gone, the tmpfs is unmounted');
});

test('volume create is idempotent: a second create of the same name returns it unchanged, data kept', { skip }, async (t) => {
  t.after(() => cleanup(dk, { volumes: ['vc-idem'] }));
  assert.equal((await dk.ok('volume', 'create', '--label', 'a=1', 'vc-idem')).trim(), 'vc-idem');
  await dk.ok('run', '--rm', '-v', 'vc-idem:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f');
  const first = await inspectVolume(dk, 'vc-idem');
  await new Promise((r) => setTimeout(r, 1100)); // so a re-created volume would show a later CreatedAt
  const again = await dk.run(['volume', 'create', 'vc-idem']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.trim(), 'vc-idem');
  assert.deepEqual(await volumeNames(dk, 'name=vc-idem'), ['vc-idem'], 'still one volume of that name');
  assert.deepEqual(await inspectVolume(dk, 'vc-idem'), first, 'the same volume: CreatedAt, Labels and Mountpoint unchanged');
  assert.equal(await readBack('vc-idem'), 'kept\n', 'its data is untouched');
});

test('volume inspect: Mountpoint under the data root, CreatedAt, Labels, Driver local, Scope local, Options', { skip }, async (t) => {
  t.after(() => cleanup(dk, { volumes: ['vi-plain', 'vi-opts'] }));
  const t0 = Date.now();
  await dk.ok('volume', 'create', '--driver', 'local', '--label', 'env=prod', '--label', 'team=db', 'vi-plain');
  const v = await inspectVolume(dk, 'vi-plain');
  assert.equal(v.Name, 'vi-plain');
  assert.equal(v.Driver, 'local');
  assert.equal(v.Scope, 'local');
  assert.equal(v.Mountpoint, join(volumesRoot(d), 'vi-plain', '_data'), 'docker\'s layout: <data-root>/volumes/<name>/_data');
  assert.ok(existsSync(v.Mountpoint), 'the Mountpoint exists on the host');
  assert.deepEqual(v.Labels, { env: 'prod', team: 'db' });
  assert.match(v.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/, 'RFC 3339, as docker prints it');
  const created = Date.parse(v.CreatedAt);
  assert.ok(created >= Math.floor(t0 / 1000) * 1000 - 1000 && created <= Date.now() + 1000, `CreatedAt ${v.CreatedAt} is the time of the create`);
  assert.equal(await dk.ok('volume', 'inspect', '-f', '{{.Driver}} {{.Name}} {{index .Labels "env"}}', 'vi-plain'), 'local vi-plain prod\n');

  await dk.ok('volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m', 'vi-opts');
  assert.deepEqual((await inspectVolume(dk, 'vi-opts')).Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });

  const missing = await dk.run(['volume', 'inspect', 'vi-nosuch']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Error response from daemon: get vi-nosuch: no such volume/);
});

test('volume ls filters by dangling, name, label and driver, and -q prints names only', { skip }, async (t) => {
  t.after(() => cleanup(dk, { containers: ['vl-user'], volumes: ['vl-prod', 'vl-dev', 'vl-used'] }));
  await dk.ok('volume', 'create', '--label', 'env=prod', 'vl-prod');
  await dk.ok('volume', 'create', '--label', 'env=dev', '--label', 'tier', 'vl-dev');
  await dk.ok('volume', 'create', 'vl-used');
  await dk.ok('create', '--name', 'vl-user', '-v', 'vl-used:/data', 'busybox', 'true'); // never started: still a user
  const mine = (names: string[]): string[] => names.filter((n) => n.startsWith('vl-'));
  const p = new Problems();
  p.equal('no filter', mine(await volumeNames(dk)), ['vl-dev', 'vl-prod', 'vl-used']);
  p.equal('dangling=true', mine(await volumeNames(dk, 'dangling=true')), ['vl-dev', 'vl-prod']);
  p.equal('dangling=false', mine(await volumeNames(dk, 'dangling=false')), ['vl-used']);
  p.equal('name=vl-', await volumeNames(dk, 'name=vl-'), ['vl-dev', 'vl-prod', 'vl-used']);
  p.equal('name=vl-d (substring)', await volumeNames(dk, 'name=vl-d'), ['vl-dev']);
  p.equal('name=nomatch', await volumeNames(dk, 'name=nomatch'), []);
  p.equal('label=env', mine(await volumeNames(dk, 'label=env')), ['vl-dev', 'vl-prod']);
  p.equal('label=env=prod', mine(await volumeNames(dk, 'label=env=prod')), ['vl-prod']);
  p.equal('label=tier', mine(await volumeNames(dk, 'label=tier')), ['vl-dev']);
  p.equal('driver=local', mine(await volumeNames(dk, 'driver=local')), ['vl-dev', 'vl-prod', 'vl-used']);
  p.equal('driver=nosuch', await volumeNames(dk, 'driver=nosuch'), []);
  p.equal('label=env and dangling=false', await volumeNames(dk, 'label=env', 'dangling=false'), []);
  p.equal('name=vl- and label=env=dev', await volumeNames(dk, 'name=vl-', 'label=env=dev'), ['vl-dev']);

  const table = await dk.ok('volume', 'ls', '--filter', 'name=vl-prod');
  p.equal('table', table.split('\n').filter(Boolean).map((l) => l.split(/\s+/)), [['DRIVER', 'VOLUME', 'NAME'], ['local', 'vl-prod']]);
  const q = await dk.ok('volume', 'ls', '-q', '--filter', 'name=vl-');
  p.equal('-q prints bare names, one a line', q, 'vl-dev\nvl-prod\nvl-used\n');
  const bad = await dk.run(['volume', 'ls', '--filter', 'colour=red']);
  p.expect('unknown filter', bad, 1, /Error response from daemon: invalid filter 'colour'/);
  p.check();
});

test('volume rm is refused while any container names the volume, running or stopped, even with -f', { skip }, async (t) => {
  t.after(() => cleanup(dk, { containers: ['vu-user'], volumes: ['vu-data'] }));
  await dk.ok('volume', 'create', 'vu-data');
  await dk.ok('run', '-d', '--name', 'vu-user', '-v', 'vu-data:/data', 'busybox', ...STOPPABLE);
  await dk.ok('exec', 'vu-user', 'sh', '-c', 'echo precious > /data/f');
  const id = await dk.fmt('{{.Id}}', 'vu-user');
  const inUse = new RegExp(`Error response from daemon: remove vu-data: volume is in use - \\[${id}\\]`);
  const p = new Problems();
  p.expect('rm while running', await dk.run(['volume', 'rm', 'vu-data']), 1, inUse);
  p.expect('rm -f while running', await dk.run(['volume', 'rm', '-f', 'vu-data']), 1, inUse);
  await dk.ok('stop', 'vu-user');
  p.expect('rm while stopped', await dk.run(['volume', 'rm', 'vu-data']), 1, inUse);
  p.expect('rm -f while stopped', await dk.run(['volume', 'rm', '-f', 'vu-data']), 1, inUse);
  p.equal('still listed', await volumeNames(dk, 'name=vu-data'), ['vu-data']);
  p.check();
  assert.equal(await readBack('vu-data'), 'precious\n', 'the refused rm left the data');

  const mountpoint = (await inspectVolume(dk, 'vu-data')).Mountpoint;
  await dk.ok('rm', 'vu-user');
  assert.equal((await dk.ok('volume', 'rm', 'vu-data')).trim(), 'vu-data');
  assert.deepEqual(await volumeNames(dk, 'name=vu-data'), []);
  assert.ok(!existsSync(join(mountpoint, '..')), `the volume's directory ${join(mountpoint, '..')} is gone from the host`);
});

test('volume prune removes unused anonymous volumes only; -a also unused named ones; volumes in use are kept', { skip, timeout: 60_000 }, async (t) => {
  t.after(() => cleanup(dk, { containers: ['vp-user', 'vp-tmp'], volumes: ['vp-named', 'vp-used'] }));
  await dk.ok('volume', 'create', 'vp-named');
  await dk.ok('volume', 'create', 'vp-used');
  // vp-user (stopped) names vp-used and an anonymous volume of its own.
  await dk.ok('run', '--name', 'vp-user', '-v', 'vp-used:/data', '--mount', 'type=volume,dst=/anon', 'busybox', 'sh', '-c', 'echo a > /anon/f; echo u > /data/f');
  // vp-tmp leaves an anonymous volume behind: plain `rm` keeps it, unused.
  await dk.ok('run', '--name', 'vp-tmp', '--mount', 'type=volume,dst=/anon', 'busybox', 'sh', '-c', 'echo gone > /anon/f');
  const usedAnon = (await dk.fmt('{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}', 'vp-user'));
  const freeAnon = (await dk.fmt('{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}', 'vp-tmp'));
  assert.match(usedAnon, /^[0-9a-f]{64}$/, 'an anonymous volume gets a 64-hex name');
  assert.match(freeAnon, /^[0-9a-f]{64}$/);
  await dk.ok('rm', 'vp-tmp');
  const all = [usedAnon, freeAnon, 'vp-named', 'vp-used'].sort();
  assert.deepEqual((await volumeNames(dk)).filter((n) => all.includes(n)), all, 'plain rm kept vp-tmp\'s anonymous volume');

  const plain = await dk.run(['volume', 'prune', '-f']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, new RegExp(`Deleted Volumes:\\n${freeAnon}\\n`), plain.stdout);
  assert.match(plain.stdout, /Total reclaimed space: 5B/, 'the removed volume held "gone\\n"');
  assert.deepEqual((await volumeNames(dk)).filter((n) => all.includes(n)), [usedAnon, 'vp-named', 'vp-used'].sort(),
    'prune without -a removes only the unused anonymous volume');

  await dk.ok('volume', 'prune', '-a', '-f');
  assert.deepEqual((await volumeNames(dk)).filter((n) => all.includes(n)), [usedAnon, 'vp-used'].sort(),
    'prune -a keeps the named and anonymous volumes a stopped container uses');
  assert.equal(await dk.ok('start', '-a', 'vp-user'), '', 'the stopped container still starts with its volumes');
  assert.equal(await dk.ok('run', '--rm', '-v', 'vp-used:/data', 'busybox', 'cat', '/data/f'), 'u\n');
});

test('volume prune --filter: label= prunes only matching volumes, label!= spares them', { skip }, async (t) => {
  const names = ['vpf-keep', 'vpf-tmp', 'vpf-plain'];
  t.after(() => cleanup(dk, { volumes: names }));
  await dk.ok('volume', 'create', '--label', 'keep', 'vpf-keep');
  await dk.ok('volume', 'create', '--label', 'tmp=yes', 'vpf-tmp');
  await dk.ok('volume', 'create', 'vpf-plain');
  const left = async (): Promise<string[]> => (await volumeNames(dk)).filter((n) => names.includes(n));
  await dk.ok('volume', 'prune', '-a', '-f', '--filter', 'label=tmp=yes');
  assert.deepEqual(await left(), ['vpf-keep', 'vpf-plain'], 'label=tmp=yes prunes only vpf-tmp');
  await dk.ok('volume', 'prune', '-a', '-f', '--filter', 'label!=keep');
  assert.deepEqual(await left(), ['vpf-keep'], 'label!=keep prunes vpf-plain and spares the volume labelled keep');
});

test('system df -v lists each volume with its links and size', { skip }, async (t) => {
  t.after(() => cleanup(dk, { containers: ['vd-user'], volumes: ['vd-big', 'vd-empty'] }));
  await dk.ok('volume', 'create', 'vd-empty');
  await dk.ok('run', '--name', 'vd-user', '-v', 'vd-big:/data', 'busybox', 'sh', '-c', 'head -c 5000 /dev/zero > /data/a; mkdir /data/d; head -c 3000 /dev/zero > /data/d/b');
  const out = await dk.ok('system', 'df', '-v');
  const section = (out.split('Local Volumes space usage:')[1] ?? '').replace(/^\n+/, '').split(/\n\n(?=\S)/)[0] ?? '';
  const lines = section.split('\n').filter(Boolean);
  assert.deepEqual(lines[0]?.split(/\s{2,}/), ['VOLUME NAME', 'LINKS', 'SIZE'], out);
  const row = (name: string): string[] | undefined => lines.map((l) => l.trim().split(/\s+/)).find((c) => c[0] === name);
  assert.deepEqual(row('vd-big'), ['vd-big', '1', '8kB'], `vd-big holds 8000 bytes and one container names it:\n${section}`);
  assert.deepEqual(row('vd-empty'), ['vd-empty', '0', '0B'], section);
  const summary = await dk.ok('system', 'df', '--format', '{{.Type}}|{{.TotalCount}}|{{.Active}}');
  const total = (await volumeNames(dk)).length;
  const active = (await volumeNames(dk, 'dangling=false')).length;
  assert.match(summary, new RegExp(`^Local Volumes\\|${total}\\|${active}$`, 'm'), summary);
  await dk.ok('rm', 'vd-user');
  const again = await dk.ok('system', 'df', '-v');
  assert.match(again, new RegExp(`^${esc('vd-big')}\\s+0\\s+8kB$`, 'm'), 'no links once the container is gone; the data stays');
});
