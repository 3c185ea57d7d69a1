import { watch, type FSWatcher } from 'node:fs';

/**
 * Wakes a follower when its log file may have changed: inotify through
 * `fs.watch` when the file can be watched, and a poll interval as the
 * fallback (watches miss events on some filesystems and across renames).
 */
export class Waker {
  #resolve: (() => void) | undefined;
  #pending = false;
  #watcher: FSWatcher | undefined;
  readonly #pollMs: number;

  constructor(pollMs: number) {
    this.#pollMs = pollMs;
  }

  /** Wakes the current (or the next) wait. */
  wake(): void {
    if (this.#resolve !== undefined) {
      const r = this.#resolve;
      this.#resolve = undefined;
      r();
    } else {
      this.#pending = true;
    }
  }

  /** Resolves on the next wake, or after the poll interval. */
  async wait(): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#resolve = resolve;
      timer = setTimeout(() => this.wake(), this.#pollMs);
    });
    clearTimeout(timer);
  }

  /** Watches `path` (replacing any earlier watch); without a watch the poll interval still applies. */
  watch(path: string): void {
    this.unwatch();
    try {
      const w = watch(path, { persistent: false }, () => this.wake());
      w.on('error', () => this.unwatch());
      this.#watcher = w;
    } catch {
      // Not watchable (gone already, or no inotify): polling covers it.
    }
  }

  unwatch(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}
