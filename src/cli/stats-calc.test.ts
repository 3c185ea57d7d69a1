import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatsResponse } from '../client/index.js';
import { STATS_DEFAULT_TABLE, STATS_HEADERS, invalidEntry, statsRow, toEntry } from './stats-calc.js';
import { renderRows } from './formatting.js';

const sample: StatsResponse = {
  id: '794b8ee1c7d0a3f1d2e3c4b5a69788796a5b4c3d2e1f00112233445566778899', name: '/web', read: '', preread: '',
  cpu_stats: { cpu_usage: { total_usage: 300_000_000 }, system_cpu_usage: 4_000_000_000, online_cpus: 2 },
  precpu_stats: { cpu_usage: { total_usage: 100_000_000 }, system_cpu_usage: 2_000_000_000 },
  memory_stats: { usage: 10 * 1024 * 1024, limit: 100 * 1024 * 1024, stats: { total_inactive_file: 2 * 1024 * 1024 } },
  networks: { eth0: { rx_bytes: 1500, tx_bytes: 500 }, eth1: { rx_bytes: 500, tx_bytes: 0 } },
  blkio_stats: { io_service_bytes_recursive: [{ major: 8, minor: 0, op: 'Read', value: 4096 }, { major: 8, minor: 0, op: 'write', value: 8192 }] },
  pids_stats: { current: 3 },
};

test('stats math: cpu delta × cpus, memory without inactive file, sums', () => {
  const e = toEntry('web', sample);
  assert.equal(e.cpuPercent, 20);
  assert.equal(e.memory, 8 * 1024 * 1024);
  assert.equal(e.memoryPercent, 8);
  assert.equal(e.netRx, 2000);
  assert.equal(e.netTx, 500);
  assert.equal(e.blockRead, 4096);
  assert.equal(e.blockWrite, 8192);
  assert.equal(e.pids, 3);
});

test('cgroup v2 uses inactive_file; no system delta means 0%', () => {
  const v2 = { ...sample, memory_stats: { usage: 1000, limit: 0, stats: { inactive_file: 400 } }, precpu_stats: sample.cpu_stats };
  const e = toEntry('x', v2);
  assert.equal(e.memory, 600);
  assert.equal(e.memoryPercent, 0);
  assert.equal(e.cpuPercent, 0);
});

test('stats row formats like docker', () => {
  const r = statsRow(toEntry('web', sample), true);
  assert.deepEqual(r, {
    Container: 'web', Name: 'web', ID: '794b8ee1c7d0', CPUPerc: '20.00%', MemUsage: '8MiB / 100MiB', MemPerc: '8.00%',
    NetIO: '2kB / 500B', BlockIO: '4.1kB / 8.19kB', PIDs: '3',
  });
  assert.equal(statsRow(invalidEntry('x'), true)['CPUPerc'], '--');
  const header = renderRows('', [], { defaultTable: STATS_DEFAULT_TABLE, headers: STATS_HEADERS }).trimEnd();
  assert.equal(header, 'CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O   BLOCK I/O   PIDS');
});
