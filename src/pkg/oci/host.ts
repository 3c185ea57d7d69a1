// Host facts a spec builder needs (read-only probes, plus creating a missing bind source the way
// docker's `-v` does). Behind an interface so spec building is testable on any machine.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface HostDevice { type: 'c' | 'b'; major: number; minor: number; fileMode: number; uid: number; gid: number }

export interface HostProbe {
  /** `/sys/devices/system/cpu/cpu<N>/thermal_throttle` dirs that exist (docker 28 masks them). */
  thermalThrottlePaths(): string[];
  /** Whether the memory cgroup can limit swap (`memory.memsw.*` on v1, `memory.swap.max` on v2). */
  swapLimitSupported(cgroupVersion: 1 | 2): boolean;
  /** `uname -r`, for seccomp `minKernel` conditions. */
  kernelRelease(): string;
  exists(p: string): boolean;
  /** `mkdir -p`; docker creates a missing `-v /host:/ctr` source directory. */
  mkdirAll(p: string): void;
  /** The device node at `p` (symlinks followed); undefined when missing; throws a plain Error when `p` is not a device node. */
  device(p: string): HostDevice | undefined;
}

function existsSafe(p: string): boolean {
  try {
    fs.statSync(p);
    return true;
  } catch {
    // any stat failure (ENOENT, EACCES, ELOOP) counts as absent for these probes
    return false;
  }
}

function major(rdev: bigint): number { return Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)); }
function minor(rdev: bigint): number { return Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)); }

/** Probes the real host; results that cannot change while pierd runs are cached. */
export class RealHostProbe implements HostProbe {
  #thermal: string[] | undefined;
  #swap = new Map<1 | 2, boolean>();
  readonly #sysRoot: string;

  constructor(opts: { sysRoot?: string } = {}) {
    this.#sysRoot = opts.sysRoot ?? '/sys';
  }

  thermalThrottlePaths(): string[] {
    if (this.#thermal === undefined) {
      const cpuDir = path.join(this.#sysRoot, 'devices/system/cpu');
      let names: string[] = [];
      try {
        names = fs.readdirSync(cpuDir).filter((n) => /^cpu\d+$/.test(n));
      } catch {
        // no sysfs (unusual container hosts): nothing to mask
      }
      names.sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
      this.#thermal = names
        .filter((n) => existsSafe(path.join(cpuDir, n, 'thermal_throttle')))
        .map((n) => `/sys/devices/system/cpu/${n}/thermal_throttle`);
    }
    return [...this.#thermal];
  }

  swapLimitSupported(cgroupVersion: 1 | 2): boolean {
    let v = this.#swap.get(cgroupVersion);
    if (v === undefined) {
      v = cgroupVersion === 1
        ? existsSafe(path.join(this.#sysRoot, 'fs/cgroup/memory/memory.memsw.limit_in_bytes'))
        : this.#v2Swap();
      this.#swap.set(cgroupVersion, v);
    }
    return v;
  }

  #v2Swap(): boolean {
    const root = path.join(this.#sysRoot, 'fs/cgroup');
    try {
      // the root cgroup has no memory.swap.max: look at its children
      return fs.readdirSync(root, { withFileTypes: true })
        .some((d) => d.isDirectory() && existsSafe(path.join(root, d.name, 'memory.swap.max')));
    } catch {
      return false;
    }
  }

  kernelRelease(): string { return os.release(); }

  exists(p: string): boolean { return existsSafe(p); }

  mkdirAll(p: string): void { fs.mkdirSync(p, { recursive: true, mode: 0o755 }); }

  device(p: string): HostDevice | undefined {
    let st: fs.BigIntStats;
    try {
      st = fs.statSync(p, { bigint: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    if (!st.isCharacterDevice() && !st.isBlockDevice()) throw new Error(`not a device node: ${JSON.stringify(p)}`);
    return {
      type: st.isCharacterDevice() ? 'c' : 'b',
      major: major(st.rdev), minor: minor(st.rdev),
      fileMode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid),
    };
  }
}
