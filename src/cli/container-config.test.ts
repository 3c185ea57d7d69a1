import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildContainerSetup } from './container-config.js';
import { containerFlags, runOnlyFlags } from './run-flags.js';
import { parseFlags } from './flags.js';

function setup(argv: string[], files: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}) {
  const r = parseFlags(argv, [...containerFlags, ...runOnlyFlags], { interspersed: false });
  return buildContainerSetup(r.flags, r.args, {
    env, ttySize: [0, 0], cwd: '/work',
    readFile: (f) => { const t = files[f]; if (t === undefined) throw new Error(`open ${f}: no such file or directory`); return t; },
  });
}

test('a bare run sends docker zero values', () => {
  const { body } = setup(['busybox', 'echo', 'hello']);
  assert.deepEqual(body.Cmd, ['echo', 'hello']);
  assert.equal(body.Env, null);
  assert.equal(body.Entrypoint, null);
  assert.deepEqual(body.Volumes, {});
  assert.deepEqual(body.Labels, {});
  assert.equal(body.AttachStdout, true);
  assert.equal(body.AttachStderr, true);
  assert.equal(body.AttachStdin, false);
  assert.equal(body.HostConfig.NetworkMode, 'default');
  assert.deepEqual(body.HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
  assert.equal(body.HostConfig.MemorySwappiness, -1);
  assert.deepEqual(body.HostConfig.Dns, []);
  assert.equal(body.HostConfig.Binds, null);
  assert.deepEqual(body.HostConfig.PortBindings, {});
  assert.deepEqual(Object.keys(body.NetworkingConfig.EndpointsConfig), ['default']);
  assert.equal('ExposedPorts' in body, false);
});

test('ports: -p 8080:80 -p 127.0.0.1:9090:90/udp --expose 7000', () => {
  const { body } = setup(['-p', '8080:80', '-p', '127.0.0.1:9090:90/udp', '--expose', '7000', 'busybox']);
  assert.deepEqual(body.ExposedPorts, { '80/tcp': {}, '90/udp': {}, '7000/tcp': {} });
  assert.deepEqual(body.HostConfig.PortBindings, {
    '80/tcp': [{ HostIp: '', HostPort: '8080' }],
    '90/udp': [{ HostIp: '127.0.0.1', HostPort: '9090' }],
  });
  assert.deepEqual(setup(['-p', '80', 'b']).body.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '' }] });
  assert.deepEqual(setup(['-p', '8000-8001:80-81', 'b']).body.HostConfig.PortBindings, {
    '80/tcp': [{ HostIp: '', HostPort: '8000' }], '81/tcp': [{ HostIp: '', HostPort: '8001' }],
  });
  assert.throws(() => setup(['-p', 'foo', 'b']), /invalid containerPort: foo/);
});

test('resources: -m 64m, --cpus 1.5, --pids-limit, --shm-size, --memory-swap -1', () => {
  const h = setup(['-m', '64m', '--cpus', '1.5', '--pids-limit', '50', '--shm-size', '32m', '--memory-swap', '-1', '-c', '512', 'b']).body.HostConfig;
  assert.equal(h.Memory, 67108864);
  assert.equal(h.NanoCpus, 1500000000);
  assert.equal(h.PidsLimit, 50);
  assert.equal(h.ShmSize, 33554432);
  assert.equal(h.MemorySwap, -1);
  assert.equal(h.CpuShares, 512);
  assert.equal(setup(['--cpus', '0.5', 'b']).body.HostConfig.NanoCpus, 500000000);
});

test('--restart on-failure:3, and --rm conflicts with a restart policy', () => {
  assert.deepEqual(setup(['--restart', 'on-failure:3', 'b']).body.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.throws(() => setup(['--rm', '--restart', 'always', 'b']), /conflicting options: cannot specify both --restart and --rm/);
  assert.equal(setup(['--rm', 'b']).body.HostConfig.AutoRemove, true);
});

test('env: -e A=1, -e B taken from the environment, --env-file', () => {
  const files = { '/e.env': '# comment\nX=1\n\nHOME_ONLY\nMISSING\n' };
  const env = { B: 'from-env', HOME_ONLY: 'h' };
  const { body } = setup(['--env-file', '/e.env', '-e', 'A=1', '-e', 'B', '-e', 'UNSET', 'b'], files, env);
  assert.deepEqual(body.Env, ['X=1', 'HOME_ONLY=h', 'A=1', 'B=from-env', 'UNSET']);
});

test('labels, label files, working dir, user, entrypoint, hostname', () => {
  const { body } = setup(['-l', 'l1=v1', '--label-file', '/l', '-w', '/tmp', '-u', '1000:1000', '--entrypoint', '/bin/sh', '-h', 'h1', 'b'], { '/l': 'l2=v2\nbare\n' });
  assert.deepEqual(body.Labels, { l2: 'v2', l1: 'v1' });
  assert.equal(body.WorkingDir, '/tmp');
  assert.equal(body.User, '1000:1000');
  assert.deepEqual(body.Entrypoint, ['/bin/sh']);
  assert.equal(body.Hostname, 'h1');
  assert.deepEqual(setup(['--entrypoint', '', 'b']).body.Entrypoint, ['']);
});

test('-it sets Tty and the stdin trio', () => {
  const { body } = setup(['-it', 'b', 'sh']);
  assert.equal(body.Tty, true);
  assert.equal(body.AttachStdin, true);
  assert.equal(body.OpenStdin, true);
  assert.equal(body.StdinOnce, true);
});

test('volumes, mounts, tmpfs', () => {
  const { body } = setup(['-v', 'name:/data', '-v', '/tmp:/hosttmp:ro', '-v', '/anon', '-v', './rel:/r', '--mount', 'type=tmpfs,destination=/tm,tmpfs-size=1m', '--tmpfs', '/run2:size=1m', 'b']);
  assert.deepEqual(body.HostConfig.Binds, ['name:/data', '/tmp:/hosttmp:ro', '/work/rel:/r']);
  assert.deepEqual(body.Volumes, { '/anon': {} });
  assert.deepEqual(body.HostConfig.Mounts, [{ Type: 'tmpfs', Target: '/tm', TmpfsOptions: { SizeBytes: 1048576 } }]);
  assert.deepEqual(body.HostConfig.Tmpfs, { '/run2': 'size=1m' });
});

test('health, stop, init, security, ulimit, caps, dns, network', () => {
  const { body } = setup(['--health-cmd', 'true', '--health-interval', '5s', '--stop-signal', 'SIGINT', '--stop-timeout', '3',
    '--init', '--read-only', '--security-opt', 'no-new-privileges', '--ulimit', 'nofile=1024:2048', '--cap-add', 'NET_ADMIN', '--cap-drop', 'mknod',
    '--add-host', 'x:1.2.3.4', '--dns', '9.9.9.9', '--log-opt', 'max-size=1m', '--network', 'net', '--network-alias', 'web2', '--ip', '172.29.0.30', 'b']);
  assert.deepEqual(body.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Timeout: 0, StartPeriod: 0, StartInterval: 0, Retries: 0 });
  assert.equal(body.StopSignal, 'SIGINT');
  assert.equal(body.StopTimeout, 3);
  const h = body.HostConfig;
  assert.equal(h.Init, true);
  assert.equal(h.ReadonlyRootfs, true);
  assert.deepEqual(h.SecurityOpt, ['no-new-privileges']);
  assert.deepEqual(h.Ulimits, [{ Name: 'nofile', Hard: 2048, Soft: 1024 }]);
  assert.deepEqual(h.CapAdd, ['CAP_NET_ADMIN']);
  assert.deepEqual(h.CapDrop, ['CAP_MKNOD']);
  assert.deepEqual(h.ExtraHosts, ['x:1.2.3.4']);
  assert.deepEqual(h.Dns, ['9.9.9.9']);
  assert.deepEqual(h.LogConfig, { Type: '', Config: { 'max-size': '1m' } });
  assert.equal(h.NetworkMode, 'net');
  const ep = body.NetworkingConfig.EndpointsConfig['net'];
  assert.deepEqual(ep?.Aliases, ['web2']);
  assert.deepEqual(ep?.IPAMConfig, { IPv4Address: '172.29.0.30', IPv6Address: '' });
  assert.deepEqual(setup(['--no-healthcheck', 'b']).body.Healthcheck, { Test: ['NONE'] });
});

test('name, platform and pull policy go to the query, not the body', () => {
  const s = setup(['--name', 'n', '--platform', 'linux/amd64', '--pull', 'never', 'b']);
  assert.equal(s.name, 'n');
  assert.equal(s.platform, 'linux/amd64');
  assert.equal(s.pull, 'never');
  assert.throws(() => setup(['--pull', 'sometimes', 'b']), /invalid pull option: 'sometimes'/);
});
