/**
 * A monotonic clock in milliseconds, for timing the daemon's own work.
 *
 * Not `performance.now()`: touching the global `performance` loads Node's whole perf_hooks
 * family (eleven internal modules, ~0.4 MB of RSS, measured) for a number process.hrtime gives.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
