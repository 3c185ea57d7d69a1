// docker stats' arithmetic (stats_helpers.go) and its column formatting
// (formatter_stats.go), on one /stats sample.

import type { StatsResponse } from '../client/index.js';
import { bytesSize, humanSize } from './units.js';

export interface StatsEntry {
  /** What the user asked for (name or short ID). */
  container: string;
  name: string;
  id: string;
  cpuPercent: number;
  memory: number;
  memoryLimit: number;
  memoryPercent: number;
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
  pids: number;
  invalid: boolean;
}

export function cpuPercent(v: StatsResponse): number {
  const cpuDelta = v.cpu_stats.cpu_usage.total_usage - v.precpu_stats.cpu_usage.total_usage;
  const sysDelta = (v.cpu_stats.system_cpu_usage ?? 0) - (v.precpu_stats.system_cpu_usage ?? 0);
  let online = v.cpu_stats.online_cpus ?? 0;
  if (online === 0) online = v.cpu_stats.cpu_usage.percpu_usage?.length ?? 0;
  return sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * online * 100 : 0;
}

/** Usage minus inactive file pages: total_inactive_file on cgroup v1, inactive_file on v2. */
export function memUsageNoCache(m: StatsResponse['memory_stats']): number {
  const usage = m.usage ?? 0;
  const s = m.stats ?? {};
  const v1 = s['total_inactive_file'];
  if (v1 !== undefined) return v1 < usage ? usage - v1 : usage;
  const v2 = s['inactive_file'];
  if (v2 !== undefined && v2 < usage) return usage - v2;
  return usage;
}

export function blockIo(v: StatsResponse): [number, number] {
  let r = 0;
  let w = 0;
  for (const e of v.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op.toLowerCase();
    if (op.startsWith('r')) r += e.value;
    else if (op.startsWith('w')) w += e.value;
  }
  return [r, w];
}

export function toEntry(container: string, v: StatsResponse): StatsEntry {
  const mem = memUsageNoCache(v.memory_stats);
  const limit = v.memory_stats.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(v.networks ?? {})) { rx += n.rx_bytes; tx += n.tx_bytes; }
  const [br, bw] = blockIo(v);
  return {
    container, name: v.name ?? '', id: v.id ?? '', cpuPercent: cpuPercent(v), memory: mem, memoryLimit: limit,
    memoryPercent: limit !== 0 ? (mem / limit) * 100 : 0, netRx: rx, netTx: tx, blockRead: br, blockWrite: bw,
    pids: v.pids_stats?.current ?? 0, invalid: false,
  };
}

export function invalidEntry(container: string): StatsEntry {
  return { container, name: '', id: '', cpuPercent: 0, memory: 0, memoryLimit: 0, memoryPercent: 0, netRx: 0, netTx: 0, blockRead: 0, blockWrite: 0, pids: 0, invalid: true };
}

export const STATS_HEADERS: Record<string, string> = {
  Container: 'CONTAINER', ID: 'CONTAINER ID', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %',
  NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
};

export const STATS_DEFAULT_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

/** The row a stats template sees. */
export function statsRow(e: StatsEntry, trunc: boolean): Record<string, string> {
  const bad = e.invalid;
  return {
    Container: e.container,
    Name: e.name.length > 1 ? e.name.slice(1) : '--',
    ID: trunc ? e.id.slice(0, 12) : e.id,
    CPUPerc: bad ? '--' : `${e.cpuPercent.toFixed(2)}%`,
    MemUsage: bad ? '-- / --' : `${bytesSize(e.memory)} / ${bytesSize(e.memoryLimit)}`,
    MemPerc: bad ? '--' : `${e.memoryPercent.toFixed(2)}%`,
    NetIO: bad ? '--' : `${humanSize(e.netRx, 3)} / ${humanSize(e.netTx, 3)}`,
    BlockIO: bad ? '--' : `${humanSize(e.blockRead, 3)} / ${humanSize(e.blockWrite, 3)}`,
    PIDs: bad ? '--' : String(e.pids),
  };
}
