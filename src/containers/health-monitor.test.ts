import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthMonitor, probeCommand } from './health-monitor.js';
import type { ContainerRecord } from './container-record.js';

test('probe commands: CMD runs as given, CMD-SHELL through /bin/sh -c, NONE and empty mean no check', () => {
  assert.deepEqual(probeCommand({ Test: ['CMD', 'curl', '-f', 'http://x/'] }), ['curl', '-f', 'http://x/']);
  assert.deepEqual(probeCommand({ Test: ['CMD-SHELL', 'test -f /ok || exit 1'] }), ['/bin/sh', '-c', 'test -f /ok || exit 1']);
  assert.equal(probeCommand({ Test: ['NONE'] }), undefined);
  assert.equal(probeCommand({ Test: [] }), undefined);
  assert.equal(probeCommand({ Test: ['CMD'] }), undefined);
  assert.equal(probeCommand(null), undefined);
});

test('healing backs off like the restart policy: 100, 200, 400 ms while it stays unhealthy; healthy again starts over', async () => {
  const NS = 1_000_000;
  const c = {
    Id: 'c1', Config: { Healthcheck: { Test: ['CMD', 'probe'], Interval: 5 * NS, Retries: 1 }, Labels: { 'pier.health-on-failure': 'restart' } },
    State: { Running: true } as Record<string, unknown>,
  } as unknown as ContainerRecord;
  let healthy = false;
  const delays: string[] = [];
  const acts: string[] = [];
  let m: HealthMonitor;
  m = new HealthMonitor({
    tryGet: (id) => (id === c.Id ? c : undefined),
    saveRecord: () => undefined,
    publish: (_c, action, extra) => { if (action === 'health_action: restart') delays.push(extra?.['delay'] ?? ''); },
    probe: () => Promise.resolve({ code: healthy ? 0 : 1, output: '' }),
    act: (_id, action) => { acts.push(action); m.watch(c, { fresh: true }); return Promise.resolve(); },
    warn: () => undefined,
  });
  m.watch(c, { fresh: true });
  const until = async (n: number): Promise<void> => { for (let i = 0; i < 400 && acts.length < n; i++) await new Promise((r) => setTimeout(r, 10)); };
  await until(3);
  assert.deepEqual(delays.slice(0, 3), ['100ms', '200ms', '400ms']);
  // Healthy for a while after that restart, then unhealthy again: the backoff starts over.
  healthy = true;
  for (let i = 0; i < 200 && (c.State as unknown as { Health?: { Status: string } }).Health?.Status !== 'healthy'; i++) await new Promise((r) => setTimeout(r, 5));
  healthy = false;
  await until(4);
  m.close();
  assert.deepEqual(delays, ['100ms', '200ms', '400ms', '100ms']);
  assert.ok(acts.every((a) => a === 'restart'));
});

test('a container the user stops while a heal waits is left stopped', async () => {
  const NS = 1_000_000;
  const c = {
    Id: 'c2', Config: { Healthcheck: { Test: ['CMD', 'probe'], Interval: 5 * NS, Retries: 1 }, Labels: { 'pier.health-on-failure': 'restart' } },
    State: { Running: true } as Record<string, unknown>,
  } as unknown as ContainerRecord;
  const acts: string[] = [];
  let announced = false;
  const m = new HealthMonitor({
    tryGet: () => c,
    saveRecord: () => undefined,
    publish: (_c, action) => { if (action === 'health_action: restart') announced = true; },
    probe: () => Promise.resolve({ code: 1, output: '' }),
    act: (_id, action) => { acts.push(action); return Promise.resolve(); },
    warn: () => undefined,
  });
  m.watch(c, { fresh: true });
  for (let i = 0; i < 100 && !announced; i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(announced);
  m.unwatch(c.Id); // the user's stop
  (c.State as unknown as Record<string, unknown>)['Running'] = false;
  await new Promise((r) => setTimeout(r, 200));
  m.close();
  assert.deepEqual(acts, []);
});
