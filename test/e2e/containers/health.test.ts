// Health checks through the real docker CLI: docker's semantics (status, log,
// events, ps), a probe that hangs is cut at its timeout, and pier's
// self-healing label restarts an unhealthy container.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usePrivateDaemon, poll, type PrivateDaemon } from '../../harness/pierd.js';
import { dockerCli, e2eSkip } from '../../harness/clients.js';

const skip = e2eSkip('health check e2e', { needsDocker: true });
let d: PrivateDaemon;
usePrivateDaemon(skip, (x) => { d = x; });
const { dk, ok, fmt } = dockerCli(() => d);

interface HealthState { Status: string; FailingStreak: number; Log: { ExitCode: number; Output: string }[] }
const health = async (name: string): Promise<HealthState> => JSON.parse(await fmt('{{json .State.Health}}', name)) as HealthState;

test('a container turns healthy, then unhealthy, with docker\'s state, log, ps status and events', { skip }, async (t) => {
  t.after(() => dk('rm', '-f', 'hc-web'));
  await ok('run', '-d', '--name', 'hc-web', '--health-cmd', 'test -f /ok && echo fine', '--health-interval', '300ms', '--health-retries', '2',
    'busybox', 'sh', '-c', 'touch /ok; sleep 600');
  const healthy = await poll(async () => { const h = await health('hc-web'); return h.Status === 'healthy' ? h : undefined; }, 10_000, 'healthy');
  assert.equal(healthy.FailingStreak, 0);
  assert.equal(healthy.Log.at(-1)?.ExitCode, 0);
  assert.equal(healthy.Log.at(-1)?.Output, 'fine\n');
  assert.match((await ok('ps', '--filter', 'name=hc-web', '--format', '{{.Status}}')).trim(), /\(healthy\)$/);
  assert.equal((await ok('ps', '-q', '--filter', 'health=healthy')).trim().length, 12);

  await ok('exec', 'hc-web', 'rm', '/ok');
  const sick = await poll(async () => { const h = await health('hc-web'); return h.Status === 'unhealthy' ? h : undefined; }, 10_000, 'unhealthy');
  assert.ok(sick.FailingStreak >= 2, `failing streak ${sick.FailingStreak}`);
  assert.ok(sick.Log.length <= 5, 'the log keeps the last five results');
  assert.equal(await fmt('{{.RestartCount}}', 'hc-web'), '0', 'docker never restarts an unhealthy container by itself');
  assert.equal((await fmt('{{.State.Status}}', 'hc-web')), 'running');
  // --until is in whole seconds: ask until the event's second has passed.
  const events = await poll(async () => {
    const out = await ok('events', '--since', '60s', '--until', '0s', '--filter', 'container=hc-web', '--filter', 'event=health_status', '--format', '{{.Action}}');
    const lines = out.trim().split('\n');
    return lines.length >= 2 ? lines : undefined;
  }, 5_000, 'both health events');
  assert.deepEqual(events, ['health_status: healthy', 'health_status: unhealthy']);
});

test('a probe that hangs is cut at its timeout and counts as a failure', { skip }, async (t) => {
  t.after(() => dk('rm', '-f', 'hc-hang'));
  await ok('run', '-d', '--name', 'hc-hang', '--health-cmd', 'sleep 30', '--health-interval', '300ms', '--health-timeout', '300ms', '--health-retries', '1',
    'busybox', 'sleep', '600');
  const h = await poll(async () => { const x = await health('hc-hang'); return x.Status === 'unhealthy' ? x : undefined; }, 10_000, 'unhealthy after a timeout');
  assert.equal(h.Log.at(-1)?.ExitCode, -1);
  assert.match(h.Log.at(-1)?.Output ?? '', /Health check exceeded timeout/);
  // Probes never pile up: at most one sleep 30 runs in the container at a time.
  const ps = await ok('exec', 'hc-hang', 'ps');
  assert.ok(ps.split('\n').filter((l) => /sleep 30/.test(l)).length <= 1, ps);
});

test('--no-healthcheck and HEALTHCHECK NONE leave no health state', { skip }, async (t) => {
  t.after(() => dk('rm', '-f', 'hc-none'));
  await ok('run', '-d', '--name', 'hc-none', '--no-healthcheck', 'busybox', 'sleep', '600');
  assert.equal(await fmt('{{if .State.Health}}has{{else}}none{{end}}', 'hc-none'), 'none');
});

test('pier.health-on-failure=restart: an unhealthy container is restarted, with an event saying why', { skip }, async (t) => {
  t.after(() => dk('rm', '-f', 'hc-heal'));
  await ok('run', '-d', '--name', 'hc-heal', '-l', 'pier.health-on-failure=restart', '--health-cmd', 'test -f /ok', '--health-interval', '300ms', '--health-retries', '1',
    'busybox', 'sh', '-c', 'sleep 600');
  await poll(async () => {
    const starts = await ok('events', '--since', '60s', '--until', '0s', '--filter', 'container=hc-heal', '--filter', 'event=start', '--format', '{{.Action}}');
    return starts.trim().split('\n').length >= 2 ? true : undefined;
  }, 15_000, 'a second start');
  const why = await ok('events', '--since', '60s', '--until', '0s', '--filter', 'container=hc-heal', '--format', '{{.Action}}');
  assert.match(why, /health_action: restart/);
});

test('health checking resumes after the daemon is killed and restarted, for a container that kept running', { skip }, async (t) => {
  t.after(() => dk('rm', '-f', 'hc-resume'));
  await ok('run', '-d', '--name', 'hc-resume', '--health-cmd', 'test -f /ok', '--health-interval', '300ms', '--health-retries', '1',
    'busybox', 'sh', '-c', 'touch /ok; sleep 600');
  await poll(async () => ((await health('hc-resume')).Status === 'healthy' ? true : undefined), 10_000, 'healthy');
  await d.crash();
  await d.restart();
  assert.equal(await fmt('{{.State.Running}}', 'hc-resume'), 'true');
  await ok('exec', 'hc-resume', 'rm', '/ok');
  await poll(async () => ((await health('hc-resume')).Status === 'unhealthy' ? true : undefined), 10_000, 'unhealthy after the restart');
  const h = await health('hc-resume');
  assert.ok(h.FailingStreak >= 1);
});

test('healing backs off: each restart of a container that stays unhealthy waits twice as long (the event says how long)', { skip }, async (t) => {
  t.after(() => dk('rm', '-f', 'hc-backoff'));
  await ok('run', '-d', '--name', 'hc-backoff', '-l', 'pier.health-on-failure=restart', '--health-cmd', 'false', '--health-interval', '200ms', '--health-retries', '1',
    'busybox', 'sleep', '600');
  let delays: string[] = [];
  await poll(async () => {
    const ev = await ok('events', '--since', '60s', '--until', '0s', '--filter', 'container=hc-backoff', '--filter', 'event=health_action: restart', '--format', '{{index .Actor.Attributes "delay"}}');
    delays = ev.trim().split('\n').filter(Boolean);
    return delays.length >= 3 ? true : undefined;
  }, 20_000, 'three heals');
  assert.deepEqual(delays.slice(0, 3), ['100ms', '200ms', '400ms']);
});

test('bad health settings are refused with docker\'s words; a probe command that does not exist counts as a failure', { skip }, async (t) => {
  t.after(() => dk('rm', '-f', 'hc-nocmd'));
  const short = await dk('run', '-d', '--health-cmd', 'true', '--health-interval', '500us', 'busybox', 'sleep', '60');
  assert.equal(short.code, 125);
  assert.match(short.stderr, /Interval in Healthcheck cannot be less than 1ms/);
  const timeout = await dk('create', '--health-cmd', 'true', '--health-timeout', '10us', 'busybox');
  assert.equal(timeout.code, 1);
  assert.match(timeout.stderr, /Timeout in Healthcheck cannot be less than 1ms/);
  assert.equal((await ok('ps', '-aq', '--filter', 'status=created')).trim(), '', 'nothing was created');
  await ok('run', '-d', '--name', 'hc-nocmd', '--health-cmd', 'no-such-probe', '--health-interval', '300ms', '--health-retries', '2', 'busybox', 'sleep', '600');
  await poll(async () => ((await health('hc-nocmd')).Status === 'unhealthy' ? true : undefined), 10_000, 'unhealthy');
  const h = await health('hc-nocmd');
  assert.equal(h.Log[h.Log.length - 1]?.ExitCode, 127);
  assert.match(h.Log[h.Log.length - 1]?.Output ?? '', /no-such-probe: not found/);
});
