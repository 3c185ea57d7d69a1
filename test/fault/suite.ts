/**
 * The crash-safety suite (issue 10): a private pierd and a private pier
 * registry under one temp dir; sentinel containers started first; then, kill
 * after kill, a concurrent workload through the Engine API, a SIGKILL of pierd
 * at a seeded random moment, a restart, and every invariant of invariants.ts.
 * At the end everything is removed, pierd stops cleanly, and the host must hold
 * nothing of it. The schedule (kill delays, each worker's ops) follows the seed.
 */
import { spawn, type ChildProcess, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DaemonProcess, StartupError } from './daemon-process.js';
import { Rng } from './rng.js';
import { runWorkload, SENTINEL_PREFIX, type WorkloadContext } from './workload.js';
import { answersHttp, checkHostClean, checkInvariants, hostTagFor, readStore, type CheckContext, type Sentinel } from './invariants.js';
import { links, mountsUnder, nftTables, processesMentioning } from './host.js';

export interface FaultOptions {
  repoRoot: string;
  kills: number;
  seed: number;
  workers?: number;
  /** The kill comes this long after the workload starts (uniform in [min, max] ms). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** How long pierd may take to answer after a restart. */
  startupBoundMs?: number;
  /** Lazy reclaim after start-up: invariants are re-read for this long before a violation counts. */
  settleMs?: number;
  stopOnViolation?: boolean;
  /** A control run: the workload stops at each planned kill, but pierd is not killed (tells crash bugs from others). */
  control?: boolean;
  /** Keep the temp dir (the store, the log) for a post-mortem; processes and host objects are still cleaned. */
  keep?: boolean;
  signal?: AbortSignal;
  /** An empty directory to work in (default: a new /tmp/pier-fault-*); removed at the end unless `keep`. */
  root?: string;
  log?: (line: string) => void;
}

export interface FaultFigures {
  seed: number;
  killsPlanned: number;
  killsSurvived: number;
  violations: number;
  startupCrashes: number;
  durationMs: number;
  ops: number;
  failedOps: number;
  maxStartupMs: number;
  /** Distinct violation texts with the kill that first showed each. */
  violationList: string[];
  finalCleanupViolations: string[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Streams /events into `ids` (container ids) until the daemon dies or `signal` aborts. */
function collectIds(socket: string, ids: Set<string>, signal: AbortSignal): void {
  const req = request({ socketPath: socket, path: '/events', method: 'GET' }, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (s: string) => {
      buf += s;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const e = JSON.parse(line) as { Type?: string; Actor?: { ID?: string } };
          if (e.Type === 'container' && e.Actor?.ID) ids.add(e.Actor.ID);
        } catch { /* a partial line */ }
      }
    });
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  signal.addEventListener('abort', () => req.destroy(), { once: true });
  req.end();
}

async function waitExit(d: DaemonProcess, id: string): Promise<void> {
  await d.api.ok('POST', `/containers/${id}/wait`, { timeoutMs: 60_000 });
}

/** Two images with layers of their own, pushed to the registry (and gone locally), for the workload's pulls. */
async function seedRegistry(d: DaemonProcess, registry: string): Promise<string[]> {
  const out: string[] = [];
  const auth = { 'X-Registry-Auth': Buffer.from('{}').toString('base64') };
  for (const [name, kb] of [['fault/a', 3072], ['fault/b', 1024]] as const) {
    const c = await d.api.ok<{ Id: string }>('POST', '/containers/create', { body: { Image: 'busybox', Cmd: ['sh', '-c', `dd if=/dev/urandom of=/blob bs=1k count=${kb} 2>/dev/null; mkdir -p /etc/x; echo ${name} > /etc/x/name`] } });
    await d.api.ok('POST', `/containers/${c.Id}/start`);
    await waitExit(d, c.Id);
    const ref = `${registry}/${name}`;
    await d.api.ok('POST', `/commit?container=${c.Id}&repo=${encodeURIComponent(ref)}&tag=latest`, { body: {} });
    const r = await d.api.call('POST', `/images/${encodeURIComponent(ref)}/push?tag=latest`, { headers: auth, timeoutMs: 120_000 });
    if (r.status !== 200 || /"error"/.test(r.body)) throw new Error(`push ${ref}: ${r.status} ${r.body.slice(-300)}`);
    await d.api.ok('DELETE', `/containers/${c.Id}?force=1`);
    await d.api.ok('DELETE', `/images/${encodeURIComponent(`${ref}:latest`)}`);
    out.push(name);
  }
  return out;
}

async function startSentinels(d: DaemonProcess): Promise<Sentinel[]> {
  await d.api.ok('POST', '/networks/create', { body: { Name: `${SENTINEL_PREFIX}net`, Driver: 'bridge' } });
  await d.api.ok('POST', '/volumes/create', { body: { Name: `${SENTINEL_PREFIX}vol` } });
  const specs: { name: string; body: Record<string, unknown>; port?: boolean }[] = [
    { name: `${SENTINEL_PREFIX}plain`, body: { Image: 'busybox', Cmd: ['sleep', '1000000'], HostConfig: { NetworkMode: 'none' } } },
    {
      name: `${SENTINEL_PREFIX}net`, port: true,
      body: {
        Image: 'busybox', Cmd: ['sh', '-c', 'echo sentinel > /data/index.html; exec httpd -f -p 80 -h /data'], ExposedPorts: { '80/tcp': {} },
        HostConfig: { NetworkMode: `${SENTINEL_PREFIX}net`, Binds: [`${SENTINEL_PREFIX}vol:/data`], PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
      },
    },
    {
      name: `${SENTINEL_PREFIX}bridge`, port: true,
      body: {
        Image: 'busybox', Cmd: ['sh', '-c', 'mkdir -p /www; echo hi > /www/index.html; exec httpd -f -p 8080 -h /www'], ExposedPorts: { '8080/tcp': {} }, Volumes: { '/anon': {} },
        HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
      },
    },
  ];
  const out: Sentinel[] = [];
  for (const s of specs) {
    const c = await d.api.ok<{ Id: string }>('POST', `/containers/create?name=${s.name}`, { body: s.body });
    await d.api.ok('POST', `/containers/${c.Id}/start`);
    const j = await d.api.ok<{ State: { Pid: number }; NetworkSettings: { Ports: Record<string, { HostPort: string }[] | null> } }>('GET', `/containers/${c.Id}/json`);
    const ports = Object.values(j.NetworkSettings.Ports ?? {}).flatMap((x) => x ?? []);
    const port = s.port ? Number(ports[0]?.HostPort) : undefined;
    const internalPort = Number(Object.keys((s.body['ExposedPorts'] as Record<string, unknown> | undefined) ?? {})[0]?.split('/')[0] ?? 0);
    if (port && !(await answersHttp(port))) throw new Error(`sentinel ${s.name}: its published port ${port} does not answer`);
    out.push({ id: c.Id, name: s.name, pid: j.State.Pid, ...(port ? { port, internalPort } : {}) });
  }
  return out;
}

/** Removes everything, stops the daemon cleanly; what the host still holds of it. */
async function finalCleanup(d: DaemonProcess, ctx: CheckContext): Promise<string[]> {
  const v: string[] = [];
  const api = d.api;
  const cs = await api.ok<{ Id: string }[]>('GET', '/containers/json?all=1');
  await Promise.all(cs.map(async (c) => {
    const r = await api.call('DELETE', `/containers/${c.Id}?force=1&v=1`);
    if (r.status >= 300 && r.status !== 404) v.push(`rm -f ${c.Id.slice(0, 12)}: ${r.status} ${r.body.slice(0, 200)}`);
  }));
  const vols = await api.ok<{ Volumes: { Name: string }[] | null }>('GET', '/volumes');
  for (const vol of vols.Volumes ?? []) {
    const r = await api.call('DELETE', `/volumes/${vol.Name}`);
    if (r.status >= 300) v.push(`volume rm ${vol.Name}: ${r.status} ${r.body.slice(0, 200)}`);
  }
  const store = readStore(join(d.paths.dataRoot, 'pier.db'));
  const bridges = store.networks.map((n) => n.pier.ifname).filter((x): x is string => !!x);
  for (const id of store.containers.map((c) => c.Id)) ctx.knownIds.add(id);
  const nets = await api.ok<{ Id: string; Name: string }[]>('GET', '/networks');
  for (const n of nets) {
    if (['bridge', 'host', 'none'].includes(n.Name)) continue;
    const r = await api.call('DELETE', `/networks/${n.Id}`);
    if (r.status >= 300) v.push(`network rm ${n.Name}: ${r.status} ${r.body.slice(0, 200)}`);
  }
  const left = await api.ok<unknown[]>('GET', '/containers/json?all=1');
  if (left.length) v.push(`${left.length} container(s) still listed after rm -f`);
  await d.stop();
  v.push(...checkHostClean(ctx, { bridges }));
  return v;
}

/** Whatever is left of a run under `root` (after a failure or Ctrl-C): processes, mounts, links, nft table. */
export async function scrub(root: string, execRoot: string, bridges: readonly string[] = []): Promise<void> {
  for (const p of processesMentioning(root)) if (p.pid !== process.pid) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
  await sleep(100);
  for (const m of mountsUnder(root).sort().reverse()) { try { execFileSync('umount', ['-l', m], { stdio: 'ignore' }); } catch { /* gone */ } }
  const tag = hostTagFor(execRoot);
  const names = new Set(links().map((l) => l.name));
  for (const b of [`pier0-${tag}`, ...bridges]) if (names.has(b)) { try { execFileSync('ip', ['link', 'del', b], { stdio: 'ignore' }); } catch { /* gone */ } }
  if (nftTables().includes(`pier-${tag}`)) { try { execFileSync('nft', ['delete', 'table', 'ip', `pier-${tag}`], { stdio: 'ignore' }); } catch { /* gone */ } }
}

export async function runFaultSuite(o: FaultOptions): Promise<FaultFigures> {
  const log = o.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const t0 = Date.now();
  const rng = new Rng(o.seed);
  const root = o.root ?? mkdtempSync('/tmp/pier-fault-');
  const figures: FaultFigures = {
    seed: o.seed, killsPlanned: o.kills, killsSurvived: 0, violations: 0, startupCrashes: 0, durationMs: 0,
    ops: 0, failedOps: 0, maxStartupMs: 0, violationList: [], finalCleanupViolations: [],
  };
  const d = new DaemonProcess({ repoRoot: o.repoRoot, root });
  const ctx: CheckContext = { daemon: d, sentinels: [], knownIds: new Set(), knownVeths: new Set(), knownBridges: new Set() };
  let registry: ChildProcess | undefined;
  let knownBridges: string[] = [];
  const seen = new Map<string, number>();
  const record = (kill: number, vs: readonly string[]): void => {
    for (const x of vs) {
      figures.violations++;
      const key = x.replace(/[a-f0-9]{12,64}/g, '<id>').replace(/\d+/g, 'N');
      if (!seen.has(key)) { seen.set(key, kill); figures.violationList.push(`kill ${kill}: ${x}`); }
    }
  };
  log(`fault suite: seed ${o.seed}, ${o.kills} kills, root ${root}`);
  try {
    const port = await freePort();
    mkdirSync(join(root, 'registry'));
    registry = spawn(join(o.repoRoot, 'bin', 'pier'), ['registry', 'serve', '--addr', `127.0.0.1:${port}`, '--root', join(root, 'registry')], { stdio: 'ignore', detached: true });
    await d.start(o.startupBoundMs ?? 30_000);
    const regAddr = `127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) { if (await fetch(`http://${regAddr}/v2/`).then((r) => r.ok, () => false)) break; await sleep(50); }
    const remoteImages = await seedRegistry(d, regAddr);
    ctx.sentinels.push(...await startSentinels(d));
    log(`sentinels: ${ctx.sentinels.map((s) => `${s.name} pid ${s.pid}${s.port ? ` port ${s.port}` : ''}`).join(', ')}`);
    const pre = await checkInvariants(ctx, { startupLog: '' });
    if (pre.length) { record(0, pre); log(`before any kill: ${pre.length} violation(s):\n  ${pre.join('\n  ')}`); }
    const wctx: WorkloadContext = { api: d.api, registry: regAddr, remoteImages };
    for (let k = 1; k <= o.kills && !o.signal?.aborted; k++) {
      const stop = new AbortController();
      collectIds(d.paths.socket, ctx.knownIds, stop.signal);
      const delay = rng.int(o.minDelayMs ?? 200, o.maxDelayMs ?? 3000);
      const workload = runWorkload(wctx, rng.fork(), { workers: o.workers ?? 3, round: k, stop: stop.signal });
      await sleep(delay);
      if (!o.control) await d.crash();
      stop.abort();
      const st = await workload;
      figures.ops += st.ops;
      figures.failedOps += st.failed;
      knownBridges = [...new Set([...knownBridges, ...readStore(join(d.paths.dataRoot, 'pier.db')).networks.map((n) => n.pier.ifname).filter((x): x is string => !!x)])];
      let startMs = 0;
      try {
        if (!o.control) startMs = await d.start(o.startupBoundMs ?? 30_000);
      } catch (err) {
        if (!(err instanceof StartupError)) throw err;
        figures.startupCrashes++;
        record(k, [`start-up failed: ${err.message.slice(0, 600)}`]);
        log(`kill ${k}: start-up FAILED: ${err.message.slice(0, 600)}`);
        await d.crash();
        break;
      }
      figures.maxStartupMs = Math.max(figures.maxStartupMs, startMs);
      const startupLog = o.control ? '' : d.startupLog();
      // Lazy reclaim gets its time: a violation counts only if it outlasts settleMs.
      let vs: string[] = [];
      const until = Date.now() + (o.settleMs ?? 3000);
      for (;;) {
        vs = await checkInvariants(ctx, { startupLog });
        if (vs.length === 0 || Date.now() > until) break;
        await sleep(300);
      }
      figures.killsSurvived++;
      record(k, vs);
      log(`kill ${k}/${o.kills}: after ${delay} ms, ${st.ops} ops (${st.failed} failed), restart ${startMs} ms, ${vs.length ? `${vs.length} VIOLATION(S):\n  ${vs.join('\n  ')}` : 'invariants hold'}`);
      if (vs.length && o.stopOnViolation) break;
    }
    if (d.pid) figures.finalCleanupViolations = await finalCleanup(d, ctx);
    figures.violations += figures.finalCleanupViolations.length;
    if (figures.finalCleanupViolations.length) log(`after rm -f everything and a clean stop:\n  ${figures.finalCleanupViolations.join('\n  ')}`);
  } finally {
    await d.crash().catch(() => undefined);
    registry?.kill('SIGKILL');
    await scrub(root, d.paths.execRoot, [...new Set([...knownBridges, ...ctx.knownBridges])]);
    if (o.keep) log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
    figures.durationMs = Date.now() - t0;
  }
  return figures;
}

export function formatFigures(f: FaultFigures): string {
  return [
    `kills survived:        ${f.killsSurvived}/${f.killsPlanned}`,
    `invariant violations:  ${f.violations}`,
    `crashes at start-up:   ${f.startupCrashes}`,
    `final cleanup:         ${f.finalCleanupViolations.length ? `${f.finalCleanupViolations.length} left behind` : 'host clean'}`,
    `workload ops:          ${f.ops} (${f.failedOps} failed, most by the kills)`,
    `slowest restart:       ${f.maxStartupMs} ms`,
    `duration:              ${(f.durationMs / 1000).toFixed(1)} s`,
    `seed:                  ${f.seed}  (replay: --seed ${f.seed})`,
    ...(f.violationList.length ? ['distinct violations:', ...f.violationList.map((x) => `  ${x}`)] : []),
  ].join('\n');
}
