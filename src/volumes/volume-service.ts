import { mkdir, readdir, rm, lstat, chown } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, InvalidParameterError, NotFoundError, SystemError, messageOf } from '../errdefs/index.js';
import type { Store, Table } from '../store/index.js';
import type { EventBus } from '../events/index.js';
import type { Logger } from '../pkg/log/index.js';
import { newId } from '../pkg/ids/index.js';
import { KeyedLock } from '../pkg/keyed-lock/index.js';
import { exec, isMounted, unmount } from '../kernel/index.js';
import type { PluginClient } from '../pkg/plugins/index.js';

/** docker's label on volumes made for one container (`-v /path`, an image's VOLUME). */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** A volume as stored and served (docker's volume.Volume minus UsageData). */
export interface VolumeRecord {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Scope: 'local';
  Options: Record<string, string> | null;
}

export interface VolumeServiceOptions {
  store: Store;
  events: EventBus;
  log: Logger;
  /** `<data-root>/volumes`: each volume's data is `<root>/<name>/_data`, as docker lays it out. */
  root: string;
  /** Containers naming a volume (any state): such a volume is in use. */
  usedBy: (name: string) => string[];
  /** Where legacy volume plugins are found (sockets, spec files). */
  pluginDirs?: { socketDirs: readonly string[]; specDirs: readonly string[] };
  /** Owner of each new local volume's `_data` (the remapped root under `--userns-remap`, as dockerd). */
  rootOwner?: { uid: number; gid: number };
}

export interface CreateVolumeRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

/**
 * Volumes of the local driver: a directory under the data root, or, with
 * `-o type= -o device= -o o=`, a filesystem mounted there while containers
 * use it (docker's local driver options). Records first, directories after;
 * a directory no record names is garbage that start() collects.
 */
export class VolumeService {
  readonly #o: VolumeServiceOptions;
  readonly #t: Table<VolumeRecord>;
  /** Running users per volume with mount options: mounted on the first, unmounted after the last. */
  readonly #active = new Map<string, number>();
  readonly #locks = new KeyedLock();
  readonly #plugins = new Map<string, PluginClient>();

  constructor(o: VolumeServiceOptions) {
    this.#o = o;
    this.#t = o.store.table<VolumeRecord>('volumes');
  }

  /** Collects directories no record names and unmounts what a killed daemon left mounted. */
  async start(): Promise<void> {
    await mkdir(this.#o.root, { recursive: true, mode: 0o701 });
    for (const name of await readdir(this.#o.root).catch(() => [] as string[])) {
      const dir = join(this.#o.root, name);
      if (!this.#t.get(name)) {
        if (await isMounted(join(dir, '_data'))) await unmount(join(dir, '_data')).catch(() => undefined);
        await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      }
    }
  }

  get(name: string): VolumeRecord {
    const v = this.#t.get(name);
    if (!v) throw new NotFoundError(`get ${name}: no such volume`);
    return v;
  }

  tryGet(name: string): VolumeRecord | undefined { return this.#t.get(name); }
  list(): VolumeRecord[] { return this.#t.all(); }

  /**
   * `volume ls`: the records, and what each volume plugin in use says it has (VolumeDriver.List),
   * as docker lists them. A plugin that fails or is gone is a warning, not an error; its
   * recorded volumes stay listed.
   */
  async listWithPlugins(): Promise<{ volumes: VolumeRecord[]; warnings: string[] }> {
    const volumes = this.#t.all();
    const drivers = new Set([...volumes.map((v) => v.Driver), ...this.#plugins.keys()].filter((d) => d !== 'local'));
    if (drivers.size === 0) return { volumes, warnings: [] };
    const known = new Set(volumes.map((v) => v.Name));
    const warnings: string[] = [];
    await Promise.all([...drivers].map(async (driver) => {
      try {
        const r = await (await this.#plugin(driver, '')).call('VolumeDriver.List', {}, 5000);
        const listed = Array.isArray(r['Volumes']) ? r['Volumes'] as { Name?: unknown; Mountpoint?: unknown; CreatedAt?: unknown }[] : [];
        for (const v of listed) {
          if (typeof v.Name !== 'string' || !v.Name || known.has(v.Name)) continue;
          known.add(v.Name);
          volumes.push({ Name: v.Name, Driver: driver, Mountpoint: typeof v.Mountpoint === 'string' ? v.Mountpoint : '', CreatedAt: typeof v.CreatedAt === 'string' ? v.CreatedAt : '', Labels: {}, Scope: 'local', Options: null });
        }
      } catch (err) {
        warnings.push(`${driver}: ${messageOf(err).replace(/^create : /, '')}`);
      }
    }));
    return { volumes, warnings };
  }
  isAnonymous(v: VolumeRecord): boolean { return ANONYMOUS_LABEL in v.Labels; }

  /**
   * docker's create: a name already taken returns that volume (a second
   * `docker volume create x` succeeds), unless the options differ.
   */
  async create(req: CreateVolumeRequest, o: { anonymous?: boolean } = {}): Promise<VolumeRecord> {
    const driver = req.Driver || 'local';
    const name = req.Name || newId();
    if (driver !== 'local') return this.#createWithPlugin(driver, name, req, o);
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
      throw new InvalidParameterError(`create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
    }
    if (!NAME_RE.test(name)) throw new InvalidParameterError(`create ${name}: volume name is too short, names should be at least two alphanumeric characters`);
    const opts = req.DriverOpts && Object.keys(req.DriverOpts).length ? { ...req.DriverOpts } : null;
    validateLocalOpts(opts);
    // Under the name's lock, as remove: a remove still deleting the old directory would otherwise
    // take the new volume's directory with it (found by the crash suite, no crash needed).
    return this.#locks.run(name, () => this.#createLocal(name, opts, req, o));
  }

  async #createLocal(name: string, opts: Record<string, string> | null, req: CreateVolumeRequest, o: { anonymous?: boolean }): Promise<VolumeRecord> {
    const existing = this.#t.get(name);
    if (existing) {
      if (opts && !sameOptions(existing.Options ?? {}, opts)) {
        throw new ConflictError(`create ${name}: volume already exists with different options`);
      }
      return existing;
    }
    const labels = { ...(req.Labels ?? {}), ...(o.anonymous ? { [ANONYMOUS_LABEL]: '' } : {}) };
    const rec: VolumeRecord = {
      Name: name, Driver: 'local', Mountpoint: join(this.#o.root, name, '_data'), CreatedAt: rfc3339Now(),
      Labels: labels, Scope: 'local', Options: opts,
    };
    // The directory first, then the record: a crash in between leaves a directory start()
    // collects, never a volume whose directory is missing.
    await mkdir(rec.Mountpoint, { recursive: true, mode: 0o755 });
    try {
      if (this.#o.rootOwner) await chown(rec.Mountpoint, this.#o.rootOwner.uid, this.#o.rootOwner.gid);
      this.#t.insert(name, rec);
    } catch (err) {
      // Created meanwhile by a concurrent create of the same name: that one is the volume (docker's rule above).
      const other = this.#t.get(name);
      if (err instanceof ConflictError && other) return other;
      await rm(join(this.#o.root, name), { recursive: true, force: true });
      throw err;
    }
    this.#o.events.publish({ Type: 'volume', Action: 'create', Actor: { ID: name, Attributes: { driver: 'local' } } });
    return rec;
  }

  /** The plugin client, loaded on first use (its HTTP client side costs an idle daemon ~6 MB of RSS). */
  async #plugin(driver: string, name: string): Promise<PluginClient> {
    let p = this.#plugins.get(driver);
    if (!p) {
      const { pluginFor } = await import('../pkg/plugins/index.js');
      try {
        p = pluginFor('volume', driver, this.#o.pluginDirs ?? { socketDirs: [], specDirs: [] });
      } catch (err) {
        throw new NotFoundError(`create ${name}: ${messageOf(err)}`);
      }
      this.#plugins.set(driver, p);
    }
    return p;
  }

  /** docker's legacy volume plugin protocol: the plugin makes and keeps the data; pier keeps the record. */
  async #createWithPlugin(driver: string, name: string, req: CreateVolumeRequest, o: { anonymous?: boolean }): Promise<VolumeRecord> {
    const existing = this.#t.get(name);
    if (existing) {
      if (existing.Driver !== driver) throw new ConflictError(`create ${name}: a volume with the name ${name} already exists with driver "${existing.Driver}"`);
      return existing;
    }
    const p = await this.#plugin(driver, name);
    const impl = await p.activate();
    if (!impl.includes('VolumeDriver')) throw new NotFoundError(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" does not implement VolumeDriver`);
    await p.call('VolumeDriver.Create', { Name: name, Opts: req.DriverOpts ?? {} });
    let mountpoint = '';
    try {
      const g = await p.call('VolumeDriver.Get', { Name: name });
      mountpoint = String((g['Volume'] as { Mountpoint?: unknown } | undefined)?.Mountpoint ?? '');
    } catch { /* Get is optional for older plugins */ }
    const labels = { ...(req.Labels ?? {}), ...(o.anonymous ? { [ANONYMOUS_LABEL]: '' } : {}) };
    const rec: VolumeRecord = { Name: name, Driver: driver, Mountpoint: mountpoint, CreatedAt: rfc3339Now(), Labels: labels, Scope: 'local', Options: req.DriverOpts && Object.keys(req.DriverOpts).length ? { ...req.DriverOpts } : null };
    this.#t.insert(name, rec);
    this.#o.events.publish({ Type: 'volume', Action: 'create', Actor: { ID: name, Attributes: { driver } } });
    return rec;
  }

  /** `volume rm`: refused while any container names it; `force` only forgives a missing volume. */
  async remove(name: string, o: { force?: boolean } = {}): Promise<void> {
    const v = this.#t.get(name);
    if (!v) {
      if (o.force) return;
      throw new NotFoundError(`get ${name}: no such volume`);
    }
    const users = this.#o.usedBy(name);
    if (users.length) throw new ConflictError(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    if (v.Driver !== 'local') {
      // The plugin first: a failed Remove keeps the record, and the data stays the plugin's.
      await (await this.#plugin(v.Driver, name)).call('VolumeDriver.Remove', { Name: name });
      this.#t.delete(name);
      this.#o.events.publish({ Type: 'volume', Action: 'destroy', Actor: { ID: name, Attributes: { driver: v.Driver } } });
      return;
    }
    await this.#locks.run(name, async () => {
      this.#t.delete(name);
      const data = v.Mountpoint;
      if (await isMounted(data)) await unmount(data).catch((err: unknown) => this.#o.log.warn('volume unmount failed', { volume: name, err: messageOf(err) }));
      await rm(join(this.#o.root, name), { recursive: true, force: true });
    });
    this.#o.events.publish({ Type: 'volume', Action: 'destroy', Actor: { ID: name, Attributes: { driver: 'local' } } });
  }

  /** `volume prune`: unused anonymous volumes, or every unused one with `all`. */
  async prune(o: { all: boolean; keep: (v: VolumeRecord) => boolean }): Promise<{ deleted: string[]; reclaimed: number }> {
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const v of this.#t.all()) {
      if (!o.all && !this.isAnonymous(v)) continue;
      // As moby: a volume with driver options (a mounted device, tmpfs) is never pruned.
      if (v.Options && Object.keys(v.Options).length) continue;
      if (this.#o.usedBy(v.Name).length || o.keep(v)) continue;
      const size = await this.size(v).catch(() => 0);
      try {
        await this.remove(v.Name);
        deleted.push(v.Name);
        reclaimed += size;
      } catch (err) {
        this.#o.log.warn('volume prune: could not remove', { volume: v.Name, err: messageOf(err) });
      }
    }
    return { deleted, reclaimed };
  }

  /** Bytes under the volume's data directory (docker's UsageData.Size). */
  async size(v: VolumeRecord): Promise<number> {
    if (v.Driver !== 'local') return 0;
    return dirSize(v.Mountpoint);
  }

  /**
   * Makes the volume's data ready for a container: with mount options, mounts
   * the filesystem on the first user. Returns the host path to bind.
   */
  async acquire(name: string, id = ''): Promise<string> {
    const v = this.get(name);
    if (v.Driver !== 'local') {
      // One Mount per user, each with its own ID; Unmount is called once for each.
      const r = await (await this.#plugin(v.Driver, name)).call('VolumeDriver.Mount', { Name: name, ID: id });
      const mp = String(r['Mountpoint'] ?? '');
      if (!mp) throw new SystemError(`volume plugin ${v.Driver} gave no mount point for ${name}`);
      return mp;
    }
    if (!v.Options?.['type'] && !v.Options?.['device']) return v.Mountpoint;
    await this.#locks.run(name, async () => {
      const n = this.#active.get(name) ?? 0;
      if (n === 0 && !(await isMounted(v.Mountpoint))) await mountLocal(v);
      this.#active.set(name, n + 1);
    });
    return v.Mountpoint;
  }

  /** After a daemon restart: a container that kept running still uses the volume it acquired. */
  adopt(name: string): void {
    const v = this.#t.get(name);
    if (!v || (!v.Options?.['type'] && !v.Options?.['device'])) return;
    this.#active.set(name, (this.#active.get(name) ?? 0) + 1);
  }

  /** The other half of acquire(): the last user unmounts. */
  async releaseMount(name: string, id = ''): Promise<void> {
    const v = this.#t.get(name);
    if (v && v.Driver !== 'local') {
      await (await this.#plugin(v.Driver, name)).call('VolumeDriver.Unmount', { Name: name, ID: id }).catch((err: unknown) => this.#o.log.warn('volume plugin unmount failed', { volume: name, err: messageOf(err) }));
      return;
    }
    if (!v || (!v.Options?.['type'] && !v.Options?.['device'])) return;
    await this.#locks.run(name, async () => {
      const n = (this.#active.get(name) ?? 1) - 1;
      if (n > 0) { this.#active.set(name, n); return; }
      this.#active.delete(name);
      await unmount(v.Mountpoint).catch((err: unknown) => this.#o.log.warn('volume unmount failed', { volume: name, err: messageOf(err) }));
    });
  }

}

function sameOptions(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/** docker's local driver accepts type, device, o and size (tmpfs): anything else is refused. */
function validateLocalOpts(opts: Record<string, string> | null): void {
  if (!opts) return;
  const bad = Object.keys(opts).filter((k) => !['type', 'device', 'o', 'size'].includes(k));
  if (bad.length) throw new InvalidParameterError(`invalid option key: ${JSON.stringify(bad[0])}`);
  if (opts['type'] !== undefined && opts['device'] === undefined && opts['type'] !== 'tmpfs') {
    throw new InvalidParameterError('missing required option: "device"');
  }
  if (opts['device'] !== undefined && opts['type'] === undefined && !/(^|,)bind(,|$)/.test(opts['o'] ?? '')) {
    throw new InvalidParameterError('missing required option: "type"');
  }
}

async function mountLocal(v: VolumeRecord): Promise<void> {
  const o = v.Options ?? {};
  const type = o['type'] ?? 'none';
  const device = o['device'] ?? type;
  const args = ['-t', type];
  const mo = [o['o'] ?? '', o['size'] ? `size=${o['size']}` : ''].filter(Boolean).join(',');
  if (mo) args.push('-o', mo);
  await exec('mount', [...args, '--', device, v.Mountpoint]);
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  let names: string[];
  try { names = await readdir(dir); } catch { return 0; }
  for (const n of names) {
    const p = join(dir, n);
    const st = await lstat(p).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory()) total += await dirSize(p);
    else total += st.size;
  }
  return total;
}

function rfc3339Now(): string {
  // docker prints the daemon's local time with its offset; pierd runs in UTC.
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}
