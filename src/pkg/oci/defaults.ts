// Docker's default container spec pieces (moby `oci/defaults.go`, `daemon/oci_linux.go`):
// the standard mounts, masked and read-only paths, and the device cgroup allow-list.
// See shared/reference/docker-defaults.md §2–3.

import type { LinuxDeviceCgroup, Mount } from './spec.js';

/** Default /dev/shm size: 64 MiB. */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

export interface DefaultMountsOptions {
  cgroupVersion: 1 | 2;
  /** rw /sys and /sys/fs/cgroup (docker's --privileged). */
  privileged: boolean;
  /** rw /sys/fs/cgroup only (`--security-opt writable-cgroups=true`). */
  writableCgroups?: boolean;
  /** `private` (tmpfs /dev/shm of shmSize), `host` (bind the host's /dev/shm) or `none` (no /dev/shm). */
  shm: { mode: 'private'; size: number } | { mode: 'host' } | { mode: 'none' };
}

/** The system mounts docker puts in every container, in docker's order (proc … /dev/shm). */
export function defaultMounts(opts: DefaultMountsOptions): Mount[] {
  const sysRo = opts.privileged ? [] : ['ro'];
  const cgroupRo = opts.privileged || opts.writableCgroups === true ? [] : ['ro'];
  const mounts: Mount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts', type: 'devpts', source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', ...sysRo] },
    {
      destination: '/sys/fs/cgroup',
      type: opts.cgroupVersion === 2 ? 'cgroup2' : 'cgroup',
      source: opts.cgroupVersion === 2 ? 'cgroup2' : 'cgroup',
      options: [...cgroupRo, 'nosuid', 'noexec', 'nodev'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  ];
  if (opts.shm.mode === 'private') {
    mounts.push({
      destination: '/dev/shm', type: 'tmpfs', source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${opts.shm.size}`],
    });
  } else if (opts.shm.mode === 'host') {
    mounts.push({ destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] });
  }
  return mounts;
}

/** Masked paths of docker 28 (without the per-CPU thermal_throttle dirs, which depend on the host). */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

export const DEFAULT_READONLY_PATHS: readonly string[] = [
  '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger',
];

const rwm = 'rwm';
const allowChar = (major: number, minor: number): LinuxDeviceCgroup => ({ allow: true, type: 'c', major, minor, access: rwm });

/**
 * Device cgroup rules for an unprivileged container: deny all, docker's allow-list (null, zero,
 * urandom, random, tty, console), deny fuse; then the nodes every OCI runtime creates in /dev
 * (full, ptmx, /dev/pts/*) and mknod of any node, as runc's built-in defaults also allow.
 */
export function defaultDeviceRules(): LinuxDeviceCgroup[] {
  return [
    { allow: false, access: rwm },
    allowChar(1, 5), allowChar(1, 3), allowChar(1, 9), allowChar(1, 8), allowChar(5, 0), allowChar(5, 1),
    { allow: false, type: 'c', major: 10, minor: 229, access: rwm },
    allowChar(1, 7), allowChar(5, 2), { allow: true, type: 'c', major: 136, access: rwm },
    { allow: true, type: 'c', access: 'm' }, { allow: true, type: 'b', access: 'm' },
  ];
}

/** --privileged: every device allowed. */
export function privilegedDeviceRules(): LinuxDeviceCgroup[] {
  return [{ allow: true, access: rwm }];
}
