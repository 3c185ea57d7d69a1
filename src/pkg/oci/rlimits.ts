// Docker's `--ulimit name=soft[:hard]` names as OCI `process.rlimits` (moby `docker/go-units` ulimit.go).

import { InvalidParameterError } from '../../errdefs/index.js';
import type { PosixRlimit } from './spec.js';

/** Docker's ulimit names → RLIMIT_* (the set docker accepts). */
export const ULIMIT_NAMES: Readonly<Record<string, string>> = {
  core: 'RLIMIT_CORE', cpu: 'RLIMIT_CPU', data: 'RLIMIT_DATA', fsize: 'RLIMIT_FSIZE', locks: 'RLIMIT_LOCKS',
  memlock: 'RLIMIT_MEMLOCK', msgqueue: 'RLIMIT_MSGQUEUE', nice: 'RLIMIT_NICE', nofile: 'RLIMIT_NOFILE',
  nproc: 'RLIMIT_NPROC', rss: 'RLIMIT_RSS', rtprio: 'RLIMIT_RTPRIO', rttime: 'RLIMIT_RTTIME',
  sigpending: 'RLIMIT_SIGPENDING', stack: 'RLIMIT_STACK', as: 'RLIMIT_AS',
};

/**
 * Stand-in for docker's -1 (unlimited). RLIM_INFINITY is uint64 max, which a JS number cannot
 * carry exactly into JSON, so the largest exact JSON integer is written instead: unlimited in
 * practice, though not the kernel's RLIM_INFINITY marker.
 */
const INFINITY = Number.MAX_SAFE_INTEGER;

/**
 * Turn `HostConfig.Ulimits` into rlimits, later entries replacing earlier ones of the same name.
 * A value of -1 means unlimited. The runtime applies them with setrlimit(2) in the container,
 * so a hard limit above the daemon's own needs CAP_SYS_RESOURCE, which pierd may lack: such a
 * request fails at start with the runtime's error rather than being silently clamped.
 */
export function ulimitsToRlimits(ulimits: ReadonlyArray<{ Name: string; Soft: number; Hard: number }>): PosixRlimit[] {
  const byType = new Map<string, PosixRlimit>();
  for (const u of ulimits) {
    const type = ULIMIT_NAMES[u.Name];
    if (type === undefined) throw new InvalidParameterError(`invalid ulimit type: ${u.Name}`);
    const soft = u.Soft < 0 ? INFINITY : u.Soft;
    const hard = u.Hard < 0 ? INFINITY : u.Hard;
    if (soft > hard) {
      throw new InvalidParameterError(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
    }
    byType.set(type, { type, hard, soft });
  }
  return [...byType.values()];
}
