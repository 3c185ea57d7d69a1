/**
 * The fault suite's workload: workers that drive pierd through the Engine API
 * with a mix of everything a user does (containers with volumes, networks and
 * ports; volumes; networks; pulls; builds with RUN steps; commit; tag; rmi),
 * until they are told to stop. Every call may fail (the daemon gets killed
 * under them, or the op conflicts with another worker's): failures are counted
 * and otherwise ignored; the invariants decide what is wrong.
 */
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import type { Api } from './api.js';
import type { Rng } from './rng.js';

/** The long-running containers the workload never touches (names start with this). */
export const SENTINEL_PREFIX = 'sentinel-';
/** Every object the workload makes is named with this prefix. */
export const PREFIX = 'ft';

export interface WorkloadContext {
  api: Api;
  /** `127.0.0.1:<port>` of the registry holding `fault/*` images. */
  registry: string;
  /** Images pushed there by the set-up (repository paths, e.g. `fault/a`). */
  remoteImages: readonly string[];
}

export interface WorkloadStats { ops: number; failed: number; byOp: Record<string, number> }

interface Listed { Id: string; Names?: string[]; State?: string; Labels?: Record<string, string> }

function tarOf(files: Record<string, string>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = pack();
    for (const [name, body] of Object.entries(files)) p.entry({ name }, body);
    p.finalize();
    const chunks: Buffer[] = [];
    const gz = createGzip();
    gz.on('data', (c: Buffer) => chunks.push(c));
    gz.on('end', () => resolve(Buffer.concat(chunks)));
    gz.on('error', reject);
    p.on('error', reject);
    p.pipe(gz);
  });
}

type Op = (w: Worker) => Promise<unknown>;

class Worker {
  n = 0;
  constructor(readonly ctx: WorkloadContext, readonly rng: Rng, readonly tag: string) {}
  name(kind: string): string { return `${PREFIX}-${kind}-${this.tag}-${++this.n}`; }
  get api(): Api { return this.ctx.api; }

  async containers(): Promise<Listed[]> {
    const all = await this.api.ok<Listed[]>('GET', '/containers/json?all=1');
    return all.filter((c) => !(c.Names ?? []).some((n) => n.startsWith(`/${SENTINEL_PREFIX}`)));
  }
  async volumes(): Promise<string[]> {
    const r = await this.api.ok<{ Volumes: { Name: string }[] | null }>('GET', '/volumes');
    return (r.Volumes ?? []).map((v) => v.Name).filter((n) => n.startsWith(PREFIX));
  }
  async networks(): Promise<{ Id: string; Name: string }[]> {
    const r = await this.api.ok<{ Id: string; Name: string }[]>('GET', '/networks');
    return r.filter((n) => n.Name.startsWith(PREFIX));
  }
  async images(): Promise<{ Id: string; RepoTags: string[] | null }[]> {
    const r = await this.api.ok<{ Id: string; RepoTags: string[] | null }[]>('GET', '/images/json');
    return r.filter((i) => !(i.RepoTags ?? []).some((t) => t.startsWith('busybox:') || t.includes(SENTINEL_PREFIX)));
  }
}

/** A container: sometimes with a volume (named or anonymous), on a user network, with a published port; then started. */
const runContainer: Op = async (w) => {
  const r = w.rng;
  const body: Record<string, unknown> = {
    Image: 'busybox', Cmd: ['sh', '-c', r.chance(0.3) ? 'echo hi; sleep 600' : 'sleep 600'], Labels: { fault: '1' },
    HostConfig: {} as Record<string, unknown>, ExposedPorts: {},
  };
  const hc = body['HostConfig'] as Record<string, unknown>;
  if (r.chance(0.4)) {
    const vols = await w.volumes();
    if (vols.length && r.chance(0.6)) hc['Binds'] = [`${r.pick(vols)}:/data`];
    else body['Volumes'] = { '/data': {} };
  }
  if (r.chance(0.4)) {
    const nets = await w.networks();
    if (nets.length) hc['NetworkMode'] = r.pick(nets).Name;
  }
  if (r.chance(0.3)) {
    body['ExposedPorts'] = { '80/tcp': {} };
    hc['PortBindings'] = { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] };
  }
  if (r.chance(0.15)) hc['AutoRemove'] = true;
  const c = await w.api.ok<{ Id: string }>('POST', `/containers/create?name=${w.name('c')}`, { body });
  if (r.chance(0.85)) await w.api.ok('POST', `/containers/${c.Id}/start`);
};

/** A short `--rm` container: exits at once, so the daemon removes it on its own. */
const runShort: Op = async (w) => {
  const c = await w.api.ok<{ Id: string }>('POST', `/containers/create?name=${w.name('rm')}`, {
    body: { Image: 'busybox', Cmd: ['sh', '-c', 'echo done > /tmp/x'], HostConfig: { AutoRemove: w.rng.chance(0.7) } },
  });
  await w.api.ok('POST', `/containers/${c.Id}/start`);
};

async function someContainer(w: Worker, state?: string): Promise<Listed | undefined> {
  const cs = (await w.containers()).filter((c) => !state || c.State === state);
  return cs.length ? w.rng.pick(cs) : undefined;
}

const startContainer: Op = async (w) => { const c = await someContainer(w, 'exited') ?? await someContainer(w, 'created'); if (c) await w.api.ok('POST', `/containers/${c.Id}/start`); };
const stopContainer: Op = async (w) => { const c = await someContainer(w, 'running'); if (c) await w.api.ok('POST', `/containers/${c.Id}/stop?t=${w.rng.int(0, 1)}`); };
const killContainer: Op = async (w) => { const c = await someContainer(w, 'running'); if (c) await w.api.ok('POST', `/containers/${c.Id}/kill`); };
const rmContainer: Op = async (w) => { const c = await someContainer(w); if (c) await w.api.ok('DELETE', `/containers/${c.Id}?force=1&v=${w.rng.chance(0.5) ? 1 : 0}`); };
const execContainer: Op = async (w) => { const c = await someContainer(w, 'running'); if (c) await w.api.exec(c.Id, ['sh', '-c', 'echo x > /tmp/e']); };

const volumeCreate: Op = async (w) => w.api.ok('POST', '/volumes/create', { body: { Name: w.name('v') } });
const volumeRm: Op = async (w) => { const vs = await w.volumes(); if (vs.length) await w.api.ok('DELETE', `/volumes/${w.rng.pick(vs)}`); };

const networkCreate: Op = async (w) => w.api.ok('POST', '/networks/create', { body: { Name: w.name('n'), Driver: 'bridge' } });
const networkRm: Op = async (w) => { const ns = await w.networks(); if (ns.length) await w.api.ok('DELETE', `/networks/${w.rng.pick(ns).Id}`); };
const networkConnect: Op = async (w) => {
  const ns = await w.networks();
  const c = await someContainer(w);
  if (ns.length && c) await w.api.ok('POST', `/networks/${w.rng.pick(ns).Id}/connect`, { body: { Container: c.Id } });
};
const networkDisconnect: Op = async (w) => {
  const ns = await w.networks();
  const c = await someContainer(w);
  if (ns.length && c) await w.api.ok('POST', `/networks/${w.rng.pick(ns).Id}/disconnect`, { body: { Container: c.Id, Force: w.rng.chance(0.5) } });
};

const pull: Op = async (w) => {
  const repo = `${w.ctx.registry}/${w.rng.pick(w.ctx.remoteImages)}`;
  const r = await w.api.call('POST', `/images/create?fromImage=${encodeURIComponent(repo)}&tag=latest`, { headers: { 'X-Registry-Auth': Buffer.from('{}').toString('base64') }, timeoutMs: 120_000 });
  if (r.status !== 200 || /"error"/.test(r.body)) throw new Error(`pull ${repo}: ${r.status} ${r.body.slice(-300)}`);
};

const rmi: Op = async (w) => {
  const imgs = await w.images();
  if (!imgs.length) return;
  const img = w.rng.pick(imgs);
  const ref = img.RepoTags?.length && w.rng.chance(0.5) ? w.rng.pick(img.RepoTags) : img.Id;
  // Never forced: docker's rmi -f deletes an image its stopped containers still use, which
  // would read as "a container's image is missing" to the invariants.
  await w.api.ok('DELETE', `/images/${encodeURIComponent(ref)}`);
};

const build: Op = async (w) => {
  const salt = w.rng.int(0, 1e9);
  const kb = w.rng.int(16, 512);
  const steps = [
    'FROM busybox',
    `RUN dd if=/dev/urandom of=/r1 bs=1k count=${kb} 2>/dev/null && echo ${salt} > /s`,
    'COPY f /f',
    `RUN echo ${salt} >> /s && mkdir -p /d && echo x > /d/y`,
    ...(w.rng.chance(0.5) ? ['RUN rm /r1'] : []),
    'CMD ["sleep", "600"]',
  ];
  const ctx = await tarOf({ Dockerfile: steps.join('\n') + '\n', f: `file ${salt}\n` });
  const q = `t=${encodeURIComponent(`${w.name('b')}:latest`)}&rm=1&forcerm=1${w.rng.chance(0.3) ? '&nocache=1' : ''}`;
  const r = await w.api.call('POST', `/build?${q}`, { raw: ctx, headers: { 'Content-Type': 'application/x-tar' }, timeoutMs: 120_000 });
  if (r.status !== 200 || /"error"/.test(r.body)) throw new Error(`build: ${r.status} ${r.body.slice(-300)}`);
};

const commit: Op = async (w) => {
  const c = await someContainer(w);
  if (c) await w.api.ok('POST', `/commit?container=${c.Id}&repo=${w.name('commit')}&tag=latest`, { body: {} });
};

const tag: Op = async (w) => {
  const imgs = await w.images();
  if (imgs.length) await w.api.ok('POST', `/images/${w.rng.pick(imgs).Id}/tag?repo=${PREFIX}-tag-${w.tag}&tag=t${w.n++}`);
};

/** Ops and their weights; the object counts steer towards removal when they grow. */
const OPS: [string, Op, number][] = [
  ['run', runContainer, 10], ['run-short', runShort, 3], ['start', startContainer, 4], ['stop', stopContainer, 4],
  ['kill', killContainer, 2], ['rm', rmContainer, 6], ['exec', execContainer, 2],
  ['volume-create', volumeCreate, 2], ['volume-rm', volumeRm, 2],
  ['network-create', networkCreate, 2], ['network-rm', networkRm, 1.5], ['network-connect', networkConnect, 2], ['network-disconnect', networkDisconnect, 1.5],
  ['pull', pull, 2], ['rmi', rmi, 3], ['build', build, 2.5], ['commit', commit, 1.5], ['tag', tag, 1.5],
];

function pickOp(rng: Rng, crowded: { containers: boolean; images: boolean }): [string, Op] {
  const weights = OPS.map(([n, , wt]) => {
    if (crowded.containers && (n === 'run' || n === 'run-short')) return 0.5;
    if (crowded.containers && n === 'rm') return wt * 4;
    if (crowded.images && (n === 'build' || n === 'commit' || n === 'pull')) return 0.2;
    if (crowded.images && n === 'rmi') return wt * 4;
    return wt;
  });
  let x = rng.next() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < OPS.length; i++) {
    x -= weights[i] ?? 0;
    const op = OPS[i];
    if (x <= 0 && op) return [op[0], op[1]];
  }
  const last = OPS[OPS.length - 1];
  if (!last) throw new Error('no ops');
  return [last[0], last[1]];
}

/** Runs `workers` concurrent workers until `stop` is aborted; resolves once all have returned. */
export async function runWorkload(ctx: WorkloadContext, rng: Rng, o: { workers: number; round: number; stop: AbortSignal }): Promise<WorkloadStats> {
  const stats: WorkloadStats = { ops: 0, failed: 0, byOp: {} };
  const one = async (i: number, wr: Rng): Promise<void> => {
    const w = new Worker(ctx, wr, `${o.round}-${i}`);
    let crowded = { containers: false, images: false };
    while (!o.stop.aborted) {
      const [name, op] = pickOp(wr, crowded);
      stats.ops++;
      stats.byOp[name] = (stats.byOp[name] ?? 0) + 1;
      try {
        await op(w);
        if (wr.chance(0.2)) crowded = { containers: (await w.containers()).length > 20, images: (await w.images()).length > 12 };
      } catch {
        stats.failed++;
        if (!o.stop.aborted && !(await ctx.api.ping(300))) await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  const forks = Array.from({ length: o.workers }, () => rng.fork());
  await Promise.all(forks.map((wr, i) => one(i, wr)));
  return stats;
}
