/**
 * store: pier's crash-safe metadata store, SQLite in WAL mode through Node's
 * built-in `node:sqlite`.
 *
 * Each service owns its tables (created through `ensureTable`) and writes only
 * its own rows. Records are JSON documents keyed by id, with optional unique
 * secondary keys (e.g. container names). A write is one transaction: after a
 * kill -9 a record is either fully there or absent, never torn.
 *
 * @example
 * const store = openStore('/var/lib/pier/pier.db');
 * const t = store.table<MyRecord>('containers', { unique: ['name'] });
 * t.put('abc', { ... }, { name: '/web' });
 */
export { openStore } from './sqlite-store.js';
export type { Store, Table, TableOptions } from './sqlite-store.js';
