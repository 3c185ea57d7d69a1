import type { Logger } from '../pkg/log/index.js';
import type { ContainerRecord } from './container-record.js';

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;
const RESET_AFTER_S = 10;

/**
 * Restart policies with docker's backoff: the first delay is 100 ms, doubled
 * on each restart and capped at one minute; a run that lasted 10 s or more
 * resets it. `no` never restarts; `on-failure[:N]` restarts non-zero exits at
 * most N times (0 = unlimited); `always` and `unless-stopped` restart any exit
 * unless the user stopped the container.
 */
export class RestartManager {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #delays = new Map<string, number>();
  readonly #restart: (id: string) => Promise<void>;
  readonly #log: Logger;

  constructor(restart: (id: string) => Promise<void>, log: Logger) {
    this.#restart = restart;
    this.#log = log;
  }

  /** The delay before the next restart, or undefined when the policy says no. */
  shouldRestart(c: ContainerRecord, exitCode: number): number | undefined {
    const p = c.HostConfig.RestartPolicy;
    if (c.pier.manuallyStopped) return undefined;
    switch (p.Name) {
      case 'always':
      case 'unless-stopped':
        break;
      case 'on-failure':
        if (exitCode === 0) return undefined;
        if (p.MaximumRetryCount > 0 && c.RestartCount >= p.MaximumRetryCount) return undefined;
        break;
      default:
        return undefined;
    }
    const ran = Number(c.pier.runtime || '0');
    let delay = this.#delays.get(c.Id);
    if (delay === undefined || ran >= RESET_AFTER_S) delay = FIRST_DELAY_MS;
    else delay = Math.min(delay * 2, MAX_DELAY_MS);
    this.#delays.set(c.Id, delay);
    return delay;
  }

  schedule(id: string, delayMs: number): void {
    this.cancel(id, false);
    const t = setTimeout(() => {
      this.#timers.delete(id);
      this.#restart(id).catch((err: unknown) => this.#log.warn('restart policy failed', { container: id, err }));
    }, delayMs);
    t.unref();
    this.#timers.set(id, t);
  }

  cancel(id: string, resetBackoff = true): void {
    const t = this.#timers.get(id);
    if (t) clearTimeout(t);
    this.#timers.delete(id);
    if (resetBackoff) this.#delays.delete(id);
  }

  close(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }
}
