/**
 * logs: a container's output as docker's log API serves it.
 *
 * conmon writes the container's stdout/stderr to a `k8s-file` log (CRI
 * format: `<RFC3339Nano> <stdout|stderr> <F|P> <text>`). This module reads it
 * back with docker json-file semantics — entries keep their newline, output
 * cut off without one is still output, `tail`/`since`/`until`/`follow` behave
 * as `GET /containers/{id}/logs` documents — and rotates it by docker's
 * `max-size`/`max-file` log options (rename, then tell conmon to reopen).
 *
 * Lifecycle: conmon creates `<current>` when the container starts; the
 * daemon calls `rotateIfNeeded` now and then while it runs; readers call
 * `readLogs` with the current path and the rotated ones (`rotatedPaths`).
 * Entries are plain `{ stream, data }` chunks: stream framing lives in api/.
 *
 * @example
 * const policy = parseLogOpts(hostConfig.LogConfig.Config);
 * for await (const e of readLogs({ current, rotated: rotatedPaths(current, policy) },
 *     { stdout: true, stderr: true, follow: true, tail: 10, signal, done: task.exited })) {
 *   write(e.stream, timestamps ? `${formatTimestamp(e.timeNano)} ${e.data}` : e.data);
 * }
 */
export { readLogs } from './read-logs.js';
export type { ReadLogsOptions, LogPaths } from './read-logs.js';
export type { LogEntry } from './entry-assembler.js';
export { formatTimestamp, parseSince } from './timestamp.js';
export { parseLogOpts, rotatedPaths, rotateIfNeeded, fromHumanSize } from './rotation.js';
export type { RotationPolicy } from './rotation.js';
export { parseK8sRecord, formatK8sRecord } from './k8s-record.js';
export type { K8sRecord } from './k8s-record.js';
