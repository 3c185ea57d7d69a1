// End to end: mount and volume requests pierd must refuse, through the real docker CLI.
// Each gets docker's message (checked against moby's daemon/volume/mounts and
// daemon/volume/service) and the refused request leaves nothing behind: no container
// in `ps -a`, no volume in `volume ls`, no directory under <data-root>/volumes.
// `docker run`/`create` get --pull=never: where a daemon answers 404 the CLI would
// otherwise take the error for a missing image and go to a registry.
import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { usePrivateDaemon, type PrivateDaemon } from '../../harness/pierd.js';
import { e2eSkip, rawRequest, jsonBody } from '../../harness/clients.js';
import { boundCli, docker } from '../cli/cli-helpers.js';
import { cleanup, esc, holdings, Problems } from './vol-helpers.js';

const skip = e2eSkip('volume errors e2e', { needsDocker: true });

let d: PrivateDaemon;
const dk = boundCli(docker, () => d);
usePrivateDaemon(skip, (x) => { d = x; });

/** `docker run --pull=never --name <name> <args> busybox true` */
const runArgs = (name: string, ...args: string[]): string[] => ['run', '--pull=never', '--name', name, ...args, 'busybox', 'true'];
const createArgs = (name: string, ...args: string[]): string[] => ['create', '--pull=never', '--name', name, ...args, 'busybox', 'true'];
/** Every name a refused request below might have made, for cleanup should pier make it anyway. */
const CONTAINERS = ['er-rel-c', 'er-rel-r', 'er-name-v', 'er-name-m', 'er-dst-v', 'er-dst-m', 'er-dst-b', 'er-dup-vv', 'er-dup-vm', 'er-dup-vt', 'er-dup-vt2',
  'er-drv-m', 'er-drv-f', 'er-vf', 'er-vf-mode', 'er-vf-src'];
const VOLUMES = ['er-vol', 'er-d1', 'er-d2', 'er-drv', 'er-drv2', 'er-drv3', 'er-real'];

const invalidName = (name: string): RegExp => new RegExp(esc(
  `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
));

test('a relative --mount bind source is refused with "mount path must be absolute" and makes no container', { skip }, async (t) => {
  t.after(() => cleanup(dk, { containers: CONTAINERS }));
  const before = await holdings(dk, d);
  const p = new Problems();
  const want = /Error response from daemon: invalid mount config for type "bind": invalid mount path: 'relative\/dir' mount path must be absolute/;
  p.expect('docker create', await dk.run(createArgs('er-rel-c', '--mount', 'type=bind,src=relative/dir,dst=/m')), 1, want); // the docker CLI's create exits 1 on a daemon error (run: 125)
  p.expect('docker run', await dk.run(runArgs('er-rel-r', '--mount', 'type=bind,src=relative/dir,dst=/m')), 125, want);
  p.equal('containers, volumes and volume dirs', await holdings(dk, d), before);
  p.check();
});

test('an invalid volume name is refused with docker\'s "includes invalid characters for a local volume name"', { skip }, async (t) => {
  t.after(() => cleanup(dk, { containers: CONTAINERS }));
  const before = await holdings(dk, d);
  const p = new Problems();
  p.expect('volume create bad$name', await dk.run(['volume', 'create', 'bad$name']), 1, invalidName('bad$name'));
  // moby daemon/volume/local/local.go validateName: a one-character name has its own message.
  p.expect('volume create of a one-character name', await dk.run(['volume', 'create', 'a']), 1,
    /Error response from daemon: create a: volume name is too short, names should be at least two alphanumeric characters/);
  p.expect('run -v bad$name:/x', await dk.run(runArgs('er-name-v', '-v', 'bad$name:/x')), 125, invalidName('bad$name'));
  p.expect('run --mount src=bad$name', await dk.run(runArgs('er-name-m', '--mount', 'type=volume,src=bad$name,dst=/x')), 125, invalidName('bad$name'));
  p.equal('containers, volumes and volume dirs', await holdings(dk, d), before);
  p.check();
});

test('a mount destination that is not absolute is refused and creates neither container nor volume', { skip }, async (t) => {
  t.after(() => cleanup(dk, { containers: CONTAINERS, volumes: VOLUMES }));
  const dir = mkdtempSync('/tmp/pier-e2e-volerr-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const before = await holdings(dk, d);
  const p = new Problems();
  p.expect('-v er-vol:relative', await dk.run(runArgs('er-dst-v', '-v', 'er-vol:relative')), 125,
    /invalid volume specification: 'er-vol:relative': invalid mount config for type "volume": invalid mount path: 'relative' mount path must be absolute/);
  p.expect('--mount type=volume,dst=relative', await dk.run(runArgs('er-dst-m', '--mount', 'type=volume,src=er-vol,dst=relative')), 125,
    /invalid mount config for type "volume": invalid mount path: 'relative' mount path must be absolute/);
  p.expect('-v <host dir>:relative', await dk.run(runArgs('er-dst-b', '-v', `${dir}:relative`)), 125,
    new RegExp(`invalid volume specification: '${esc(dir)}:relative': invalid mount config for type "bind": invalid mount path: 'relative' mount path must be absolute`));
  p.equal('containers, volumes and volume dirs', await holdings(dk, d), before);
  p.check();
});

test('two mounts on one destination are refused with "Duplicate mount point" and create no volume', { skip }, async (t) => {
  t.after(() => cleanup(dk, { containers: CONTAINERS, volumes: VOLUMES }));
  const before = await holdings(dk, d);
  const p = new Problems();
  p.expect('-v er-d1:/x -v er-d2:/x', await dk.run(runArgs('er-dup-vv', '-v', 'er-d1:/x', '-v', 'er-d2:/x')), 125, /Error response from daemon: Duplicate mount point: \/x/);
  p.expect('-v and --mount type=volume', await dk.run(runArgs('er-dup-vm', '-v', 'er-d1:/x', '--mount', 'type=volume,src=er-d2,dst=/x')), 125,
    /Error response from daemon: Duplicate mount point: \/x/);
  p.expect('-v and --mount type=tmpfs', await dk.run(runArgs('er-dup-vt', '-v', 'er-d1:/x', '--mount', 'type=tmpfs,dst=/x')), 125,
    /Error response from daemon: Duplicate mount point: \/x/);
  // moby #10618: a -v destination that --tmpfs also names.
  p.expect('-v and --tmpfs', await dk.run(runArgs('er-dup-vt2', '-v', 'er-d1:/x', '--tmpfs', '/x')), 125,
    /Error response from daemon: Duplicate mount point: \/x/);
  p.equal('containers, volumes and volume dirs', await holdings(dk, d), before);
  p.check();
});

test('an unknown volume driver is refused: volume create -d, --mount volume-driver= and --volume-driver', { skip }, async (t) => {
  t.after(() => cleanup(dk, { containers: CONTAINERS, volumes: VOLUMES }));
  const before = await holdings(dk, d);
  const p = new Problems();
  const noPlugin = (vol: string): RegExp => new RegExp(esc(`create ${vol}: error looking up volume plugin er-nodriver: plugin "er-nodriver" not found`));
  p.expect('volume create -d er-nodriver', await dk.run(['volume', 'create', '-d', 'er-nodriver', 'er-drv']), 1, noPlugin('er-drv'));
  p.expect('--mount ...,volume-driver=er-nodriver', await dk.run(runArgs('er-drv-m', '--mount', 'type=volume,src=er-drv2,dst=/x,volume-driver=er-nodriver')), 125, noPlugin('er-drv2'));
  p.expect('--volume-driver er-nodriver -v', await dk.run(runArgs('er-drv-f', '--volume-driver', 'er-nodriver', '-v', 'er-drv3:/x')), 125, noPlugin('er-drv3'));
  p.equal('containers, volumes and volume dirs', await holdings(dk, d), before);
  p.check();
});

test('volume rm of an unknown volume fails with "no such volume"; with -f it succeeds', { skip }, async (t) => {
  t.after(() => cleanup(dk, { volumes: VOLUMES }));
  const p = new Problems();
  p.expect('volume rm er-ghost', await dk.run(['volume', 'rm', 'er-ghost']), 1, /^Error response from daemon: get er-ghost: no such volume\n$/);
  const forced = await dk.run(['volume', 'rm', '-f', 'er-ghost']);
  p.equal('volume rm -f er-ghost: exit code', forced.code, 0);
  p.equal('volume rm -f er-ghost: stderr', forced.stderr, '');
  await dk.ok('volume', 'create', 'er-real');
  const mixed = await dk.run(['volume', 'rm', 'er-real', 'er-ghost']);
  p.expect('volume rm er-real er-ghost', mixed, 1, /get er-ghost: no such volume/);
  p.equal('volume rm er-real er-ghost: stdout', mixed.stdout, 'er-real\n');
  p.equal('er-real is removed all the same', (await dk.ok('volume', 'ls', '-q', '--filter', 'name=er-real')).trim(), '');
  p.check();
});

test('--volumes-from an unknown container is refused with "No such container" (400, not 404) and creates nothing', { skip }, async (t) => {
  t.after(() => cleanup(dk, { containers: CONTAINERS }));
  await dk.ok('create', '--name', 'er-vf-src', '-v', '/anon', 'busybox', 'true');
  const before = await holdings(dk, d);
  const p = new Problems();
  p.expect('run --volumes-from er-ghost', await dk.run(runArgs('er-vf', '--volumes-from', 'er-ghost')), 125,
    /Error response from daemon: No such container: er-ghost/);
  // moby's registerMountPoints wraps the lookup as InvalidParameter: a 404 would make `docker run`
  // (without --pull=never) report "Unable to find image" and try to pull the image.
  const api = await rawRequest(d, {
    method: 'POST', path: '/containers/create?name=er-vf',
    body: JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { VolumesFrom: ['er-ghost'] } }),
  });
  p.equal('POST /containers/create with VolumesFrom er-ghost: status', api.status, 400);
  p.equal('POST /containers/create with VolumesFrom er-ghost: message', (jsonBody(api) as { message?: unknown }).message, 'No such container: er-ghost');
  p.expect('run --volumes-from er-vf-src:bogus', await dk.run(runArgs('er-vf-mode', '--volumes-from', 'er-vf-src:bogus')), 125,
    /Error response from daemon: invalid mode: bogus/);
  p.equal('containers, volumes and volume dirs', await holdings(dk, d), before);
  p.check();
});
