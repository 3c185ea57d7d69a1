/**
 * A small seeded PRNG (mulberry32) for the fuzzer: the same seed and request
 * index give the same request, whatever the concurrency, so `--seed N` replays.
 */
export class Rng {
  #s: number;
  constructor(seed: number) { this.#s = seed >>> 0; }

  /** A generator for request `i` of run `seed`: independent of how many were drawn before. */
  static forRequest(seed: number, i: number): Rng {
    let h = (seed ^ 0x9e3779b9) >>> 0;
    h = Math.imul(h ^ (i + 0x7f4a7c15), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    return new Rng((h ^ (h >>> 16)) >>> 0);
  }

  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n); }
  chance(p: number): boolean { return this.next() < p; }
  pick<T>(xs: readonly T[]): T {
    const x = xs[this.int(xs.length)];
    if (x === undefined) throw new Error('Rng.pick: empty list');
    return x;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}
