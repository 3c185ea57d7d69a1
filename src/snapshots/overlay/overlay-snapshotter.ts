import { mkdir, rm, rename, lstat, readdir, chown } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, NotFoundError } from '../../errdefs/index.js';
import type { Store, Table } from '../../store/index.js';
import type { Mount, Op, SnapshotInfo, Snapshotter } from '../snapshotter.js';

interface Record_ extends SnapshotInfo { readonly id: number }

/**
 * overlayfs snapshots: each snapshot owns `<root>/<n>/fs` (its diff / upper
 * dir) and `<root>/<n>/work`. Mounts list parents topmost first.
 * Short numeric dir names keep long layer chains under the one-page limit of
 * mount options (docker's `l/` symlinks solve the same problem).
 */
export class OverlaySnapshotter implements Snapshotter {
  readonly #root: string;
  readonly #t: Table<Record_>;
  readonly #store: Store;
  #next: number;
  readonly #rootOwner: { uid: number; gid: number } | undefined;

  /** `rootOwner`: the owner of each new snapshot's root directory (the remapped root under `--userns-remap`). */
  constructor(root: string, store: Store, opts: { rootOwner?: { uid: number; gid: number } } = {}) {
    this.#root = root;
    this.#rootOwner = opts.rootOwner;
    this.#store = store;
    this.#t = store.table<Record_>('snapshots');
    this.#next = 1 + this.#t.all().reduce((m, r) => Math.max(m, r.id), 0);
  }

  #get(key: string): Record_ {
    const r = this.#t.get(key);
    if (!r) throw new NotFoundError(`snapshot ${key} does not exist`);
    return r;
  }

  async stat(key: string): Promise<SnapshotInfo> {
    const { id: _id, ...info } = this.#get(key);
    return info;
  }

  #chain(r: Record_): Record_[] {
    const out: Record_[] = [];
    let p = r.parent;
    while (p) {
      const pr = this.#get(p);
      out.push(pr);
      p = pr.parent;
    }
    return out;
  }

  #mountsOf(r: Record_): Mount[] {
    const fs = join(this.#root, String(r.id), 'fs');
    const parents = this.#chain(r).map((p) => join(this.#root, String(p.id), 'fs'));
    if (r.kind === 'view' || r.kind === 'committed') {
      if (parents.length === 0) return [{ type: 'bind', source: fs, options: ['ro', 'rbind'] }];
      return [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${[fs, ...parents].join(':')}`] }];
    }
    if (parents.length === 0) return [{ type: 'bind', source: fs, options: ['rw', 'rbind'] }];
    return [{
      type: 'overlay', source: 'overlay',
      options: [`workdir=${join(this.#root, String(r.id), 'work')}`, `upperdir=${fs}`, `lowerdir=${parents.join(':')}`],
    }];
  }

  async prepare(key: string, parent: string, op: Op & { labels?: Record<string, string> } = {}): Promise<Mount[]> {
    if (parent) this.#get(parent);
    const id = this.#next++;
    const dir = join(this.#root, String(id));
    // Host objects first, then the record: a crash leaves only an unreferenced dir for GC.
    await mkdir(join(dir, 'fs'), { recursive: true });
    await mkdir(join(dir, 'work'), { recursive: true });
    if (this.#rootOwner) await chown(join(dir, 'fs'), this.#rootOwner.uid, this.#rootOwner.gid);
    const rec: Record_ = { id, key, kind: 'active', parent, created: new Date().toISOString(), labels: op.labels ?? {} };
    try {
      this.#t.insert(key, rec);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      if (err instanceof ConflictError) throw new ConflictError(`snapshot ${key} already exists`);
      throw err;
    }
    return this.#mountsOf(rec);
  }

  async mounts(key: string): Promise<Mount[]> {
    return this.#mountsOf(this.#get(key));
  }

  async commit(name: string, key: string, op: Op & { parent?: string } = {}): Promise<void> {
    const r0 = this.#get(key);
    if (this.#t.get(name)) throw new ConflictError(`snapshot ${name} already exists`);
    if (op.parent !== undefined && op.parent !== '' && this.#get(op.parent).kind !== 'committed') {
      throw new ConflictError(`snapshot ${op.parent} is not committed`);
    }
    const r = op.parent !== undefined ? { ...r0, parent: op.parent } : r0;
    await rm(join(this.#root, String(r.id), 'work'), { recursive: true, force: true });
    this.#store.transaction(() => {
      this.#t.delete(key);
      this.#t.insert(name, { ...r, key: name, kind: 'committed' });
    });
  }

  async remove(key: string): Promise<void> {
    const r = this.#t.get(key);
    if (!r) return;
    if (this.#t.all().some((c) => c.parent === key)) throw new ConflictError(`cannot remove snapshot ${key}: it has children`);
    const dir = join(this.#root, String(r.id));
    // Record first: a crash then leaves an orphan dir (GC'd), never a record without files.
    this.#t.delete(key);
    const trash = join(this.#root, `pier-trash-${r.id}`);
    await rename(dir, trash).catch(() => undefined);
    await rm(trash, { recursive: true, force: true });
  }

  async dir(key: string): Promise<string> {
    return join(this.#root, String(this.#get(key).id), 'fs');
  }

  /**
   * The snapshot's own files, as docker's directory.Size counts a layer: the lstat sizes of
   * everything but directories, a file with several hard links once.
   */
  async usage(key: string): Promise<{ bytes: number; inodes: number }> {
    const root = await this.dir(key);
    let bytes = 0;
    let inodes = 0;
    const linked = new Set<number>();
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        const st = await lstat(p);
        inodes++;
        if (e.isDirectory()) { await walk(p); continue; }
        if (st.nlink > 1) {
          if (linked.has(st.ino)) continue;
          linked.add(st.ino);
        }
        bytes += st.size;
      }
    };
    await walk(root);
    return { bytes, inodes };
  }

  async *list(): AsyncIterable<SnapshotInfo> {
    for (const { id: _id, ...info } of this.#t.all()) yield info;
  }

  /** Removes directories no record references (what a crash between steps leaves). */
  async gc(): Promise<number> {
    const known = new Set(this.#t.all().map((r) => String(r.id)));
    let n = 0;
    for (const name of await readdir(this.#root).catch(() => [] as string[])) {
      if (!known.has(name)) {
        await rm(join(this.#root, name), { recursive: true, force: true });
        n++;
      }
    }
    return n;
  }
}
