// Docker's resource settings (HostConfig) as OCI `linux.resources`, with the create-time checks
// and wording of moby `daemon/daemon_unix.go` verifyPlatformContainerResources.

import { InvalidParameterError } from '../../errdefs/index.js';
import type { HostConfig } from '../engine/index.js';
import type { LinuxResources } from './spec.js';

export type ResourceSettings = Pick<HostConfig,
  | 'Memory' | 'MemorySwap' | 'MemoryReservation' | 'MemorySwappiness' | 'OomKillDisable'
  | 'NanoCpus' | 'CpuShares' | 'CpuQuota' | 'CpuPeriod' | 'CpuRealtimePeriod' | 'CpuRealtimeRuntime'
  | 'CpusetCpus' | 'CpusetMems' | 'PidsLimit' | 'BlkioWeight'>;

const MIN_MEMORY = 6 * 1024 * 1024;
/** CFS period docker uses for `--cpus`. */
export const DEFAULT_CPU_PERIOD = 100000;

/** Reject values docker rejects, with docker's messages. */
export function validateResources(r: Partial<ResourceSettings>): void {
  const fail = (msg: string): never => { throw new InvalidParameterError(msg); };
  const mem = r.Memory ?? 0;
  const swap = r.MemorySwap ?? 0;
  const reservation = r.MemoryReservation ?? 0;
  if (mem !== 0 && mem < MIN_MEMORY) fail('Minimum memory limit allowed is 6MB');
  if (mem > 0 && swap > 0 && swap < mem) fail('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (mem === 0 && swap > 0) fail('You should always set the Memory limit when using Memoryswap limit, see usage');
  const swappiness = r.MemorySwappiness;
  if (swappiness !== undefined && swappiness !== null && swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    fail(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  if (reservation > 0 && mem > 0 && mem < reservation) {
    fail('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (reservation !== 0 && reservation < MIN_MEMORY) fail('Minimum memory reservation allowed is 6MB');
  const nano = r.NanoCpus ?? 0;
  if (nano > 0 && (r.CpuQuota ?? 0) > 0) fail('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano > 0 && (r.CpuPeriod ?? 0) > 0) fail('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano < 0) fail('Range of CPUs is from 0.01 to the number of CPUs available');
  const period = r.CpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1000000)) {
    fail('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  const quota = r.CpuQuota ?? 0;
  if (quota > 0 && quota < 1000) fail('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  const weight = r.BlkioWeight ?? 0;
  if (weight > 0 && (weight < 10 || weight > 1000)) fail('Range of blkio weight is from 10 to 1000');
}

export interface ResourceOptions {
  cgroupVersion: 1 | 2;
  /** Whether the host can limit swap; when not, the swap limit is dropped as docker does. */
  swapLimit: boolean;
}

/**
 * `linux.resources` without devices (the caller adds the device rules). `--memory` without
 * `--memory-swap` gives swap = 2×memory; -1 means unlimited swap. `--cpus` becomes a CFS quota
 * over a 100 ms period. Settings cgroup v2 cannot express (swappiness, OOM-killer disable,
 * realtime CPU) are left out on v2, as docker discards them there.
 */
export function resourcesFromHostConfig(r: Partial<ResourceSettings>, opts: ResourceOptions): LinuxResources {
  validateResources(r);
  const out: LinuxResources = {};
  const v1 = opts.cgroupVersion === 1;

  const memory: NonNullable<LinuxResources['memory']> = {};
  const mem = r.Memory ?? 0;
  if (mem > 0) {
    memory.limit = mem;
    if (opts.swapLimit) {
      const swap = r.MemorySwap ?? 0;
      memory.swap = swap === 0 ? 2 * mem : swap;
    }
  }
  if ((r.MemoryReservation ?? 0) > 0) memory.reservation = r.MemoryReservation ?? 0;
  const swappiness = r.MemorySwappiness;
  if (v1 && swappiness !== undefined && swappiness !== null && swappiness >= 0) memory.swappiness = swappiness;
  if (v1) memory.disableOOMKiller = r.OomKillDisable === true;
  if (Object.keys(memory).length > 0) out.memory = memory;

  const cpu: NonNullable<LinuxResources['cpu']> = {};
  if ((r.CpuShares ?? 0) > 0) cpu.shares = r.CpuShares ?? 0;
  const nano = r.NanoCpus ?? 0;
  if (nano > 0) {
    cpu.period = DEFAULT_CPU_PERIOD;
    cpu.quota = Math.round((nano * DEFAULT_CPU_PERIOD) / 1e9);
  } else {
    if ((r.CpuPeriod ?? 0) > 0) cpu.period = r.CpuPeriod ?? 0;
    if ((r.CpuQuota ?? 0) !== 0) cpu.quota = r.CpuQuota ?? 0;
  }
  if (v1 && (r.CpuRealtimePeriod ?? 0) > 0) cpu.realtimePeriod = r.CpuRealtimePeriod ?? 0;
  if (v1 && (r.CpuRealtimeRuntime ?? 0) > 0) cpu.realtimeRuntime = r.CpuRealtimeRuntime ?? 0;
  if ((r.CpusetCpus ?? '') !== '') cpu.cpus = r.CpusetCpus ?? '';
  if ((r.CpusetMems ?? '') !== '') cpu.mems = r.CpusetMems ?? '';
  if (Object.keys(cpu).length > 0) out.cpu = cpu;

  const pids = r.PidsLimit ?? 0;
  if (pids > 0) out.pids = { limit: pids };
  if ((r.BlkioWeight ?? 0) > 0) out.blockIO = { weight: r.BlkioWeight ?? 0 };
  return out;
}
