// Forwarding a query to one upstream resolver and waiting for its reply.
//
// The query goes out byte for byte except its id, which is swapped for a random one
// and swapped back in the reply. The client's id is only 16 bits its resolver picked;
// a fresh id plus a fresh source port per query is what keeps an off-path attacker
// from slipping a forged reply into the cache of every container on the network.
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, isIP, isIPv4, isIPv6 } from 'node:net';

export interface Upstream { readonly host: string; readonly port: number }

/** "ip", "ip:port" (IPv4) or "[ip]:port" (IPv6); undefined when it is none of these. */
export function parseUpstream(s: string): Upstream | undefined {
  const text = s.trim();
  if (isIP(text) !== 0) return { host: text, port: 53 };
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (bracketed !== null) {
    const host = bracketed[1] ?? '';
    return isIPv6(host) ? withPort(host, bracketed[2] ?? '') : undefined;
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) return undefined;
  const host = text.slice(0, colon);
  return isIPv4(host) ? withPort(host, text.slice(colon + 1)) : undefined;
}

function withPort(host: string, port: string): Upstream | undefined {
  if (!/^\d{1,5}$/.test(port)) return undefined;
  const n = Number(port);
  return n >= 1 && n <= 65535 ? { host, port: n } : undefined;
}

export interface ForwardOptions {
  readonly timeoutMs: number;
  /** Aborted when the listener closes: the forward gives up at once. */
  readonly signal: AbortSignal;
}

/** One UDP exchange with `up`; rejects on timeout, ICMP errors (ECONNREFUSED) or abort. */
export function forwardUdp(query: Buffer, up: Upstream, o: ForwardOptions): Promise<Buffer> {
  const { wire, wireId, clientId } = withFreshId(query);
  return exchange(o, (finish) => {
    // Connected, so the kernel drops datagrams from anyone but the upstream.
    const sock = createSocket(isIPv6(up.host) ? 'udp6' : 'udp4');
    sock.on('error', (err) => { finish(err); });
    sock.on('message', (msg) => {
      if (!isReplyTo(msg, wireId)) return;
      finish(undefined, restoreId(msg, clientId));
    });
    sock.connect(up.port, up.host, () => {
      sock.send(wire, (err) => { if (err) finish(err); });
    });
    return () => {
      // Throws only when already closed, which is the state we want.
      try { sock.close(); } catch { /* already closed */ }
    };
  });
}

/** One TCP exchange (2-byte length prefix, RFC 1035 §4.2.2) with `up`; same rules as forwardUdp. */
export function forwardTcp(query: Buffer, up: Upstream, o: ForwardOptions): Promise<Buffer> {
  const { wire, wireId, clientId } = withFreshId(query);
  return exchange(o, (finish) => {
    const sock = connect({ host: up.host, port: up.port });
    let buf = Buffer.alloc(0);
    sock.on('error', (err) => { finish(err); });
    sock.on('close', () => { finish(new Error(`Upstream "${up.host}:${up.port}" closed the connection`)); });
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(wire.length);
      sock.write(Buffer.concat([len, wire]));
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      // A frame is at most 65537 bytes, and every complete one is consumed below,
      // so buf stays bounded whatever the upstream sends.
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) return;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        if (isReplyTo(msg, wireId)) { finish(undefined, restoreId(msg, clientId)); return; }
      }
    });
    return () => { sock.destroy(); };
  });
}

type Finish = (err: Error | undefined, reply?: Buffer) => void;

/** Runs `start` under the timeout and abort signal; its returned cleanup runs exactly once. */
function exchange(o: ForwardOptions, start: (finish: Finish) => () => void): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    if (o.signal.aborted) { reject(new Error('Forward aborted: listener closed')); return; }
    let done = false;
    let cleanup: (() => void) | undefined;
    const onAbort = (): void => { finish(new Error('Forward aborted: listener closed')); };
    const timer = setTimeout(() => { finish(new Error(`Upstream timed out after ${o.timeoutMs} ms`)); }, o.timeoutMs);
    function finish(err: Error | undefined, reply?: Buffer): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
      cleanup?.();
      if (err !== undefined || reply === undefined) reject(err ?? new Error('Upstream sent no reply'));
      else resolve(reply);
    }
    o.signal.addEventListener('abort', onAbort, { once: true });
    try {
      cleanup = start(finish);
    } catch (err) {
      finish(err instanceof Error ? err : new Error(String(err)));
    }
    // start() may have failed synchronously, before cleanup was known.
    if (done) cleanup?.();
  });
}

function withFreshId(query: Buffer): { wire: Buffer; wireId: number; clientId: number } {
  const wire = Buffer.from(query);
  const wireId = randomInt(0x10000);
  wire.writeUInt16BE(wireId, 0);
  return { wire, wireId, clientId: query.readUInt16BE(0) };
}

// A reply has our id and the QR bit; anything else on the socket is stale or forged.
function isReplyTo(msg: Buffer, wireId: number): boolean {
  return msg.length >= 12 && msg.readUInt16BE(0) === wireId && ((msg[2] ?? 0) & 0x80) !== 0;
}

function restoreId(msg: Buffer, clientId: number): Buffer {
  const out = Buffer.from(msg);
  out.writeUInt16BE(clientId, 0);
  return out;
}
