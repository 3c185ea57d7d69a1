// End to end: what containers mount, through the real docker CLI against a private
// pierd. Copy-up of an image's files (modes and owners kept) into a new anonymous or
// named volume, and not with nocopy or into a volume that holds data; anonymous
// volumes from `-v /path`, `--mount type=volume` and an image's VOLUME, removed with
// --rm and rm -v and kept by a plain rm; bind mounts read-only and read-write, a
// missing `-v` host directory made, a missing `--mount` bind source refused; tmpfs
// (size, mode, gone after stop); --volumes-from; volume-subpath; read-only volumes;
// the local driver's tmpfs and bind options.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { usePrivateDaemon, poll, type PrivateDaemon } from '../../harness/pierd.js';
import { e2eSkip } from '../../harness/clients.js';
import { boundCli, docker } from '../cli/cli-helpers.js';
import {
  buildImage, cleanup, esc, holdings, hostStat, inspectVolume, mountsOf, volumeNames, Problems, STOPPABLE,
} from './vol-helpers.js';

const skip = e2eSkip('volume mounts e2e', { needsDocker: true });

let d: PrivateDaemon;
const dk = boundCli(docker, () => d);
usePrivateDaemon(skip, (x) => { d = x; });

/** An image whose /data holds files with set modes and owners; /data is a VOLUME in IMAGE_VOL only. */
const IMAGE = 'pier-e2e-copyup';
const IMAGE_VOL = 'pier-e2e-copyup-vol';
const FILES = 'RUN mkdir /data && echo x > /data/f && chown 1000:1000 /data/f && chmod 640 /data/f'
  + ' && mkdir /data/sub && echo y > /data/sub/g && chown -R 1001:1002 /data/sub && chmod 750 /data/sub && chmod 604 /data/sub/g'
  + ' && chmod 711 /data && ln -s f /data/link\n';
/** What `stat` prints for the image's /data tree (mode, uid, gid, name). */
const STAT = 'stat -c "%a %u %g %n" /data /data/f /data/sub /data/sub/g';
const WANT_STAT = '711 0 0 /data\n640 1000 1000 /data/f\n750 1001 1002 /data/sub\n604 1001 1002 /data/sub/g\n';

let host = '';
before(() => { if (!skip) host = mkdtempSync('/tmp/pier-e2e-volhost-'); });
after(async () => {
  if (host) rmSync(host, { recursive: true, force: true });
  // The images go with the private daemon's data root; this removes them should it be kept.
  if (d && d.proc.exitCode === null) await cleanup(dk, { images: [IMAGE_VOL, IMAGE] });
});

/** Builds the two images once, on first use (root-level hooks may run before the daemon is up). */
let images: Promise<void> | undefined;
function withImages(): Promise<void> {
  images ??= (async () => {
    await buildImage(d, IMAGE, `FROM busybox\n${FILES}CMD ["sh"]\n`);
    await buildImage(d, IMAGE_VOL, `FROM ${IMAGE}\nVOLUME /data\n`);
  })();
  return images;
}

const volumeAt = async (container: string, dst: string): Promise<string> => {
  const m = (await mountsOf(dk, container)).find((x) => x.Destination === dst);
  assert.ok(m, `${container} has a mount at ${dst}: ${JSON.stringify(await mountsOf(dk, container))}`);
  assert.equal(m.Type, 'volume', `${container}'s mount at ${dst} is a volume`);
  return m.Name ?? '';
};

// ---- copy-up -------------------------------------------------------------------------

test('copy-up: the anonymous volume of an image VOLUME gets the image\'s files with their modes and owners', { skip }, async (t) => {
  await withImages();
  t.after(() => cleanup(dk, { containers: ['cu-anon'] }));
  assert.equal(await dk.ok('run', '--name', 'cu-anon', IMAGE_VOL, 'sh', '-c', `${STAT}; readlink /data/link`), `${WANT_STAT}f\n`);
  const name = await volumeAt('cu-anon', '/data');
  const mp = (await inspectVolume(dk, name)).Mountpoint;
  assert.equal(hostStat(join(mp, 'f')), '640 1000 1000', 'the copy lives in the volume on the host');
  assert.equal(hostStat(join(mp, 'sub', 'g')), '604 1001 1002');
  assert.equal(hostStat(mp), '711 0 0', 'the volume\'s root takes the mode of the image\'s directory');
  assert.equal(readFileSync(join(mp, 'sub', 'g'), 'utf8'), 'y\n');
});

test('copy-up: a new named volume over a directory of the image gets its files, modes and owners', { skip }, async (t) => {
  await withImages();
  t.after(() => cleanup(dk, { volumes: ['cu-named', 'cu-named2'] }));
  assert.equal(await dk.ok('run', '--rm', '-v', 'cu-named:/data', IMAGE, 'sh', '-c', STAT), WANT_STAT);
  // busybox has no /data: what a second container sees at /x comes from the volume alone.
  assert.equal(await dk.ok('run', '--rm', '-v', 'cu-named:/x', 'busybox', 'sh', '-c', 'stat -c "%a %u %g %n" /x/f /x/sub /x/sub/g; cat /x/f'),
    '640 1000 1000 /x/f\n750 1001 1002 /x/sub\n604 1001 1002 /x/sub/g\nx\n');
  await dk.ok('run', '--rm', '--mount', 'type=volume,src=cu-named2,dst=/data', IMAGE, 'true');
  assert.equal(hostStat(join((await inspectVolume(dk, 'cu-named2')).Mountpoint, 'f')), '640 1000 1000', 'the same through --mount');
});

test('nocopy: `-v name:/data:nocopy` and `--mount ...,volume-nocopy` leave the new volume empty', { skip }, async (t) => {
  await withImages();
  t.after(() => cleanup(dk, { volumes: ['cu-nc1', 'cu-nc2'] }));
  assert.equal(await dk.ok('run', '--rm', '-v', 'cu-nc1:/data:nocopy', IMAGE, 'ls', '-A', '/data'), '');
  assert.equal(await dk.ok('run', '--rm', '--mount', 'type=volume,src=cu-nc2,dst=/data,volume-nocopy', IMAGE, 'ls', '-A', '/data'), '');
  for (const v of ['cu-nc1', 'cu-nc2']) {
    assert.deepEqual(readdirSync((await inspectVolume(dk, v)).Mountpoint), [], `${v} holds nothing on the host`);
  }
  // nocopy is about that mount only: a later mount of the (still empty) volume without it copies.
  assert.equal(await dk.ok('run', '--rm', '-v', 'cu-nc1:/data', IMAGE, 'cat', '/data/f'), 'x\n');
});

test('copy-up leaves a volume that already holds data alone', { skip }, async (t) => {
  await withImages();
  t.after(() => cleanup(dk, { volumes: ['cu-full'] }));
  await dk.ok('run', '--rm', '-v', 'cu-full:/x', 'busybox', 'sh', '-c', 'echo mine > /x/f; chmod 600 /x/f');
  assert.equal(await dk.ok('run', '--rm', '-v', 'cu-full:/data', IMAGE, 'sh', '-c', 'cat /data/f; stat -c "%a %u" /data/f; ls -A /data'), 'mine\n600 0\nf\n');
});

// ---- anonymous volumes ------------------------------------------------------------------

/** Runs `args` three ways (--rm, then rm -v, then plain rm) and checks the anonymous volume at `dst` each time. */
async function anonymousLifecycle(t: { after(fn: () => Promise<void>): void }, tag: string, dst: string, args: string[]): Promise<void> {
  const names = [`${tag}-probe`, `${tag}-rmv`, `${tag}-rm`];
  let kept = '';
  t.after(() => cleanup(dk, { containers: names, volumes: kept ? [kept] : [] }));
  const base = await volumeNames(dk);

  // First what `inspect` says: the container's mount at dst is a volume.
  await dk.ok('create', '--name', `${tag}-probe`, ...args);
  await volumeAt(`${tag}-probe`, dst);
  await dk.ok('rm', '-v', `${tag}-probe`);
  assert.deepEqual(await volumeNames(dk), base, 'rm -v of a created container removes its anonymous volume');

  await dk.ok('run', '--rm', ...args);
  // Removed at all (the test below holds `run --rm` to removing it before it returns).
  await poll(async () => ((await volumeNames(dk)).length === base.length ? true : undefined), 5_000, 'the --rm container\'s anonymous volume to go').catch(() => undefined);
  assert.deepEqual(await volumeNames(dk), base, '--rm removes the anonymous volume with the container');

  await dk.ok('run', '--name', `${tag}-rmv`, ...args);
  const v1 = await volumeAt(`${tag}-rmv`, dst);
  assert.match(v1, /^[0-9a-f]{64}$/, 'an anonymous volume has a 64-hex name');
  assert.equal((await inspectVolume(dk, v1)).Labels?.['com.docker.volume.anonymous'], '', 'and docker\'s anonymous label');
  assert.deepEqual(await volumeNames(dk), [...base, v1].sort(), 'the container has its anonymous volume');
  await dk.ok('rm', '-v', `${tag}-rmv`);
  assert.deepEqual(await volumeNames(dk), base, 'rm -v removes it');

  await dk.ok('run', '--name', `${tag}-rm`, ...args);
  kept = await volumeAt(`${tag}-rm`, dst);
  await dk.ok('rm', `${tag}-rm`);
  assert.deepEqual(await volumeNames(dk), [...base, kept].sort(), 'a plain rm keeps it');
  assert.equal(await dk.ok('run', '--rm', '-v', `${kept}:/v`, 'busybox', 'cat', '/v/w'), 'written\n', 'with the data the container wrote');
}

test('anonymous volume from `-v /path`: removed with --rm and rm -v, kept by a plain rm', { skip }, async (t) => {
  await anonymousLifecycle(t, 'an-v', '/anon', ['-v', '/anon', 'busybox', 'sh', '-c', 'echo written > /anon/w']);
});

test('anonymous volume from `--mount type=volume` without a source: removed with --rm and rm -v, kept by a plain rm', { skip }, async (t) => {
  await anonymousLifecycle(t, 'an-m', '/anon', ['--mount', 'type=volume,dst=/anon', 'busybox', 'sh', '-c', 'echo written > /anon/w']);
});

test('anonymous volume from an image VOLUME: removed with --rm and rm -v, kept by a plain rm', { skip }, async (t) => {
  await withImages();
  await anonymousLifecycle(t, 'an-i', '/data', [IMAGE_VOL, 'sh', '-c', 'echo written > /data/w']);
});

test('`run --rm` returns only once its anonymous volumes are gone (docker removes them before "removed" waiters hear)', { skip }, async () => {
  // moby daemon/delete.go cleanupContainer: removeMountPoints, then SetRemoved. Many volumes
  // with files in them widen the window in which a daemon that answers first would be seen.
  const base = await volumeNames(dk);
  const mounts = Array.from({ length: 8 }, (_, i) => ['--mount', `type=volume,dst=/a${i}`]).flat();
  for (let round = 0; round < 2; round++) {
    await dk.ok('run', '--rm', ...mounts, 'busybox', 'sh', '-c', 'for i in 0 1 2 3 4 5 6 7; do for j in $(seq 1 50); do echo $j > /a$i/f$j; done; done');
    const rightAfter = await volumeNames(dk);
    const settle = async (): Promise<true | undefined> => ((await volumeNames(dk)).length === base.length ? true : undefined);
    await poll(settle, 10_000, 'the anonymous volumes of the --rm container to go').catch(() => undefined);
    assert.deepEqual(await volumeNames(dk), base, `round ${round}: the anonymous volumes are removed at all`);
    assert.deepEqual(rightAfter, base, `round ${round}: no anonymous volume is listed once docker run --rm has returned`);
  }
});

test('rm -v and --rm leave named volumes alone', { skip }, async (t) => {
  t.after(() => cleanup(dk, { containers: ['an-named'], volumes: ['an-keep'] }));
  await dk.ok('run', '--rm', '-v', 'an-keep:/k', 'busybox', 'sh', '-c', 'echo one > /k/f');
  await dk.ok('run', '--name', 'an-named', '-v', 'an-keep:/k', 'busybox', 'sh', '-c', 'echo two >> /k/f');
  await dk.ok('rm', '-v', 'an-named');
  assert.equal(await dk.ok('run', '--rm', '-v', 'an-keep:/k', 'busybox', 'cat', '/k/f'), 'one\ntwo\n');
});

// ---- bind mounts ------------------------------------------------------------------------

test('bind mount read-only: the container reads the host file and a write fails with "Read-only file system"', { skip }, async () => {
  const dir = join(host, 'ro');
  mkdirSync(dir);
  writeFileSync(join(dir, 'f'), 'fromhost\n');
  assert.equal(await dk.ok('run', '--rm', '-v', `${dir}:/h:ro`, 'busybox', 'cat', '/h/f'), 'fromhost\n');
  const w = await dk.run(['run', '--rm', '-v', `${dir}:/h:ro`, 'busybox', 'sh', '-c', 'echo x > /h/g']);
  assert.notEqual(w.code, 0);
  assert.match(w.stderr, /can't create \/h\/g: Read-only file system/);
  const m = await dk.run(['run', '--rm', '--mount', `type=bind,src=${dir},dst=/h,readonly`, 'busybox', 'sh', '-c', 'cat /h/f; rm /h/f']);
  assert.equal(m.stdout, 'fromhost\n');
  assert.match(m.stderr, /Read-only file system/);
  assert.deepEqual(readdirSync(dir), ['f'], 'nothing was written or removed on the host');
  assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'fromhost\n');
});

test('bind mount read-write: container writes show on the host and host writes in the container', { skip }, async (t) => {
  t.after(() => cleanup(dk, { containers: ['bm-rw'] }));
  const dir = join(host, 'rw');
  mkdirSync(dir);
  await dk.ok('run', '--rm', '-v', `${dir}:/h`, 'busybox', 'sh', '-c', 'echo fromctr > /h/g');
  assert.equal(readFileSync(join(dir, 'g'), 'utf8'), 'fromctr\n');
  await dk.ok('run', '-d', '--name', 'bm-rw', '--mount', `type=bind,source=${dir},target=/h`, 'busybox', ...STOPPABLE);
  writeFileSync(join(dir, 'late'), 'late\n');
  assert.equal(await dk.ok('exec', 'bm-rw', 'cat', '/h/late'), 'late\n', 'a file made on the host after start is seen');
  const m = (await mountsOf(dk, 'bm-rw')).find((x) => x.Destination === '/h');
  assert.deepEqual(m && { Type: m.Type, Source: m.Source, RW: m.RW }, { Type: 'bind', Source: dir, RW: true });
});

test('`-v` with a missing host directory creates it', { skip }, async () => {
  const made = join(host, 'made', 'deeper');
  await dk.ok('run', '--rm', '-v', `${made}:/n`, 'busybox', 'sh', '-c', 'echo in > /n/f');
  assert.ok(statSync(made).isDirectory(), `${made} was created as a directory`);
  assert.equal(readFileSync(join(made, 'f'), 'utf8'), 'in\n');
});

test('`--mount type=bind` with a missing source is refused with "bind source path does not exist" and makes nothing', { skip }, async (t) => {
  t.after(() => cleanup(dk, { containers: ['bm-missing-c', 'bm-missing-r'] }));
  const missing = join(host, 'missing');
  const before = await holdings(dk, d);
  const p = new Problems();
  const want = new RegExp(`Error response from daemon: invalid mount config for type "bind": bind source path does not exist: ${esc(missing)}`);
  p.expect('docker create', await dk.run(['create', '--pull=never', '--name', 'bm-missing-c', '--mount', `type=bind,src=${missing},dst=/m`, 'busybox', 'true']), 1, want); // create exits 1 on a daemon error, run 125
  p.expect('docker run', await dk.run(['run', '--pull=never', '--name', 'bm-missing-r', '--mount', `type=bind,src=${missing},dst=/m`, 'busybox', 'true']), 125, want);
  p.equal('containers, volumes and volume dirs after the refused requests', await holdings(dk, d), before);
  p.equal('the missing source is not created', existsSync(missing), false);
  p.check();
});

// ---- tmpfs ------------------------------------------------------------------------------

test('tmpfs: --tmpfs and --mount type=tmpfs mount tmpfs with size and mode, and their contents are gone after stop and start', { skip }, async (t) => {
  t.after(() => cleanup(dk, { containers: ['tf-c'] }));
  const mounts = await dk.ok('run', '--rm', '--tmpfs', '/t:size=1m,mode=1777', '--mount', 'type=tmpfs,dst=/t2,tmpfs-size=2097152,tmpfs-mode=0750',
    'busybox', 'sh', '-c', 'grep -E " /t2? " /proc/mounts; stat -c "%a %n" /t /t2');
  const lines = mounts.trim().split('\n');
  const t1 = lines.find((l) => l.split(' ')[1] === '/t') ?? '';
  const t2 = lines.find((l) => l.split(' ')[1] === '/t2') ?? '';
  assert.match(t1, /^tmpfs \/t tmpfs \S*\bsize=1024k\b/, mounts);
  for (const flag of ['nosuid', 'nodev', 'noexec']) assert.match(t1.split(' ')[3] ?? '', new RegExp(`\\b${flag}\\b`), `docker's tmpfs default ${flag}: ${t1}`);
  assert.match(t2, /^tmpfs \/t2 tmpfs \S*\bsize=2048k\b/, mounts);
  assert.match(mounts, /^1777 \/t$/m);
  assert.match(mounts, /^750 \/t2$/m);

  await dk.ok('run', '-d', '--name', 'tf-c', '--tmpfs', '/t', '--mount', 'type=tmpfs,dst=/t2', 'busybox', ...STOPPABLE);
  await dk.ok('exec', 'tf-c', 'sh', '-c', 'echo a > /t/f; echo b > /t2/f; echo c > /rootfile');
  assert.equal(await dk.ok('exec', 'tf-c', 'cat', '/t/f', '/t2/f'), 'a\nb\n');
  await dk.ok('stop', 'tf-c');
  await dk.ok('start', 'tf-c');
  assert.equal(await dk.ok('exec', 'tf-c', 'ls', '-A', '/t', '/t2'), '/t:\n\n/t2:\n', 'the tmpfs mounts are empty after stop and start');
  assert.equal(await dk.ok('exec', 'tf-c', 'cat', '/rootfile'), 'c\n', 'while the container\'s own layer kept its file');
  const m = (await mountsOf(dk, 'tf-c')).find((x) => x.Destination === '/t2');
  assert.equal(m?.Type, 'tmpfs', 'inspect lists the --mount tmpfs');
});

// ---- volumes-from -----------------------------------------------------------------------

test('--volumes-from mounts the other container\'s volumes and binds; `:ro` makes them read-only', { skip }, async (t) => {
  t.after(() => cleanup(dk, { containers: ['vf-src'], volumes: ['vf-named'] }));
  const dir = join(host, 'vf');
  mkdirSync(dir);
  writeFileSync(join(dir, 'hf'), 'hostfile\n');
  await dk.ok('run', '--name', 'vf-src', '-v', 'vf-named:/shared', '-v', `${dir}:/hb`, '--mount', 'type=volume,dst=/anon', 'busybox',
    'sh', '-c', 'echo shared > /shared/f; echo anon > /anon/f');
  // vf-src is stopped: --volumes-from works from a stopped container too.
  const rw = await dk.run(['run', '--rm', '--volumes-from', 'vf-src', 'busybox', 'sh', '-c', 'cat /shared/f /anon/f /hb/hf; echo w > /shared/w; echo w > /hb/w']);
  assert.equal(rw.code, 0, rw.stderr);
  assert.equal(rw.stdout, 'shared\nanon\nhostfile\n');
  assert.equal(await dk.ok('run', '--rm', '-v', 'vf-named:/v', 'busybox', 'cat', '/v/w'), 'w\n', 'the write went to vf-src\'s volume');
  assert.equal(readFileSync(join(dir, 'w'), 'utf8'), 'w\n', 'and to its bind');

  const ro = await dk.run(['run', '--rm', '--volumes-from', 'vf-src:ro', 'busybox', 'sh', '-c',
    'cat /shared/f; for p in /shared /anon /hb; do touch $p/ro 2>&1 || true; done']);
  assert.equal(ro.code, 0, ro.stderr);
  assert.match(ro.stdout, /^shared\n/);
  for (const p of ['/shared', '/anon', '/hb']) assert.match(ro.stdout, new RegExp(`touch: ${p}/ro: Read-only file system`), ro.stdout);
  assert.ok(!existsSync(join(dir, 'ro')));
});

// ---- volume options ---------------------------------------------------------------------

test('--mount type=volume,volume-subpath=sub mounts only that subdirectory of the volume', { skip }, async (t) => {
  t.after(() => cleanup(dk, { volumes: ['sp-vol'] }));
  await dk.ok('run', '--rm', '-v', 'sp-vol:/v', 'busybox', 'sh', '-c', 'echo top > /v/top; mkdir /v/sub; echo insub > /v/sub/s');
  assert.equal(await dk.ok('run', '--rm', '--mount', 'type=volume,src=sp-vol,dst=/m,volume-subpath=sub', 'busybox', 'sh', '-c', 'ls -A /m; cat /m/s; echo new > /m/n'),
    's\ninsub\n');
  const mp = (await inspectVolume(dk, 'sp-vol')).Mountpoint;
  assert.equal(readFileSync(join(mp, 'sub', 'n'), 'utf8'), 'new\n', 'writes land in the subdirectory');
  assert.ok(!existsSync(join(mp, 'n')));
});

test('read-only volumes: `--mount type=volume,readonly` and `-v name:/p:ro` refuse writes with "Read-only file system"', { skip }, async (t) => {
  t.after(() => cleanup(dk, { volumes: ['ro-vol'] }));
  await dk.ok('run', '--rm', '-v', 'ro-vol:/v', 'busybox', 'sh', '-c', 'echo data > /v/f');
  for (const spec of [['--mount', 'type=volume,src=ro-vol,dst=/v,readonly'], ['-v', 'ro-vol:/v:ro']]) {
    const r = await dk.run(['run', '--rm', ...spec, 'busybox', 'sh', '-c', 'cat /v/f; rm /v/f']);
    assert.equal(r.stdout, 'data\n', spec.join(' '));
    assert.notEqual(r.code, 0, `${spec.join(' ')}: the write fails`);
    assert.match(r.stderr, /rm: can't remove '\/v\/f': Read-only file system/, spec.join(' '));
  }
  assert.equal(await dk.ok('run', '--rm', '-v', 'ro-vol:/v', 'busybox', 'cat', '/v/f'), 'data\n');
});

test('local driver options: a type=tmpfs volume is tmpfs in the container; a type=none,o=bind volume is the host directory', { skip }, async (t) => {
  t.after(() => cleanup(dk, { containers: ['lo-hold'], volumes: ['lo-tmp', 'lo-bind'] }));
  await dk.ok('volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m', 'lo-tmp');
  const seen = await dk.ok('run', '--rm', '-v', 'lo-tmp:/tv', 'busybox', 'sh', '-c', 'grep " /tv " /proc/mounts');
  assert.match(seen, /^tmpfs \/tv tmpfs \S*\bsize=1024k\b/, seen);
  const mp = (await inspectVolume(dk, 'lo-tmp')).Mountpoint;
  const mountedAt = (): boolean => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === mp);
  assert.equal(mountedAt(), false, 'unmounted on the host once no container uses it');
  await dk.ok('run', '-d', '--name', 'lo-hold', '-v', 'lo-tmp:/tv', 'busybox', ...STOPPABLE);
  assert.equal(mountedAt(), true, 'mounted on the host while a container uses it');
  await dk.ok('run', '--rm', '-v', 'lo-tmp:/tv', 'busybox', 'sh', '-c', 'echo shared > /tv/f');
  assert.equal(await dk.ok('exec', 'lo-hold', 'cat', '/tv/f'), 'shared\n', 'two containers share the one tmpfs');
  await dk.ok('rm', '-f', 'lo-hold');
  assert.equal(mountedAt(), false, 'the last user gone, the tmpfs is unmounted');

  const dir = join(host, 'lo-bind');
  mkdirSync(dir);
  writeFileSync(join(dir, 'h'), 'host\n');
  await dk.ok('volume', 'create', '-o', 'type=none', '-o', `device=${dir}`, '-o', 'o=bind', 'lo-bind');
  assert.equal(await dk.ok('run', '--rm', '-v', 'lo-bind:/b', 'busybox', 'sh', '-c', 'cat /b/h; echo ctr > /b/c'), 'host\n');
  assert.equal(readFileSync(join(dir, 'c'), 'utf8'), 'ctr\n', 'the write reached the device directory');
});
