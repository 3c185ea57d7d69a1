import type { Socket } from 'node:net';

// node:net and node:tls come from getBuiltinModule when a GET is made, not from ESM imports: an ESM
// import of a builtin builds its facade at pierd's start (see distribution/transport.ts).

export interface PooledGetOptions {
  url: URL;
  /** Request headers; Host and Connection are pooledGet's. Values with CR, LF or NUL are refused. */
  headers?: Record<string, string>;
  /** https: do not verify the server's certificate (docker's insecure registries). */
  insecure?: boolean;
  signal?: AbortSignal;
  /** Size of each pooled buffer: one socket read fills at most one. */
  bufferSize?: number;
  /** How many buffers: the most the body can hold before the socket pauses is their sum. */
  buffers?: number;
  /** The status line and headers together, at most. */
  maxHeadSize?: number;
}

export interface PooledResponse {
  readonly statusCode: number;
  readonly statusMessage: string;
  /** Lower-case names; a repeated header's values joined by ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The next piece of the body: a view into a pooled buffer, the caller's until it hands it back
   * with release(). null once the body is complete. Rejects when the connection fails, is
   * destroyed, or ends before the body does.
   */
  read(): Promise<Buffer | null>;
  /** Gives a piece back to the pool; the socket reads on once a buffer is free. */
  release(piece: Buffer): void;
  /** Closes the connection. A body not yet complete fails with `err`. */
  destroy(err?: Error): void;
}

/** A failure of the HTTP exchange itself (not of the connection): a malformed or oversized head, a bad chunk. */
export class HttpProtocolError extends Error {
  readonly code: string;
  constructor(message: string, code = 'EHTTPPROTO') {
    super(message);
    this.name = 'HttpProtocolError';
    this.code = code;
  }
}

const CR = 13;
const LF = 10;
const forbiddenInHeader = /[\r\n\0]/;

type Framing =
  | { kind: 'length'; left: number }
  | { kind: 'chunked'; st: 'size' | 'data' | 'data-end' | 'trailer'; line: string; left: number }
  | { kind: 'eof' }
  | { kind: 'none' };

/** Sends the GET; resolves with the response once its head has arrived. */
export function pooledGet(o: PooledGetOptions): Promise<PooledResponse> {
  return new Promise((resolve, reject) => { new Exchange(o, resolve, reject).start(); });
}

class Exchange implements PooledResponse {
  statusCode = 0;
  statusMessage = '';
  headers: Record<string, string> = {};

  readonly #o: PooledGetOptions;
  readonly #size: number;
  readonly #free: Buffer[] = [];
  /** Buffers lent out as pieces, by their memory, with how many pieces each has out. */
  readonly #lent = new Map<ArrayBufferLike, { buf: Buffer; refs: number }>();
  #socket: Socket | undefined;
  #paused = false;
  #headParts: Buffer[] = [];
  #headLen = 0;
  #framing: Framing = { kind: 'none' };
  #phase: 'head' | 'body' | 'done' | 'failed' = 'head';
  #error: Error | undefined;
  readonly #queue: Buffer[] = [];
  #waiter: { resolve: (b: Buffer | null) => void; reject: (e: Error) => void } | undefined;
  #resolveHead: (r: PooledResponse) => void;
  #rejectHead: (e: Error) => void;
  #onAbort: (() => void) | undefined;

  constructor(o: PooledGetOptions, resolve: (r: PooledResponse) => void, reject: (e: Error) => void) {
    this.#o = o;
    this.#size = o.bufferSize ?? 64 << 10;
    this.#resolveHead = resolve;
    this.#rejectHead = reject;
  }

  start(): void {
    const { url, signal } = this.#o;
    if (url.protocol !== 'http:' && url.protocol !== 'https:') { this.#fail(new HttpProtocolError(`unsupported protocol scheme "${url.protocol.replace(/:$/, '')}"`)); return; }
    let request: string;
    try { request = this.#requestHead(); } catch (err) { this.#fail(err as Error); return; }
    if (signal?.aborted) { this.#fail(abortError(signal)); return; }
    for (let i = 0; i < (this.#o.buffers ?? 32); i++) this.#free.push(Buffer.allocUnsafeSlow(this.#size));
    const net = process.getBuiltinModule('node:net');
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const https = url.protocol === 'https:';
    const port = Number(url.port || (https ? 443 : 80));
    // The socket reads into a buffer from the pool; after each read Node asks for the next one.
    const onread = {
      buffer: (): Buffer => this.#free.pop() ?? Buffer.allocUnsafeSlow(this.#size),
      callback: (n: number, buf: Buffer): boolean => this.#onRead(n, buf),
    };
    const socket: Socket = https
      ? process.getBuiltinModule('node:tls').connect({
        host, port, minVersion: 'TLSv1.2', rejectUnauthorized: !this.#o.insecure,
        ...(net.isIP(host) ? {} : { servername: host }),
        // tls takes net's onread too (Node ≥ 15), though @types/node does not say so; the test checks it.
        ...({ onread } as object),
      })
      : net.connect({ host, port, onread });
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('error', (err) => this.#fail(err));
    socket.on('end', () => this.#onEnd());
    socket.on('close', () => this.#onEnd());
    socket.write(request);
    if (signal) {
      this.#onAbort = () => this.destroy(abortError(signal));
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  #requestHead(): string {
    const { url } = this.#o;
    let s = `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
    for (const [k, v] of Object.entries(this.#o.headers ?? {})) {
      const name = k.toLowerCase();
      if (name === 'host' || name === 'connection') continue;
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) || forbiddenInHeader.test(v)) throw new HttpProtocolError(`invalid header ${JSON.stringify(k)}`, 'ERR_INVALID_HTTP_TOKEN');
      s += `${k}: ${v}\r\n`;
    }
    return `${s}Connection: close\r\n\r\n`;
  }

  read(): Promise<Buffer | null> {
    const next = this.#queue.shift();
    if (next) return Promise.resolve(next);
    if (this.#phase === 'done') return Promise.resolve(null);
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => { this.#waiter = { resolve, reject }; });
  }

  release(piece: Buffer): void {
    const e = this.#lent.get(piece.buffer);
    if (!e) return;
    if (--e.refs > 0) return;
    this.#lent.delete(piece.buffer);
    this.#free.push(e.buf);
    if (this.#paused && this.#phase === 'body') { this.#paused = false; this.#socket?.resume(); }
  }

  destroy(err?: Error): void {
    if (this.#phase !== 'done') this.#fail(err ?? new HttpProtocolError('aborted', 'ECONNRESET'));
    else this.#close();
  }

  /** One socket read of `n` bytes into `buf`. Returns false to pause the socket: the pool is (about to be) empty. */
  #onRead(n: number, buf: Buffer): boolean {
    if (this.#phase === 'done' || this.#phase === 'failed') { this.#free.push(buf); return true; }
    let pos = 0;
    try {
      if (this.#phase === 'head') pos = this.#takeHead(buf, n);
      if (this.#phase === 'body' && pos < n) this.#takeBody(buf, pos, n);
    } catch (err) {
      if (!this.#lent.has(buf.buffer)) this.#free.push(buf);
      this.#fail(err as Error);
      return false;
    }
    if (!this.#lent.has(buf.buffer)) this.#free.push(buf);
    // Node asks for the next read's buffer right after this returns, paused or not: keep one for it.
    if (this.#free.length <= 1 && this.#phase === 'body') { this.#paused = true; return false; }
    return true;
  }

  /** Collects head bytes; parses the head once it is whole. Returns where the body starts in `buf`. */
  #takeHead(buf: Buffer, n: number): number {
    const max = this.#o.maxHeadSize ?? 64 << 10;
    const part = Buffer.from(buf.subarray(0, n)); // a copy: the head is small, the pool buffer goes back
    const before = this.#headLen;
    this.#headParts.push(part);
    this.#headLen += n;
    const all = this.#headParts.length === 1 ? part : Buffer.concat(this.#headParts);
    const end = all.indexOf('\r\n\r\n', Math.max(0, before - 3), 'latin1');
    if (end < 0) {
      if (this.#headLen > max) throw new HttpProtocolError(`response head larger than ${max} bytes`);
      this.#headParts = [all];
      return n;
    }
    if (end + 4 > max) throw new HttpProtocolError(`response head larger than ${max} bytes`);
    this.#parseHead(all.subarray(0, end).toString('latin1'));
    this.#headParts = [];
    this.#headLen = 0;
    const consumed = end + 4 - before; // bytes of this read that were head
    if (this.statusCode >= 100 && this.statusCode < 200) {
      // An interim answer (100 Continue): the real head follows.
      return consumed < n ? this.#takeHead(buf.subarray(consumed), n - consumed) + consumed : n;
    }
    this.#framing = this.#framingOf();
    this.#phase = 'body';
    this.#resolveHead(this);
    if (this.#framing.kind === 'none' || (this.#framing.kind === 'length' && this.#framing.left === 0)) this.#finish();
    return consumed;
  }

  #parseHead(text: string): void {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
    if (!m) throw new HttpProtocolError(`malformed HTTP response ${JSON.stringify((lines[0] ?? '').slice(0, 100))}`);
    this.statusCode = Number(m[1]);
    this.statusMessage = m[2] ?? '';
    this.headers = Object.create(null) as Record<string, string>; // a header named "constructor" or "__proto__" is just a header
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new HttpProtocolError(`malformed HTTP response header ${JSON.stringify(line.slice(0, 100))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      this.headers[name] = Object.hasOwn(this.headers, name) ? `${this.headers[name]}, ${value}` : value;
    }
  }

  #framingOf(): Framing {
    if (this.statusCode === 204 || this.statusCode === 304) return { kind: 'none' };
    const te = this.headers['transfer-encoding'];
    if (te !== undefined) {
      if (!/(?:^|,)\s*chunked\s*$/i.test(te)) throw new HttpProtocolError(`unsupported transfer encoding "${te}"`);
      return { kind: 'chunked', st: 'size', line: '', left: 0 };
    }
    const cl = this.headers['content-length'];
    if (cl !== undefined) {
      if (!/^\d{1,15}$/.test(cl)) throw new HttpProtocolError(`bad Content-Length "${cl.slice(0, 40)}"`);
      return { kind: 'length', left: Number(cl) };
    }
    return { kind: 'eof' };
  }

  /** Body bytes buf[pos, end): the payload becomes pieces lent from `buf`. */
  #takeBody(buf: Buffer, pos: number, end: number): void {
    const f = this.#framing;
    if (f.kind === 'eof') { this.#lend(buf, pos, end); return; }
    if (f.kind === 'length') {
      const take = Math.min(f.left, end - pos);
      this.#lend(buf, pos, pos + take);
      f.left -= take;
      if (f.left === 0) this.#finish();
      return;
    }
    if (f.kind !== 'chunked') return;
    while (pos < end && this.#phase === 'body') {
      if (f.st === 'data') {
        const take = Math.min(f.left, end - pos);
        this.#lend(buf, pos, pos + take);
        pos += take;
        f.left -= take;
        if (f.left === 0) f.st = 'data-end';
        continue;
      }
      // A line: a chunk's size, the CRLF after its data, or a trailer.
      const lf = buf.indexOf(LF, pos);
      const stop = lf < 0 || lf >= end ? end : lf;
      f.line += buf.toString('latin1', pos, stop);
      if (f.line.length > 4096) throw new HttpProtocolError('chunk header line too long');
      if (f.st === 'data-end' && f.line !== '' && f.line !== '\r') throw new HttpProtocolError('missing CRLF after chunk data');
      pos = stop;
      if (stop === end) break;
      pos++; // the LF
      const line = f.line.charCodeAt(f.line.length - 1) === CR ? f.line.slice(0, -1) : f.line;
      f.line = '';
      if (f.st === 'size') {
        const hex = line.split(';', 1)[0]!.trim();
        if (!/^[0-9a-fA-F]{1,13}$/.test(hex)) throw new HttpProtocolError(`bad chunk size "${line.slice(0, 40)}"`);
        f.left = parseInt(hex, 16);
        f.st = f.left === 0 ? 'trailer' : 'data';
      } else if (f.st === 'data-end') {
        if (line !== '') throw new HttpProtocolError('missing CRLF after chunk data');
        f.st = 'size';
      } else if (line === '') {
        this.#finish(); // the empty line after the trailers
      }
    }
  }

  #lend(buf: Buffer, from: number, to: number): void {
    if (to <= from) return;
    const e = this.#lent.get(buf.buffer);
    if (e) e.refs++;
    else this.#lent.set(buf.buffer, { buf, refs: 1 });
    this.#deliver(buf.subarray(from, to));
  }

  #deliver(piece: Buffer): void {
    const w = this.#waiter;
    if (w) { this.#waiter = undefined; w.resolve(piece); } else this.#queue.push(piece);
  }

  #finish(): void {
    if (this.#phase === 'done' || this.#phase === 'failed') return;
    this.#phase = 'done';
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.resolve(null);
    this.#close();
  }

  #onEnd(): void {
    if (this.#phase === 'done' || this.#phase === 'failed') return;
    if (this.#phase === 'body' && this.#framing.kind === 'eof') { this.#finish(); return; }
    this.#fail(new HttpProtocolError('unexpected EOF', 'UNEXPECTED_EOF'));
  }

  #fail(err: Error): void {
    if (this.#phase === 'done' || this.#phase === 'failed') return;
    const headArrived = this.#phase === 'body';
    this.#phase = 'failed';
    this.#error = err;
    this.#close();
    if (!headArrived) { this.#rejectHead(err); return; }
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(err);
  }

  #close(): void {
    if (this.#onAbort) { this.#o.signal?.removeEventListener('abort', this.#onAbort); this.#onAbort = undefined; }
    this.#socket?.destroy();
  }
}

function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
}
