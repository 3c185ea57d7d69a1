import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotFoundError } from '../errdefs/index.js';
import { detectCgroupLayout, readCgroupStats } from './cgroup-stats.js';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pier-cgstats-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function files(dir: string, content: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(content)) await writeFile(join(dir, name), text);
}

/** A fake /proc: 2 CPUs, 2 GiB. */
async function fakeProc(root: string): Promise<string> {
  const proc = join(root, 'proc');
  await files(proc, {
    stat: 'cpu  100 1 200 3000 4 5 6 7 0 0\ncpu0 50 0 100 1500 2 2 3 3 0 0\ncpu1 50 1 100 1500 2 3 3 4 0 0\nintr 1 2 3\nctxt 99\n',
    meminfo: 'MemTotal:        2097152 kB\nMemFree:          100000 kB\n',
  });
  return proc;
}

test('detectCgroupLayout tells v2 from v1 by cgroup.controllers', async (t) => {
  const v2 = await tempDir(t);
  await files(v2, { 'cgroup.controllers': 'cpu io memory pids\n' });
  assert.deepEqual(detectCgroupLayout(v2), { version: 2, root: v2 });
  const v1 = await tempDir(t);
  await mkdir(join(v1, 'memory'));
  assert.deepEqual(detectCgroupLayout(v1), { version: 1, root: v1 });
});

test('cgroup v1 stats carry docker\'s fields and derivations', async (t) => {
  const root = await tempDir(t);
  const cg = 'pier/abc';
  await files(join(root, 'cpuacct', cg), {
    'cpuacct.usage': '123456789\n',
    'cpuacct.usage_percpu': '100000000 23456789 \n',
    'cpuacct.stat': 'user 7\nsystem 3\n',
  });
  await files(join(root, 'cpu', cg), { 'cpu.stat': 'nr_periods 10\nnr_throttled 2\nthrottled_time 5000\n' });
  await files(join(root, 'memory', cg), {
    'memory.usage_in_bytes': '10485760\n',
    'memory.max_usage_in_bytes': '20971520\n',
    'memory.failcnt': '0\n',
    'memory.limit_in_bytes': '9223372036854771712\n',
    'memory.stat': 'cache 4096\nrss 8192\ntotal_cache 4096\ntotal_inactive_file 2048\ninactive_file 1024\nshmem 5\n',
  });
  await files(join(root, 'pids', cg), { 'pids.current': '3\n', 'pids.max': 'max\n' });
  await files(join(root, 'blkio', cg), {
    'blkio.throttle.io_service_bytes_recursive': '8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\nTotal 12288\n',
    'blkio.throttle.io_serviced_recursive': '8:0 Read 1\n8:0 Write 2\nTotal 3\n',
  });
  const s = await readCgroupStats({ version: 1, root }, `/${cg}`, { procRoot: await fakeProc(root) });
  assert.match(s.read, /^\d{4}-\d\d-\d\dT/);
  assert.deepEqual(s.cpu_stats, {
    cpu_usage: { total_usage: 123456789, percpu_usage: [100000000, 23456789], usage_in_kernelmode: 30_000_000, usage_in_usermode: 70_000_000 },
    throttling_data: { periods: 10, throttled_periods: 2, throttled_time: 5000 },
    // (100+1+200+3000+4+5+6) ticks; steal is not counted, as in dockerd
    system_cpu_usage: 3316 * 10_000_000,
    online_cpus: 2,
  });
  assert.equal(s.memory_stats.usage, 10485760);
  assert.equal(s.memory_stats.max_usage, 20971520);
  assert.equal(s.memory_stats.limit, 2097152 * 1024, 'unlimited is reported as the host memory');
  assert.equal(s.memory_stats.stats['cache'], 4096);
  assert.equal(s.memory_stats.stats['total_inactive_file'], 2048);
  assert.equal(s.memory_stats.stats['total_rss'], 0);
  assert.equal(s.memory_stats.stats['shmem'], undefined, 'only dockerd\'s keys');
  assert.deepEqual(s.pids_stats, { current: 3 });
  assert.deepEqual(s.blkio_stats.io_service_bytes_recursive, [
    { major: 8, minor: 0, op: 'Read', value: 4096 },
    { major: 8, minor: 0, op: 'Write', value: 8192 },
    { major: 8, minor: 0, op: 'Sync', value: 0 },
  ]);
  assert.equal(s.blkio_stats.io_serviced_recursive?.length, 2);
  assert.deepEqual(s.blkio_stats.sectors_recursive, []);
  assert.equal(s.num_procs, 0);
  assert.deepEqual(s.storage_stats, {});
});

test('cgroup v1 with cpu and cpuacct sharing a hierarchy, and a memory limit', async (t) => {
  const root = await tempDir(t);
  await files(join(root, 'cpu,cpuacct', 'pier/x'), { 'cpuacct.usage': '5\n', 'cpu.stat': 'nr_periods 1\nnr_throttled 0\nthrottled_time 0\n' });
  await files(join(root, 'memory', 'pier/x'), { 'memory.limit_in_bytes': '67108864\n', 'memory.usage_in_bytes': '1\n' });
  await files(join(root, 'pids', 'pier/x'), { 'pids.current': '1\n', 'pids.max': '100\n' });
  await files(join(root, 'blkio', 'pier/x'), { 'blkio.io_service_bytes_recursive': '8:16 Read 1\nTotal 1\n', 'blkio.time_recursive': '8:16 77\n' });
  const s = await readCgroupStats({ version: 1, root }, '/pier/x', { procRoot: await fakeProc(root) });
  assert.equal(s.cpu_stats.cpu_usage.total_usage, 5);
  assert.equal(s.cpu_stats.throttling_data.periods, 1);
  assert.equal(s.memory_stats.limit, 67108864);
  assert.deepEqual(s.pids_stats, { current: 1, limit: 100 });
  assert.deepEqual(s.blkio_stats.io_service_bytes_recursive, [{ major: 8, minor: 16, op: 'Read', value: 1 }]);
  assert.deepEqual(s.blkio_stats.io_time_recursive, [{ major: 8, minor: 16, op: '', value: 77 }]);
});

test('cgroup v2 stats use the unified files', async (t) => {
  const root = await tempDir(t);
  await files(root, { 'cgroup.controllers': 'cpu io memory pids\n' });
  await files(join(root, 'pier/abc'), {
    'cpu.stat': 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 20\n',
    'memory.current': '4194304\n',
    'memory.max': 'max\n',
    'memory.stat': 'anon 100\nfile 200\ninactive_file 300\nworkingset_refault_file 7\n',
    'pids.current': '2\n',
    'pids.max': '50\n',
    'io.stat': '8:0 rbytes=4096 wbytes=1024 rios=1 wios=1 dbytes=0 dios=0\n',
  });
  const layout = detectCgroupLayout(root);
  const s = await readCgroupStats(layout, '/pier/abc', { procRoot: await fakeProc(root) });
  assert.deepEqual(s.cpu_stats.cpu_usage, { total_usage: 1_500_000, usage_in_kernelmode: 500_000, usage_in_usermode: 1_000_000 });
  assert.deepEqual(s.cpu_stats.throttling_data, { periods: 4, throttled_periods: 1, throttled_time: 20_000 });
  assert.equal(s.cpu_stats.online_cpus, 2);
  assert.equal(s.memory_stats.usage, 4194304);
  assert.equal(s.memory_stats.limit, 2097152 * 1024);
  assert.equal(s.memory_stats.max_usage, undefined);
  assert.equal(s.memory_stats.stats['inactive_file'], 300);
  assert.equal(s.memory_stats.stats['workingset_refault'], 7);
  assert.deepEqual(s.pids_stats, { current: 2, limit: 50 });
  assert.deepEqual(s.blkio_stats.io_service_bytes_recursive, [
    { major: 8, minor: 0, op: 'read', value: 4096 },
    { major: 8, minor: 0, op: 'write', value: 1024 },
  ]);
  assert.equal(s.blkio_stats.io_serviced_recursive, null);
});

test('a missing cgroup is NotFoundError', async (t) => {
  const root = await tempDir(t);
  await mkdir(join(root, 'memory'));
  await assert.rejects(readCgroupStats({ version: 1, root }, '/pier/gone'), NotFoundError);
  const v2 = await tempDir(t);
  await files(v2, { 'cgroup.controllers': '' });
  await assert.rejects(readCgroupStats({ version: 2, root: v2 }, '/pier/gone'), NotFoundError);
});

test('stats of this host\'s own root cgroup can be read', { skip: existsSync('/sys/fs/cgroup') ? false : 'no cgroup mount' }, async () => {
  const layout = detectCgroupLayout();
  const s = await readCgroupStats(layout, '/');
  assert.ok(s.cpu_stats.system_cpu_usage > 0);
  assert.ok(s.cpu_stats.online_cpus >= 1);
  assert.ok(s.memory_stats.limit > 0);
});
