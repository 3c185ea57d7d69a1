import { createServer, request, type Server } from 'node:http';
import type { Logger } from '../../pkg/log/index.js';
import { messageOf } from '../../errdefs/index.js';

/** A container endpoint on an overlay network, as peers exchange them. */
export interface RemoteEndpoint { names: string[]; ip: string }

interface HostState { endpoints: Map<string, RemoteEndpoint[]>; seen: number }

export interface ClusterOptions {
  advertise: string;
  peers: readonly string[];
  port: number;
  log: Logger;
  /** This daemon's endpoints on each overlay network, by network name. */
  local: () => Map<string, RemoteEndpoint[]>;
  /** Called when a peer's endpoints changed (DNS answers from the new table at once). */
  onChange?: () => void;
}

const MAX_BODY = 4 << 20;

/**
 * The peer channel of overlay networks: each daemon serves its own overlay
 * endpoints over HTTP on its advertise address and pushes them to its peers
 * whenever they change; peers also pull every few seconds, so a daemon that
 * restarts or missed a push converges. Names resolve from this table without
 * a round trip at query time; the data plane is the kernel's VXLAN.
 */
export class Cluster {
  readonly #o: ClusterOptions;
  readonly #hosts = new Map<string, HostState>();
  #server: Server | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(o: ClusterOptions) {
    this.#o = o;
  }

  get advertise(): string { return this.#o.advertise; }
  /** Every member's address, this daemon's included, sorted: the same list on every member. */
  get members(): string[] { return [...new Set([this.#o.advertise, ...this.#o.peers])].sort(compareIp); }
  get peers(): readonly string[] { return this.#o.peers; }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const reply = (status: number, body?: unknown): void => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      if (req.method === 'GET' && req.url === '/pier/overlay/v1/endpoints') {
        reply(200, { host: this.#o.advertise, networks: Object.fromEntries(this.#o.local()) });
        return;
      }
      if (req.method === 'POST' && req.url === '/pier/overlay/v1/endpoints') {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) { reply(413); req.destroy(); return; }
          chunks.push(c);
        });
        req.on('end', () => {
          try {
            this.#accept(JSON.parse(Buffer.concat(chunks).toString('utf8')));
            reply(204);
          } catch (err) {
            reply(400, { message: messageOf(err) });
          }
        });
        return;
      }
      reply(404);
    });
    server.headersTimeout = 5000;
    server.requestTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#o.port, this.#o.advertise, () => { server.off('error', reject); resolve(); });
    });
    this.#server = server;
    void this.refresh();
    this.#timer = setInterval(() => { void this.refresh(); }, 5000);
    this.#timer.unref();
  }

  /** A peer's whole state replaces what was known of it. */
  #accept(body: unknown): void {
    const b = body as { host?: unknown; networks?: unknown };
    if (typeof b.host !== 'string' || !this.#o.peers.includes(b.host)) throw new Error('not a peer of this daemon');
    if (!b.networks || typeof b.networks !== 'object') throw new Error('networks missing');
    const endpoints = new Map<string, RemoteEndpoint[]>();
    for (const [net, list] of Object.entries(b.networks as Record<string, unknown>)) {
      if (!Array.isArray(list)) continue;
      endpoints.set(net, list.filter((e): e is RemoteEndpoint => !!e && typeof (e as RemoteEndpoint).ip === 'string' && Array.isArray((e as RemoteEndpoint).names))
        .map((e) => ({ ip: e.ip, names: e.names.filter((n) => typeof n === 'string') })));
    }
    this.#hosts.set(b.host, { endpoints, seen: Date.now() });
    this.#o.onChange?.();
  }

  /** Pulls every peer's state (start-up, and every 5 s). */
  async refresh(): Promise<void> {
    await Promise.all(this.#o.peers.map(async (peer) => {
      try {
        const text = await call(peer, this.#o.port, 'GET', undefined);
        this.#accept(JSON.parse(text));
      } catch (err) {
        this.#o.log.debug('overlay peer unreachable', { peer, err: messageOf(err) });
      }
    }));
  }

  /** Tells every peer this daemon's endpoints changed (fire and forget: refresh() converges). */
  publish(): void {
    const body = JSON.stringify({ host: this.#o.advertise, networks: Object.fromEntries(this.#o.local()) });
    for (const peer of this.#o.peers) {
      call(peer, this.#o.port, 'POST', body).catch((err: unknown) => this.#o.log.debug('overlay push failed', { peer, err: messageOf(err) }));
    }
  }

  /** Addresses of `name` on an overlay network, from the peers' tables. */
  lookup(network: string, name: string): string[] {
    const q = name.toLowerCase();
    const out: string[] = [];
    for (const h of this.#hosts.values()) {
      for (const e of h.endpoints.get(network) ?? []) if (e.names.some((n) => n.toLowerCase() === q)) out.push(e.ip);
    }
    return out;
  }

  /** Every address the peers use on an overlay network (IPAM never hands them out here). */
  remoteAddresses(network: string): string[] {
    const out: string[] = [];
    for (const h of this.#hosts.values()) for (const e of h.endpoints.get(network) ?? []) out.push(e.ip);
    return out;
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    const s = this.#server;
    this.#server = undefined;
    if (s) await new Promise<void>((resolve) => { s.close(() => resolve()); s.closeAllConnections(); });
  }
}

function call(host: string, port: number, method: 'GET' | 'POST', body: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, method, path: '/pier/overlay/v1/endpoints', timeout: 2000, headers: body ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {} }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => { size += c.length; if (size <= MAX_BODY) chunks.push(c); });
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 300) reject(new Error(`peer ${host} answered ${res.statusCode ?? 0}`));
        else resolve(Buffer.concat(chunks).toString('utf8'));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`peer ${host} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

function compareIp(a: string, b: string): number {
  const n = (s: string): number => s.split('.').reduce((acc, x) => acc * 256 + Number(x), 0);
  return n(a) - n(b);
}
