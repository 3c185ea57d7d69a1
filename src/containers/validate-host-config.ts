import { InvalidParameterError } from '../errdefs/index.js';
import type { HostConfig } from '../pkg/engine/index.js';

function hostCpus(): number {
  return Math.max(1, (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1);
}

/** docker's create/update checks of a HostConfig, with its messages. */
export function validateHostConfig(h: HostConfig): void {
  if (h.Memory > 0 && h.Memory < 6 * 1024 * 1024) throw new InvalidParameterError('Minimum memory limit allowed is 6MB');
  if (h.MemorySwap > 0 && h.Memory > 0 && h.MemorySwap < h.Memory) {
    throw new InvalidParameterError('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (h.NanoCpus < 0) throw new InvalidParameterError('Range of CPUs is from 0.01 to N, where N is the number of CPUs available');
  if (h.NanoCpus > 0 && h.NanoCpus > (hostCpus() * 1e9)) {
    throw new InvalidParameterError(`Range of CPUs is from 0.01 to ${hostCpus()}.00, as there are only ${hostCpus()} CPUs available`);
  }
  if (h.NanoCpus > 0 && (h.CpuQuota > 0 || h.CpuPeriod > 0)) {
    throw new InvalidParameterError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  }
  const rp = h.RestartPolicy;
  if (rp.Name !== '' && rp.Name !== 'no' && rp.Name !== 'always' && rp.Name !== 'unless-stopped' && rp.Name !== 'on-failure') {
    throw new InvalidParameterError(`invalid restart policy: unknown policy '${String(rp.Name)}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  if (rp.MaximumRetryCount < 0) throw new InvalidParameterError('invalid restart policy: maximum retry count cannot be negative');
  if (rp.MaximumRetryCount > 0 && rp.Name !== 'on-failure') {
    throw new InvalidParameterError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  }
  // NetworkMode names a network: the networks service checks it exists.
}

/** docker's checks of a create's Healthcheck (verifyContainerSettings): durations of at least 1 ms, no negative retries. */
export function validateHealthcheck(h: { Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number } | null | undefined): void {
  if (!h) return;
  const MIN = 1_000_000; // 1ms in ns
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'] as const) {
    const v = h[k] ?? 0;
    if (v !== 0 && v < MIN) throw new InvalidParameterError(`${k} in Healthcheck cannot be less than 1ms`);
  }
  if ((h.Retries ?? 0) < 0) throw new InvalidParameterError('Retries in Healthcheck cannot be negative');
}
