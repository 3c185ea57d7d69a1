import type { Readable } from 'node:stream';
import { messageOf } from '../errdefs/index.js';
import type { HealthConfig, HealthLogEntry } from '../pkg/engine/index.js';
import type { ContainerRecord } from './container-record.js';

/** docker's defaults (ns) and limits for health checks. */
const NS = 1_000_000;
const DEFAULT_INTERVAL = 30_000 * NS;
const DEFAULT_TIMEOUT = 30_000 * NS;
const DEFAULT_START_INTERVAL = 5_000 * NS;
const DEFAULT_RETRIES = 3;
const MAX_LOG = 5;
const MAX_OUTPUT = 4096;
/** Healing backs off as the restart policy does: 100 ms, doubled per heal, at most a minute. */
const HEAL_FIRST_MS = 100;
const HEAL_MAX_MS = 60_000;

/** pier beyond docker: what to do with a container that turns unhealthy (label, or the daemon default). */
export const HEALTH_ACTION_LABEL = 'pier.health-on-failure';
export type HealthAction = 'none' | 'kill' | 'restart' | 'stop';

/** What the monitor needs of the containers and execs. */
export interface HealthHost {
  tryGet(id: string): ContainerRecord | undefined;
  saveRecord(c: ContainerRecord): void;
  publish(c: ContainerRecord, action: string, extra?: Record<string, string>): void;
  /** Runs the probe as an exec session; resolves with its exit code and output. */
  probe(id: string, cmd: string[], timeoutMs: number): Promise<{ code: number; output: string }>;
  act(id: string, action: Exclude<HealthAction, 'none'>): Promise<void>;
  warn(msg: string, fields: Record<string, unknown>): void;
}

/** The probe command of a config, or undefined when there is no check (none, NONE, empty). */
export function probeCommand(h: HealthConfig | null | undefined): string[] | undefined {
  const t = h?.Test;
  if (!t || t.length === 0 || t[0] === 'NONE') return undefined;
  if (t[0] === 'CMD') return t.length > 1 ? t.slice(1) : undefined;
  if (t[0] === 'CMD-SHELL') return t[1] ? ['/bin/sh', '-c', t[1]] : undefined;
  return undefined;
}

interface Watch { timer: NodeJS.Timeout | undefined; stopped: boolean; started: number }

/** A container's healing so far: the last delay, and whether it was healthy since that heal. */
interface Healing { delay: number; healthySince: boolean }

/**
 * docker's health checks: a probe every Interval (StartInterval during the
 * StartPeriod) run as an exec session, at most one at a time per container,
 * killed after Timeout; Retries failures in a row make it unhealthy;
 * failures during the start period do not count. Status changes are events
 * (`health_status: healthy`). pier goes further when asked: an unhealthy
 * container can be restarted, stopped or killed.
 */
export class HealthMonitor {
  readonly #host: HealthHost;
  readonly #defaultAction: HealthAction;
  readonly #watches = new Map<string, Watch>();
  readonly #healing = new Map<string, Healing>();

  constructor(host: HealthHost, o: { defaultAction?: HealthAction } = {}) {
    this.#host = host;
    this.#defaultAction = o.defaultAction ?? 'none';
  }

  /** At start (and at daemon start for a running container): resets the state when `fresh`. */
  watch(c: ContainerRecord, o: { fresh: boolean }): void {
    this.unwatch(c.Id);
    const cmd = probeCommand(c.Config.Healthcheck);
    if (!cmd) return;
    if (o.fresh || !c.State.Health) {
      c.State = { ...c.State, Health: { Status: 'starting', FailingStreak: 0, Log: [] } };
      this.#host.saveRecord(c);
    }
    const w: Watch = { timer: undefined, stopped: false, started: Date.now() };
    this.#watches.set(c.Id, w);
    this.#schedule(c.Id, w);
  }

  unwatch(id: string): void {
    const w = this.#watches.get(id);
    if (!w) return;
    w.stopped = true;
    clearTimeout(w.timer);
    this.#watches.delete(id);
  }

  close(): void {
    for (const id of [...this.#watches.keys()]) this.unwatch(id);
  }

  #schedule(id: string, w: Watch): void {
    const c = this.#host.tryGet(id);
    if (!c || w.stopped) return;
    const h = c.Config.Healthcheck ?? {};
    const inStart = Date.now() - w.started < (h.StartPeriod ?? 0) / NS;
    const every = inStart && c.State.Health?.Status === 'starting' ? (h.StartInterval || DEFAULT_START_INTERVAL) : (h.Interval || DEFAULT_INTERVAL);
    w.timer = setTimeout(() => { void this.#run(id, w); }, Math.max(10, every / NS));
    w.timer.unref();
  }

  async #run(id: string, w: Watch): Promise<void> {
    const c0 = this.#host.tryGet(id);
    if (!c0 || w.stopped || !c0.State.Running) return;
    const h = c0.Config.Healthcheck ?? {};
    const cmd = probeCommand(h);
    if (!cmd) return;
    if (c0.State.Paused) { this.#schedule(id, w); return; }
    const timeoutMs = (h.Timeout || DEFAULT_TIMEOUT) / NS;
    const start = new Date().toISOString();
    let result: { code: number; output: string };
    try {
      result = await this.#host.probe(id, cmd, timeoutMs);
    } catch (err) {
      result = { code: -1, output: messageOf(err) };
    }
    if (w.stopped) return;
    const c = this.#host.tryGet(id);
    if (!c || !c.State.Running) return;
    const entry: HealthLogEntry = { Start: start, End: new Date().toISOString(), ExitCode: result.code, Output: result.output.slice(0, MAX_OUTPUT) };
    const prev = c.State.Health ?? { Status: 'starting' as const, FailingStreak: 0, Log: [] };
    const inStart = Date.now() - w.started < (h.StartPeriod ?? 0) / NS;
    let status = prev.Status;
    let streak = prev.FailingStreak;
    if (result.code === 0) {
      status = 'healthy';
      streak = 0;
    } else if (!(inStart && prev.Status === 'starting')) {
      streak++;
      if (streak >= (h.Retries || DEFAULT_RETRIES)) status = 'unhealthy';
    }
    c.State = { ...c.State, Health: { Status: status, FailingStreak: streak, Log: [...prev.Log, entry].slice(-MAX_LOG) } };
    this.#host.saveRecord(c);
    if (status === 'healthy') { const hl = this.#healing.get(id); if (hl) hl.healthySince = true; }
    if (status !== prev.Status) {
      this.#host.publish(c, `health_status: ${status}`);
      if (status === 'unhealthy') await this.#onUnhealthy(c, w);
    }
    this.#schedule(id, w);
  }

  /**
   * Acts on a container that turned unhealthy, as its label (or the daemon's default) says.
   * Restarts back off as the restart policy's do: 100 ms before the first, doubled for each
   * heal that did not bring the container back to healthy, at most a minute; one that became
   * healthy again starts over. A user who stops or removes it meanwhile wins.
   */
  async #onUnhealthy(c: ContainerRecord, w: Watch): Promise<void> {
    const label = c.Config.Labels?.[HEALTH_ACTION_LABEL];
    const action = (label && ['none', 'kill', 'restart', 'stop'].includes(label) ? label : this.#defaultAction) as HealthAction;
    if (action === 'none') return;
    let delay = 0;
    if (action === 'restart') {
      const prev = this.#healing.get(c.Id);
      delay = !prev || prev.healthySince ? HEAL_FIRST_MS : Math.min(prev.delay * 2, HEAL_MAX_MS);
      this.#healing.set(c.Id, { delay, healthySince: false });
      if (this.#healing.size > 1000) for (const id of this.#healing.keys()) if (!this.#host.tryGet(id)) this.#healing.delete(id);
    }
    this.#host.warn(`container unhealthy: ${action === 'restart' ? `restarting it in ${delay} ms` : `${action === 'stop' ? 'stopping' : 'killing'} it`}`, { container: c.Id, action, ...(action === 'restart' ? { delayMs: delay } : {}) });
    this.#host.publish(c, `health_action: ${action}`, { reason: 'unhealthy', ...(action === 'restart' ? { delay: `${delay}ms` } : {}) });
    if (delay > 0) {
      await new Promise<void>((resolve) => { const t = setTimeout(resolve, delay); t.unref(); });
      const now = this.#host.tryGet(c.Id);
      if (w.stopped || !now?.State.Running || now.State.Health?.Status !== 'unhealthy') return;
    }
    try {
      await this.#host.act(c.Id, action);
    } catch (err) {
      this.#host.warn('health action failed', { container: c.Id, action, err: messageOf(err) });
    }
  }
}

/** Reads a stream into a string, keeping at most `max` bytes. */
export function collect(s: Readable | null, max = MAX_OUTPUT): Promise<string> {
  return new Promise((resolve) => {
    if (!s) { resolve(''); return; }
    const chunks: Buffer[] = [];
    let n = 0;
    s.on('data', (b: Buffer) => { if (n < max) { chunks.push(b); n += b.length; } });
    s.on('end', () => resolve(Buffer.concat(chunks).toString('utf8').slice(0, max)));
    s.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('utf8').slice(0, max)));
  });
}
