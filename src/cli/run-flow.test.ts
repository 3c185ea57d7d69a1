// `pier run` against a fake Engine API on a unix socket: request order, output, exit code.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { encodeFrame } from '../client/index.js';

const PIER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'cmd', 'pier.js');
const ID = 'c'.repeat(64);

interface Fake { host: string; seen: string[]; bodies: Record<string, unknown> }

async function fake(t: { after: (fn: () => void) => void }, opts: { missingImage?: boolean; exit?: number; startError?: string } = {}): Promise<Fake> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-run-'));
  const sock = path.join(dir, 's.sock');
  const seen: string[] = [];
  const bodies: Record<string, unknown> = {};
  let attachSock: net.Socket | undefined;
  let waitRes: http.ServerResponse | undefined;
  let haveImage = !opts.missingImage;
  const srv = http.createServer((req, res) => {
    const url = req.url ?? '';
    seen.push(`${req.method} ${url.replace(/^\/v1\.50/, '').replace(/\?.*/, '')}`);
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      if (url === '/_ping') { res.writeHead(200, { 'Api-Version': '1.50' }); res.end(); return; }
      if (url.includes('/containers/create')) {
        if (!haveImage) { res.writeHead(404, { 'Content-Type': 'application/json' }); res.end('{"message":"No such image: busybox:latest"}'); return; }
        bodies['create'] = JSON.parse(body);
        res.writeHead(201, { 'Content-Type': 'application/json' }); res.end(JSON.stringify({ Id: ID, Warnings: [] })); return;
      }
      if (url.includes('/images/create')) {
        bodies['pull'] = url;
        haveImage = true;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"status":"Pulling from library/busybox","id":"latest"}\n{"status":"Status: Downloaded newer image for busybox:latest"}\n');
        return;
      }
      if (url.includes('/wait')) { res.writeHead(200, { 'Content-Type': 'application/json' }); res.flushHeaders(); waitRes = res; return; }
      if (url.includes('/start')) {
        if (opts.startError) { res.writeHead(400, { 'Content-Type': 'application/json' }); res.end(JSON.stringify({ message: opts.startError })); return; }
        res.writeHead(204); res.end();
        setTimeout(() => {
          attachSock?.end(Buffer.concat([encodeFrame(1, Buffer.from('hello\n')), encodeFrame(2, Buffer.from('oops\n'))]));
          waitRes?.end(`{"Error":null,"StatusCode":${opts.exit ?? 0}}\n`);
        }, 10);
        return;
      }
      res.writeHead(404, { 'Content-Type': 'application/json' }); res.end('{"message":"unexpected"}');
    });
  });
  srv.on('upgrade', (req, s) => {
    seen.push(`${req.method} ${(req.url ?? '').replace(/^\/v1\.50/, '').replace(/\?.*/, '')} (upgrade)`);
    attachSock = s as net.Socket;
    attachSock.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
  });
  await new Promise<void>((r) => srv.listen(sock, r));
  t.after(() => { srv.closeAllConnections(); srv.close(); fs.rmSync(dir, { recursive: true, force: true }); });
  return { host: `unix://${sock}`, seen, bodies };
}

function pier(host: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [PIER, '-H', host, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    p.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('run creates, attaches, waits, then starts, and exits with the status', async (t) => {
  const d = await fake(t, { exit: 3 });
  const r = await pier(d.host, ['run', '--name', 'n', 'busybox', 'echo', 'hello']);
  assert.equal(r.stdout, 'hello\n');
  assert.equal(r.stderr, 'oops\n');
  assert.equal(r.code, 3);
  assert.deepEqual(d.seen, ['HEAD /_ping', 'POST /containers/create', `POST /containers/${ID}/attach (upgrade)`, `POST /containers/${ID}/wait`, `POST /containers/${ID}/start`]);
  assert.deepEqual((d.bodies['create'] as { Cmd: string[] }).Cmd, ['echo', 'hello']);
});

test('run pulls a missing image and retries create', async (t) => {
  const d = await fake(t, { missingImage: true });
  const r = await pier(d.host, ['run', 'busybox', 'true']);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /^Unable to find image 'busybox:latest' locally\nlatest: Pulling from library\/busybox\nStatus: Downloaded newer image for busybox:latest\n/);
  assert.match(String(d.bodies['pull']), /fromImage=docker\.io%2Flibrary%2Fbusybox&tag=latest/);
});

test('run -d prints the ID and does not attach', async (t) => {
  const d = await fake(t);
  const r = await pier(d.host, ['run', '-d', 'busybox', 'sleep', '9']);
  assert.equal(r.stdout, `${ID}\n`);
  assert.equal(r.code, 0);
  assert.ok(!d.seen.some((s) => s.includes('attach')));
});

test('a start error maps to 127 with docker text', async (t) => {
  const d = await fake(t, { startError: 'exec: "nope": executable file not found in $PATH' });
  const r = await pier(d.host, ['run', 'busybox', 'nope']);
  assert.equal(r.code, 127);
  assert.equal(r.stderr, "pier: Error response from daemon: exec: \"nope\": executable file not found in $PATH\n\nRun 'pier run --help' for more information\n");
});
