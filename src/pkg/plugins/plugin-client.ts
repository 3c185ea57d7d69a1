import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { NotFoundError, SystemError, UnavailableError } from '../../errdefs/index.js';

const MEDIA_TYPE = 'application/vnd.docker.plugins.v1.2+json';
const MAX_BODY = 4 << 20;

/** Where a legacy plugin answers: a unix socket, or a TCP address from a spec file. */
export type PluginAddress = { socket: string } | { host: string; port: number };

/**
 * docker's legacy plugin discovery: `<dir>/<name>.sock` in each socket
 * directory, then `<name>.spec` (a URL) or `<name>.json` ({"Addr": URL}) in
 * each spec directory.
 */
export function findPlugin(name: string, o: { socketDirs: readonly string[]; specDirs: readonly string[] }): PluginAddress | undefined {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) return undefined;
  for (const d of o.socketDirs) {
    const p = join(d, `${name}.sock`);
    try { readFileSync(p); } catch (err) {
      // A socket cannot be read as a file: ENXIO (or EOPNOTSUPP) means it is there.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENXIO' || code === 'EOPNOTSUPP' || code === 'ECONNREFUSED') return { socket: p };
    }
  }
  for (const d of o.specDirs) {
    for (const ext of ['spec', 'json']) {
      let text: string;
      try { text = readFileSync(join(d, `${name}.${ext}`), 'utf8'); } catch { continue; }
      const url = ext === 'json' ? String((JSON.parse(text) as { Addr?: unknown }).Addr ?? '') : text.trim();
      const addr = parseAddress(url);
      if (addr) return addr;
    }
  }
  return undefined;
}

/** Every legacy plugin the discovery places hold, first place wins for a name (as lookups go). */
export function discoverPlugins(o: { socketDirs: readonly string[]; specDirs: readonly string[] }): { name: string; addr: PluginAddress; where: string }[] {
  const out = new Map<string, { name: string; addr: PluginAddress; where: string }>();
  const names = (dir: string, exts: string[]): string[] => {
    try {
      return readdirSync(dir).flatMap((f) => exts.filter((e) => f.endsWith(`.${e}`)).map((e) => f.slice(0, -e.length - 1)));
    } catch { return []; }
  };
  for (const d of o.socketDirs) for (const n of names(d, ['sock'])) {
    if (out.has(n)) continue;
    const addr = findPlugin(n, { socketDirs: [d], specDirs: [] });
    if (addr) out.set(n, { name: n, addr, where: join(d, `${n}.sock`) });
  }
  for (const d of o.specDirs) for (const n of names(d, ['spec', 'json'])) {
    if (out.has(n)) continue;
    let addr: PluginAddress | undefined;
    try { addr = findPlugin(n, { socketDirs: [], specDirs: [d] }); } catch { addr = undefined; }
    if (addr) out.set(n, { name: n, addr, where: d });
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function parseAddress(url: string): PluginAddress | undefined {
  if (url.startsWith('unix://')) return { socket: url.slice('unix://'.length) };
  const m = /^(?:tcp|http):\/\/([^:/]+):(\d+)\/?$/.exec(url);
  return m?.[1] && m[2] ? { host: m[1], port: Number(m[2]) } : undefined;
}

/**
 * One legacy plugin: JSON over HTTP POST, activated once with
 * /Plugin.Activate (retried with backoff while the plugin starts), every
 * answer's `Err` turned into an error, every call bounded in time.
 */
export class PluginClient {
  readonly name: string;
  readonly #addr: PluginAddress;
  #implements: Promise<string[]> | undefined;

  constructor(name: string, addr: PluginAddress) {
    this.name = name;
    this.#addr = addr;
  }

  /** What /Plugin.Activate says the plugin implements (VolumeDriver, NetworkDriver …). */
  activate(): Promise<string[]> {
    this.#implements ??= (async () => {
      let last: unknown;
      for (let i = 0, delay = 50; i < 6; i++, delay *= 2) {
        try {
          const r = await this.#post('/Plugin.Activate', {}, 5000) as { Implements?: unknown };
          return Array.isArray(r.Implements) ? r.Implements.filter((x): x is string => typeof x === 'string') : [];
        } catch (err) {
          last = err;
          await new Promise((res) => setTimeout(res, delay));
        }
      }
      this.#implements = undefined;
      throw new UnavailableError(`plugin ${this.name} did not answer its activation: ${last instanceof Error ? last.message : String(last)}`);
    })();
    return this.#implements;
  }

  /** One /Plugin.Activate, no retries: what a listing shows (undefined when the plugin does not answer). */
  async probe(timeoutMs = 1000): Promise<string[] | undefined> {
    try {
      const r = await this.#post('/Plugin.Activate', {}, timeoutMs) as { Implements?: unknown };
      return Array.isArray(r.Implements) ? r.Implements.filter((x): x is string => typeof x === 'string') : [];
    } catch { return undefined; }
  }

  /** Calls `/<method>` and returns the answer; an `Err` in it is thrown as the plugin's error. */
  async call(method: string, body: unknown, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    await this.activate();
    const r = await this.#post(`/${method}`, body, timeoutMs);
    const err = typeof r['Err'] === 'string' ? r['Err'] : '';
    if (err) throw new SystemError(err);
    return r;
  }

  #post(path: string, body: unknown, timeoutMs: number): Promise<Record<string, unknown>> {
    const data = JSON.stringify(body ?? {});
    return new Promise((resolve, reject) => {
      const target = 'socket' in this.#addr ? { socketPath: this.#addr.socket } : { host: this.#addr.host, port: this.#addr.port };
      const req = request({
        ...target, method: 'POST', path, timeout: timeoutMs,
        headers: { 'Content-Type': MEDIA_TYPE, Accept: MEDIA_TYPE, 'Content-Length': Buffer.byteLength(data) },
      }, (res) => {
        const chunks: Buffer[] = [];
        let n = 0;
        res.on('data', (c: Buffer) => { n += c.length; if (n <= MAX_BODY) chunks.push(c); else res.destroy(new Error('answer too large')); });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try { parsed = text ? JSON.parse(text) : {}; } catch { reject(new SystemError(`plugin ${this.name} answered ${path} with something that is not JSON`)); return; }
          if ((res.statusCode ?? 500) >= 400) {
            const e = (parsed as { Err?: unknown } | null)?.Err;
            reject(new SystemError(typeof e === 'string' && e ? e : `plugin ${this.name} answered ${path} with HTTP ${res.statusCode ?? 0}`));
            return;
          }
          resolve(parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed as Record<string, unknown> : {});
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new SystemError(`plugin ${this.name} did not answer ${path} within ${timeoutMs / 1000}s`)));
      req.on('error', (err) => reject(err instanceof SystemError ? err : new SystemError(`plugin ${this.name}: ${err.message}`, { cause: err })));
      req.end(data);
    });
  }
}

/** The plugin's client, or NotFoundError with docker's words. */
export function pluginFor(kind: string, name: string, o: { socketDirs: readonly string[]; specDirs: readonly string[] }): PluginClient {
  const addr = findPlugin(name, o);
  if (!addr) throw new NotFoundError(`error looking up ${kind} plugin ${name}: plugin "${name}" not found`);
  return new PluginClient(name, addr);
}
