// End to end: containment, each case both ways: what a default container is refused, and the
// explicit opt-in (--cap-add, --security-opt, --privileged) that allows it. The real docker CLI
// against a private pierd, real containers on the real kernel.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { usePrivateDaemon, startDaemon, dockerBin, isRoot, repoRoot, type PrivateDaemon } from '../../harness/pierd.js';
import { dockerCli } from '../../harness/clients.js';

const execFileP = promisify(execFile);
const docker = dockerBin();
const skip = !isRoot() ? 'needs root' : !docker ? 'the docker CLI is not on PATH' : false;
if (skip && process.env['CI'] === 'true' && !isRoot()) throw new Error('CI runs as root');

let d: PrivateDaemon;
usePrivateDaemon(skip, (x) => { d = x; });
const { dk, ok } = dockerCli(() => d);

let tmp = '';
let probe = '';
before(async () => {
  if (skip) return;
  tmp = mkdtempSync(join(tmpdir(), 'pier-e2e-contain-'));
  probe = join(tmp, 'keyctl-probe');
  await execFileP('cc', ['-static', '-O2', '-o', probe, join(repoRoot, 'test', 'e2e', 'daemon', 'keyctl-probe.c')]);
});
after(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

/** `docker run --rm [flags] busybox sh -c script`: exit code and both streams. */
async function sh(script: string, ...flags: string[]): Promise<{ code: number; out: string }> {
  const r = await dk('run', '--rm', ...flags, 'busybox', 'sh', '-c', script);
  return { code: r.code, out: r.stdout + r.stderr };
}

test('mount: refused by default; --cap-add SYS_ADMIN and --privileged allow it', { skip }, async () => {
  const m = 'mkdir -p /x && mount -t tmpfs none /x && echo mounted';
  const refused = await sh(m);
  assert.notEqual(refused.code, 0);
  assert.match(refused.out, /Operation not permitted|permission denied/i);
  assert.equal((await sh(m, '--cap-add', 'SYS_ADMIN')).out, 'mounted\n');
  assert.equal((await sh(m, '--privileged')).out, 'mounted\n');
});

test('the clock: refused by default; --cap-add SYS_TIME allows setting it', { skip }, async () => {
  // Sets the clock to the second it already is: the host loses less than a second of precision.
  // busybox date reports a refused settimeofday on stderr and still exits 0.
  const set = 'date -s @$(date +%s) 2>&1 >/dev/null; echo done';
  assert.equal((await sh(set)).out, "date: can't set date: Operation not permitted\ndone\n");
  assert.equal((await sh(set, '--cap-add', 'SYS_TIME')).out, 'done\n');
});

test('kernel modules: refused by default; --cap-add SYS_MODULE lets the call through', { skip }, async () => {
  const refused = await sh('rmmod pier_e2e_no_such_module');
  assert.equal(refused.code, 1);
  assert.match(refused.out, /Operation not permitted/);
  // With the capability (and docker's profile then allowing delete_module) the kernel itself
  // answers: no such module, or no module support at all — anything but a permission error.
  const allowed = await sh('rmmod pier_e2e_no_such_module', '--cap-add', 'SYS_MODULE');
  assert.doesNotMatch(allowed.out, /Operation not permitted/);
  assert.match(allowed.out, /No such file|not found|Function not implemented/);
});

test('keyring syscalls: refused by the default seccomp profile; seccomp=unconfined or a custom profile allow them', { skip }, async () => {
  const bind = ['-v', `${probe}:/probe:ro`];
  const refused = await dk('run', '--rm', ...bind, 'busybox', '/probe');
  assert.equal(refused.code, 1);
  assert.equal(refused.stdout, 'add_key: Operation not permitted\nkeyctl: Operation not permitted\n');
  const unconfined = await dk('run', '--rm', ...bind, '--security-opt', 'seccomp=unconfined', 'busybox', '/probe');
  assert.equal(unconfined.code, 0, unconfined.stdout + unconfined.stderr);
  assert.equal(unconfined.stdout, 'add_key: ok\nkeyctl: ok\n');
  const profile = join(tmp, 'allow-all.json');
  writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] }));
  const custom = await dk('run', '--rm', ...bind, '--security-opt', `seccomp=${profile}`, 'busybox', 'sh', '-c', '/probe; mkdir /nope');
  assert.equal(custom.stdout, 'add_key: ok\nkeyctl: ok\n');
  assert.match(custom.stderr, /mkdir: can't create directory '\/nope': Operation not permitted/);
  const broken = join(tmp, 'broken.json');
  writeFileSync(broken, '{"defaultAction": ');
  const bad = await dk('run', '--rm', '--security-opt', `seccomp=${broken}`, 'busybox', 'true');
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /seccomp/i);
});

test('masked paths read empty by default; --privileged and systempaths=unconfined unmask them', { skip }, async () => {
  // docker's masked files that this kernel has and that read non-empty on the host
  const masked = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/proc/latency_stats', '/proc/timer_stats']
    .filter((p) => { try { return readFileSync(p).length > 0; } catch { return false; } });
  assert.ok(masked.length > 0, 'the host has at least one of docker\'s masked files');
  const size = `for f in ${masked.join(' ')}; do head -c 16 $f | wc -c; done`;
  assert.deepEqual((await sh(size)).out.split('\n').filter(Boolean), masked.map(() => '0'));
  assert.deepEqual((await sh(size, '--privileged')).out.split('\n').filter(Boolean), masked.map(() => '16'));
  assert.deepEqual((await sh(size, '--security-opt', 'systempaths=unconfined')).out.split('\n').filter(Boolean), masked.map(() => '16'));
  const ro = await sh('echo 1 > /proc/sys/vm/overcommit_memory');
  assert.notEqual(ro.code, 0);
  assert.match(ro.out, /Read-only file system/);
});

test('no-new-privileges: off by default, on with --security-opt no-new-privileges', { skip }, async () => {
  assert.equal((await sh('grep NoNewPrivs /proc/self/status')).out, 'NoNewPrivs:\t0\n');
  assert.equal((await sh('grep NoNewPrivs /proc/self/status', '--security-opt', 'no-new-privileges')).out, 'NoNewPrivs:\t1\n');
  assert.equal((await sh('grep NoNewPrivs /proc/self/status', '--security-opt', 'no-new-privileges=true')).out, 'NoNewPrivs:\t1\n');
  // An exec inherits it from the container.
  await ok('run', '-d', '--name', 'ct-nnp', '--security-opt', 'no-new-privileges', 'busybox', 'sleep', '300');
  assert.equal(await ok('exec', 'ct-nnp', 'grep', 'NoNewPrivs', '/proc/self/status'), 'NoNewPrivs:\t1\n');
  await ok('rm', '-f', 'ct-nnp');
});

test('docker info lists the security options in force', { skip }, async () => {
  const opts = JSON.parse(await ok('info', '--format', '{{json .SecurityOptions}}')) as string[];
  assert.ok(opts.includes('name=seccomp,profile=builtin'), JSON.stringify(opts));
  assert.ok(!opts.includes('name=userns'));
  assert.ok(!opts.includes('name=no-new-privileges'));
});

test('the socket is 0660, owned by root and the --group given (a name or a gid); an unknown group stops pierd', { skip }, async () => {
  const { statSync } = await import('node:fs');
  const { spawnSync } = await import('node:child_process');
  const g = await startDaemon({ extraArgs: ['--group', '4242'] });
  try {
    const st = statSync(g.socket);
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.uid, 0);
    assert.equal(st.gid, 4242);
  } finally { await g.stop(); }
  const bad = spawnSync(join(repoRoot, 'bin', 'pierd'), ['-H', `unix://${join(tmp, 'g.sock')}`, '--data-root', join(tmp, 'gd'), '--exec-root', join(tmp, 'ge'), '--group', 'pier-e2e-no-such-group'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^pierd: --group: group "pier-e2e-no-such-group" not found in \/etc\/group: create it \(groupadd pier-e2e-no-such-group\) or give another group or gid$/m);
  assert.equal(statSync(join(tmp, 'g.sock'), { throwIfNoEntry: false }), undefined, 'no socket left behind');
});

test('the daemon\'s --seccomp-profile: a file every container gets, unconfined, and a file that does not parse', { skip }, async () => {
  const { spawnSync } = await import('node:child_process');
  const profile = join(tmp, 'no-mkdir.json');
  writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
  const p = await startDaemon({ extraArgs: ['--seccomp-profile', profile] });
  try {
    const pk = dockerCli(() => p);
    const refused = await pk.dk('run', '--rm', 'busybox', 'mkdir', '/x');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Operation not permitted/);
    assert.equal((await pk.dk('run', '--rm', '--security-opt', 'seccomp=unconfined', 'busybox', 'mkdir', '/x')).code, 0);
    const opts = JSON.parse(await pk.ok('info', '--format', '{{json .SecurityOptions}}')) as string[];
    assert.ok(opts.includes(`name=seccomp,profile=${profile}`), JSON.stringify(opts));
  } finally { await p.stop(); }
  const u = await startDaemon({ extraArgs: ['--seccomp-profile=unconfined'] });
  try {
    const uk = dockerCli(() => u);
    assert.equal(await uk.ok('run', '--rm', 'busybox', 'grep', 'Seccomp:', '/proc/self/status'), 'Seccomp:\t0\n');
    assert.ok((JSON.parse(await uk.ok('info', '--format', '{{json .SecurityOptions}}')) as string[]).includes('name=seccomp,profile=unconfined'));
  } finally { await u.stop(); }
  const broken = join(tmp, 'broken-daemon.json');
  writeFileSync(broken, '{"defaultAction": "SCMP_ACT_ALLOW", ');
  const bad = spawnSync(join(repoRoot, 'bin', 'pierd'), ['-H', `unix://${join(tmp, 's.sock')}`, '--data-root', join(tmp, 'sd'), '--exec-root', join(tmp, 'se'), '--seccomp-profile', broken], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, new RegExp(`^pierd: --seccomp-profile: ${broken.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: Decoding seccomp profile failed: .*: fix the file or use --seccomp-profile=builtin$`, 'm'));
});
