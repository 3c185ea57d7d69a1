import { watch, type FSWatcher, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

type ExitListener = (code: number) => void;

/**
 * Watches conmon's exit directory (inotify through fs.watch) and calls the
 * listeners registered for a container id once `<dir>/<id>` holds its exit code.
 */
export class ExitWatcher {
  readonly #dir: string;
  readonly #listeners = new Map<string, Set<ExitListener>>();
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;

  constructor(dir: string) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  start(): void {
    if (this.#watcher) return;
    this.#watcher = watch(this.#dir, (_ev, name) => {
      if (name) this.#check(name.toString());
    });
    this.#watcher.on('error', () => { /* the dir vanished at shutdown: polling covers the rest */ });
    // Belt and braces: inotify can coalesce; a slow poll catches anything missed.
    this.#poll = setInterval(() => { for (const id of this.#listeners.keys()) this.#check(id); }, 1000);
    this.#poll.unref();
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#poll) clearInterval(this.#poll);
  }

  /** The recorded exit code, or undefined while the container has not exited. */
  read(id: string): number | undefined {
    try {
      const text = readFileSync(join(this.#dir, id), 'utf8').trim();
      if (text === '') return undefined; // conmon is still writing it
      const n = Number.parseInt(text, 10);
      return Number.isFinite(n) ? n : undefined;
    } catch {
      return undefined;
    }
  }

  /** Forgets the exit file (before a restart of the same container). */
  clear(id: string): void {
    rmSync(join(this.#dir, id), { force: true });
  }

  /** Calls fn once with the exit code; returns an unsubscribe function. */
  onExit(id: string, fn: ExitListener): () => void {
    let set = this.#listeners.get(id);
    if (!set) { set = new Set(); this.#listeners.set(id, set); }
    set.add(fn);
    queueMicrotask(() => this.#check(id));
    return () => {
      const s = this.#listeners.get(id);
      s?.delete(fn);
      if (s && s.size === 0) this.#listeners.delete(id);
    };
  }

  #check(id: string): void {
    const set = this.#listeners.get(id);
    if (!set) return;
    const code = this.read(id);
    if (code === undefined) return;
    this.#listeners.delete(id);
    for (const fn of set) fn(code);
  }
}
