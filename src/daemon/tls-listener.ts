import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Server as HttpServer } from 'node:http';
import type { Server as TlsServer } from 'node:tls';
import { SystemError } from '../errdefs/index.js';
import type { DaemonConfig } from './config.js';

/**
 * A TLS listener in front of an API server, as dockerd's `--tls`/`--tlsverify`: TLS 1.2 or newer;
 * with verify, a client must present a certificate signed by the CA, or the handshake fails
 * before any request is read. Each decrypted connection is handed to the HTTP server as is.
 * Bad files stop pierd with one line naming the file and the flag that set it.
 */
export function tlsListener(api: HttpServer, tls: DaemonConfig['tls']): TlsServer {
  const read = (path: string, flag: string, what: string): Buffer => {
    try { return readFileSync(path); } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new SystemError(`could not read the TLS ${what} ${path} (${code}): set ${flag} to a readable PEM file`);
    }
  };
  const cert = read(tls.cert, '--tlscert', 'certificate');
  const key = read(tls.key, '--tlskey', 'key');
  const verify = tls.mode === 'verify';
  const ca = verify ? read(tls.ca, '--tlscacert', 'CA certificate') : undefined;
  // node:tls only when TLS is configured: an idle daemon without it never loads it.
  const nodeTls = createRequire(import.meta.url)('node:tls') as typeof import('node:tls');
  let server: TlsServer;
  try {
    nodeTls.createSecureContext({ cert, key, ...(ca ? { ca } : {}) });
    server = nodeTls.createServer({ cert, key, ...(ca ? { ca } : {}), requestCert: verify, rejectUnauthorized: verify, minVersion: 'TLSv1.2',
      // As http's own server: a client that half-closes (docker's CloseWrite after stdin) still gets the output.
      allowHalfOpen: true });
  } catch (err) {
    const m = err instanceof Error ? err.message : String(err);
    if (/key values mismatch/i.test(m)) throw new SystemError(`the TLS key ${tls.key} does not match the certificate ${tls.cert}: give --tlskey the key the certificate was made for`);
    if (/PEM|certificate|no start line/i.test(m)) throw new SystemError(`the TLS files do not parse (${m}): check --tlscert ${tls.cert}, --tlskey ${tls.key}${ca ? ` and --tlscacert ${tls.ca}` : ''}`);
    throw new SystemError(`cannot set up TLS: ${m}`);
  }
  server.on('secureConnection', (socket) => { api.emit('connection', socket); });
  server.on('tlsClientError', (err, socket) => {
    // Plain HTTP on the TLS port: say so, as dockerd (Go's net/http) does. Anything else (no
    // certificate, a CA we do not trust): the handshake failed, nothing is served.
    if ((err as { code?: string }).code === 'ERR_SSL_HTTP_REQUEST' && !socket.destroyed) {
      socket.end('HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
    }
  });
  return server;
}
