import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError } from '../../errdefs/index.js';
import { resourcesFromHostConfig } from './resources.js';

const MiB = 1024 * 1024;
const v1 = { cgroupVersion: 1 as const, swapLimit: true };

test('--memory alone gives swap = 2 x memory', () => {
  assert.deepEqual(resourcesFromHostConfig({ Memory: 64 * MiB }, v1).memory, { limit: 64 * MiB, swap: 128 * MiB, disableOOMKiller: false });
});

test('--memory-swap is kept as given and -1 means unlimited', () => {
  assert.equal(resourcesFromHostConfig({ Memory: 64 * MiB, MemorySwap: 100 * MiB }, v1).memory?.swap, 100 * MiB);
  assert.equal(resourcesFromHostConfig({ Memory: 64 * MiB, MemorySwap: -1 }, v1).memory?.swap, -1);
});

test('swap is dropped when the host cannot limit it', () => {
  assert.equal(resourcesFromHostConfig({ Memory: 64 * MiB }, { cgroupVersion: 1, swapLimit: false }).memory?.swap, undefined);
});

test('--cpus becomes a quota over a 100ms period', () => {
  assert.deepEqual(resourcesFromHostConfig({ NanoCpus: 1.5e9, CpuShares: 512, CpusetCpus: '0-1' }, v1).cpu,
    { shares: 512, period: 100000, quota: 150000, cpus: '0-1' });
});

test('pids, blkio weight, reservation and swappiness map through; zero values stay unset', () => {
  const r = resourcesFromHostConfig({ PidsLimit: 100, BlkioWeight: 300, MemoryReservation: 32 * MiB, MemorySwappiness: 10, OomKillDisable: true }, v1);
  assert.deepEqual(r, { memory: { reservation: 32 * MiB, swappiness: 10, disableOOMKiller: true }, pids: { limit: 100 }, blockIO: { weight: 300 } });
  assert.deepEqual(resourcesFromHostConfig({ PidsLimit: -1, MemorySwappiness: -1 }, { cgroupVersion: 2, swapLimit: true }), {});
});

test('docker\'s resource validation messages', () => {
  const bad = (r: Parameters<typeof resourcesFromHostConfig>[0], message: string) =>
    assert.throws(() => resourcesFromHostConfig(r, v1), (e: unknown) => e instanceof InvalidParameterError && e.message === message);
  bad({ Memory: 1024 }, 'Minimum memory limit allowed is 6MB');
  bad({ Memory: 64 * MiB, MemorySwap: 32 * MiB }, 'Minimum memoryswap limit should be larger than memory limit, see usage');
  bad({ MemorySwap: 32 * MiB }, 'You should always set the Memory limit when using Memoryswap limit, see usage');
  bad({ NanoCpus: 1e9, CpuQuota: 5000 }, 'Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  bad({ BlkioWeight: 5 }, 'Range of blkio weight is from 10 to 1000');
  bad({ MemorySwappiness: 101 }, 'Invalid value: 101, valid memory swappiness range is 0-100');
});
