import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { InvalidParameterError, TooLargeError } from '../errdefs/index.js';

/** Docker's multiplexed-stream frame header: stream id (0 stdin, 1 stdout, 2 stderr), 3 zero bytes, big-endian length. */
export function frameHeader(stream: 0 | 1 | 2, length: number): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(length, 4);
  return h;
}

export function upgradeResponse(contentType: string): string {
  return `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: 1.50\r\n\r\n`;
}

export function attachContentType(tty: boolean, version: string): string {
  const [maj = 1, min = 0] = version.split('.').map(Number);
  const multiplexed = !tty && (maj > 1 || min >= 42);
  return multiplexed ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream';
}

/**
 * Reads the body of an upgraded request (exec start JSON): it may sit in `head`
 * or follow on the socket, with Content-Length or chunked (dockerode). Returns
 * the body and whatever bytes came after it (early stdin).
 */
export async function readUpgradeBody(req: IncomingMessage, socket: Duplex, head: Buffer, limit = 1 << 20): Promise<{ body: Buffer; rest: Buffer }> {
  const te = String(req.headers['transfer-encoding'] ?? '').toLowerCase();
  const cl = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : undefined;
  if (!te.includes('chunked') && (cl === undefined || cl === 0)) return { body: Buffer.alloc(0), rest: head };
  let buf = head;
  const more = async (): Promise<boolean> => {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const onData = (d: Buffer): void => { cleanup(); resolve(d); };
      const onEnd = (): void => { cleanup(); resolve(null); };
      const cleanup = (): void => { socket.off('data', onData); socket.off('end', onEnd); socket.off('close', onEnd); socket.pause(); };
      socket.on('data', onData); socket.once('end', onEnd); socket.once('close', onEnd);
      socket.resume();
    });
    if (!chunk) return false;
    buf = Buffer.concat([buf, chunk]);
    if (buf.length > limit) throw new TooLargeError(`request body too large: the limit for an upgraded request's body is ${limit} bytes`);
    return true;
  };
  if (!te.includes('chunked')) {
    const n = cl ?? 0;
    while (buf.length < n) if (!(await more())) break;
    return { body: buf.subarray(0, n), rest: buf.subarray(n) };
  }
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    let nl = buf.indexOf('\r\n', pos);
    while (nl < 0) { if (!(await more())) return { body: Buffer.concat(parts), rest: Buffer.alloc(0) }; nl = buf.indexOf('\r\n', pos); }
    const size = parseInt(buf.subarray(pos, nl).toString('latin1').split(';')[0] ?? '0', 16);
    if (!Number.isFinite(size)) throw new InvalidParameterError('bad chunked encoding');
    const start = nl + 2;
    if (size === 0) {
      // trailer: expect "\r\n"
      while (buf.length < start + 2) if (!(await more())) break;
      return { body: Buffer.concat(parts), rest: buf.subarray(start + 2) };
    }
    while (buf.length < start + size + 2) if (!(await more())) return { body: Buffer.concat(parts), rest: Buffer.alloc(0) };
    parts.push(buf.subarray(start, start + size));
    pos = start + size + 2;
  }
}
