import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConflictError } from '../errdefs/index.js';

export interface TableOptions {
  /** Secondary keys that must be unique across the table (stored as columns). */
  unique?: readonly string[];
}

/** A table of JSON documents keyed by id. */
export interface Table<T> {
  get(id: string): T | undefined;
  /** Looks a record up by a unique secondary key. */
  getBy(key: string, value: string): T | undefined;
  /** Inserts or replaces; ConflictError when a unique key is taken by another id. */
  put(id: string, value: T, keys?: Record<string, string | null>): void;
  /** Inserts; ConflictError when the id or a unique key exists. */
  insert(id: string, value: T, keys?: Record<string, string | null>): void;
  delete(id: string): boolean;
  all(): T[];
  ids(): string[];
  /** Ids starting with a prefix (for short-id lookups). */
  idsWithPrefix(prefix: string, limit?: number): string[];
  count(): number;
}

export interface Store {
  table<T>(name: string, opts?: TableOptions): Table<T>;
  /** Runs fn in one transaction (nested calls join the outer one). */
  transaction<R>(fn: () => R): R;
  close(): void;
}

const ident = /^[a-z][a-z0-9_]*$/;

class SqliteTable<T> implements Table<T> {
  readonly #unique: readonly string[];
  readonly #get: StatementSync;
  readonly #getBy: Map<string, StatementSync> = new Map();
  readonly #upsert: StatementSync;
  readonly #insert: StatementSync;
  readonly #delete: StatementSync;
  readonly #all: StatementSync;
  readonly #ids: StatementSync;
  readonly #prefix: StatementSync;
  readonly #count: StatementSync;
  readonly #name: string;

  constructor(db: DatabaseSync, name: string, opts: TableOptions) {
    if (!ident.test(name)) throw new Error(`invalid table name "${name}"`);
    this.#name = name;
    this.#unique = opts.unique ?? [];
    for (const k of this.#unique) if (!ident.test(k)) throw new Error(`invalid key name "${k}"`);
    const cols = this.#unique.map((k) => `, ${k} TEXT UNIQUE`).join('');
    db.exec(`CREATE TABLE IF NOT EXISTS ${name} (id TEXT PRIMARY KEY, data TEXT NOT NULL${cols})`);
    this.#get = db.prepare(`SELECT data FROM ${name} WHERE id = ?`);
    for (const k of this.#unique) this.#getBy.set(k, db.prepare(`SELECT data FROM ${name} WHERE ${k} = ?`));
    const keyCols = this.#unique.map((k) => `, ${k}`).join('');
    const keyVals = this.#unique.map(() => ', ?').join('');
    this.#upsert = db.prepare(`INSERT OR REPLACE INTO ${name} (id, data${keyCols}) VALUES (?, ?${keyVals})`);
    this.#insert = db.prepare(`INSERT INTO ${name} (id, data${keyCols}) VALUES (?, ?${keyVals})`);
    this.#delete = db.prepare(`DELETE FROM ${name} WHERE id = ?`);
    this.#all = db.prepare(`SELECT data FROM ${name} ORDER BY rowid`);
    this.#ids = db.prepare(`SELECT id FROM ${name} ORDER BY rowid`);
    this.#prefix = db.prepare(`SELECT id FROM ${name} WHERE id >= ? AND id < ? LIMIT ?`);
    this.#count = db.prepare(`SELECT count(*) AS n FROM ${name}`);
  }

  get(id: string): T | undefined {
    const row = this.#get.get(id) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as T) : undefined;
  }
  getBy(key: string, value: string): T | undefined {
    const st = this.#getBy.get(key);
    if (!st) throw new Error(`table ${this.#name} has no unique key "${key}"`);
    const row = st.get(value) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as T) : undefined;
  }
  #values(id: string, value: T, keys?: Record<string, string | null>): (string | null)[] {
    return [id, JSON.stringify(value), ...this.#unique.map((k) => keys?.[k] ?? null)];
  }
  #run(st: StatementSync, args: (string | null)[]): void {
    try {
      st.run(...args);
    } catch (err) {
      if (err instanceof Error && /UNIQUE constraint failed/.test(err.message)) {
        throw new ConflictError(`record already exists in ${this.#name}`, { cause: err });
      }
      throw err;
    }
  }
  put(id: string, value: T, keys?: Record<string, string | null>): void {
    this.#run(this.#upsert, this.#values(id, value, keys));
  }
  insert(id: string, value: T, keys?: Record<string, string | null>): void {
    this.#run(this.#insert, this.#values(id, value, keys));
  }
  delete(id: string): boolean {
    return Number(this.#delete.run(id).changes) > 0;
  }
  all(): T[] {
    return (this.#all.all() as { data: string }[]).map((r) => JSON.parse(r.data) as T);
  }
  ids(): string[] {
    return (this.#ids.all() as { id: string }[]).map((r) => r.id);
  }
  idsWithPrefix(prefix: string, limit = 2): string[] {
    const hi = prefix + '\uffff';
    return (this.#prefix.all(prefix, hi, limit) as { id: string }[]).map((r) => r.id);
  }
  count(): number {
    return Number((this.#count.get() as { n: number }).n);
  }
}

class SqliteStore implements Store {
  readonly #db: DatabaseSync;
  readonly #tables = new Map<string, SqliteTable<unknown>>();
  #depth = 0;
  #closed = false;
  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path);
    // WAL + NORMAL: a committed transaction survives a process crash (kill -9);
    // an OS crash may lose the last transactions but never tears a record.
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
  }
  table<T>(name: string, opts: TableOptions = {}): Table<T> {
    let t = this.#tables.get(name);
    if (!t) {
      t = new SqliteTable<unknown>(this.#db, name, opts);
      this.#tables.set(name, t);
    }
    return t as Table<T>;
  }
  transaction<R>(fn: () => R): R {
    if (this.#depth > 0) return fn();
    this.#db.exec('BEGIN IMMEDIATE');
    this.#depth++;
    try {
      const r = fn();
      this.#db.exec('COMMIT');
      return r;
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    } finally {
      this.#depth--;
    }
  }
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}

/** Opens (creating if needed) the store at `path`. */
export function openStore(path: string): Store {
  return new SqliteStore(path);
}
