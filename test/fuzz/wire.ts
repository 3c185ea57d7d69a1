/**
 * The fuzzer's HTTP client: raw bytes onto the daemon's unix socket, one
 * connection per request, and a small HTTP/1.1 response reader that tells an
 * answer from a dropped connection, a hang, or a stream that stays open.
 */
import { connect } from 'node:net';

export interface WireResult {
  /** 'answered': a status line and headers arrived (and the body, or the stream was cut by us). */
  outcome: 'answered' | 'dropped' | 'hang';
  status: number;
  headers: Record<string, string>;
  /** The first 64 KiB of the body. */
  body: Buffer;
  /** The body was still streaming when we closed it. */
  streaming: boolean;
  /** 2xx status lines after the first (a smuggled second request was answered). */
  extraResponses: number;
  ms: number;
}

export interface WireOptions {
  socket: string;
  data: Buffer;
  /** Method of the request (HEAD answers carry no body). */
  head: boolean;
  /** Close after this long without a status line (a hang). */
  answerMs: number;
  /** Once the head of a 2xx/101 arrived, how long to read before closing an endless stream. */
  streamMs: number;
  /** Close the connection after this many bytes of the request (a client that leaves mid-request). */
  abortAfterBytes?: number;
  /** Write in pieces this many ms apart (a slow client). */
  dribbleMs?: number;
  /** Half-close after sending (CloseWrite, as the docker CLI does after stdin EOF). */
  halfClose?: boolean;
}

const MAX_KEEP = 64 * 1024;

/** Parses what arrived so far; undefined while the head is incomplete. */
function parseHead(buf: Buffer): { status: number; headers: Record<string, string>; bodyStart: number } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: m ? Number(m[1]) : -1, headers, bodyStart: end + 4 };
}

/** The length of a complete chunked body at `buf`, or -1 while incomplete. */
function chunkedEnd(buf: Buffer): number {
  let pos = 0;
  for (;;) {
    const nl = buf.indexOf('\r\n', pos);
    if (nl < 0) return -1;
    const size = parseInt(buf.subarray(pos, nl).toString('latin1'), 16);
    if (!Number.isFinite(size)) return -1;
    if (size === 0) {
      const t = buf.indexOf('\r\n\r\n', nl);
      return t < 0 ? (buf.length >= nl + 4 ? nl + 4 : -1) : t + 4;
    }
    pos = nl + 2 + size + 2;
    if (pos > buf.length) return -1;
  }
}

function dechunk(buf: Buffer): Buffer {
  const out: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const nl = buf.indexOf('\r\n', pos);
    if (nl < 0) break;
    const size = parseInt(buf.subarray(pos, nl).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(buf.subarray(nl + 2, Math.min(buf.length, nl + 2 + size)));
    pos = nl + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** Sends one raw request and reads its answer; never rejects. */
export function exchange(o: WireOptions): Promise<WireResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const sock = connect(o.socket);
    let buf = Buffer.alloc(0);
    let head: ReturnType<typeof parseHead>;
    let done = false;
    let streamTimer: NodeJS.Timeout | undefined;
    const finish = (outcome: WireResult['outcome'], streaming = false): void => {
      if (done) return;
      done = true;
      clearTimeout(answerTimer);
      clearTimeout(streamTimer);
      sock.destroy();
      const raw = head ? buf.subarray(head.bodyStart) : Buffer.alloc(0);
      const cl = head?.headers['content-length'];
      const body = head?.headers['transfer-encoding']?.includes('chunked') ? dechunk(raw) : cl !== undefined ? raw.subarray(0, Number(cl)) : raw;
      // A second 2xx on the connection means a request hidden in the first one's body was served.
      const extra = (buf.toString('latin1').match(/HTTP\/1\.[01] \d{3} /g) ?? []).slice(1).filter((l) => / 2\d\d $/.test(l)).length;
      resolve({ outcome, status: head?.status ?? 0, headers: head?.headers ?? {}, body: body.subarray(0, MAX_KEEP), streaming, extraResponses: Math.max(0, extra), ms: Date.now() - t0 });
    };
    const answerTimer = setTimeout(() => finish(head ? 'answered' : 'hang', !!head), o.answerMs);
    const complete = (): boolean => {
      if (!head) return false;
      const st = head.status;
      const body = buf.subarray(head.bodyStart);
      if (o.head || st === 204 || st === 304 || (st >= 100 && st < 200 && st !== 101)) return true;
      const cl = head.headers['content-length'];
      if (cl !== undefined) return body.length >= Number(cl);
      if (head.headers['transfer-encoding']?.includes('chunked')) return chunkedEnd(body) >= 0;
      return false;
    };
    sock.on('data', (d: Buffer) => {
      if (buf.length < 4 * MAX_KEEP) buf = Buffer.concat([buf, d]);
      if (!head) {
        head = parseHead(buf);
        if (head && !streamTimer) streamTimer = setTimeout(() => finish('answered', true), o.streamMs);
      }
      if (complete()) finish('answered');
    });
    sock.on('end', () => finish(head ? 'answered' : 'dropped'));
    sock.on('close', () => finish(head ? 'answered' : 'dropped'));
    // A write that fails because the server already answered and closed: the answer may still be
    // in flight to us, so give it a moment before calling the connection dropped.
    sock.on('error', () => setTimeout(() => finish(head ? 'answered' : 'dropped'), 50));
    sock.on('connect', () => {
      const data = o.abortAfterBytes !== undefined ? o.data.subarray(0, o.abortAfterBytes) : o.data;
      const after = (): void => {
        if (o.abortAfterBytes !== undefined) { setTimeout(() => finish(head ? 'answered' : 'dropped'), 20); return; }
        if (o.halfClose) sock.end();
      };
      if (!o.dribbleMs) {
        // In slices, so that an answer the server sends early (413, 431) is read before the
        // write side fails with EPIPE, and the rest is not sent once it came.
        let pos = 0;
        const pump = (): void => {
          if (done) return;
          if (head || pos >= data.length) { after(); return; }
          const slice = data.subarray(pos, pos + 65536);
          pos += slice.length;
          if (sock.write(slice)) setTimeout(pump, pos > 65536 ? 1 : 0); else sock.once('drain', pump);
        };
        pump();
        return;
      }
      let pos = 0;
      const step = Math.max(1, Math.ceil(data.length / 8));
      const tick = (): void => {
        if (done) return;
        sock.write(data.subarray(pos, pos + step));
        pos += step;
        if (pos < data.length) setTimeout(tick, o.dribbleMs); else after();
      };
      tick();
    });
  });
}
