import { existsSync, readdirSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../errdefs/index.js';

/**
 * A container's resource usage read from its cgroup, in the shape of the
 * Engine API's `ContainerStatsResponse` (`GET /containers/{id}/stats`).
 * Field names and derivations follow dockerd's (moby `daemon/stats*.go`):
 * v1 uses cpuacct/cpu/memory/blkio/pids, v2 the unified files.
 */

export interface CgroupLayout {
  readonly version: 1 | 2;
  /** Where the hierarchies are mounted, normally `/sys/fs/cgroup`. */
  readonly root: string;
}

/**
 * cgroup v2 when `<root>/cgroup.controllers` exists (unified hierarchy);
 * otherwise v1 (legacy or hybrid: one hierarchy per controller under root).
 */
export function detectCgroupLayout(root = '/sys/fs/cgroup'): CgroupLayout {
  return { version: existsSync(join(root, 'cgroup.controllers')) ? 2 : 1, root };
}

export interface BlkioStatEntry { major: number; minor: number; op: string; value: number }
export interface BlkioStats {
  io_service_bytes_recursive: BlkioStatEntry[] | null;
  io_serviced_recursive: BlkioStatEntry[] | null;
  io_queue_recursive: BlkioStatEntry[] | null;
  io_service_time_recursive: BlkioStatEntry[] | null;
  io_wait_time_recursive: BlkioStatEntry[] | null;
  io_merged_recursive: BlkioStatEntry[] | null;
  io_time_recursive: BlkioStatEntry[] | null;
  sectors_recursive: BlkioStatEntry[] | null;
}
export interface CpuUsage {
  /** Nanoseconds of CPU time. */
  total_usage: number;
  /** Per-CPU nanoseconds (cgroup v1 only). */
  percpu_usage?: number[];
  usage_in_kernelmode: number;
  usage_in_usermode: number;
}
export interface ThrottlingData { periods: number; throttled_periods: number; throttled_time: number }
export interface CpuStats {
  cpu_usage: CpuUsage;
  /** Host CPU time in nanoseconds (/proc/stat), the denominator of docker's CPU %. */
  system_cpu_usage: number;
  online_cpus: number;
  throttling_data: ThrottlingData;
}
export interface MemoryStats {
  usage: number;
  /** cgroup v1 only. */
  max_usage?: number;
  stats: Record<string, number>;
  /** cgroup v1 only. */
  failcnt?: number;
  /** The cgroup's limit, or the host's memory when unlimited (as dockerd reports). */
  limit: number;
}
export interface PidsStats {
  current?: number;
  /** Omitted when unlimited. */
  limit?: number;
}
export interface StatsSample {
  read: string;
  cpu_stats: CpuStats;
  memory_stats: MemoryStats;
  pids_stats: PidsStats;
  blkio_stats: BlkioStats;
  num_procs: 0;
  storage_stats: Record<string, never>;
}

export interface ReadStatsOptions {
  /** Where /proc is (tests point it at a fake one). */
  readonly procRoot?: string;
}

/**
 * Reads one stats sample of the cgroup at `cgroupsPath` (cgroupfs driver, e.g.
 * `/pier/<id>`). The caller adds `name`, `id`, `preread`, `precpu_stats` and
 * `networks`.
 *
 * @throws {NotFoundError} when the cgroup does not exist (the container is gone).
 */
export async function readCgroupStats(layout: CgroupLayout, cgroupsPath: string, opts: ReadStatsOptions = {}): Promise<StatsSample> {
  const procRoot = opts.procRoot ?? '/proc';
  const rel = cgroupsPath.replace(/^\/+/, '');
  const dirs = cgroupDirs(layout, rel);
  if (!(await anyExists(Object.values(dirs)))) {
    throw new NotFoundError(`Cannot read stats of cgroup "${cgroupsPath}": no such cgroup`);
  }
  const [host, memTotal] = await Promise.all([readHostCpu(procRoot), readMemTotal(procRoot)]);
  const [cpu, memory, pids, blkio] = layout.version === 2
    ? await Promise.all([cpuV2(dirs.cpu), memoryV2(dirs.memory), readPids(dirs.pids), blkioV2(dirs.blkio)])
    : await Promise.all([cpuV1(dirs.cpuacct, dirs.cpu), memoryV1(dirs.memory), readPids(dirs.pids), blkioV1(dirs.blkio)]);
  // A cgroup removed while it was read yields zeros: report it as gone instead.
  if (!(await anyExists(Object.values(dirs)))) {
    throw new NotFoundError(`Cannot read stats of cgroup "${cgroupsPath}": no such cgroup`);
  }
  if (memTotal > 0 && (memory.limit === 0 || memory.limit > memTotal)) memory.limit = memTotal;
  return {
    read: new Date().toISOString(),
    cpu_stats: { ...cpu, system_cpu_usage: host.systemUsage, online_cpus: host.onlineCpus },
    memory_stats: memory,
    pids_stats: pids,
    blkio_stats: blkio,
    num_procs: 0,
    storage_stats: {},
  };
}

/** The pids in a cgroup (`cgroup.procs` of its pids hierarchy on v1, of the unified one on v2); [] when it is gone. */
export async function cgroupPids(layout: CgroupLayout, rel: string): Promise<number[]> {
  try {
    const text = await readFile(join(cgroupDirs(layout, rel).pids, 'cgroup.procs'), 'utf8');
    return text.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  } catch {
    return [];
  }
}

interface Dirs { cpu: string; cpuacct: string; memory: string; pids: string; blkio: string }

function cgroupDirs(layout: CgroupLayout, rel: string): Dirs {
  if (layout.version === 2) {
    const d = join(layout.root, rel);
    return { cpu: d, cpuacct: d, memory: d, pids: d, blkio: d };
  }
  let entries: string[] = [];
  try {
    entries = readdirSync(layout.root);
  } catch {
    // no cgroup mount at all: every directory below reads as missing
  }
  // A controller may share a hierarchy with others ("cpu,cpuacct").
  const mount = (c: string): string => join(layout.root, entries.includes(c) ? c : (entries.find((e) => e.split(',').includes(c)) ?? c), rel);
  return { cpu: mount('cpu'), cpuacct: mount('cpuacct'), memory: mount('memory'), pids: mount('pids'), blkio: mount('blkio') };
}

async function anyExists(paths: string[]): Promise<boolean> {
  const found = await Promise.all(paths.map((p) => stat(p).then((s) => s.isDirectory(), () => false)));
  return found.includes(true);
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined; // absent (controller not enabled, kernel without the file, or cgroup gone)
  }
}

function num(text: string | undefined): number {
  const n = Number(text?.trim());
  return Number.isFinite(n) ? n : 0;
}

/** `key value` lines (memory.stat, cpu.stat, cpuacct.stat) → map. */
function keyValues(text: string | undefined): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k !== undefined && k !== '' && v !== undefined) m.set(k, Number(v));
  }
  return m;
}

/** USER_HZ: fixed at 100 on Linux (moby and containerd hard-code it too). */
const CLOCK_TICKS = 100n;
const NS_PER_SEC = 1_000_000_000n;

/** docker's system_cpu_usage: the first seven fields of /proc/stat's `cpu` line (user…softirq), in ns; and the cpuN count. */
async function readHostCpu(procRoot: string): Promise<{ systemUsage: number; onlineCpus: number }> {
  const text = (await readText(join(procRoot, 'stat'))) ?? '';
  let systemUsage = 0;
  let onlineCpus = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) break; // the cpu lines come first
    const fields = line.split(/\s+/);
    if (fields[0] === 'cpu') {
      let ticks = 0n;
      for (const f of fields.slice(1, 8)) ticks += BigInt(/^\d+$/.test(f) ? f : '0');
      systemUsage = Number((ticks * NS_PER_SEC) / CLOCK_TICKS);
    } else if (/^cpu\d+$/.test(fields[0] ?? '')) {
      onlineCpus++;
    }
  }
  return { systemUsage, onlineCpus };
}

async function readMemTotal(procRoot: string): Promise<number> {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec((await readText(join(procRoot, 'meminfo'))) ?? '');
  return m === null ? 0 : Number(m[1]) * 1024;
}

type CpuPart = Pick<CpuStats, 'cpu_usage' | 'throttling_data'>;

async function cpuV1(cpuacct: string, cpu: string): Promise<CpuPart> {
  const [usage, percpu, acctStat, cpuStat] = await Promise.all([
    readText(join(cpuacct, 'cpuacct.usage')),
    readText(join(cpuacct, 'cpuacct.usage_percpu')),
    readText(join(cpuacct, 'cpuacct.stat')),
    readText(join(cpu, 'cpu.stat')),
  ]);
  const acct = keyValues(acctStat);
  const ticksToNs = (t: number | undefined): number => Number((BigInt(Math.trunc(t ?? 0)) * NS_PER_SEC) / CLOCK_TICKS);
  const thr = keyValues(cpuStat);
  const cpuUsage: CpuUsage = {
    total_usage: num(usage),
    usage_in_kernelmode: ticksToNs(acct.get('system')),
    usage_in_usermode: ticksToNs(acct.get('user')),
  };
  if (percpu !== undefined) cpuUsage.percpu_usage = percpu.trim().split(/\s+/).filter(Boolean).map(Number);
  return {
    cpu_usage: cpuUsage,
    throttling_data: { periods: thr.get('nr_periods') ?? 0, throttled_periods: thr.get('nr_throttled') ?? 0, throttled_time: thr.get('throttled_time') ?? 0 },
  };
}

async function cpuV2(dir: string): Promise<CpuPart> {
  const s = keyValues(await readText(join(dir, 'cpu.stat')));
  const us = (k: string): number => (s.get(k) ?? 0) * 1000;
  return {
    cpu_usage: { total_usage: us('usage_usec'), usage_in_kernelmode: us('system_usec'), usage_in_usermode: us('user_usec') },
    throttling_data: { periods: s.get('nr_periods') ?? 0, throttled_periods: s.get('nr_throttled') ?? 0, throttled_time: us('throttled_usec') },
  };
}

/** The memory.stat keys dockerd reports on cgroup v1. */
const V1_MEMORY_KEYS = [
  'cache', 'rss', 'rss_huge', 'mapped_file', 'dirty', 'writeback', 'pgpgin', 'pgpgout', 'pgfault', 'pgmajfault',
  'inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable',
  'hierarchical_memory_limit', 'hierarchical_memsw_limit',
  'total_cache', 'total_rss', 'total_rss_huge', 'total_mapped_file', 'total_dirty', 'total_writeback',
  'total_pgpgin', 'total_pgpgout', 'total_pgfault', 'total_pgmajfault', 'total_inactive_anon', 'total_active_anon',
  'total_inactive_file', 'total_active_file', 'total_unevictable',
];

/** The memory.stat keys dockerd reports on cgroup v2. */
const V2_MEMORY_KEYS = [
  'anon', 'file', 'kernel_stack', 'slab', 'sock', 'shmem', 'file_mapped', 'file_dirty', 'file_writeback', 'anon_thp',
  'inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable', 'slab_reclaimable', 'slab_unreclaimable',
  'pgfault', 'pgmajfault', 'workingset_refault', 'workingset_activate', 'workingset_nodereclaim',
  'pgrefill', 'pgscan', 'pgsteal', 'pgactivate', 'pgdeactivate', 'pglazyfree', 'pglazyfreed', 'thp_fault_alloc', 'thp_collapse_alloc',
];

function pick(all: Map<string, number>, keys: readonly string[], alias: Record<string, string> = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) {
    const alt = alias[k];
    out[k] = all.get(k) ?? (alt !== undefined ? all.get(alt) : undefined) ?? 0;
  }
  return out;
}

async function memoryV1(dir: string): Promise<MemoryStats> {
  const [usage, max, failcnt, limit, statText] = await Promise.all(
    ['memory.usage_in_bytes', 'memory.max_usage_in_bytes', 'memory.failcnt', 'memory.limit_in_bytes', 'memory.stat'].map((f) => readText(join(dir, f))),
  );
  return {
    usage: num(usage),
    max_usage: num(max),
    stats: pick(keyValues(statText), V1_MEMORY_KEYS),
    failcnt: num(failcnt),
    limit: num(limit),
  };
}

async function memoryV2(dir: string): Promise<MemoryStats> {
  const [current, max, statText] = await Promise.all(['memory.current', 'memory.max', 'memory.stat'].map((f) => readText(join(dir, f))));
  return {
    usage: num(current),
    // Newer kernels split workingset_* into _anon/_file; docker's key is the file one.
    stats: pick(keyValues(statText), V2_MEMORY_KEYS, {
      workingset_refault: 'workingset_refault_file',
      workingset_activate: 'workingset_activate_file',
    }),
    limit: max?.trim() === 'max' ? 0 : num(max),
  };
}

async function readPids(dir: string): Promise<PidsStats> {
  const [current, max] = await Promise.all([readText(join(dir, 'pids.current')), readText(join(dir, 'pids.max'))]);
  const out: PidsStats = {};
  if (current !== undefined) out.current = num(current);
  // "max" (unlimited) is left out: as a JSON number it would not fit docker's uint64.
  if (max !== undefined && max.trim() !== 'max' && num(max) > 0) out.limit = num(max);
  return out;
}

/** Lines `maj:min [Op] value`; the `Total` line is skipped. */
function blkioEntries(text: string | undefined): BlkioStatEntry[] {
  const out: BlkioStatEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const f = line.trim().split(/\s+/);
    const dev = /^(\d+):(\d+)$/.exec(f[0] ?? '');
    if (dev === null) continue;
    const [op, value] = f.length >= 3 ? [f[1] ?? '', f[2]] : ['', f[1]];
    out.push({ major: Number(dev[1]), minor: Number(dev[2]), op, value: num(value) });
  }
  return out;
}

const V1_BLKIO_FILES: [keyof BlkioStats, string][] = [
  ['sectors_recursive', 'blkio.sectors_recursive'],
  ['io_service_bytes_recursive', 'blkio.io_service_bytes_recursive'],
  ['io_serviced_recursive', 'blkio.io_serviced_recursive'],
  ['io_queue_recursive', 'blkio.io_queued_recursive'],
  ['io_service_time_recursive', 'blkio.io_service_time_recursive'],
  ['io_wait_time_recursive', 'blkio.io_wait_time_recursive'],
  ['io_merged_recursive', 'blkio.io_merged_recursive'],
  ['io_time_recursive', 'blkio.time_recursive'],
];

/** CFQ statistics when the kernel has them and they are non-empty, else the throttle ones (as containerd does). */
async function blkioV1(dir: string): Promise<BlkioStats> {
  const out: BlkioStats = {
    io_service_bytes_recursive: [], io_serviced_recursive: [], io_queue_recursive: [], io_service_time_recursive: [],
    io_wait_time_recursive: [], io_merged_recursive: [], io_time_recursive: [], sectors_recursive: [],
  };
  const cfq = await Promise.all(V1_BLKIO_FILES.map(async ([key, file]) => [key, blkioEntries(await readText(join(dir, file)))] as const));
  if (cfq.some(([, entries]) => entries.length > 0)) {
    for (const [key, entries] of cfq) out[key] = entries;
    return out;
  }
  out.io_service_bytes_recursive = blkioEntries(await readText(join(dir, 'blkio.throttle.io_service_bytes_recursive')));
  out.io_serviced_recursive = blkioEntries(await readText(join(dir, 'blkio.throttle.io_serviced_recursive')));
  return out;
}

/** io.stat `maj:min rbytes=… wbytes=…` → read/write entries; v2 has nothing else (docker sends null). */
async function blkioV2(dir: string): Promise<BlkioStats> {
  const entries: BlkioStatEntry[] = [];
  for (const line of ((await readText(join(dir, 'io.stat'))) ?? '').split('\n')) {
    const f = line.trim().split(/\s+/);
    const dev = /^(\d+):(\d+)$/.exec(f[0] ?? '');
    if (dev === null) continue;
    const kv = new Map(f.slice(1).map((p) => p.split('=') as [string, string]));
    const major = Number(dev[1]);
    const minor = Number(dev[2]);
    entries.push({ major, minor, op: 'read', value: num(kv.get('rbytes')) }, { major, minor, op: 'write', value: num(kv.get('wbytes')) });
  }
  return {
    io_service_bytes_recursive: entries.length > 0 ? entries : null,
    io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null,
    io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null,
  };
}
