/**
 * keyed-lock: runs async work one at a time per key (a network's bridge, a
 * volume's mount), in call order; a failure does not block the next caller.
 *
 * @example
 * const locks = new KeyedLock();
 * await locks.run(`bridge:${id}`, async () => { ... });
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<R>(key: string, fn: () => Promise<R>): Promise<R> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.#tails.set(key, settled);
    try { return await next; } finally { if (this.#tails.get(key) === settled) this.#tails.delete(key); }
  }
}
