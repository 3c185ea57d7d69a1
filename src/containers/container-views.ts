import { mkdir } from 'node:fs/promises';
import { ConflictError, messageOf } from '../errdefs/index.js';
import { ZERO_TIME } from '../pkg/engine/index.js';
import type { ImageService } from '../images/index.js';
import type { Snapshotter } from '../snapshots/index.js';
import { unmount, mountSnapshot, top, readCgroupStats, detectCgroupLayout, cgroupPids } from '../kernel/index.js';
import { diffUpper, type Change } from './container-ops.js';
import type { ContainerService } from './container-service.js';
import { processGone } from '../runtime/index.js';

/**
 * Views of a container that change nothing: its filesystem (for the archive,
 * export and diff endpoints, mounting a stopped container's rootfs for the
 * duration) and its processes (top, stats).
 */
export class ContainerViews {
  readonly #svc: ContainerService;
  readonly #deps: { snapshots: Snapshotter; images: Pick<ImageService, 'get'> };

  constructor(svc: ContainerService, deps: { snapshots: Snapshotter; images: Pick<ImageService, 'get'> }) {
    this.#svc = svc;
    this.#deps = deps;
  }

  /** Runs fn with the rootfs mounted: the live mount when running, a temporary one otherwise. */
  async withRootfs<R>(ref: string, fn: (root: string) => Promise<R>, o: { withMounts?: boolean } = {}): Promise<R> {
    const c = this.#svc.get(ref);
    const root = this.#svc.rootfsDir(c.Id);
    // docker cp sees the container's mounts (/etc/hostname, binds): for a running
    // container, its own mount namespace is reachable through /proc/<pid>/root.
    if (c.State.Running && c.State.Pid > 0 && o.withMounts) return fn(`/proc/${c.State.Pid}/root`);
    if (c.State.Running) return fn(root);
    return this.#svc.exclusive(c.Id, async () => {
      const cur = this.#svc.get(c.Id);
      if (cur.State.Running) return fn(root);
      await mkdir(root, { recursive: true });
      const m = (await this.#deps.snapshots.mounts(cur.pier.snapshotKey))[0];
      if (m) await mountSnapshot(m, root);
      try {
        return await fn(root);
      } finally {
        await unmount(root).catch((err: unknown) => this.#svc.log.warn('rootfs unmount failed', { container: c.Id, err: messageOf(err) }));
      }
    });
  }

  /** Bytes in the container's writable layer (`SizeRw`). */
  async sizeRw(ref: string): Promise<number> {
    const c = this.#svc.get(ref);
    return (await this.#deps.snapshots.usage(c.pier.snapshotKey)).bytes;
  }

  /** `docker diff`. */
  async changes(ref: string): Promise<Change[] | null> {
    const c = this.#svc.get(ref);
    const upper = await this.#deps.snapshots.dir(c.pier.snapshotKey);
    const image = this.#deps.images.get(c.Image);
    const lowers: string[] = [];
    for (const chain of [...(image?.chainIds ?? [])].reverse()) lowers.push(await this.#deps.snapshots.dir(chain));
    const out = await diffUpper(upper, lowers);
    return out.length ? out : null;
  }

  /** `docker top`: host ps rows of the container's processes. */
  async top(ref: string, psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    const { c } = this.#svc.runningTask(ref);
    let pids;
    try {
      pids = await this.#svc.runtimeOf(c).pids(c.Id);
    } catch (err) {
      // It stopped between the check and the runtime's answer: what docker says for a stopped one.
      if (!this.#svc.tryGet(c.Id)?.State.Running || processGone(messageOf(err))) throw new ConflictError(`Container ${c.Id} is not running`, { cause: err });
      // The runtime could not list them (crun ps has been seen to crash, exit 139, for a container
      // whose process had just gone): the container's cgroup answers; empty, nothing runs there.
      pids = await cgroupPids(detectCgroupLayout(), this.#svc.cgroupsPath(c.Id));
      if (pids.length === 0) throw new ConflictError(`Container ${c.Id} is not running`, { cause: err });
    }
    return top(pids, psArgs);
  }

  /** One stats sample in docker's shape; `prev` fills precpu_stats. */
  async stats(ref: string, prev: Record<string, unknown> | undefined): Promise<Record<string, unknown>> {
    const c = this.#svc.get(ref);
    const base = { name: c.Name, id: c.Id };
    if (!c.State.Running) {
      return { ...base, read: ZERO_TIME, preread: ZERO_TIME, pids_stats: {}, blkio_stats: {}, num_procs: 0, storage_stats: {}, cpu_stats: { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } }, precpu_stats: { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } }, memory_stats: {} };
    }
    const sample = await readCgroupStats(detectCgroupLayout(), this.#svc.cgroupsPath(c.Id)) as unknown as Record<string, unknown>;
    return {
      ...base, ...sample,
      preread: prev?.['read'] ?? ZERO_TIME,
      precpu_stats: prev?.['cpu_stats'] ?? { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
      networks: { lo: { rx_bytes: 0, rx_packets: 0, rx_errors: 0, rx_dropped: 0, tx_bytes: 0, tx_packets: 0, tx_errors: 0, tx_dropped: 0 } },
    };
  }
}
