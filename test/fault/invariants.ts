/**
 * The invariants the fault suite checks after every restart of a SIGKILLed
 * pierd: the store opens clean, every object is whole, the sentinels live on,
 * and nothing on the host is left without its owner. It reads the daemon's
 * store read-only (SQLite in WAL mode allows a second reader) to know what
 * pierd believes, and the host to know what is really there.
 */
import { DatabaseSync } from 'node:sqlite';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import type { DaemonProcess } from './daemon-process.js';
import { alive, links, listDir, mountsUnder, nftTables, pierCgroups, processesMentioning } from './host.js';

interface ContainerRow {
  Id: string; Name: string; Image: string;
  State: { Status: string; Running: boolean; Pid: number };
  HostConfig: { NetworkMode: string };
  NetworkingConfig?: { EndpointsConfig?: Record<string, { NetworkID?: string } | null> | null };
  pier: { snapshotKey: string; task?: { pid: number; conmon?: { pid: number } }; volumes?: { name: string }[] };
}
interface ImageRow { id: string; diffIds: string[]; chainIds: string[]; manifest?: { digest: string }; layerBlobs?: { digest: string }[] }
interface SnapshotRow { id: number; key: string; kind: string; parent: string }
interface VolumeRow { Name: string; Driver: string; Mountpoint: string }
interface NetworkRow { Id: string; Name: string; Driver: string; pier: { ifname?: string; predefined?: boolean } }
interface EndpointRow { Id: string; ContainerID: string; NetworkID: string; hostIf?: string }
interface RefRow { ref: string; id: string }

export interface StoreView {
  containers: ContainerRow[]; images: ImageRow[]; snapshots: SnapshotRow[]; volumes: VolumeRow[];
  networks: NetworkRow[]; endpoints: EndpointRow[]; refs: RefRow[]; integrity: string;
}

/** Reads every table the invariants look at (read-only; the daemon may be running). */
export function readStore(dbPath: string): StoreView {
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    const rows = <T>(table: string): T[] => {
      try { return (db.prepare(`SELECT data FROM ${table} ORDER BY rowid`).all() as { data: string }[]).map((r) => JSON.parse(r.data) as T); } catch { return []; }
    };
    const integrity = (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
    return {
      containers: rows('containers'), images: rows('images'), snapshots: rows('snapshots'), volumes: rows('volumes'),
      networks: rows('networks'), endpoints: rows('endpoints'), refs: rows('image_refs'), integrity,
    };
  } finally {
    db.close();
  }
}

export interface Sentinel { id: string; name: string; pid: number; port?: number; internalPort?: number }

export interface CheckContext {
  daemon: DaemonProcess;
  sentinels: Sentinel[];
  /** Every container id this daemon ever had (store reads, events, create answers): cgroups of others are not ours. */
  knownIds: Set<string>;
  /** Every host-side veth name an endpoint of this daemon ever had. */
  knownVeths: Set<string>;
  /** Every bridge a user network of this daemon ever had. */
  knownBridges: Set<string>;
}

export function hostTagFor(execRoot: string): string {
  return createHash('sha256').update(execRoot).digest('hex').slice(0, 6);
}

const STARTUP_TROUBLE = /repair|corrupt|malformed|integrity|recover(y|ing) (the )?(database|store)|SQLITE_(CORRUPT|NOTADB)|database disk image/i;

/** What start-up logged that a clean store never makes it log. */
export function startupLogViolations(log: string): string[] {
  const out: string[] = [];
  for (const line of log.split('\n')) {
    if (!line.trim()) continue;
    if (STARTUP_TROUBLE.test(line)) out.push(`start-up log asks for repair: ${line.slice(0, 300)}`);
    else if (/"level":"(error|fatal)"/.test(line)) out.push(`start-up log has an error: ${line.slice(0, 300)}`);
    else if (!line.startsWith('{')) out.push(`start-up printed outside the logger: ${line.slice(0, 300)}`);
  }
  return out;
}

function blobPath(dataRoot: string, digest: string): string {
  return join(dataRoot, 'content', 'blobs', 'sha256', digest.replace(/^sha256:/, ''));
}

/** Objects: whole or gone; the store and the API agree. */
async function checkObjects(ctx: CheckContext, s: StoreView, v: string[]): Promise<void> {
  const { api, paths } = ctx.daemon;
  const data = paths.dataRoot;
  const snaps = new Map(s.snapshots.map((r) => [r.key, r]));
  const images = new Map(s.images.map((i) => [i.id, i]));
  const snapDir = (r: SnapshotRow): string => join(data, 'snapshots', String(r.id), 'fs');

  // containers
  const listed = await api.ok<{ Id: string }[]>('GET', '/containers/json?all=1');
  const listedIds = new Set(listed.map((c) => c.Id));
  for (const c of s.containers) if (!listedIds.has(c.Id)) v.push(`container ${c.Id.slice(0, 12)} is in the store but not listed`);
  for (const c of listed) {
    const r = await api.call('GET', `/containers/${c.Id}/json`);
    if (r.status !== 200) v.push(`container ${c.Id.slice(0, 12)} is listed but inspect answers ${r.status}: ${r.body.slice(0, 200)}`);
  }
  const mounts = new Set(mountsUnder(paths.root));
  for (const c of s.containers) {
    const short = `container ${c.Id.slice(0, 12)} (${c.Name}, ${c.State.Status})`;
    const img = images.get(c.Image);
    if (!img) v.push(`${short}: its image ${c.Image.slice(0, 19)} is missing`);
    const snap = snaps.get(c.pier.snapshotKey);
    if (!snap) v.push(`${short}: its rootfs snapshot ${c.pier.snapshotKey} is missing`);
    else {
      if (snap.kind !== 'active') v.push(`${short}: its rootfs snapshot is ${snap.kind}, not active`);
      if (!existsSync(snapDir(snap))) v.push(`${short}: its rootfs snapshot dir is missing`);
      if (img && snap.parent !== (img.chainIds[img.chainIds.length - 1] ?? '')) v.push(`${short}: its snapshot's parent ${snap.parent.slice(0, 19)} is not its image's top layer`);
    }
    const rootfs = join(paths.execRoot, 'containers', c.Id, 'rootfs');
    if (c.State.Running) {
      if (!alive(c.State.Pid)) v.push(`${short}: recorded running, but its pid ${c.State.Pid} is gone`);
      const conmon = c.pier.task?.conmon?.pid;
      if (conmon && !alive(conmon)) v.push(`${short}: recorded running, but its conmon ${conmon} is gone`);
      if (!mounts.has(rootfs)) v.push(`${short}: recorded running, but its rootfs is not mounted`);
    } else if (mounts.has(rootfs)) v.push(`${short}: not running, but its rootfs is mounted`);
    for (const vol of c.pier.volumes ?? []) if (!s.volumes.some((x) => x.Name === vol.name)) v.push(`${short}: its volume ${vol.name} is missing`);
  }

  // images: every layer, config and blob they reference is there
  const listedImages = await api.ok<{ Id: string }[]>('GET', '/images/json?all=1');
  const listedImageIds = new Set(listedImages.map((i) => i.Id));
  for (const img of s.images) {
    const short = `image ${img.id.slice(7, 19)}`;
    if (!listedImageIds.has(img.id)) v.push(`${short} is in the store but not listed`);
    const r = await api.call('GET', `/images/${img.id}/json`);
    if (r.status !== 200) v.push(`${short}: inspect answers ${r.status}`);
    if (!existsSync(blobPath(data, img.id))) v.push(`${short}: its config blob is missing`);
    img.chainIds.forEach((chain, i) => {
      const snap = snaps.get(chain);
      if (!snap) { v.push(`${short}: layer ${i} (chain ${chain.slice(7, 19)}) has no snapshot`); return; }
      if (snap.kind !== 'committed') v.push(`${short}: layer ${i} snapshot is ${snap.kind}`);
      if (!existsSync(snapDir(snap))) v.push(`${short}: layer ${i} snapshot dir is missing`);
      if (snap.parent !== (img.chainIds[i - 1] ?? '')) v.push(`${short}: layer ${i} snapshot's parent is not layer ${i - 1}`);
    });
    if (img.manifest && !existsSync(blobPath(data, img.manifest.digest))) v.push(`${short}: its manifest blob ${img.manifest.digest.slice(7, 19)} is missing`);
    // A layer's bytes (what save and push read): its tar blob, or a compressed blob of the
    // same diffID that this or another image names (a pull skips the layers it has already).
    img.diffIds.forEach((d, i) => {
      if (existsSync(blobPath(data, d))) return;
      const compressed = s.images.flatMap((o) => o.diffIds.flatMap((od, j) => (od === d && o.layerBlobs?.[j] ? [o.layerBlobs[j].digest] : [])));
      if (!compressed.some((b) => existsSync(blobPath(data, b)))) v.push(`${short}: layer ${i} (${d.slice(7, 19)}) has no blob: referenced but missing`);
    });
  }
  for (const ref of s.refs) if (!images.has(ref.id)) v.push(`tag ${ref.ref} points at a missing image ${ref.id.slice(7, 19)}`);

  // volumes
  for (const vol of s.volumes) {
    if (vol.Driver === 'local' && !existsSync(vol.Mountpoint)) v.push(`volume ${vol.Name}: its directory is missing`);
    const r = await api.call('GET', `/volumes/${vol.Name}`);
    if (r.status !== 200) v.push(`volume ${vol.Name}: inspect answers ${r.status}`);
  }
  for (const name of listDir(join(data, 'volumes'))) {
    if (name === 'metadata.db' || name === 'backingFsBlockDev') continue;
    if (!s.volumes.some((x) => x.Name === name)) v.push(`volume dir ${name} has no volume record`);
  }

  // networks: user bridges exist; endpoints belong to running containers and have their veth
  const hostLinks = links();
  const linkNames = new Set(hostLinks.map((l) => l.name));
  for (const n of s.networks) {
    const r = await api.call('GET', `/networks/${n.Id}`);
    if (r.status !== 200) v.push(`network ${n.Name}: inspect answers ${r.status}`);
    const eps = s.endpoints.filter((e) => e.NetworkID === n.Id);
    if (n.Driver === 'bridge' && n.pier.ifname && (!n.pier.predefined || eps.length) && !linkNames.has(n.pier.ifname)) {
      v.push(`network ${n.Name}: its bridge ${n.pier.ifname} is missing`);
    }
  }
  const running = new Map(s.containers.filter((c) => c.State.Running).map((c) => [c.Id, c]));
  for (const e of s.endpoints) {
    if (!running.has(e.ContainerID)) v.push(`endpoint ${e.Id.slice(0, 12)} belongs to ${e.ContainerID.slice(0, 12)}, which is not running`);
    if (!s.networks.some((n) => n.Id === e.NetworkID)) v.push(`endpoint ${e.Id.slice(0, 12)} is on a missing network`);
    if (e.hostIf && !linkNames.has(e.hostIf)) v.push(`endpoint ${e.Id.slice(0, 12)}: its veth ${e.hostIf} is missing`);
    const c = running.get(e.ContainerID);
    const n = s.networks.find((x) => x.Id === e.NetworkID);
    if (c && n && !Object.entries(c.NetworkingConfig?.EndpointsConfig ?? {}).some(([k, es]) => k === n.Name || es?.NetworkID === n.Id)) {
      v.push(`endpoint ${e.Id.slice(0, 12)}: container ${c.Id.slice(0, 12)} has it on ${n.Name} but does not name that network`);
    }
  }
}

/** True when 127.0.0.1:port answers an HTTP request within ~3 s (a few tries: a proxy may be restarting). */
export async function answersHttp(port: number): Promise<boolean> {
  for (let i = 0; i < 6; i++) {
    const answer = await new Promise<string>((resolve) => {
      const sock = connect(port, '127.0.0.1', () => sock.write('GET / HTTP/1.0\r\n\r\n'));
      let buf = '';
      sock.setTimeout(2000, () => sock.destroy());
      sock.on('data', (b) => { buf += b.toString(); });
      sock.on('close', () => resolve(buf));
      sock.on('error', () => resolve(buf));
    });
    if (/^HTTP\/1\.[01] /.test(answer)) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

/** Sentinels: still running, same pid, exec works, published port answers. */
async function checkSentinels(ctx: CheckContext, v: string[]): Promise<void> {
  const { api } = ctx.daemon;
  for (const s of ctx.sentinels) {
    const r = await api.call('GET', `/containers/${s.id}/json`);
    if (r.status !== 200) { v.push(`sentinel ${s.name}: inspect answers ${r.status}`); continue; }
    const st = (r.json as { State: { Running: boolean; Pid: number } }).State;
    if (!st.Running) { v.push(`sentinel ${s.name} is not running`); continue; }
    if (st.Pid !== s.pid) v.push(`sentinel ${s.name}: pid ${st.Pid}, was ${s.pid}`);
    try {
      const e = await api.exec(s.id, ['true']);
      if (e.code !== 0) v.push(`sentinel ${s.name}: exec true exited ${e.code}`);
    } catch (err) {
      v.push(`sentinel ${s.name}: exec failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (s.port && !(await answersHttp(s.port))) {
      // Say where it breaks: the server in the container, or the way to it from the host.
      const inside = await api.exec(s.id, ['sh', '-c', `wget -q -O- http://127.0.0.1:${s.internalPort ?? 80}/ >/dev/null && echo up || echo down`]).then((e) => e.output.includes('up') ? 'answers inside' : 'down inside', () => 'exec failed');
      const ip = ((r.json as { NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> } }).NetworkSettings?.Networks ?? {});
      const addr = Object.values(ip)[0]?.IPAddress ?? '';
      let route = '';
      try { route = execFileSync('ip', ['-o', 'route', 'get', addr], { encoding: 'utf8' }).trim(); } catch { route = 'no route'; }
      v.push(`sentinel ${s.name}: its published port ${s.port} does not answer HTTP (server ${inside}; ${addr}: ${route})`);
    }
  }
}

/** Host objects and store leftovers without an owner. */
function checkOrphans(ctx: CheckContext, s: StoreView, v: string[]): void {
  const { paths } = ctx.daemon;
  const data = paths.dataRoot;
  const ids = new Set(s.containers.map((c) => c.Id));
  const running = new Map(s.containers.filter((c) => c.State.Running).map((c) => [c.Id, c]));
  for (const id of ids) ctx.knownIds.add(id);
  for (const e of s.endpoints) if (e.hostIf) ctx.knownVeths.add(e.hostIf);

  // mounts: only the rootfs of running containers
  const bundles = join(paths.execRoot, 'containers');
  for (const m of mountsUnder(paths.root)) {
    const mm = new RegExp(`^${bundles}/([a-f0-9]{64})/rootfs$`).exec(m);
    if (mm?.[1] && running.has(mm[1])) continue;
    v.push(`orphan mount ${m}`);
  }
  // bridges of networks that are gone
  const netBridges = new Set(s.networks.map((n) => n.pier.ifname).filter((x): x is string => !!x));
  const defaultBridge = `pier0-${hostTagFor(paths.execRoot)}`;
  for (const b of netBridges) if (b !== defaultBridge) ctx.knownBridges.add(b);
  for (const l of links()) if (ctx.knownBridges.has(l.name) && !netBridges.has(l.name)) v.push(`orphan bridge ${l.name} (its network is gone)`);
  // veths on our bridges (or ones we named) that no endpoint names
  const ours = new Set([`pier0-${hostTagFor(paths.execRoot)}`, ...s.networks.map((n) => n.pier.ifname).filter((x): x is string => !!x)]);
  const epVeths = new Set(s.endpoints.map((e) => e.hostIf).filter(Boolean));
  for (const l of links()) {
    if (!l.name.startsWith('pierv') || epVeths.has(l.name)) continue;
    if ((l.master && ours.has(l.master)) || ctx.knownVeths.has(l.name)) v.push(`orphan veth ${l.name}${l.master ? ` on ${l.master}` : ''}`);
  }
  // cgroups of our containers that are not running
  for (const [id, dirs] of pierCgroups()) {
    if (!ctx.knownIds.has(id) || running.has(id)) continue;
    v.push(`orphan cgroup /pier/${id.slice(0, 12)} (${dirs.length} hierarchies)${ids.has(id) ? '' : ', no container record'}`);
  }
  // conmon processes without a running container
  for (const p of processesMentioning(paths.execRoot)) {
    if (!/conmon$/.test(p.argv[0] ?? '')) continue;
    const i = p.argv.indexOf('-c');
    const id = i >= 0 ? p.argv[i + 1] ?? '' : '';
    const c = running.get(id);
    if (!c) v.push(`orphan conmon ${p.pid} for ${id.slice(0, 12)}${ids.has(id) ? ' (container not running)' : ' (no container record)'}`);
    else if (c.pier.task?.conmon?.pid && c.pier.task.conmon.pid !== p.pid) v.push(`stray conmon ${p.pid} for running ${id.slice(0, 12)} (recorded conmon ${c.pier.task.conmon.pid})`);
  }
  // runtime state and bundle dirs without their container
  for (const rt of listDir(join(paths.execRoot, 'runtime'))) {
    for (const id of listDir(join(paths.execRoot, 'runtime', rt))) {
      if (/^[a-f0-9]{64}$/.test(id) && !running.has(id)) v.push(`orphan ${rt} state for ${id.slice(0, 12)}`);
    }
  }
  for (const dir of [bundles, join(data, 'containers')]) {
    for (const id of listDir(dir)) if (!ids.has(id)) v.push(`orphan container dir ${join(dir, id)}`);
  }
  // snapshots: dirs with records, records with owners
  const snapRoot = join(data, 'snapshots');
  const byId = new Set(s.snapshots.map((r) => String(r.id)));
  for (const name of listDir(snapRoot)) if (!byId.has(name)) v.push(`orphan snapshot dir ${name}`);
  const chains = new Set(s.images.flatMap((i) => i.chainIds));
  const parents = new Set(s.snapshots.map((r) => r.parent));
  for (const r of s.snapshots) {
    if (!existsSync(join(snapRoot, String(r.id), 'fs'))) v.push(`snapshot ${r.key.slice(0, 40)} has a record but no dir`);
    if (r.parent && !s.snapshots.some((p) => p.key === r.parent)) v.push(`snapshot ${r.key.slice(0, 40)}: its parent is missing`);
    if (r.kind === 'committed') {
      if (!chains.has(r.key) && !parents.has(r.key)) v.push(`orphan committed snapshot ${r.key.slice(0, 19)} (no image, no child)`);
      continue;
    }
    const m = /^container-([a-f0-9]{64})$/.exec(r.key);
    if (!m?.[1] || !ids.has(m[1])) v.push(`orphan ${r.kind} snapshot ${r.key.slice(0, 40)}`);
  }
  // blobs: temp files gone, every blob referenced
  for (const name of listDir(join(data, 'content', 'ingest'))) v.push(`leftover ingest file ${name}`);
  const referenced = new Set<string>();
  for (const i of s.images) {
    referenced.add(i.id);
    for (const d of i.diffIds) referenced.add(d);
    for (const b of i.layerBlobs ?? []) referenced.add(b.digest);
    if (i.manifest) referenced.add(i.manifest.digest);
  }
  for (const hex of listDir(join(data, 'content', 'blobs', 'sha256'))) {
    if (!referenced.has(`sha256:${hex}`)) v.push(`orphan blob ${hex.slice(0, 12)}`);
  }
  for (const name of listDir(join(data, 'tmp'))) if (name.startsWith('build-')) v.push(`leftover build dir tmp/${name}`);
  if (listDir(join(data, 'build-contexts')).length) v.push('leftover build contexts');
}

/** Every invariant after a restart; the violations found (empty: all hold). */
export async function checkInvariants(ctx: CheckContext, o: { startupLog: string }): Promise<string[]> {
  const v: string[] = [...startupLogViolations(o.startupLog)];
  const s = readStore(join(ctx.daemon.paths.dataRoot, 'pier.db'));
  if (s.integrity !== 'ok') v.push(`store integrity_check: ${s.integrity}`);
  await checkObjects(ctx, s, v);
  await checkSentinels(ctx, v);
  checkOrphans(ctx, s, v);
  return v;
}

/** After everything was removed and the daemon stopped cleanly: nothing of it is left on the host. */
export function checkHostClean(ctx: CheckContext, o: { bridges: readonly string[] }): string[] {
  const v: string[] = [];
  const { paths } = ctx.daemon;
  for (const m of mountsUnder(paths.root)) v.push(`mount left after stop: ${m}`);
  const tag = hostTagFor(paths.execRoot);
  const names = new Set(links().map((l) => l.name));
  for (const b of new Set([`pier0-${tag}`, ...o.bridges, ...ctx.knownBridges])) if (names.has(b)) v.push(`bridge left after stop: ${b}`);
  for (const n of names) if (ctx.knownVeths.has(n)) v.push(`veth left after stop: ${n}`);
  if (nftTables().includes(`pier-${tag}`)) v.push(`nft table left after stop: pier-${tag}`);
  for (const id of pierCgroups().keys()) if (ctx.knownIds.has(id)) v.push(`cgroup left after stop: /pier/${id.slice(0, 12)}`);
  for (const p of [...processesMentioning(paths.dataRoot), ...processesMentioning(paths.execRoot)]) v.push(`process left after stop: ${p.pid} ${p.argv.slice(0, 3).join(' ')}`);
  return v;
}
