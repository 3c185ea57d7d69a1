import { channel } from 'node:diagnostics_channel';

export interface EventInput {
  Type: 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'plugin';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
}

/** Docker's event message (API 1.50), including the legacy container fields. */
export interface EngineEvent extends EventInput {
  status?: string;
  id?: string;
  from?: string;
  scope: 'local';
  time: number;
  timeNano: number;
}

export interface SubscribeOptions {
  /** Replay kept events with timeNano >= since (ns). */
  since?: bigint;
  /** Stop after events newer than until (ns); replay-only when until is in the past. */
  until?: bigint;
  filter?: (ev: EngineEvent) => boolean;
  signal?: AbortSignal;
  /** Events kept for a subscriber that reads slower than they come (default 1024, as dockerd's buffer). */
  maxQueued?: number;
  /** Called once each time a slow subscriber starts losing events. */
  onDrop?: () => void;
}

const trace = channel('pier:events:publish');
const HISTORY = 1024;

type Listener = (ev: EngineEvent) => void;

/** In-memory pub/sub with a bounded history ring for `since`. */
export class EventBus {
  readonly #history: EngineEvent[] = [];
  readonly #listeners = new Set<Listener>();
  #lastNano = 0n;

  publish(input: EventInput): EngineEvent {
    let nano = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() / 1000n % 1000n) * 1000n;
    if (nano <= this.#lastNano) nano = this.#lastNano + 1n;
    this.#lastNano = nano;
    const ev: EngineEvent = { ...input, scope: 'local', time: Number(nano / 1_000_000_000n), timeNano: Number(nano) };
    if (input.Type === 'container') {
      ev.status = input.Action;
      ev.id = input.Actor.ID;
      const image = input.Actor.Attributes['image'];
      if (image !== undefined) ev.from = image;
    }
    this.#history.push(ev);
    if (this.#history.length > HISTORY) this.#history.shift();
    if (trace.hasSubscribers) trace.publish(ev);
    for (const l of this.#listeners) l(ev);
    return ev;
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  /** Yields events (history first when `since` is set) until `until` passes or the signal aborts. */
  async *subscribe(opts: SubscribeOptions = {}): AsyncGenerator<EngineEvent> {
    const queue: EngineEvent[] = [];
    let wake: (() => void) | undefined;
    // A subscriber that does not keep up loses the newest events, as with dockerd, rather than
    // grow pierd's memory without bound: its client is the one not reading.
    const max = opts.maxQueued ?? 1024;
    let dropping = false;
    const listener: Listener = (ev) => {
      if (queue.length >= max) {
        if (!dropping) { dropping = true; opts.onDrop?.(); }
        return;
      }
      dropping = false;
      queue.push(ev);
      wake?.();
    };
    const untilNs = opts.until;
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const accept = (ev: EngineEvent): boolean => (opts.filter ? opts.filter(ev) : true);
    if (opts.since !== undefined) {
      for (const ev of this.#history) {
        const n = BigInt(ev.timeNano);
        if (n >= opts.since && (untilNs === undefined || n <= untilNs) && accept(ev)) yield ev;
      }
    }
    if (untilNs !== undefined && untilNs <= nowNs) return;
    this.#listeners.add(listener);
    const onAbort = (): void => wake?.();
    opts.signal?.addEventListener('abort', onAbort);
    let timer: NodeJS.Timeout | undefined;
    try {
      for (;;) {
        if (opts.signal?.aborted) return;
        const ev = queue.shift();
        if (ev) {
          if (untilNs !== undefined && BigInt(ev.timeNano) > untilNs) return;
          if (accept(ev)) yield ev;
          continue;
        }
        if (untilNs !== undefined) {
          const left = untilNs - BigInt(Date.now()) * 1_000_000n;
          if (left < 0n) return;
          // Armed afresh before each wait: timers run on the monotonic clock and may fire
          // before Date.now() has passed `until`; a single timer then left the stream open for good.
          if (timer) clearTimeout(timer);
          timer = setTimeout(() => { wake?.(); }, Number(left / 1_000_000n) + 1);
        }
        await new Promise<void>((r) => { wake = r; });
        wake = undefined;
      }
    } finally {
      this.#listeners.delete(listener);
      opts.signal?.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
    }
  }
}
