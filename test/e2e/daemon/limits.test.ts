// Bounds on what one client can make pierd hold: a client that stops reading an exec's output
// pauses the process (backpressure) instead of growing pierd's memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { usePrivateDaemon, type PrivateDaemon } from '../../harness/pierd.js';
import { dockerCli, e2eSkip, rawRequest } from '../../harness/clients.js';

const skip = e2eSkip('limits e2e', { needsDocker: true });
let d: PrivateDaemon;
usePrivateDaemon(skip, (x) => { d = x; });
const { dk, ok } = dockerCli(() => d);

const rssKb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

test('a client that stops reading an exec\'s 96 MB of output does not grow pierd by it; reading on gets every byte', { skip }, async (t) => {
  t.after(() => dk('rm', '-f', 'lim-exec'));
  await ok('run', '-d', '--name', 'lim-exec', 'busybox', 'sleep', '600');
  const created = await rawRequest(d, { method: 'POST', path: '/v1.50/containers/lim-exec/exec', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ Cmd: ['head', '-c', String(96 << 20), '/dev/zero'], AttachStdout: true, AttachStderr: true }) });
  const id = (JSON.parse(created.body) as { Id: string }).Id;
  const pid = d.proc.pid ?? 0;
  const before = rssKb(pid);
  const sock = connect(d.socket);
  await new Promise<void>((r) => sock.once('connect', () => r()));
  const body = JSON.stringify({ Detach: false, Tty: false });
  sock.write(`POST /v1.50/exec/${id}/start HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  let got = 0;
  sock.on('data', (c: Buffer) => { got += c.length; });
  sock.pause(); // a client that does not read
  await new Promise((r) => setTimeout(r, 3000));
  const held = rssKb(pid) - before;
  assert.ok(held < 32 * 1024, `pierd grew by ${held} kB while the client did not read`);
  const ended = new Promise<void>((r) => { sock.on('end', () => r()); sock.on('close', () => r()); });
  sock.resume();
  await ended;
  // The 101 head, then 96 MiB of stdout in frames of at most 32 kB-ish, each with an 8-byte header.
  assert.ok(got > 96 << 20, `only ${got} bytes arrived`);
});
