// End to end: `pier run` against a private pierd: output, exit codes (checked against
// the docker CLI on the same daemon), run options, terminals and the isolation options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { readdirSync } from 'node:fs';
import { usePrivateDaemon, run, pierBin, type PrivateDaemon, type RunResult } from '../../harness/pierd.js';
import { e2eSkip } from '../../harness/clients.js';
import { boundCli, assertSameResult, docker, waitState, removeContainers } from './cli-helpers.js';
import { inScript as inScriptOf } from './cli-helpers.js';

const skip = e2eSkip('pier run e2e', { needsDocker: true });

let d: PrivateDaemon;
const pier = boundCli(pierBin, () => d);
const dk = boundCli(docker, () => d);

usePrivateDaemon(skip, (x) => { d = x; });

/** Asserts `pier run …` ends with `code`, and the same way as `docker run …` (code, stdout, stderr). */
async function sameAsDocker(code: number, args: string[]): Promise<RunResult> {
  const [p, k] = await Promise.all([pier.run(args), dk.run(args)]);
  assert.equal(p.code, code, `pier ${args.join(' ')}: ${p.stderr}`);
  assertSameResult(p, k, args.join(' '));
  return p;
}

/** Runs a CLI command line inside `script`, so the client has a terminal. */
const inScript = (bin: string, cmd: string): Promise<RunResult> => inScriptOf(bin, cmd, d);

test('pier run --rm busybox echo hello prints hello', { skip }, async () => {
  assert.deepEqual(await pier.run(['run', '--rm', 'busybox', 'echo', 'hello']), { code: 0, stdout: 'hello\n', stderr: '' });
});

test('pier run exits like docker run: the container code, 127, 126 and 125 for a bad flag', { skip }, async () => {
  const [three, , , flag] = await Promise.all([
    pier.run(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']),
    sameAsDocker(127, ['run', '--rm', 'busybox', 'nosuchcmd']),
    sameAsDocker(126, ['run', '--rm', 'busybox', '/etc/passwd']),
    sameAsDocker(125, ['run', '--nope', 'busybox']),
  ]);
  assert.deepEqual(three, { code: 3, stdout: 'out\n', stderr: 'err\n' });
  assert.match(flag.stderr, /^unknown flag: --nope\n\nUsage: {2}pier run \[OPTIONS\] IMAGE \[COMMAND\] \[ARG\.\.\.\]\n/);
});

test('pier run -d prints the 64-hex id; --name, -e, -w, -u, -h, -l and --entrypoint apply', { skip }, async (t) => {
  t.after(() => removeContainers(d, 'pr-opts'));
  const id = (await pier.ok('run', '-d', '--name', 'pr-opts', '-e', 'FOO=bar baz', '-w', '/tmp', '-u', '1000:1000', '-h', 'myhost', '-l', 'a=b',
    'busybox', 'sh', '-c', 'echo "$FOO"; pwd; id; hostname')).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const [ep, noEp] = await Promise.all([
    pier.ok('run', '--rm', '--entrypoint', 'echo', 'busybox', 'from', 'entrypoint'),
    pier.ok('run', '--rm', '--entrypoint', '', 'busybox', 'echo', 'empty'),
    waitState(d, 'pr-opts', (c) => c.State.Status === 'exited', 'exit'),
  ]);
  assert.equal(await pier.ok('logs', 'pr-opts'), 'bar baz\n/tmp\nuid=1000 gid=1000 groups=1000\nmyhost\n');
  assert.equal(await pier.fmt('{{.Id}} {{.Name}} {{index .Config.Labels "a"}} {{.Config.User}} {{.Config.WorkingDir}} {{.Config.Hostname}}', 'pr-opts'),
    `${id} /pr-opts b 1000:1000 /tmp myhost`);
  assert.equal(ep, 'from entrypoint\n');
  assert.equal(noEp, 'empty\n');
});

test('pier run -i passes piped stdin; --rm leaves nothing behind', { skip }, async () => {
  const big = 'x'.repeat(200_000) + '\n';
  const [small, wc] = await Promise.all([
    pier.run(['run', '-i', '--rm', 'busybox', 'cat'], { input: 'hi\n' }),
    pier.run(['run', '-i', '--rm', 'busybox', 'wc', '-c'], { input: big }),
  ]);
  assert.deepEqual(small, { code: 0, stdout: 'hi\n', stderr: '' });
  assert.equal(wc.stdout.trim(), String(big.length));
  assert.equal(await pier.ok('ps', '-aq'), '');
});

test('pier run -t gives the process /dev/pts/0, and -it writes the terminal like docker', { skip }, async () => {
  const [t1, code, p, k] = await Promise.all([
    inScript(pierBin, 'run --rm -t busybox tty'),
    inScript(pierBin, 'run --rm -t busybox sh -c "exit 3"'),
    inScript(pierBin, 'run --rm -it busybox tty'),
    inScript(docker, 'run --rm -it busybox tty'),
  ]);
  assert.equal(t1.code, 0, t1.stderr);
  assert.match(t1.stdout, /^\/dev\/pts\/0\r+\n$/);
  assert.equal(code.code, 3);
  // with -i the local terminal goes raw (no output post-processing): docker prints "/dev/pts/0\r\n"
  assert.match(k.stdout, /\/dev\/pts\/0\r\n$/);
  assert.equal(JSON.stringify(p.stdout), JSON.stringify(k.stdout), 'pier run -it output');
});

test('pier run --restart on-failure:1 restarts a failing container once', { skip }, async (t) => {
  t.after(() => removeContainers(d, 'pr-restart'));
  await pier.ok('run', '-d', '--name', 'pr-restart', '--restart', 'on-failure:1', 'busybox', 'sh', '-c', 'exit 1');
  await waitState(d, 'pr-restart', (c) => c.RestartCount === 1 && c.State.Status === 'exited', 'one restart, then exited');
  await new Promise((r) => setTimeout(r, 300)); // docker's next restart would come after 200 ms: make sure none does
  assert.equal(await pier.fmt('{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'pr-restart'),
    '1 exited 1 on-failure:1');
});

test('pier run -m, --read-only, --init and --cap-drop ALL take effect', { skip }, async () => {
  const [mem, ro, init, caps] = await Promise.all([
    pier.ok('run', '--rm', '-m', '64m', 'busybox', 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'),
    pier.run(['run', '--rm', '--read-only', 'busybox', 'touch', '/x']),
    pier.ok('run', '--rm', '--init', 'busybox', 'cat', '/proc/1/comm'),
    pier.ok('run', '--rm', '--cap-drop', 'ALL', 'busybox', 'grep', 'CapEff', '/proc/self/status'),
  ]);
  assert.equal(mem.trim(), '67108864');
  assert.deepEqual(ro, { code: 1, stdout: '', stderr: 'touch: /x: Read-only file system\n' });
  assert.equal(init, 'docker-init\n');
  assert.equal(caps, 'CapEff:\t0000000000000000\n');
});

test('pier run --network none has only lo; --network host sees the host links and name', { skip }, async () => {
  const [none, links, name] = await Promise.all([
    pier.ok('run', '--rm', '--network', 'none', 'busybox', 'ls', '/sys/class/net'),
    pier.ok('run', '--rm', '--network', 'host', 'busybox', 'ls', '/sys/class/net'),
    pier.ok('run', '--rm', '--network', 'host', 'busybox', 'hostname'),
  ]);
  assert.deepEqual(none.split(/\s+/).filter(Boolean), ['lo']);
  // pier's own links come and go with other containers (a default bridge lingers 400 ms after its
  // last one): compare the rest, read at the same moment on both sides.
  const stable = (l: string): boolean => !l.startsWith('pier');
  assert.deepEqual(links.split(/\s+/).filter(Boolean).filter(stable), readdirSync('/sys/class/net').sort().filter(stable), 'the host\'s links');
  // docker 28: a container on the host's network also takes the host's name
  assert.equal(name.trim(), hostname());
});
