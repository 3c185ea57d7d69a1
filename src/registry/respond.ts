// Response writing shared by the handlers: every answer goes through here, so
// headers and error bodies have one shape.

import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { RegistryError, RegistryErrors } from './registry-error.js';

export const API_VERSION_HEADER = 'Docker-Distribution-API-Version';
export const API_VERSION = 'registry/2.0';

/** Ends `res` with no body (`Content-Length: 0`, which HEAD replies and 201/202/204 carry). */
export function sendEmpty(res: ServerResponse, status: number, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, status === 204 ? headers : { ...headers, 'Content-Length': 0 });
  res.end();
}

/** Sends `body` as JSON; for HEAD only the headers. */
export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const text = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': text.byteLength, ...headers });
  res.end(req.method === 'HEAD' ? undefined : text);
}

/** True while the client may still be sending a body we did not read. */
function bodyPending(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

/**
 * Sends a registry error as `{"errors":[…]}` with the first error's status.
 * When the request body was not read (an early refusal of a large PATCH), the
 * connection is closed rather than draining hundreds of MB. When the response
 * has already started, the only honest signal left is to cut the connection.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, err: RegistryError | RegistryErrors): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const errors = err instanceof RegistryErrors ? err.errors : [err];
  const first = errors[0] ?? new RegistryError('UNKNOWN');
  const headers: OutgoingHttpHeaders = { ...first.headers };
  if (bodyPending(req)) headers['Connection'] = 'close';
  sendJson(req, res, first.status, { errors: errors.flatMap((e) => e.body().errors) }, headers);
}

/**
 * Reads a small request body (a manifest) into memory, refusing more than
 * `max` bytes with 413 (distribution-spec: registries answer 413 Payload Too
 * Large to a manifest over their limit).
 */
export async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const tooLarge = (): RegistryError => new RegistryError('SIZE_INVALID', { status: 413, message: `manifest is larger than ${max} bytes` });
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > max) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.byteLength;
    if (size > max) throw tooLarge();
    chunks.push(b);
  }
  return Buffer.concat(chunks, size);
}

/** True when the request carries a body (a final chunk on PUT). */
export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}
