import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_SHM_SIZE, defaultDeviceRules, defaultMounts } from './defaults.js';
import { RealHostProbe } from './host.js';

test('default mounts follow docker\'s order and options', () => {
  const m = defaultMounts({ cgroupVersion: 1, privileged: false, shm: { mode: 'private', size: DEFAULT_SHM_SIZE } });
  assert.deepEqual(m.map((x) => x.destination), ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm']);
  assert.deepEqual(m[4], { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] });
  assert.deepEqual(m[6]?.options, ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864']);
});

test('privileged and cgroup v2 change sysfs and the cgroup mount', () => {
  const m = defaultMounts({ cgroupVersion: 2, privileged: true, shm: { mode: 'none' } });
  assert.equal(m.length, 6);
  assert.deepEqual(m[3]?.options, ['nosuid', 'noexec', 'nodev']);
  assert.equal(m[4]?.type, 'cgroup2');
  assert.ok(!(m[4]?.options ?? []).includes('ro'));
});

test('device rules deny all first and deny fuse', () => {
  const r = defaultDeviceRules();
  assert.deepEqual(r[0], { allow: false, access: 'rwm' });
  assert.ok(r.some((x) => !x.allow && x.major === 10 && x.minor === 229));
});

test('RealHostProbe lists thermal_throttle dirs in CPU order', (t) => {
  const sys = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-sys-'));
  t.after(() => fs.rmSync(sys, { recursive: true, force: true }));
  for (const cpu of ['cpu10', 'cpu2', 'cpufreq']) fs.mkdirSync(path.join(sys, 'devices/system/cpu', cpu), { recursive: true });
  for (const cpu of ['cpu10', 'cpu2']) fs.mkdirSync(path.join(sys, 'devices/system/cpu', cpu, 'thermal_throttle'));
  assert.deepEqual(new RealHostProbe({ sysRoot: sys }).thermalThrottlePaths(),
    ['/sys/devices/system/cpu/cpu2/thermal_throttle', '/sys/devices/system/cpu/cpu10/thermal_throttle']);
});
