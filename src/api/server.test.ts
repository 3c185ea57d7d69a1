import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Router } from './router.js';
import { createApiServer } from './server.js';
import { nullLogger } from '../pkg/log/index.js';

/** A server with one route on a private socket, the slow-client timeouts shortened. */
async function serve(t: { headersMs?: number; keepAliveMs?: number; checkMs?: number }): Promise<{ sock: string; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'pier-api-server-'));
  const sock = join(dir, 's.sock');
  const router = new Router().get('/_ping', () => ({ status: 200, text: 'OK' }));
  const server = createApiServer(router, nullLogger, { timeouts: t });
  await new Promise<void>((r) => server.listen(sock, () => r()));
  return {
    sock,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes `data`, then collects what the server sends until it closes (or `maxMs`). */
function exchange(sock: string, data: string, maxMs: number): Promise<{ text: string; closedAfterMs: number | undefined }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let text = '';
    const s = connect(sock, () => s.write(data));
    const timer = setTimeout(() => { s.destroy(); resolve({ text, closedAfterMs: undefined }); }, maxMs);
    s.on('data', (b) => { text += b.toString(); });
    s.on('close', () => { clearTimeout(timer); resolve({ text, closedAfterMs: Date.now() - t0 }); });
    s.on('error', () => undefined);
  });
}

test('a client that never finishes its request head gets a 408 and is cut off', async () => {
  const srv = await serve({ headersMs: 300, checkMs: 100 });
  try {
    const r = await exchange(srv.sock, 'GET /_ping HTTP/1.1\r\nHost: x\r\nX-Slow: ', 5000);
    assert.match(r.text, /^HTTP\/1\.1 408 /);
    assert.ok(r.closedAfterMs !== undefined && r.closedAfterMs < 3000, `closed after ${r.closedAfterMs} ms`);
  } finally { await srv.close(); }
});

test('an idle keep-alive connection is closed; one that sends its request in time is served', async () => {
  const srv = await serve({ keepAliveMs: 300, headersMs: 2000, checkMs: 100 });
  try {
    const r = await exchange(srv.sock, 'GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n', 5000);
    assert.match(r.text, /^HTTP\/1\.1 200 [\s\S]*OK$/);
    assert.ok(r.closedAfterMs !== undefined && r.closedAfterMs < 3000, `idle connection closed after ${r.closedAfterMs} ms`);
  } finally { await srv.close(); }
});
