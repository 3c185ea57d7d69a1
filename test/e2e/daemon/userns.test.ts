// End to end: `pierd --userns-remap=default --no-new-privileges`. Root in a container is the first
// subordinate id of `dockremap` on the host; image files, volumes, builds, commits and copies
// are owned accordingly; `--userns=host` opts one container out. The dockremap user, when this
// test creates it (as dockerd would), is removed afterwards with its subordinate ranges.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startDaemon, dockerBin, isRoot, repoRoot, type PrivateDaemon } from '../../harness/pierd.js';
import { dockerCli } from '../../harness/clients.js';

const docker = dockerBin();
const skip = !isRoot() ? 'needs root' : !docker ? 'the docker CLI is not on PATH' : false;
if (skip && process.env['CI'] === 'true' && !isRoot()) throw new Error('CI runs as root');

const hadUser = () => readFileSync('/etc/passwd', 'utf8').split('\n').some((l) => l.startsWith('dockremap:'));
let createdUser = false;
let d: PrivateDaemon;
let tmp = '';
const { dk, ok, fmt } = dockerCli(() => d);
/** The remapped root: dockremap's first subordinate uid and gid. */
let rootUid = -1;
let rootGid = -1;

before(async () => {
  if (skip) return;
  createdUser = !hadUser();
  d = await startDaemon({ extraArgs: ['--userns-remap=default', '--no-new-privileges'], rootMode: 0o711 });
  const range = (f: string): number => Number(readFileSync(f, 'utf8').split('\n').find((l) => l.startsWith('dockremap:'))?.split(':')[1]);
  rootUid = range('/etc/subuid');
  rootGid = range('/etc/subgid');
  tmp = mkdtempSync(join(tmpdir(), 'pier-e2e-userns-'));
});

after(async () => {
  if (skip) return;
  await d?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  // userdel also drops dockremap's /etc/subuid and /etc/subgid lines.
  if (createdUser && hadUser()) execFileSync('userdel', ['dockremap']);
});

/** Host ids of a path, as `uid:gid`. */
const owner = (p: string): string => { const s = lstatSync(p); return `${s.uid}:${s.gid}`; };

test('--userns-remap=default: root in the container is dockremap\'s first subordinate id on the host', { skip }, async () => {
  assert.ok(Number.isInteger(rootUid) && rootUid >= 100000, `dockremap has a range in /etc/subuid (got ${rootUid})`);
  assert.equal(await ok('run', '--rm', 'busybox', 'id', '-u'), '0\n');
  assert.equal((await ok('run', '--rm', 'busybox', 'cat', '/proc/self/uid_map')).trim().split(/\s+/).join(' '), `0 ${rootUid} 65536`);
  await ok('run', '-d', '--name', 'un-top', 'busybox', 'sleep', '300');
  const pid = await fmt('{{.State.Pid}}', 'un-top');
  const uidLine = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:')) ?? '';
  assert.deepEqual(uidLine.split(/\s+/).slice(1), [String(rootUid), String(rootUid), String(rootUid), String(rootUid)]);
  // An exec joins the same user namespace.
  assert.equal(await ok('exec', 'un-top', 'cat', '/proc/self/uid_map').then((s) => s.trim().split(/\s+/).join(' ')), `0 ${rootUid} 65536`);
  const info = JSON.parse(await ok('info', '--format', '{{json .}}')) as { SecurityOptions: string[]; DockerRootDir: string };
  assert.ok(info.SecurityOptions.includes('name=userns'), JSON.stringify(info.SecurityOptions));
  assert.ok(info.SecurityOptions.includes('name=no-new-privileges'), JSON.stringify(info.SecurityOptions));
  assert.equal(info.DockerRootDir, join(d.root, 'data', `${rootUid}.${rootGid}`));
  await ok('rm', '-f', 'un-top');
});

test('image files read as the container\'s root and are the remapped root on the host', { skip }, async () => {
  assert.equal(await ok('run', '--rm', 'busybox', 'stat', '-c', '%u:%g', '/bin/busybox', '/'), '0:0\n0:0\n');
  const r = await ok('run', '--rm', 'busybox', 'sh', '-c', 'touch /made && mkdir -p /etc/more && echo written');
  assert.equal(r, 'written\n');
  const snapshots = join(d.root, 'data', `${rootUid}.${rootGid}`, 'snapshots');
  const owners = new Set(readdirSync(snapshots).flatMap((s) => { try { return [owner(join(snapshots, s, 'fs', 'bin'))]; } catch { return []; } }));
  assert.deepEqual([...owners], [`${rootUid}:${rootGid}`], 'unpacked layers carry the remapped ids');
});

test('volumes belong to the remapped root; --userns=host opts a container out', { skip }, async () => {
  await ok('run', '--rm', '-v', 'un-vol:/data', 'busybox', 'sh', '-c', 'touch /data/f && chown 7:8 /data/f');
  const mp = await ok('volume', 'inspect', '-f', '{{.Mountpoint}}', 'un-vol');
  assert.equal(owner(mp.trim()), `${rootUid}:${rootGid}`);
  assert.equal(owner(join(mp.trim(), 'f')), `${rootUid + 7}:${rootGid + 8}`);
  assert.equal(await ok('run', '--rm', '-v', 'un-vol:/data', 'busybox', 'stat', '-c', '%u:%g', '/data/f'), '7:8\n');
  // Opted out: no user namespace, real root; refused without it: --privileged.
  assert.equal((await ok('run', '--rm', '--userns=host', 'busybox', 'cat', '/proc/self/uid_map')).trim().split(/\s+/).join(' '), '0 0 4294967295');
  const priv = await dk('run', '--rm', '--privileged', 'busybox', 'true');
  assert.equal(priv.code, 125);
  assert.match(priv.stderr, /privileged mode is incompatible with user namespaces/);
  assert.equal(await ok('run', '--rm', '--privileged', '--userns=host', 'busybox', 'id', '-u'), '0\n');
  await ok('volume', 'rm', 'un-vol');
});

test('the daemon\'s --no-new-privileges is every container\'s default; a container may turn it off', { skip }, async () => {
  assert.equal(await ok('run', '--rm', 'busybox', 'grep', 'NoNewPrivs', '/proc/self/status'), 'NoNewPrivs:\t1\n');
  assert.equal(await ok('run', '--rm', '--security-opt', 'no-new-privileges=false', 'busybox', 'grep', 'NoNewPrivs', '/proc/self/status'), 'NoNewPrivs:\t0\n');
});

test('builds, commits, cp and export carry the container\'s ids, not the host\'s', { skip }, async () => {
  const ctx = join(tmp, 'ctx');
  execFileSync('mkdir', ['-p', ctx]);
  writeFileSync(join(ctx, 'f.txt'), 'hi\n');
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nWORKDIR /app\nCOPY --chown=5:6 f.txt .\nRUN touch /app/made && chown 1000:1000 /app/made\nUSER 1000\nRUN id -u > /tmp/who\n');
  await ok('build', '-q', '-t', 'pier-e2e/userns:1', ctx);
  assert.equal(await ok('run', '--rm', 'pier-e2e/userns:1', 'stat', '-c', '%n %u:%g', '/app', '/app/f.txt', '/app/made', '/tmp/who'),
    '/app 0:0\n/app/f.txt 5:6\n/app/made 1000:1000\n/tmp/who 1000:0\n');
  // The saved layers hold container ids, so the image runs the same on any daemon.
  const saved = join(tmp, 'img.tar');
  await ok('save', '-o', saved, 'pier-e2e/userns:1');
  const unpacked = join(tmp, 'img');
  execFileSync('mkdir', ['-p', unpacked]);
  execFileSync('tar', ['-xf', saved, '-C', unpacked]);
  const listing = readdirSync(join(unpacked, 'blobs', 'sha256')).map((b) => spawnSync('tar', ['-tvf', join(unpacked, 'blobs', 'sha256', b)], { encoding: 'utf8' }).stdout ?? '').join('');
  assert.match(listing, /-rw-r--r-- 5\/6 .* app\/f\.txt/);
  assert.match(listing, /-rw-r--r-- 1000\/1000 .* app\/made/);
  assert.doesNotMatch(listing, new RegExp(` ${rootUid}/`), 'no host id leaks into a layer');
  // commit, cp out, cp in, export
  await ok('run', '--name', 'un-c', 'busybox', 'sh', '-c', 'mkdir /x && touch /x/y && chown 3:4 /x/y');
  await ok('commit', 'un-c', 'pier-e2e/userns:c');
  assert.equal(await ok('run', '--rm', 'pier-e2e/userns:c', 'stat', '-c', '%u:%g', '/x/y'), '3:4\n');
  const cpOut = spawnSync(docker ?? 'docker', ['cp', 'un-c:/x', '-'], { env: d.env });
  const listed = spawnSync('tar', ['-tvf', '-'], { input: cpOut.stdout, encoding: 'utf8' }).stdout;
  assert.match(listed, /3\/4 .* x\/y/);
  const exported = spawnSync(docker ?? 'docker', ['export', 'un-c'], { env: d.env, maxBuffer: 64 << 20 });
  const exportList = spawnSync('tar', ['-tv'], { input: exported.stdout, encoding: 'utf8', maxBuffer: 64 << 20 }).stdout;
  assert.match(exportList, /3\/4 .* x\/y/);
  assert.doesNotMatch(exportList, new RegExp(` ${rootUid}/`));
  writeFileSync(join(tmp, 'in.txt'), 'in\n');
  await ok('cp', join(tmp, 'in.txt'), 'un-c:/in.txt');
  await ok('commit', 'un-c', 'pier-e2e/userns:c2');
  assert.equal(await ok('run', '--rm', 'pier-e2e/userns:c2', 'stat', '-c', '%u:%g', '/in.txt'), '0:0\n');
  await ok('rm', 'un-c');
});

test('a remap user without subordinate ids stops pierd with one line naming the file and the fix', { skip }, async () => {
  const out = spawnSync(join(repoRoot, 'bin', 'pierd'), ['-H', `unix://${join(tmp, 'x.sock')}`, '--data-root', join(tmp, 'd'), '--exec-root', join(tmp, 'e'), '--userns-remap=daemon'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(out.status, 1);
  assert.match(out.stderr, /^pierd: --userns-remap: no subordinate uid range for daemon in \/etc\/subuid: add one, e\.g\. usermod --add-subuids 100000-165535 daemon$/m);
  const bad = spawnSync(join(repoRoot, 'bin', 'pierd'), ['--userns-remap=a:b:c'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /invalid --userns-remap value "a:b:c"/);
});
