// The embedded DNS server: one UDP socket and one TCP server per listener (per network),
// answering container names from DnsRecords and forwarding everything else upstream.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import { decode, type DecodedPacket } from 'dns-packet';
import { ConflictError, messageOf } from '../../errdefs/index.js';
import type { Logger } from '../../pkg/log/index.js';
import type { DnsRecords } from './dns-records.js';
import { answerLocally, errorReply, RCODE_NOTIMP, RCODE_SERVFAIL } from './local-answer.js';
import { forwardTcp, forwardUdp, parseUpstream, type Upstream } from './upstream.js';

export interface EmbeddedDnsOptions {
  records: DnsRecords;
  /** Upstream resolvers "ip" or "ip:port", read at query time (the host's resolv.conf nameservers). */
  upstreams: () => string[];
  log: Logger;
  /** Per-upstream timeout, default 2000 ms. */
  timeoutMs?: number;
}

/** Forwards in flight per listener; past it queries get SERVFAIL, so a flood costs no memory. */
const MAX_INFLIGHT = 256;
/** Queries in progress per TCP connection before we stop reading from it. */
const MAX_PIPELINED = 16;
/** Bytes queued to a TCP client that does not read before we hang up on it. */
const MAX_WRITE_BUFFER = 1 << 20;
const MAX_TCP_CONNECTIONS = 128;
const TCP_IDLE_MS = 10_000;
/** Tries at one port for both UDP and TCP when the caller asked for port 0. */
const PORT_ZERO_TRIES = 8;

interface Listener {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly forward: boolean;
  readonly udp: UdpSocket;
  readonly tcp: Server;
  readonly conns: Set<Socket>;
  readonly abort: AbortController;
  inflight: number;
  closed: boolean;
}

type Transport = 'udp' | 'tcp';

export class EmbeddedDns {
  readonly #o: EmbeddedDnsOptions;
  readonly #timeoutMs: number;
  readonly #listeners = new Map<string, Promise<Listener>>();
  #rotation = 0;

  constructor(o: EmbeddedDnsOptions) {
    this.#o = o;
    this.#timeoutMs = o.timeoutMs ?? 2000;
  }

  /**
   * Listens on address:port for UDP and TCP. `forward: false` (internal networks) answers
   * names not ours with SERVFAIL instead of forwarding. Rejects with the bind error
   * (e.g. EADDRINUSE) having closed anything half-opened; ConflictError if `key` listens already.
   */
  listen(key: string, address: string, o: { port?: number; forward?: boolean } = {}): Promise<{ port: number }> {
    if (this.#listeners.has(key)) {
      return Promise.reject(new ConflictError(`DNS listener "${key}" is already listening`));
    }
    const opening = this.#open(key, address, o.port ?? 53, o.forward ?? true);
    this.#listeners.set(key, opening);
    return opening.then(
      (l) => ({ port: l.port }),
      (err: unknown) => {
        if (this.#listeners.get(key) === opening) this.#listeners.delete(key);
        throw err;
      },
    );
  }

  /** Stops listener `key`, drops its connections and abandons its forwards. Idempotent. */
  async close(key: string): Promise<void> {
    const opening = this.#listeners.get(key);
    if (opening === undefined) return;
    this.#listeners.delete(key);
    let l: Listener;
    try {
      l = await opening;
    } catch {
      return; // never opened: listen() already closed what it had
    }
    await shutdown(l);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#listeners.keys()].map((k) => this.close(k)));
  }

  async #open(key: string, address: string, port: number, forward: boolean): Promise<Listener> {
    for (let attempt = 1; ; attempt++) {
      const udp = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
      try {
        await bindUdp(udp, address, port);
      } catch (err) {
        closeQuietly(udp);
        throw err;
      }
      const bound = udp.address().port;
      const tcp = createServer();
      try {
        await listenTcp(tcp, address, bound);
      } catch (err) {
        closeQuietly(udp);
        // Port 0 gave us a UDP port whose TCP twin is taken: pick another pair.
        if (port === 0 && attempt < PORT_ZERO_TRIES && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
        throw err;
      }
      const l: Listener = {
        key, address, port: bound, forward, udp, tcp,
        conns: new Set(), abort: new AbortController(), inflight: 0, closed: false,
      };
      this.#serve(l);
      this.#o.log.debug('dns listening', { key, address, port: bound, forward });
      return l;
    }
  }

  #serve(l: Listener): void {
    const log = this.#o.log;
    l.udp.on('error', (err) => { log.warn('dns udp socket error', { key: l.key, err }); });
    l.udp.on('message', (msg, rinfo) => {
      void this.#handle(l, msg, rinfo.address, 'udp').then((reply) => {
        if (reply === undefined || l.closed) return;
        l.udp.send(reply, rinfo.port, rinfo.address, (err) => {
          if (err) log.debug('dns udp reply not sent', { key: l.key, client: rinfo.address, err });
        });
      });
    });
    l.tcp.maxConnections = MAX_TCP_CONNECTIONS;
    l.tcp.on('error', (err) => { log.warn('dns tcp server error', { key: l.key, err }); });
    l.tcp.on('connection', (sock) => { this.#serveTcp(l, sock); });
  }

  #serveTcp(l: Listener, sock: Socket): void {
    const log = this.#o.log;
    const client = unmapped(sock.remoteAddress ?? '');
    l.conns.add(sock);
    let buf = Buffer.alloc(0);
    let pending = 0;
    sock.setTimeout(TCP_IDLE_MS);
    sock.on('timeout', () => {
      // Idle means idle on both sides: a query still being forwarded keeps the connection.
      if (pending === 0) sock.destroy();
      else sock.setTimeout(TCP_IDLE_MS);
    });
    sock.on('error', (err) => { log.debug('dns tcp connection error', { key: l.key, client, err }); });
    sock.on('close', () => { l.conns.delete(sock); });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      // Every complete frame leaves buf at once, so it never grows past one frame (65537 bytes).
      while (buf.length >= 2 && !sock.destroyed) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) return;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        pending++;
        if (pending >= MAX_PIPELINED) sock.pause();
        void this.#handle(l, msg, client, 'tcp').then((reply) => {
          pending--;
          if (pending < MAX_PIPELINED && !sock.destroyed) sock.resume();
          if (sock.destroyed) return;
          if (reply === undefined) { sock.destroy(); return; }
          if (sock.writableLength > MAX_WRITE_BUFFER) {
            log.debug('dns tcp client not reading; closing', { key: l.key, client });
            sock.destroy();
            return;
          }
          const frame = Buffer.alloc(2 + reply.length);
          frame.writeUInt16BE(reply.length, 0);
          reply.copy(frame, 2);
          sock.write(frame);
        });
      }
    });
  }

  /** The reply to `msg`, or undefined to drop it (UDP) or hang up (TCP). Never rejects. */
  async #handle(l: Listener, msg: Buffer, clientIp: string, transport: Transport): Promise<Buffer | undefined> {
    const log = this.#o.log;
    let query: DecodedPacket;
    try {
      query = decode(msg);
    } catch (err) {
      log.debug('dns dropped malformed packet', { key: l.key, client: clientIp, transport, bytes: msg.length, err: messageOf(err) });
      return undefined;
    }
    // Replies are never ours to answer: answering them is how two servers loop forever.
    if (query.type === 'response') {
      log.debug('dns dropped a response sent as a query', { key: l.key, client: clientIp, transport });
      return undefined;
    }
    try {
      if (((query.flags ?? 0) >> 11 & 0xf) !== 0) return errorReply(query, RCODE_NOTIMP);
      this.#rotation = (this.#rotation + 1) & 0xffff;
      const local = answerLocally(this.#o.records, { key: l.key, clientIp, query, rotation: this.#rotation });
      if (local !== undefined) return local;
      if (!l.forward) return errorReply(query, RCODE_SERVFAIL);
      return await this.#forward(l, msg, query, transport, clientIp);
    } catch (err) {
      log.warn('dns query failed', { key: l.key, client: clientIp, transport, err });
      try { return errorReply(query, RCODE_SERVFAIL); } catch { return undefined; }
    }
  }

  async #forward(l: Listener, msg: Buffer, query: DecodedPacket, transport: Transport, clientIp: string): Promise<Buffer> {
    const log = this.#o.log;
    if (l.inflight >= MAX_INFLIGHT) {
      log.debug('dns too many forwards in flight', { key: l.key, limit: MAX_INFLIGHT });
      return errorReply(query, RCODE_SERVFAIL);
    }
    l.inflight++;
    try {
      for (const up of this.#upstreams(l, clientIp)) {
        if (l.closed) break;
        try {
          const o = { timeoutMs: this.#timeoutMs, signal: l.abort.signal };
          return transport === 'tcp' ? await forwardTcp(msg, up, o) : await forwardUdp(msg, up, o);
        } catch (err) {
          log.debug('dns upstream failed', { key: l.key, upstream: `${up.host}:${up.port}`, transport, err: messageOf(err) });
        }
      }
      return errorReply(query, RCODE_SERVFAIL);
    } finally {
      l.inflight--;
    }
  }

  #upstreams(l: Listener, clientIp: string): Upstream[] {
    const out: Upstream[] = [];
    for (const s of this.#o.records.upstreamsFor?.(l.key, clientIp) ?? this.#o.upstreams()) {
      const up = parseUpstream(s);
      if (up === undefined) {
        this.#o.log.debug('dns ignoring unparsable upstream', { key: l.key, upstream: s });
        continue;
      }
      // Forwarding to ourselves would bounce the query until every timeout ran out.
      if (up.port === l.port && up.host === l.address) continue;
      out.push(up);
    }
    return out;
  }
}

function bindUdp(udp: UdpSocket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    udp.once('error', reject);
    // exclusive: under cluster, workers would otherwise share a handle and never see EADDRINUSE.
    udp.bind({ address, port, exclusive: true }, () => {
      udp.off('error', reject);
      resolve();
    });
  });
}

function listenTcp(tcp: Server, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen({ host: address, port, exclusive: true }, () => {
      tcp.off('error', reject);
      resolve();
    });
  });
}

async function shutdown(l: Listener): Promise<void> {
  l.closed = true;
  l.abort.abort();
  for (const c of l.conns) c.destroy();
  await Promise.all([
    new Promise<void>((resolve) => { l.tcp.close(() => { resolve(); }); }),
    new Promise<void>((resolve) => {
      try { l.udp.close(() => { resolve(); }); } catch { resolve(); /* already closed */ }
    }),
  ]);
}

function closeQuietly(udp: UdpSocket): void {
  try { udp.close(); } catch { /* never bound or already closed: nothing to free */ }
}

// A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; records know them as a.b.c.d.
function unmapped(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
