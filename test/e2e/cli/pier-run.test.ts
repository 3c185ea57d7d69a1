// End to end: `pier run` against a private pierd: output, exit codes (checked against
// the docker CLI on the same daemon), run options, terminals and the isolation options.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { readdirSync } from 'node:fs';
import { startDaemon, run, pierBin, poll, type PrivateDaemon, type RunResult } from '../../harness/pierd.js';
import { e2eSkip } from '../../harness/clients.js';
import { boundCli, assertSameResult, docker } from './cli-helpers.js';

const skip = e2eSkip('pier run e2e', { needsDocker: true });

let d: PrivateDaemon;
const pier = boundCli(pierBin, () => d);
const dk = boundCli(docker, () => d);

before(async () => { if (!skip) d = await startDaemon(); });
after(async (t) => {
  if (!d) return;
  if (process.exitCode) t.diagnostic(d.logText().slice(-4000));
  await d.stop();
});

/** Asserts `pier run …` and `docker run …` end the same way (code, stdout, stderr). */
async function sameAsDocker(args: string[]): Promise<void> {
  const [p, k] = await Promise.all([pier.run(args), dk.run(args)]);
  assertSameResult(p, k, `run ${args.join(' ')}`);
}

test('pier run --rm busybox echo hello prints hello', { skip }, async () => {
  const r = await pier.run(['run', '--rm', 'busybox', 'echo', 'hello']);
  assert.deepEqual(r, { code: 0, stdout: 'hello\n', stderr: '' });
});

test('pier run exits like docker run: the container code, 127, 126 and 125 for a bad flag', { skip }, async () => {
  const [three, flag] = await Promise.all([
    pier.run(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']),
    pier.run(['run', '--nope', 'busybox']),
    sameAsDocker(['run', '--rm', 'busybox', 'nosuchcmd']),
    sameAsDocker(['run', '--rm', 'busybox', '/etc/passwd']),
    sameAsDocker(['run', '--nope', '--rm', 'busybox', 'true']),
  ]);
  assert.deepEqual(three, { code: 3, stdout: 'out\n', stderr: 'err\n' });
  assert.equal(flag.code, 125);
  assert.match(flag.stderr, /^unknown flag: --nope\n/);
  // none of them left a container behind
  assert.equal(await pier.ok('ps', '-aq'), '');
});

test('pier run -d prints the 64-hex id; --name, -e, -w, -u, -h, -l and --entrypoint apply', { skip }, async (t) => {
  t.after(() => pier.run(['rm', '-f', 'pr-opts']));
  const id = (await pier.ok('run', '-d', '--name', 'pr-opts', '-e', 'FOO=bar baz', '-w', '/tmp', '-u', '1000:1000', '-h', 'myhost', '-l', 'a=b',
    'busybox', 'sh', '-c', 'echo "$FOO"; pwd; id; hostname; sleep 300')).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const [logs, fields, ep, noEp] = await Promise.all([
    poll(async () => { const out = (await pier.run(['logs', 'pr-opts'])).stdout; return out.split('\n').length === 5 ? out : undefined; }, 5000, 'four log lines'),
    pier.fmt('{{.Id}} {{.Name}} {{index .Config.Labels "a"}} {{.Config.User}} {{.Config.WorkingDir}} {{.Config.Hostname}}', 'pr-opts'),
    pier.ok('run', '--rm', '--entrypoint', 'echo', 'busybox', 'from', 'entrypoint'),
    pier.ok('run', '--rm', '--entrypoint', '', 'busybox', 'echo', 'empty'),
  ]);
  assert.equal(logs, 'bar baz\n/tmp\nuid=1000 gid=1000 groups=1000\nmyhost\n');
  assert.equal(fields, `${id} /pr-opts b 1000:1000 /tmp myhost`);
  assert.equal(ep, 'from entrypoint\n');
  assert.equal(noEp, 'empty\n');
});

test('pier run -i passes piped stdin; --rm leaves nothing behind', { skip }, async () => {
  const r = await pier.run(['run', '-i', '--rm', 'busybox', 'cat'], { input: 'hi\n' });
  assert.deepEqual(r, { code: 0, stdout: 'hi\n', stderr: '' });
  const big = 'x'.repeat(200_000) + '\n';
  const wc = await pier.run(['run', '-i', '--rm', 'busybox', 'wc', '-c'], { input: big });
  assert.equal(wc.stdout.trim(), String(big.length));
  assert.equal(await pier.ok('ps', '-aq'), '');
});

test('pier run -t gives the process /dev/pts/0, and -it writes the terminal like docker', { skip }, async () => {
  const script = (bin: string, cmd: string): Promise<RunResult> => run('script', ['-eqc', `${bin} ${cmd}`, '/dev/null'], d);
  const [t1, code, p, k] = await Promise.all([
    script(pierBin, 'run --rm -t busybox tty'),
    script(pierBin, 'run --rm -t busybox sh -c "exit 3"'),
    script(pierBin, 'run --rm -it busybox tty'),
    script(docker, 'run --rm -it busybox tty'),
  ]);
  assert.equal(t1.code, 0, t1.stderr);
  assert.match(t1.stdout, /^\/dev\/pts\/0\r+\n$/);
  assert.equal(code.code, 3);
  // with -i the local terminal goes raw (no output post-processing): docker prints "/dev/pts/0\r\n"

  assert.match(k.stdout, /\/dev\/pts\/0\r\n$/);
  assert.equal(JSON.stringify(p.stdout), JSON.stringify(k.stdout), 'pier run -it output');
});

test('pier run --restart on-failure:1 restarts a failing container once', { skip }, async (t) => {
  t.after(() => pier.run(['rm', '-f', 'pr-restart']));
  await pier.ok('run', '-d', '--name', 'pr-restart', '--restart', 'on-failure:1', 'busybox', 'sh', '-c', 'exit 1');
  await poll(async () => (await pier.fmt('{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}', 'pr-restart')) === '1 exited 1' || undefined, 10_000, 'one restart');
  assert.equal(await pier.fmt('{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'pr-restart'), 'on-failure:1');
});

test('pier run -m, --read-only, --init and --cap-drop ALL take effect', { skip }, async () => {
  const mem = pier.ok('run', '--rm', '-m', '64m', 'busybox', 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max');
  const ro = pier.run(['run', '--rm', '--read-only', 'busybox', 'touch', '/x']);
  const init = pier.ok('run', '--rm', '--init', 'busybox', 'cat', '/proc/1/comm');
  const caps = pier.ok('run', '--rm', '--cap-drop', 'ALL', 'busybox', 'grep', 'CapEff', '/proc/self/status');
  assert.equal((await mem).trim(), '67108864');
  assert.deepEqual(await ro, { code: 1, stdout: '', stderr: 'touch: /x: Read-only file system\n' });
  assert.equal(await init, 'docker-init\n');
  assert.equal(await caps, 'CapEff:\t0000000000000000\n');
});

test('pier run --network none has only lo; --network host shares the host name', { skip }, async () => {
  const [none, links, name] = await Promise.all([
    pier.ok('run', '--rm', '--network', 'none', 'busybox', 'ls', '/sys/class/net'),
    pier.ok('run', '--rm', '--network', 'host', 'busybox', 'ls', '/sys/class/net'),
    pier.ok('run', '--rm', '--network', 'host', 'busybox', 'hostname'),
  ]);
  assert.deepEqual(none.split(/\s+/).filter(Boolean), ['lo']);
  assert.deepEqual(links.split(/\s+/).filter(Boolean), readdirSync('/sys/class/net').sort(), 'the host\'s links');
  // docker 28: with the host's network the container also gets the host's name
  assert.equal(name.trim(), hostname());
});
