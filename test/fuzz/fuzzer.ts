/**
 * The "Garbage in, errors out" fuzzer (issue 10): sends N generated requests to
 * a running pierd, judges every answer, keeps a few fixtures alive so requests
 * reach deep paths, and checks afterwards that the daemon is alive and leaked
 * no file descriptors, memory, objects, mounts, processes or escaped files.
 *
 * @example
 * const r = await runFuzz({ socket, pid, seed: 42, requests: 2000 });
 * if (r.failures.length) throw new Error(formatReport(r));
 */
import { request } from 'node:http';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Rng } from './rng.js';
import { exchange, type WireResult } from './wire.js';
import { generate, type FuzzRequest, type Material } from './generate.js';
import { uncovered, type Fixtures } from './endpoints.js';

export interface FuzzOptions {
  socket: string;
  /** pierd's pid, for its fd count and RSS */
  pid: number;
  seed: number;
  requests: number;
  concurrency?: number;
  /** only these request indexes (replay) */
  only?: readonly number[];
  /** pierd's data root: no mount may stay under it */
  dataRoot?: string;
  /** allowed growth after the warm-up */
  maxFdGrowth?: number;
  maxRssGrowthKb?: number;
  log?: (line: string) => void;
}

export interface Failure { index: number; kind: string; target: string; why: string; status: number; snippet: string }

export interface FuzzReport {
  seed: number;
  sent: number;
  byClass: Record<string, number>;
  byKind: Record<string, number>;
  /** 5xx other than 501 and upstream failures: pier's own faults (must be 0) */
  fiveXX: number;
  /** 502/503/504 from endpoints that reach a registry none of which is reachable */
  upstream: number;
  crashes: number;
  hangs: number;
  failures: Failure[];
  fdBefore: number; fdAfter: number;
  rssBeforeKb: number; rssAfterKb: number;
  ms: number;
  /** post-run checks that failed (leftovers, escapes, daemon state) */
  problems: string[];
}

// ---- a tiny JSON client for set-up and checks (not fuzzed) ----

function api(socket: string, method: string, path: string, body?: unknown, timeoutMs = 60_000): Promise<{ status: number; json: unknown; raw: Buffer }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = {};
    if (data) { headers['Content-Type'] = Buffer.isBuffer(body) ? 'application/x-tar' : 'application/json'; headers['Content-Length'] = String(data.length); }
    const req = request({ socketPath: socket, method, path: `/v1.50${path}`, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        let json: unknown;
        try { json = JSON.parse(raw.toString('utf8')); } catch { json = undefined; }
        resolve({ status: res.statusCode ?? 0, json, raw });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

async function must(socket: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const r = await api(socket, method, path, body);
  if (r.status >= 300 && r.status !== 304) throw new Error(`fuzz set-up: ${method} ${path} answered ${r.status}: ${r.raw.toString().slice(0, 300)}`);
  return r.json;
}

function fdCount(pid: number): number { try { return readdirSync(`/proc/${pid}/fd`).length; } catch { return -1; } }
function rssKb(pid: number): number {
  try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? -1); } catch { return -1; }
}
function alive(pid: number): boolean { try { process.kill(pid, 0); return true; } catch { return false; } }

interface Inventory { containers: Set<string>; volumes: Set<string>; networks: Set<string>; images: Set<string> }

async function inventory(socket: string): Promise<Inventory> {
  const cs = (await must(socket, 'GET', '/containers/json?all=1')) as { Id: string }[];
  const vs = ((await must(socket, 'GET', '/volumes')) as { Volumes: { Name: string }[] | null }).Volumes ?? [];
  const ns = (await must(socket, 'GET', '/networks')) as { Id: string }[];
  const is = (await must(socket, 'GET', '/images/json?all=1')) as { Id: string }[];
  return { containers: new Set(cs.map((c) => c.Id)), volumes: new Set(vs.map((v) => v.Name)), networks: new Set(ns.map((n) => n.Id)), images: new Set(is.map((i) => i.Id)) };
}

const FX_NAMES = { container: 'fz-c', created: 'fz-created', volume: 'fz-vol0', network: 'fz-net0', image: 'fz-img:latest' };

class FixtureKeeper {
  readonly fx: Fixtures;
  readonly #socket: string;
  imageTar: Buffer = Buffer.alloc(0);
  constructor(socket: string, canary: string) {
    this.#socket = socket;
    this.fx = { container: FX_NAMES.container, created: FX_NAMES.created, execId: '', volume: FX_NAMES.volume, network: FX_NAMES.network, image: FX_NAMES.image, imageId: '', canary };
  }

  async saveImage(): Promise<void> {
    const r = await api(this.#socket, 'GET', '/images/busybox:latest/get');
    if (r.status !== 200) throw new Error(`fuzz set-up: cannot save busybox:latest (${r.status}): the fuzzer needs it`);
    this.imageTar = r.raw;
  }

  /** Re-creates whatever the fuzz removed, stopped or paused. */
  async ensure(): Promise<void> {
    const s = this.#socket;
    let img = await api(s, 'GET', '/images/busybox:latest/json');
    if (img.status === 404) { await must(s, 'POST', '/images/load?quiet=1', this.imageTar); img = await api(s, 'GET', '/images/busybox:latest/json'); }
    this.fx.imageId = (img.json as { Id: string }).Id;
    if ((await api(s, 'GET', `/images/${FX_NAMES.image}/json`)).status === 404) await must(s, 'POST', `/images/busybox:latest/tag?repo=fz-img&tag=latest`);
    if ((await api(s, 'GET', `/volumes/${FX_NAMES.volume}`)).status === 404) await must(s, 'POST', '/volumes/create', { Name: FX_NAMES.volume });
    if ((await api(s, 'GET', `/networks/${FX_NAMES.network}`)).status === 404) await must(s, 'POST', '/networks/create', { Name: FX_NAMES.network, Driver: 'bridge' });
    for (const name of [FX_NAMES.container, FX_NAMES.created]) {
      const c = await api(s, 'GET', `/containers/${name}/json`);
      if (c.status === 404) {
        await must(s, 'POST', `/containers/create?name=${name}`, { Image: 'busybox:latest', Cmd: ['sleep', '1000000'], OpenStdin: true, StopTimeout: 1, HostConfig: { NetworkMode: 'none' } });
      }
    }
    const st = (((await must(s, 'GET', `/containers/${FX_NAMES.container}/json`)) as { State: { Running: boolean; Paused: boolean } }).State);
    if (st.Paused) await must(s, 'POST', `/containers/${FX_NAMES.container}/unpause`);
    else if (!st.Running) await must(s, 'POST', `/containers/${FX_NAMES.container}/start`);
    const cst = (((await must(s, 'GET', `/containers/${FX_NAMES.created}/json`)) as { State: { Running: boolean; Paused: boolean } }).State);
    if (cst.Paused) await must(s, 'POST', `/containers/${FX_NAMES.created}/unpause`);
    if (cst.Running) await must(s, 'POST', `/containers/${FX_NAMES.created}/kill`);
    if (!this.fx.execId || (await api(s, 'GET', `/exec/${this.fx.execId}/json`)).status === 404) {
      this.fx.execId = ((await must(s, 'POST', `/containers/${FX_NAMES.container}/exec`, { Cmd: ['true'] })) as { Id: string }).Id;
    }
  }

  /** Removes what the fuzz made (beyond `keep` and the fixtures); `all` takes the fixtures too. */
  async sweep(keep: Inventory, all: boolean): Promise<void> {
    const s = this.#socket;
    const now = await inventory(s);
    const fixtureIds = new Set<string>();
    if (!all) {
      for (const n of [FX_NAMES.container, FX_NAMES.created]) {
        const c = await api(s, 'GET', `/containers/${n}/json`);
        if (c.status === 200) fixtureIds.add((c.json as { Id: string }).Id);
      }
      const n = await api(s, 'GET', `/networks/${FX_NAMES.network}`);
      if (n.status === 200) fixtureIds.add((n.json as { Id: string }).Id);
    }
    for (const id of now.containers) if (!keep.containers.has(id) && !fixtureIds.has(id)) await api(s, 'DELETE', `/containers/${id}?force=1&v=1`);
    for (const id of now.networks) if (!keep.networks.has(id) && !fixtureIds.has(id)) await api(s, 'DELETE', `/networks/${id}`);
    for (const v of now.volumes) if (!keep.volumes.has(v) && (all || v !== FX_NAMES.volume)) await api(s, 'DELETE', `/volumes/${encodeURIComponent(v)}?force=1`);
    // Images: drop the fuzz's tags and images; busybox stays (reloaded by ensure if a request removed it).
    const imgs = (await must(s, 'GET', '/images/json?all=1')) as { Id: string; RepoTags: string[] | null }[];
    for (const img of imgs) {
      for (const t of img.RepoTags ?? []) {
        if (t === 'busybox:latest' || (!all && t === FX_NAMES.image)) continue;
        await api(s, 'DELETE', `/images/${encodeURIComponent(t)}?noprune=0`);
      }
    }
    for (const img of (await must(s, 'GET', '/images/json?all=1')) as { Id: string; RepoTags: string[] | null }[]) {
      if (!keep.images.has(img.Id) && !(img.RepoTags ?? []).length) await api(s, 'DELETE', `/images/${img.Id}?force=1`);
    }
  }
}

function messageProblem(r: WireResult): string | undefined {
  if (r.status < 400 || r.body.length === 0) return r.status >= 400 && !r.streaming && r.status !== 405 ? 'an error without a body' : undefined;
  let j: unknown;
  try { j = JSON.parse(r.body.toString('utf8')); } catch { return `an error body that is not JSON: ${JSON.stringify(r.body.toString('utf8').slice(0, 120))}`; }
  const msg = (j as { message?: unknown } | null)?.message;
  if (typeof msg !== 'string' || msg.trim() === '') return 'an error body without a "message"';
  if (/TypeError|ReferenceError|RangeError|Cannot read prop|Cannot destructure|is not a function|is not iterable|\[object |^undefined\b|\bundefined$|Maximum call stack|\bERR_[A-Z_]{4,}|SQLITE_|\n\s+at /.test(msg)) return `an unclear message: ${JSON.stringify(msg.slice(0, 200))}`;
  if (msg.length > 4096) return `a message of ${msg.length} characters`;
  return undefined;
}

/** A registry the daemon could not reach (offline): a gateway error is the truth, not a pier fault. */
export function upstreamFailure(req: FuzzRequest, r: WireResult): boolean {
  return req.upstream && (r.status === 502 || r.status === 503 || r.status === 504);
}

/** Judges one answer; returns why it fails the criteria, or undefined. */
export function judge(req: FuzzRequest, r: WireResult): string | undefined {
  if (r.outcome === 'hang') return req.mayBlock || !req.answerOwed ? undefined : `no answer within the deadline`;
  // Node's parser may refuse a smuggling-shaped request by closing (a response was under way): allowed.
  if (r.outcome === 'dropped') return req.answerOwed && req.kind !== 'smuggling' ? 'the connection closed without an answer' : undefined;
  if (r.status < 100) return `an answer that is not HTTP`;
  if (r.status >= 500 && r.status !== 501 && !upstreamFailure(req, r)) return `status ${r.status}: ${r.body.toString('utf8').slice(0, 300)}`;
  if (req.kind === 'smuggling' && r.extraResponses > 0) return `a smuggled request was answered (${r.extraResponses} extra responses)`;
  if (req.mustRefuse && r.status >= 200 && r.status < 300 && req.kind === 'huge-headers') return `huge headers were accepted (${r.status})`;
  if (req.head) return undefined;
  return messageProblem(r);
}

function canaryPath(seed: number): string { return `/tmp/fz-escape-${seed}`; }

/** Runs the fuzz; never throws for a failed request (they are in the report). */
export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const log = o.log ?? (() => {});
  const t0 = Date.now();
  const problems: string[] = [];
  const missing = uncovered();
  if (missing.length) problems.push(`endpoints of the spec the fuzzer does not cover: ${missing.join(', ')}`);
  const canary = canaryPath(o.seed);
  rmSync(canary, { recursive: true, force: true });
  const mountsOf = (): string[] => o.dataRoot ? readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(o.dataRoot ?? '\0')) : [];
  const mountsBefore = mountsOf().length;

  const baseline = await inventory(o.socket);
  const keeper = new FixtureKeeper(o.socket, canary);
  await keeper.saveImage();
  await keeper.ensure();
  const material: Material = { fixtures: keeper.fx, imageTar: keeper.imageTar };

  const indexes = o.only?.length ? [...o.only] : Array.from({ length: o.requests }, (_v, i) => i);
  const concurrency = o.concurrency ?? 6;
  const batch = 100;
  const warmup = Math.min(indexes.length, Math.max(batch, Math.floor(indexes.length / 10)));
  const byClass: Record<string, number> = {};
  const byKind: Record<string, number> = {};
  const failures: Failure[] = [];
  let sent = 0, fiveXX = 0, hangs = 0, upstream = 0;
  let fdBefore = fdCount(o.pid), rssBefore = rssKb(o.pid);
  let crashed = false;

  for (let start = 0; start < indexes.length && !crashed; start += batch) {
    const slice = indexes.slice(start, start + batch);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < slice.length && !crashed) {
        const i = slice[next++] as number;
        const req = generate(Rng.forRequest(o.seed, i), i, material);
        const r = await exchange({
          socket: o.socket, data: req.data, head: req.head, answerMs: req.answerOwed ? (req.mayBlock ? 4000 : 20_000) : 2000, streamMs: 600,
          ...(req.abortAfterBytes !== undefined ? { abortAfterBytes: req.abortAfterBytes } : {}),
          ...(req.dribbleMs ? { dribbleMs: req.dribbleMs } : {}), ...(req.halfClose || !req.answerOwed ? { halfClose: true } : {}),
        });
        sent++;
        byKind[req.kind] = (byKind[req.kind] ?? 0) + 1;
        const cls = r.outcome !== 'answered' ? r.outcome : r.status === 501 ? '501' : `${Math.floor(r.status / 100)}xx`;
        byClass[cls] = (byClass[cls] ?? 0) + 1;
        if (r.status >= 500 && r.status !== 501) { if (upstreamFailure(req, r)) upstream++; else fiveXX++; }
        if (r.outcome === 'hang' && !req.mayBlock && req.answerOwed) hangs++;
        const why = judge(req, r);
        if (o.only?.length) log(`#${i} [${req.kind}] ${JSON.stringify(req.data.subarray(0, 800).toString('latin1'))}\n  → ${r.outcome} ${r.status} ${JSON.stringify(r.headers)} ${JSON.stringify(r.body.subarray(0, 600).toString('utf8'))}`);
        if (why) {
          failures.push({ index: i, kind: req.kind, target: req.target, why, status: r.status, snippet: req.data.subarray(0, 160).toString('latin1') });
          log(`FAIL #${i} ${req.kind} ${req.target}: ${why}`);
        }
        if (!alive(o.pid)) { crashed = true; log(`pierd (pid ${o.pid}) died at request #${i}`); }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, () => worker()));
    if (crashed) break;
    try {
      await keeper.sweep(baseline, false);
      await keeper.ensure();
    } catch (err) {
      problems.push(`fixture upkeep failed after request ${start + slice.length}: ${err instanceof Error ? err.message : String(err)}`);
      log(problems[problems.length - 1] ?? '');
    }
    if (start + batch >= warmup && start < warmup) {
      await settle();
      fdBefore = fdCount(o.pid); rssBefore = rssKb(o.pid);
    }
    if ((start / batch) % 10 === 9) log(`… ${sent} requests, ${failures.length} failures`);
  }

  // Afterwards: alive, answering, nothing left behind.
  let fdAfter = -1, rssAfter = -1;
  if (!crashed && alive(o.pid)) {
    const ping = await api(o.socket, 'GET', '/_ping').catch(() => ({ status: 0 }));
    if (ping.status !== 200) problems.push(`_ping answered ${ping.status} after the fuzz`);
    await keeper.sweep(baseline, true);
    const after = await inventory(o.socket);
    for (const k of ['containers', 'volumes', 'networks', 'images'] as const) {
      const extra = [...after[k]].filter((x) => !baseline[k].has(x));
      const gone = [...baseline[k]].filter((x) => !after[k].has(x));
      if (extra.length) problems.push(`${k} left behind: ${extra.join(', ')}`);
      if (gone.length && k !== 'images') problems.push(`${k} the fuzz removed from before it: ${gone.join(', ')}`);
    }
    fdAfter = await settleFds(o.pid, fdBefore);
    rssAfter = rssKb(o.pid);
    if (fdAfter - fdBefore > (o.maxFdGrowth ?? 8)) problems.push(`pierd holds ${fdAfter - fdBefore} more file descriptors than after the warm-up`);
    if (rssAfter - rssBefore > (o.maxRssGrowthKb ?? 96 * 1024)) problems.push(`pierd's RSS grew by ${rssAfter - rssBefore} kB`);
    const mounts = mountsOf();
    if (mounts.length > mountsBefore) problems.push(`mounts left under the data root: ${mounts.join(', ')}`);
  } else {
    problems.push('pierd is not running any more');
  }
  if (existsSync(canary)) problems.push(`a tar wrote outside its root: ${canary} exists`);
  rmSync(canary, { recursive: true, force: true });
  return {
    seed: o.seed, sent, byClass, byKind, fiveXX, upstream, crashes: crashed || !alive(o.pid) ? 1 : 0, hangs, failures,
    fdBefore, fdAfter, rssBeforeKb: rssBefore, rssAfterKb: rssAfter, ms: Date.now() - t0, problems,
  };
}

function settle(): Promise<void> { return new Promise((r) => setTimeout(r, 1500)); }

/** Sockets of the last requests close asynchronously: wait (a little) for the count to come back. */
async function settleFds(pid: number, target: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  let n = fdCount(pid);
  while (n > target && Date.now() < deadline) { await new Promise((r) => setTimeout(r, 250)); n = fdCount(pid); }
  return n;
}

export function formatReport(r: FuzzReport): string {
  const classes = Object.entries(r.byClass).sort().map(([k, v]) => `${k} ${v}`).join(', ');
  const kinds = Object.entries(r.byKind).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  const lines = [
    `fuzz: seed ${r.seed} (replay with --seed ${r.seed})`,
    `  requests sent: ${r.sent} in ${(r.ms / 1000).toFixed(1)} s`,
    `  by status class: ${classes}`,
    `  by mutation: ${kinds}`,
    `  5xx: ${r.fiveXX} (besides 501 not-implemented and ${r.upstream} registry-unreachable)   crashes: ${r.crashes}   hangs: ${r.hangs}   failed requests: ${r.failures.length}`,
    `  fd: ${r.fdBefore} → ${r.fdAfter} (growth ${r.fdAfter - r.fdBefore})`,
    `  RSS: ${r.rssBeforeKb} kB → ${r.rssAfterKb} kB (growth ${r.rssAfterKb - r.rssBeforeKb} kB)`,
  ];
  for (const f of r.failures.slice(0, 40)) lines.push(`  FAIL #${f.index} [${f.kind}] ${f.target}: ${f.why}\n      ${JSON.stringify(f.snippet)}`);
  if (r.failures.length > 40) lines.push(`  … and ${r.failures.length - 40} more failed requests`);
  for (const p of r.problems) lines.push(`  PROBLEM: ${p}`);
  lines.push(r.failures.length || r.problems.length || r.crashes ? '  result: FAILED' : '  result: ok');
  return lines.join('\n');
}
