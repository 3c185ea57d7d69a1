/**
 * containers: container records and their lifecycle — create, start, attach,
 * wait, stop, kill, restart, pause, rm, rename, update, exec — plus logs,
 * stats and top. The durable record lives in `store`; the running task is the
 * runtime's. Start-up `reconcile` makes records and host agree after a crash.
 *
 * @example
 * const { Id } = await containers.create({ config, hostConfig, networkingConfig });
 * const exited = containers.wait(Id, 'next-exit'); await containers.start(Id); await exited;
 */
export { ContainerService } from './container-service.js';
export type { ContainerServiceOptions, CreateRequest, WaitCondition, WaitResult, AttachRequest } from './container-service.js';
export type { AttachHandle } from '../runtime/index.js';
export { ExecService } from './exec-service.js';
export { HealthMonitor, collect, HEALTH_ACTION_LABEL } from './health-monitor.js';
export type { HealthAction } from './health-monitor.js';
export type { ExecConfig, ExecRecord, ExecStreams } from './exec-service.js';
export type { ContainerRecord } from './container-record.js';
export { statusText, humanDuration } from './container-record.js';
export { parseSignal } from './signals.js';
export { resolveUser, rootfsReader } from './user.js';
export { readLogs, formatTimestamp, parseSince, rotatedPaths, parseLogOpts, rotateIfNeeded } from './logs/index.js';
export type { LogEntry, RotationPolicy } from './logs/index.js';
