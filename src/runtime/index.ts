/**
 * runtime: drives the OCI runtime (crun by default, runc accepted) under conmon.
 *
 * Vocabulary: a *bundle* is a directory holding `config.json`; a *task* is the
 * running container process, owned by one conmon that outlives the daemon.
 * Lifecycle: `create` (conmon runs `<runtime> create`, reports the pid) →
 * `start` (`<runtime> start`) → exit (conmon writes `<exitDir>/<id>`; watch it
 * with `onExit`/`waitExit`) → `delete`. After a daemon restart, `load` finds
 * tasks that kept running. Exec sessions run `<runtime> exec` next to them.
 * Knows nothing of Docker's API or HTTP.
 *
 * @example
 * const task = await rt.create(id, { bundle, logPath, terminal: false, stdin: false });
 * await rt.start(id); const code = await rt.waitExit(id);
 */
export { ConmonRuntime, processGone } from './conmon-runtime.js';
export type { RuntimeOptions, CreateTaskOptions, TaskInfo, ExecOptions, ExecHandle, AttachHandle } from './conmon-runtime.js';
export { ExitWatcher } from './exit-watcher.js';
