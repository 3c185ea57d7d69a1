// End to end, part two: more of the container lifecycle through the real docker CLI
// (attach, logs, signals, restart/rename/update, stats, cp/export, prune, restart policies),
// then `run` options and the isolation a container gets by default.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readlinkSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { startDaemon, run, dockerBin, poll, type PrivateDaemon } from '../../harness/pierd.js';
import { dockerCli, startClient, e2eSkip } from '../../harness/clients.js';

const skip = e2eSkip('docker CLI lifecycle e2e', { needsDocker: true });
const docker = dockerBin() ?? 'docker';

let d: PrivateDaemon;
let tmp: string;
const { dk, ok, fmt } = dockerCli(() => d);

before(async () => {
  if (skip) return;
  d = await startDaemon();
  tmp = mkdtempSync('/tmp/pier-e2e-cli-');
});
after(async (t) => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (!d) return;
  if (process.exitCode) t.diagnostic(d.logText().slice(-4000));
  await d.stop();
});

/** A shell snippet that blocks until the test creates /go inside the container. */
const waitGo = 'while [ ! -f /go ]; do sleep 0.05; done';

test('docker attach sees only new output and exits with the container code', { skip }, async () => {
  await ok('run', '-d', '--name', 'lm-attach', 'busybox', 'sh', '-c', `echo before; ${waitGo}; echo after-attach; exit 3`);
  await poll(async () => (await dk('logs', 'lm-attach')).stdout === 'before\n' || undefined, 5000, 'first line');
  const att = startClient(docker, ['attach', '--no-stdin', 'lm-attach'], d);
  // the attach is live once the daemon reports it; then let the container go on
  await poll(async () => (await dk('events', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'container=lm-attach', '--filter', 'event=attach', '--format', '{{.Action}}')).stdout.split('\n').filter(Boolean).length >= 1 || undefined, 5000, 'the attach event');
  await ok('exec', 'lm-attach', 'touch', '/go');
  assert.equal(await att.exited, 3);
  assert.equal(att.stdout(), 'after-attach\n');
  await ok('rm', 'lm-attach');
});

test('logs -f follows until the container exits', { skip }, async () => {
  await ok('run', '-d', '--name', 'lm-follow', 'busybox', 'sh', '-c', `echo one; ${waitGo}; echo two; echo three >&2`);
  const f = startClient(docker, ['logs', '-f', 'lm-follow'], d);
  await poll(() => f.stdout() === 'one\n' || undefined, 5000, 'the first line on logs -f');
  await ok('exec', 'lm-follow', 'touch', '/go');
  assert.equal(await f.exited, 0);
  assert.equal(f.stdout(), 'one\ntwo\n');
  assert.equal(f.stderr(), 'three\n');
  await ok('rm', 'lm-follow');
});

test('logs --tail, -t and --since/--until select and stamp lines', { skip }, async () => {
  await ok('run', '-d', '--name', 'lm-logs', 'busybox', 'sh', '-c', `for i in 1 2 3 4 5; do echo line$i; done; ${waitGo}; echo late`);
  await poll(async () => (await dk('logs', 'lm-logs')).stdout.endsWith('line5\n') || undefined, 5000, 'five lines');
  assert.equal(await ok('logs', '--tail', '2', 'lm-logs'), 'line4\nline5\n');
  assert.equal(await ok('logs', '--tail', '0', 'lm-logs'), '');
  assert.equal((await ok('logs', '--tail', 'all', 'lm-logs')).split('\n').length, 6);
  const stamped = (await ok('logs', '-t', 'lm-logs')).split('\n').filter(Boolean);
  assert.equal(stamped.length, 5);
  for (const [i, l] of stamped.entries()) assert.match(l, new RegExp(`^\\S+Z line${i + 1}$`));
  const firstStamp = Date.parse(stamped[0]?.split(' ')[0] ?? '');
  assert.ok(Math.abs(firstStamp - Date.now()) < 60_000, 'timestamps are wall-clock UTC');
  const mark = Date.now() / 1000 + 0.01;
  await new Promise((r) => setTimeout(r, 50)); // the mark must sit strictly between the two batches
  await ok('exec', 'lm-logs', 'touch', '/go');
  await poll(async () => ((await fmt('{{.State.Status}}', 'lm-logs')) === 'exited') || undefined, 5000, 'exit');
  assert.equal(await ok('logs', '--since', mark.toFixed(3), 'lm-logs'), 'late\n');
  assert.equal((await ok('logs', '--until', mark.toFixed(3), 'lm-logs')).split('\n').filter(Boolean).length, 5);
  assert.equal(await ok('logs', '--since', '1h', '--tail', '1', 'lm-logs'), 'late\n');
  // docker stamps with RFC3339 and a fixed nine-digit fraction (trailing zeros kept)
  for (const l of [...stamped, ...(await ok('logs', '-t', 'lm-logs')).split('\n').filter(Boolean)]) {
    assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /);
  }
  await ok('rm', 'lm-logs');
});

test('wait prints the exit code of each container', { skip }, async () => {
  await ok('run', '-d', '--name', 'lm-w1', 'busybox', 'sh', '-c', 'sleep 0.3; exit 5');
  await ok('run', '-d', '--name', 'lm-w2', 'busybox', 'true');
  assert.equal(await ok('wait', 'lm-w1', 'lm-w2'), '5\n0\n');
  const missing = await dk('wait', 'lm-nosuch');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No such container: lm-nosuch/);
  await ok('rm', 'lm-w1', 'lm-w2');
});

test('kill -s USR1 reaches a trap in the container, which keeps running', { skip }, async () => {
  await ok('run', '-d', '--name', 'lm-sig', 'busybox', 'sh', '-c', 'trap "echo got-usr1" USR1; echo ready; while true; do sleep 0.05; done');
  await poll(async () => (await dk('logs', 'lm-sig')).stdout === 'ready\n' || undefined, 5000, 'the trap');
  assert.equal(await ok('kill', '-s', 'USR1', 'lm-sig'), 'lm-sig\n');
  await poll(async () => (await dk('logs', 'lm-sig')).stdout === 'ready\ngot-usr1\n' || undefined, 5000, 'the trap to fire');
  assert.equal(await fmt('{{.State.Running}}', 'lm-sig'), 'true');
  const bad = await dk('kill', '-s', 'NOSUCH', 'lm-sig');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Invalid signal: NOSUCH/);
  await ok('kill', 'lm-sig');
  await poll(async () => (await fmt('{{.State.Status}} {{.State.ExitCode}}', 'lm-sig')) === 'exited 137' || undefined, 5000, 'exit 137');
  const again = await dk('kill', 'lm-sig');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /is not running/);
  await ok('rm', 'lm-sig');
});

test('docker kill returns only once the container has stopped, so kill && rm works', { skip }, async () => {
  // dockerd's Kill waits for the task to exit after SIGKILL; several rounds catch a racing daemon
  for (let i = 0; i < 5; i++) {
    await ok('run', '-d', '--name', `lm-kr${i}`, 'busybox', 'sleep', '300');
    await ok('kill', `lm-kr${i}`);
    const status = await fmt('{{.State.Status}} {{.State.ExitCode}}', `lm-kr${i}`);
    const rm = await dk('rm', `lm-kr${i}`);
    await dk('rm', '-f', `lm-kr${i}`);
    assert.equal(status, 'exited 137', `round ${i}: inspect right after kill`);
    assert.equal(rm.code, 0, `round ${i}: rm right after kill: ${rm.stderr}`);
  }
});

test('restart gives a new process and a later StartedAt; rename keeps the container', { skip }, async () => {
  const id = (await ok('run', '-d', '--name', 'lm-rs', 'busybox', 'sleep', '300')).trim();
  const [pid1, started1] = (await fmt('{{.State.Pid}} {{.State.StartedAt}}', 'lm-rs')).split(' ');
  assert.equal(await ok('restart', '-t', '1', 'lm-rs'), 'lm-rs\n');
  const [pid2, started2, status, count] = (await fmt('{{.State.Pid}} {{.State.StartedAt}} {{.State.Status}} {{.RestartCount}}', 'lm-rs')).split(' ');
  assert.equal(status, 'running');
  assert.notEqual(pid2, pid1);
  assert.ok(Date.parse(started2 ?? '') > Date.parse(started1 ?? ''), `${started2} after ${started1}`);
  assert.equal(count, '0'); // an explicit restart resets the restart-policy counter
  await ok('rename', 'lm-rs', 'lm-renamed');
  assert.equal(await fmt('{{.Name}} {{.Id}}', 'lm-renamed'), `/lm-renamed ${id}`);
  assert.equal((await dk('inspect', 'lm-rs')).code, 1);
  assert.equal((await ok('exec', 'lm-renamed', 'hostname')).trim(), id.slice(0, 12), 'a rename does not change the hostname');
  await ok('run', '-d', '--name', 'lm-other', 'busybox', 'sleep', '300');
  const clash = await dk('rename', 'lm-renamed', 'lm-other');
  assert.equal(clash.code, 1);
  assert.match(clash.stderr, /Conflict\. The container name "\/lm-other" is already in use by container "[0-9a-f]{64}"/);
  const same = await dk('rename', 'lm-renamed', 'lm-renamed');
  assert.equal(same.code, 1);
  assert.match(same.stderr, /Renaming a container with the same name as its current name/);
  await ok('rm', '-f', 'lm-renamed', 'lm-other');
});

test('update -m and --cpus change the live cgroup and the inspect record', { skip }, async () => {
  await ok('run', '-d', '--name', 'lm-upd', 'busybox', 'sleep', '300');
  assert.equal(await ok('update', '-m', '128m', '--cpus', '1.5', 'lm-upd'), 'lm-upd\n');
  assert.equal((await ok('exec', 'lm-upd', 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes')).trim(), '134217728');
  assert.equal((await ok('exec', 'lm-upd', 'cat', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us')).trim(), '150000');
  assert.equal(await fmt('{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}', 'lm-upd'), '134217728 1500000000');
  await ok('rm', '-f', 'lm-upd');
});

test('stats --no-stream prints one row, top lists the processes', { skip }, async () => {
  const id = (await ok('run', '-d', '--name', 'lm-stats', 'busybox', 'sleep', '300')).trim();
  const lines = (await ok('stats', '--no-stream', 'lm-stats')).split('\n').filter(Boolean);
  assert.equal(lines.length, 2);
  assert.match(lines[0] ?? '', /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
  assert.match(lines[1] ?? '', new RegExp(`^${id.slice(0, 12)}\\s+lm-stats\\s+\\d+\\.\\d\\d%\\s+[\\d.]+[KMG]?i?B / [\\d.]+[KMGT]iB\\s+\\d+\\.\\d\\d%\\s+.+\\s+1$`));
  assert.equal(await ok('stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'lm-stats'), 'lm-stats 1\n');
  const top = (await ok('top', 'lm-stats', '-o', 'pid,comm')).split('\n').filter(Boolean);
  assert.match(top[0] ?? '', /^PID\s+COMMAND$/);
  assert.equal(top.length, 2);
  assert.match(top[1] ?? '', /^\d+\s+sleep$/);
  const stopped = await dk('top', 'lm-nosuch');
  assert.match(stopped.stderr, /No such container: lm-nosuch/);
  await ok('rm', '-f', 'lm-stats');
});

test('cp copies a directory out and in; export lists the rootfs', { skip }, async () => {
  const id = (await ok('run', '-d', '--name', 'lm-cp', 'busybox', 'sleep', '300')).trim();
  await ok('cp', 'lm-cp:/etc', join(tmp, 'x'));
  assert.ok(existsSync(join(tmp, 'x', 'passwd')));
  mkdirSync(join(tmp, 'into'));
  await ok('cp', 'lm-cp:/etc', join(tmp, 'into'));
  assert.ok(existsSync(join(tmp, 'into', 'etc', 'passwd')), 'an existing destination directory receives etc/');
  mkdirSync(join(tmp, 'dir', 'sub'), { recursive: true });
  writeFileSync(join(tmp, 'dir', 'sub', 'f'), 'payload\n');
  await ok('cp', join(tmp, 'dir'), 'lm-cp:/');
  assert.equal(await ok('exec', 'lm-cp', 'cat', '/dir/sub/f'), 'payload\n');
  await ok('cp', join(tmp, 'dir', 'sub', 'f'), 'lm-cp:/tmp/renamed');
  assert.equal(await ok('exec', 'lm-cp', 'cat', '/tmp/renamed'), 'payload\n');
  const missing = await dk('cp', 'lm-cp:/nosuch', join(tmp, 'n'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Could not find the file \/nosuch in container lm-cp/);
  // A long missing path (under PATH_MAX) is shown cut, so the message stays readable.
  const long = `/${'nosuch/'.repeat(500)}`;
  const longMissing = await dk('cp', `lm-cp:${long}`, join(tmp, 'n'));
  assert.equal(longMissing.code, 1);
  assert.match(longMissing.stderr, new RegExp(`Could not find the file ${long.slice(0, 200)}… in container lm-cp`));
  assert.ok(longMissing.stderr.length < 1000, `${longMissing.stderr.length} bytes`);
  const tarList = await run('sh', ['-c', `${docker} export lm-cp | tar -t`], d);
  assert.equal(tarList.code, 0, tarList.stderr);
  const names = tarList.stdout.split('\n');
  assert.ok(names.includes('bin/busybox'), 'export has bin/busybox');
  assert.ok(names.includes('dir/sub/f'), 'export has the copied-in file');
  const streamOut = await run('sh', ['-c', `${docker} cp lm-cp:/etc/hostname - | tar -t`], d);
  assert.equal(streamOut.stdout, 'hostname\n');
  // docker copies through the container's mounts: /etc/hostname is the container's, not the image's
  assert.equal(readFileSync(join(tmp, 'x', 'hostname'), 'utf8'), `${id.slice(0, 12)}\n`);
  await ok('rm', '-f', 'lm-cp');
});

test('container prune -f removes only stopped containers', { skip }, async () => {
  const a = (await ok('create', '--label', 'lm-prune=1', 'busybox', 'true')).trim();
  await ok('run', '--label', 'lm-prune=1', '--name', 'lm-pr-exited', 'busybox', 'true');
  const b = (await fmt('{{.Id}}', 'lm-pr-exited'));
  await ok('run', '-d', '--label', 'lm-prune=1', '--name', 'lm-pr-live', 'busybox', 'sleep', '300');
  const out = await ok('container', 'prune', '-f', '--filter', 'label=lm-prune=1');
  assert.match(out, /^Deleted Containers:\n/);
  const deleted = out.split('\n').filter((l) => /^[0-9a-f]{64}$/.test(l)).sort();
  assert.deepEqual(deleted, [a, b].sort());
  assert.match(out, /Total reclaimed space: \S+B\n$/);
  assert.equal((await ok('ps', '-a', '--filter', 'label=lm-prune=1', '--format', '{{.Names}}')).trim(), 'lm-pr-live');
  await ok('rm', '-f', 'lm-pr-live');
});

test('restart policies: always comes back after a crash but not after docker kill, and across a daemon kill -9', { skip, timeout: 60_000 }, async () => {
  await ok('run', '-d', '--name', 'lm-always', '--restart', 'always', 'busybox', 'sleep', '300');
  await ok('run', '-d', '--name', 'lm-always-stopped', '--restart', 'always', 'busybox', 'sleep', '300');
  await ok('run', '-d', '--name', 'lm-unless', '--restart', 'unless-stopped', 'busybox', 'sleep', '300');
  await ok('run', '-d', '--name', 'lm-unless-live', '--restart', 'unless-stopped', 'busybox', 'sleep', '300');
  // the process dies on its own (killed from the host, not through the API): restarted
  const pid1 = Number(await fmt('{{.State.Pid}}', 'lm-always'));
  process.kill(pid1, 'SIGKILL');
  await poll(async () => {
    const [status, pid, count] = (await fmt('{{.State.Status}} {{.State.Pid}} {{.RestartCount}}', 'lm-always')).split(' ');
    return (status === 'running' && Number(pid) !== pid1 && count === '1') || undefined;
  }, 10_000, 'lm-always to come back');
  // docker kill counts as a manual stop: no restart
  await ok('kill', 'lm-always');
  await new Promise((r) => setTimeout(r, 1000)); // docker's first restart delay is 100 ms: a restart would show by now
  assert.equal(await fmt('{{.State.Status}} {{.State.ExitCode}}', 'lm-always'), 'exited 137');
  await ok('start', 'lm-always');
  await ok('stop', '-t', '1', 'lm-always-stopped');
  await ok('stop', '-t', '1', 'lm-unless');
  // the daemon dies; meanwhile the always container's process dies too
  const pid2 = Number(await fmt('{{.State.Pid}}', 'lm-always'));
  await d.crash();
  process.kill(pid2, 'SIGKILL');
  await d.restart();
  await poll(async () => ((await fmt('{{.State.Status}}', 'lm-always')) === 'running' && Number(await fmt('{{.State.Pid}}', 'lm-always')) !== pid2) || undefined, 10_000, 'lm-always restarted by the new daemon');
  // on daemon start, always restarts even a manually stopped container; unless-stopped does not
  await poll(async () => ((await fmt('{{.State.Status}}', 'lm-always-stopped')) === 'running') || undefined, 10_000, 'lm-always-stopped started at boot');
  assert.equal(await fmt('{{.State.Status}}', 'lm-unless-live'), 'running');
  assert.equal(await fmt('{{.State.Status}}', 'lm-unless'), 'exited');
  // and a clean daemon restart (SIGTERM) keeps the same promise
  await ok('stop', '-t', '1', 'lm-unless-live');
  d.proc.kill('SIGTERM');
  await new Promise((r) => d.proc.once('exit', r));
  await d.restart();
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await fmt('{{.State.Status}}', 'lm-unless-live'), 'exited');
  assert.equal(await fmt('{{.State.Status}}', 'lm-unless'), 'exited');
  await ok('rm', '-f', 'lm-always', 'lm-always-stopped', 'lm-unless', 'lm-unless-live');
});

// ---- run options and isolation ----

const sh = async (script: string, ...opts: string[]): Promise<string> => ok('run', '--rm', ...opts, 'busybox', 'sh', '-c', script);

test('--init runs docker-init as pid 1 in front of the command', { skip }, async () => {
  assert.equal(await ok('run', '--rm', '--init', 'busybox', 'cat', '/proc/1/comm'), 'docker-init\n');
  const ps = await ok('run', '--rm', '--init', 'busybox', 'ps', '-o', 'pid,args');
  assert.match(ps, /^\s*1 \/sbin\/docker-init -- ps -o pid,args$/m);
  assert.equal(await ok('run', '--rm', 'busybox', 'cat', '/proc/1/comm'), 'cat\n');
});

test('--read-only makes / read-only but leaves /dev/shm writable', { skip }, async () => {
  const r = await dk('run', '--rm', '--read-only', 'busybox', 'touch', '/x');
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'touch: /x: Read-only file system\n');
  assert.equal((await dk('run', '--rm', '--read-only', 'busybox', 'touch', '/tmp/x')).code, 1);
  assert.equal(await sh('touch /dev/shm/x && echo shm-ok', '--read-only'), 'shm-ok\n');
  assert.equal((await dk('run', '--rm', '--read-only', 'busybox', 'sh', '-c', 'echo x > /etc/hostname')).code, 1);
  assert.equal(await sh('touch /x && echo rw-ok'), 'rw-ok\n');
});

test('-u, -w, -e, --env-file and -h shape the process', { skip }, async () => {
  assert.equal(await ok('run', '--rm', '-u', '1000:1000', 'busybox', 'id'), 'uid=1000 gid=1000 groups=1000\n');
  assert.equal(await ok('run', '--rm', '-u', 'nobody', 'busybox', 'id', '-un'), 'nobody\n');
  assert.equal(await ok('run', '--rm', '-w', '/tmp', 'busybox', 'pwd'), '/tmp\n');
  assert.equal(await ok('run', '--rm', '-w', '/made/by/docker', 'busybox', 'pwd'), '/made/by/docker\n');
  const envFile = join(tmp, 'env.list');
  writeFileSync(envFile, '# a comment\nA=1\nB=two words\n\nC=from-file\n');
  const env = (await ok('run', '--rm', '-e', 'X=y', '-e', 'C=from-flag', '--env-file', envFile, '-h', 'myhost', 'busybox', 'env')).split('\n').filter(Boolean).sort();
  assert.deepEqual(env, ['A=1', 'B=two words', 'C=from-flag', 'HOME=/root', 'HOSTNAME=myhost', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'X=y']);
  assert.equal(await sh('hostname; cat /etc/hostname', '-h', 'myhost'), 'myhost\nmyhost\n');
});

test('capabilities: --cap-drop ALL stops chown, --privileged may mount', { skip }, async () => {
  assert.equal(await sh('chown 1 /tmp && echo chown-ok'), 'chown-ok\n');
  const dropped = await dk('run', '--rm', '--cap-drop', 'ALL', 'busybox', 'chown', '1', '/tmp');
  assert.equal(dropped.code, 1);
  assert.equal(dropped.stderr, 'chown: /tmp: Operation not permitted\n');
  const noMount = await dk('run', '--rm', 'busybox', 'sh', '-c', 'mkdir /m && mount -t tmpfs none /m');
  assert.notEqual(noMount.code, 0, 'a default container cannot mount');
  assert.equal(await sh('mkdir /m && mount -t tmpfs none /m && echo mounted', '--privileged'), 'mounted\n');
  assert.equal(await sh('grep CapEff /proc/self/status', '--cap-drop', 'ALL'), 'CapEff:\t0000000000000000\n');
  assert.equal(await sh('grep CapEff /proc/self/status'), 'CapEff:\t00000000a80425fb\n'); // docker's 14 default capabilities
});

test('--pids-limit and --cpus land in the cgroup', { skip }, async () => {
  assert.equal(await sh('cat /sys/fs/cgroup/pids/pids.max', '--pids-limit', '20'), '20\n');
  assert.equal(await sh('cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us', '--cpus', '0.5'), '50000\n100000\n');
});

test('a container gets its own namespaces, processes, hostname and /etc files', { skip }, async () => {
  const kinds = ['pid', 'mnt', 'uts', 'ipc', 'net'];
  const inside = (await sh(kinds.map((k) => `readlink /proc/self/ns/${k}`).join('; '))).split('\n').filter(Boolean);
  assert.equal(inside.length, kinds.length);
  for (const [i, k] of kinds.entries()) assert.notEqual(inside[i], readlinkSync(`/proc/self/ns/${k}`), `${k} namespace is private`);
  const ps = (await ok('run', '--rm', 'busybox', 'ps', '-o', 'pid,comm')).trim().split('\n');
  assert.deepEqual(ps.map((l) => l.trim().replace(/\s+/g, ' ')), ['PID COMMAND', '1 ps']);
  const id = (await ok('run', '-d', '--name', 'lm-iso', 'busybox', 'sleep', '300')).trim();
  const h = (await ok('exec', 'lm-iso', 'hostname')).trim();
  assert.notEqual(h, hostname());
  assert.equal(h, id.slice(0, 12));
  assert.equal(await ok('exec', 'lm-iso', 'cat', '/etc/hostname'), `${h}\n`);
  assert.match(await ok('exec', 'lm-iso', 'cat', '/etc/hosts'), /^127\.0\.0\.1\tlocalhost$/m);
  assert.match(await ok('exec', 'lm-iso', 'cat', '/etc/resolv.conf'), /^nameserver /m);
  await ok('rm', '-f', 'lm-iso');
});

test('-it gives the process a terminal', { skip }, async () => {
  const r = await run('script', ['-eqc', `${docker} run --rm -it busybox tty`, '/dev/null'], d, { holdStdin: true });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\/dev\/pts\/0\r\n$/);
  const code = await run('script', ['-eqc', `${docker} run --rm -it busybox sh -c "exit 3"`, '/dev/null'], d, { holdStdin: true });
  assert.equal(code.code, 3);
  const notty = await ok('run', '--rm', 'busybox', 'sh', '-c', 'tty; true');
  assert.equal(notty, 'not a tty\n');
});

test('masked and read-only paths, and the default seccomp profile', { skip }, async () => {
  assert.equal(await sh('cat /proc/keys; cat /proc/timer_list; echo end'), 'end\n');
  assert.equal(await sh('ls /sys/firmware; echo end'), 'end\n');
  const ro = await dk('run', '--rm', 'busybox', 'sh', '-c', 'echo x > /proc/sys/kernel/domainname');
  assert.equal(ro.code, 1);
  assert.match(ro.stderr, /Read-only file system/);
  assert.equal(await sh('unshare -r true && echo unconfined-ok', '--security-opt', 'seccomp=unconfined'), 'unconfined-ok\n');
  assert.equal(await sh('grep Seccomp: /proc/self/status'), 'Seccomp:\t2\n');
  assert.equal(await sh('grep Seccomp: /proc/self/status', '--privileged'), 'Seccomp:\t0\n');
  // docker's profile allows unshare(2) only with CAP_SYS_ADMIN
  const us = await dk('run', '--rm', 'busybox', 'unshare', '-r', 'true');
  assert.equal(us.code, 1, 'unshare must be refused by the default seccomp profile');
  assert.match(us.stderr, /Operation not permitted/);
});
