// End to end: `pier` drives containers on a private pierd through their lifecycle:
// create/start/stop/kill/restart/pause/rename/wait/rm, logs, attach, exec, top, stats,
// update, cp, diff, export, port and prune.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, run, pierBin, poll, type PrivateDaemon, type RunResult } from '../../harness/pierd.js';
import { e2eSkip, startClient } from '../../harness/clients.js';
import { boundCli, assertSameTable, docker, waitGo, stoppable, apiContainer, removeContainers } from './cli-helpers.js';
import { inScript as inScriptOf } from './cli-helpers.js';

const skip = e2eSkip('pier container lifecycle e2e', { needsDocker: true });

let d: PrivateDaemon;
let tmp: string;
const pier = boundCli(pierBin, () => d);
const dk = boundCli(docker, () => d);

before(async () => {
  if (skip) return;
  d = await startDaemon();
  tmp = mkdtempSync('/tmp/pier-e2e-pcli-');
});
after(async (t) => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (!d) return;
  if (process.exitCode) t.diagnostic(d.logText().slice(-4000));
  await d.stop();
});

/** "status exitCode" of a container, read from the API. */
const status = async (name: string): Promise<string> => {
  const c = await apiContainer(d, name);
  return c ? `${c.State.Status} ${c.State.ExitCode}` : 'missing';
};
/** Runs a CLI command line inside `script`, so the client has a terminal. */
const inScript = (bin: string, cmd: string): Promise<RunResult> => inScriptOf(bin, cmd, d);

test('pier create then start -a streams the output and exits with the container code', { skip }, async (t) => {
  t.after(() => removeContainers(d, 'pc-create'));
  const id = (await pier.ok('create', '--name', 'pc-create', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 2')).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(await status('pc-create'), 'created 0');
  assert.deepEqual(await pier.run(['start', '-a', 'pc-create']), { code: 2, stdout: 'out\n', stderr: 'err\n' });
  assert.equal(await status('pc-create'), 'exited 2');
});

test('pier stop -t 1, kill -s KILL, restart, pause/unpause, rename, wait and rm -f', { skip }, async (t) => {
  t.after(() => removeContainers(d, 'pc-life', 'pc-life2', 'pc-sleep', 'pc-wait'));
  await Promise.all([
    pier.ok('run', '-d', '--name', 'pc-sleep', 'busybox', 'sleep', '300'),
    pier.ok('run', '-d', '--name', 'pc-life', 'busybox', 'sh', '-c', stoppable),
  ]);
  // sleep as pid 1 ignores SIGTERM: stop kills it once the 1 s timeout is over (meanwhile pc-life goes on)
  const stopped = (async () => {
    const t0 = Date.now();
    assert.equal(await pier.ok('stop', '-t', '1', 'pc-sleep'), 'pc-sleep\n');
    assert.ok(Date.now() - t0 >= 900, 'stop waited for the timeout');
    assert.equal(await status('pc-sleep'), 'exited 137');
  })();

  const pid1 = (await apiContainer(d, 'pc-life'))?.State.Pid;
  assert.equal(await pier.ok('restart', 'pc-life'), 'pc-life\n');
  const restarted = await apiContainer(d, 'pc-life');
  assert.equal(restarted?.State.Status, 'running');
  assert.notEqual(restarted?.State.Pid, pid1, 'restart ran a new process');
  assert.equal(await pier.ok('pause', 'pc-life'), 'pc-life\n');
  assert.equal(await pier.fmt('{{.State.Status}} {{.State.Paused}}', 'pc-life'), 'paused true');
  assert.equal(await pier.ok('unpause', 'pc-life'), 'pc-life\n');
  assert.equal(await pier.ok('rename', 'pc-life', 'pc-life2'), '');
  const renamed = await apiContainer(d, 'pc-life2');
  assert.deepEqual([renamed?.Name, renamed?.State.Status, renamed?.State.Paused], ['/pc-life2', 'running', false]);
  assert.equal(await apiContainer(d, 'pc-life'), undefined, 'the old name is gone');

  assert.equal(await pier.ok('kill', '-s', 'KILL', 'pc-life2'), 'pc-life2\n');
  await pier.ok('run', '-d', '--name', 'pc-wait', 'busybox', 'sh', '-c', 'sleep 0.2; exit 5');
  assert.equal(await pier.ok('wait', 'pc-wait', 'pc-life2'), '5\n137\n');
  await stopped;

  await pier.ok('start', 'pc-life2');
  assert.equal(await pier.ok('rm', '-f', 'pc-life2', 'pc-sleep'), 'pc-life2\npc-sleep\n');
  assert.deepEqual(await Promise.all([apiContainer(d, 'pc-life2'), apiContainer(d, 'pc-sleep')]), [undefined, undefined]);
});

test('pier logs --tail 1, -t, --since and -f until the container exits', { skip }, async (t) => {
  t.after(() => removeContainers(d, 'pc-logs'));
  await pier.ok('run', '-d', '--name', 'pc-logs', 'busybox', 'sh', '-c', `echo one; echo two; ${waitGo}; echo three; echo err >&2`);
  await poll(async () => (await pier.run(['logs', 'pc-logs'])).stdout === 'one\ntwo\n' || undefined, 5000, 'two lines');
  const future = String(Math.floor(Date.now() / 1000) + 60);
  const [tail, stampedOut, none, hour] = await Promise.all([
    pier.ok('logs', '--tail', '1', 'pc-logs'),
    pier.ok('logs', '-t', 'pc-logs'),
    pier.ok('logs', '--since', future, 'pc-logs'),
    pier.ok('logs', '--since', '1h', 'pc-logs'),
  ]);
  assert.equal(tail, 'two\n');
  const stamped = stampedOut.split('\n').filter(Boolean);
  assert.equal(stamped.length, 2);
  for (const [i, l] of stamped.entries()) assert.match(l, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z ${['one', 'two'][i] ?? ''}$`));
  assert.equal(none, '');
  assert.equal(hour, 'one\ntwo\n');
  const f = startClient(pierBin, ['logs', '-f', 'pc-logs'], d);
  await poll(() => f.stdout() === 'one\ntwo\n' || undefined, 5000, 'logs -f to print the first lines');
  await pier.ok('exec', 'pc-logs', 'touch', '/go');
  assert.equal(await f.exited, 0);
  assert.equal(f.stdout(), 'one\ntwo\nthree\n');
  assert.equal(f.stderr(), 'err\n');
});

test('pier attach to a running container forwards stdin and exits with its code', { skip }, async (t) => {
  t.after(() => removeContainers(d, 'pc-attach'));
  await pier.ok('run', '-d', '-i', '--name', 'pc-attach', 'busybox', 'sh', '-c', 'echo before; read line; echo "got:$line"; echo bye >&2; exit 3');
  await poll(async () => (await pier.run(['logs', 'pc-attach'])).stdout === 'before\n' || undefined, 5000, 'the first line');
  const a = startClient(pierBin, ['attach', 'pc-attach'], d);
  a.proc.stdin?.write('hello\n');
  assert.equal(await a.exited, 3, a.stderr());
  assert.equal(a.stdout(), 'got:hello\n', 'attach shows only output from after it joined');
  assert.equal(a.stderr(), 'bye\n');
  assert.equal(await status('pc-attach'), 'exited 3');
});

test('pier exec: -e, -u, -w, -d, -i, -t, and exit codes like docker exec', { skip }, async (t) => {
  t.after(() => removeContainers(d, 'pc-exec'));
  await pier.ok('run', '-d', '--name', 'pc-exec', 'busybox', 'sh', '-c', stoppable);
  const [env, detached, piped, tty, pit, dit, four, p127, d127, p126, d126] = await Promise.all([
    pier.ok('exec', '-e', 'A=1', '-u', '1000', '-w', '/tmp', 'pc-exec', 'sh', '-c', 'echo $A; id -u; pwd'),
    pier.ok('exec', '-d', 'pc-exec', 'sh', '-c', 'echo detached > /made'),
    pier.run(['exec', '-i', 'pc-exec', 'tr', 'a-z', 'A-Z'], { input: 'piped\n' }),
    inScript(pierBin, 'exec -t pc-exec tty'),
    inScript(pierBin, 'exec -it pc-exec tty'),
    inScript(docker, 'exec -it pc-exec tty'),
    pier.run(['exec', 'pc-exec', 'sh', '-c', 'exit 4']),
    pier.run(['exec', 'pc-exec', 'nosuchcmd']), dk.run(['exec', 'pc-exec', 'nosuchcmd']),
    pier.run(['exec', 'pc-exec', '/etc/passwd']), dk.run(['exec', 'pc-exec', '/etc/passwd']),
  ]);
  assert.equal(env, '1\n1000\n/tmp\n');
  assert.equal(detached, '');
  assert.equal(piped.stdout, 'PIPED\n');
  assert.equal(tty.code, 0, tty.stderr);
  assert.match(tty.stdout, /^\/dev\/pts\/\d+\r+\n$/);
  assert.equal(four.code, 4);
  assert.equal(p127.code, 127, p127.stderr);
  assert.equal(p126.code, 126, p126.stderr);
  for (const [p, k] of [[p127, d127], [p126, d126]] as const) {
    assert.equal(p.code, k.code, p.stderr);
    assert.equal(p.stderr, k.stderr);
  }
  assert.equal(await pier.ok('exec', 'pc-exec', 'cat', '/made'), 'detached\n');
  // with -i the local terminal goes raw (no output post-processing): docker prints "/dev/pts/N\r\n"
  assert.match(dit.stdout, /^\/dev\/pts\/\d+\r\n$/);
  const norm = (o: string): string => JSON.stringify(o.replace(/\d+/, 'N'));
  assert.equal(norm(pit.stdout), norm(dit.stdout), 'pier exec -it output');
});

test('pier top, stats --no-stream, port and update -m match the docker CLI', { skip }, async (t) => {
  t.after(() => removeContainers(d, 'pc-stats'));
  const id = (await pier.ok('run', '-d', '--name', 'pc-stats', 'busybox', 'sleep', '300')).trim();
  const [ptop, dtop, pst, dst, port] = await Promise.all([pier.ok('top', 'pc-stats'), dk.ok('top', 'pc-stats'),
    pier.ok('stats', '--no-stream', 'pc-stats'), dk.ok('stats', '--no-stream', 'pc-stats'), pier.ok('port', 'pc-stats')]);
  // ps's C column (recent CPU %) and TIME can tick between the two calls: compare the rest.
  const maskCpu = (text: string): string => text.split('\n').map((l, i) => (i === 0 || !l ? l : l.replace(/^(\S+\s+\S+\s+\S+\s+)\S+(\s+\S+\s+\S+\s+)\S+/, '$1*$2*'))).join('\n');
  assert.equal(maskCpu(ptop), maskCpu(dtop));
  assert.match(ptop, /sleep 300\n$/);
  assertSameTable(pst, dst, ['CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'BLOCK I/O'], 'stats --no-stream');
  assert.match(pst, new RegExp(`^${id.slice(0, 12)}\\s+pc-stats\\s+\\d+\\.\\d\\d%\\s`, 'm'));
  assert.equal(port, '');
  assert.equal(await pier.ok('update', '-m', '128m', 'pc-stats'), 'pc-stats\n');
  assert.equal((await pier.ok('exec', 'pc-stats', 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes')).trim(), '134217728');
});

test('pier cp both ways, diff, and export -o of the container filesystem', { skip }, async (t) => {
  t.after(() => removeContainers(d, 'pc-cp'));
  await pier.ok('run', '-d', '--name', 'pc-cp', 'busybox', 'sh', '-c', `mkdir /data && echo one > /data/f && ${stoppable}`);
  await poll(async () => (await pier.run(['cp', 'pc-cp:/data/f', join(tmp, 'f')])).code === 0 || undefined, 5000, '/data/f to be copied out');
  assert.equal(readFileSync(join(tmp, 'f'), 'utf8'), 'one\n');
  writeFileSync(join(tmp, 'g'), 'two\n');
  assert.equal(await pier.ok('cp', join(tmp, 'g'), 'pc-cp:/data/'), '');
  assert.equal(await pier.ok('exec', 'pc-cp', 'cat', '/data/g'), 'two\n');
  const tarFile = join(tmp, 'pc-cp.tar');
  const [pdiff, ddiff, exported] = await Promise.all([pier.ok('diff', 'pc-cp'), dk.ok('diff', 'pc-cp'), pier.ok('export', '-o', tarFile, 'pc-cp')]);
  assert.equal(pdiff, ddiff);
  assert.match(pdiff, /^A \/data$/m);
  assert.match(pdiff, /^A \/data\/g$/m);
  assert.equal(exported, '');
  const list = await run('tar', ['-tf', tarFile], d);
  assert.equal(list.code, 0, list.stderr);
  const names = list.stdout.split('\n');
  assert.ok(names.includes('bin/busybox'), 'the export has bin/busybox');
  assert.ok(names.includes('data/g'), 'the export has the copied-in file');
});

test('pier container prune -f removes only stopped containers and lists them', { skip }, async (t) => {
  t.after(() => removeContainers(d, 'pc-pr-live', 'pc-pr-dead'));
  await Promise.all([pier.ok('run', '--name', 'pc-pr-dead', 'busybox', 'true'), pier.ok('run', '-d', '--name', 'pc-pr-live', 'busybox', 'sleep', '300')]);
  const dead = (await apiContainer(d, 'pc-pr-dead'))?.Id ?? '';
  assert.match(await pier.ok('container', 'prune', '-f'), new RegExp(`^Deleted Containers:\n${dead}\n\nTotal reclaimed space: \\d+(\\.\\d+)?[kMG]?B\n$`));
  assert.equal(await status('pc-pr-dead'), 'missing');
  assert.equal(await status('pc-pr-live'), 'running 0');
  assert.equal(await pier.ok('container', 'prune', '-f'), 'Total reclaimed space: 0B\n');
});
