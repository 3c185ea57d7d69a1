/**
 * kernel: host adapters — spawning tools with argument arrays, mounts,
 * cgroup hierarchy set-up, process identity, capabilities. Errors carry the
 * tool's trimmed stderr and keep the original error as `cause`.
 */
export { exec, ExecError } from './exec.js';
export type { ExecOptions, ExecResult } from './exec.js';
export { mountOverlay, unmount, isMounted, mountBind, mountSnapshot } from './mount.js';
export { prepareCgroups, removeCgroup } from './cgroups.js';
export type { CgroupSetup } from './cgroups.js';
export { processStartTime, isProcessAlive, processIdentity, daemonCapabilities } from './proc.js';
export type { ProcessIdentity } from './proc.js';
export { top, parsePsOutput } from './ps.js';
export { readCgroupStats, detectCgroupLayout, cgroupPids } from './cgroup-stats.js';
export type { CgroupLayout } from './cgroup-stats.js';
export { useForkServer, resolveProgram } from './exec.js';
export { ForkServer, ForkServerUnavailable } from './fork-server.js';
export type { StreamChild, StreamFd } from './fork-server.js';
export { ipBatch, netnsSetup, bridgeBatch, linkNames, linkExists, linkMasters, bridgeAliases, hostRoutes, hostAddresses, enableIPv4Forwarding } from './netlink.js';
export type { HostRoute } from './netlink.js';
export { nftApply, nftTables } from './nftables.js';
