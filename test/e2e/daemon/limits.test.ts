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

// ---- API limits (issue 10): head size, JSON body size, concurrent hijacked streams, shutdown ----

/** Sends raw bytes, resolves everything the daemon answers until it closes (or `ms` pass). */
function rawExchange(socket: string, data: Buffer | string, ms = 10_000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(socket);
    let got = '';
    const done = (): void => { clearTimeout(timer); s.destroy(); resolve(got); };
    const timer = setTimeout(done, ms);
    s.on('data', (c: Buffer) => { got += c.toString('latin1'); });
    s.on('close', done);
    s.on('error', () => { /* EPIPE after the early answer: what arrived is the result */ });
    s.on('connect', () => s.write(data));
  });
}

/** Opens an upgraded attach to `name` and resolves the socket with the status line it got. */
function openAttach(socket: string, name: string): Promise<{ sock: ReturnType<typeof connect>; status: string; text: () => string }> {
  return new Promise((resolve) => {
    const sock = connect(socket);
    let got = '';
    sock.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (got.includes('\r\n\r\n') || got.includes('\n')) resolve({ sock, status: got.split('\r\n')[0] ?? '', text: () => got });
    });
    sock.on('error', () => undefined);
    sock.on('connect', () => sock.write(`POST /v1.50/containers/${name}/attach?stream=1&stdout=1&stdin=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`));
  });
}

test('a request head past 64 KiB is refused with 431 and a JSON message', { skip }, async () => {
  const answer = await rawExchange(d.socket, `GET /v1.50/info HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(80 * 1024)}\r\n\r\n`);
  assert.match(answer, /^HTTP\/1\.1 431 /);
  assert.match(answer, /"message":"request header fields too large: the limit is 65536 bytes"/);
});

test('a refused head is answered even while the request body still pours in (no connection reset eats the 431)', { skip }, async () => {
  // pierd reads and drops the rest for a while before it closes: closing with unread bytes
  // resets the connection, and the reset could discard the answer (4 in 20 were lost before).
  const body = Buffer.alloc(2 << 20);
  const answers = await Promise.all(Array.from({ length: 20 }, () => new Promise<string>((resolve) => {
    let text = '';
    const s = connect(d.socket, () => {
      s.write(`POST /v1.50/images/load?q=${'x'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-tar\r\nContent-Length: ${body.length}\r\n\r\n`);
      s.write(body);
    });
    s.on('data', (b: Buffer) => { text += b.toString(); if (/\}\n$/.test(text)) s.destroy(); });
    s.on('error', () => undefined);
    s.on('close', () => resolve(text));
  })));
  const lost = answers.filter((a) => !/^HTTP\/1\.1 431 /.test(a)).length;
  assert.equal(lost, 0, `${lost} of 20 clients got no 431`);
});

test('a head of 32 KiB (a big X-Registry-Config) is still accepted', { skip }, async () => {
  const r = await rawRequest(d, { path: '/v1.50/_ping', headers: { 'X-Registry-Config': 'e'.repeat(32 * 1024) } });
  assert.equal(r.status, 200);
});

test('an Expect header other than 100-continue gets 417 in JSON', { skip }, async () => {
  const r = await rawRequest(d, { path: '/v1.50/info', headers: { Expect: 'gzip' } });
  assert.equal(r.status, 417);
  assert.match(r.body, /unsupported Expect header/);
});

test('limits from flags: a JSON body past --max-json-body is 413 before it is read; attach streams past --max-hijacked-streams get a clear 503 until one ends', { skip, timeout: 120_000 }, async (t) => {
  const { startDaemon, run, dockerBin } = await import('../../harness/pierd.js');
  const d2 = await startDaemon({ extraArgs: ['--max-json-body', '4096', '--max-hijacked-streams', '2'] });
  t.after(() => d2.stop());
  const big = JSON.stringify({ Image: 'busybox', Labels: { a: 'x'.repeat(8192) } });
  const r = await rawRequest(d2, { method: 'POST', path: '/v1.50/containers/create', body: big });
  assert.equal(r.status, 413);
  assert.match(r.body, /request body too large: the limit for a JSON body is 4096 bytes/);
  // A Content-Length that announces more is refused without waiting for the bytes.
  const announced = await rawExchange(d2.socket, 'POST /v1.50/containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n{', 5000);
  assert.match(announced, /^HTTP\/1\.1 413 /);

  const docker = dockerBin() ?? 'docker';
  const dk = (args: string[], input?: string): ReturnType<typeof run> => run(docker, args, d2, input === undefined ? {} : { input });
  assert.equal((await dk(['run', '-d', '--name', 'lim-att', 'busybox', 'sleep', '600'])).code, 0);
  const a = await openAttach(d2.socket, 'lim-att');
  const b = await openAttach(d2.socket, 'lim-att');
  assert.match(a.status, / 101 /);
  assert.match(b.status, / 101 /);
  const c = await openAttach(d2.socket, 'lim-att');
  assert.match(c.status, / 503 /);
  assert.match(c.text(), /too many attach and exec streams open at once \(2, --max-hijacked-streams\)/);
  c.sock.destroy();
  a.sock.destroy();
  b.sock.destroy();
  // A client gone without a word looks half-open until pierd writes: the sessions end with the
  // container's output ending, and their slots come back.
  assert.equal((await dk(['kill', 'lim-att'])).code, 0);
  await new Promise((res) => setTimeout(res, 500));
  for (let i = 0; i < 4; i++) {
    const empty = await dk(['run', '-i', '--rm', 'busybox', 'cat'], '');
    assert.equal(empty.code, 0, `docker run -i </dev/null: ${empty.stderr}`);
    const hi = await dk(['run', '-i', '--rm', 'busybox', 'cat'], 'hi\n');
    assert.equal(hi.code, 0, hi.stderr);
    assert.equal(hi.stdout, 'hi\n');
  }
  assert.equal((await dk(['start', 'lim-att'])).code, 0);
  const ex = await dk(['exec', '-i', 'lim-att', 'cat'], 'via exec\n');
  assert.equal(ex.stdout, 'via exec\n');
  // An attach that stays open, half-closed by its client (CloseWrite), must not keep pierd from stopping.
  const held = await openAttach(d2.socket, 'lim-att');
  assert.match(held.status, / 101 /);
  held.sock.end();
  const pid = d2.proc.pid ?? 0;
  const t0 = Date.now();
  const exited = new Promise((res) => d2.proc.once('exit', res));
  process.kill(pid, 'SIGTERM');
  await Promise.race([exited, new Promise((_r, rej) => setTimeout(() => rej(new Error('pierd did not stop within 10 s of SIGTERM with an attach open')), 10_000))]);
  assert.ok(Date.now() - t0 < 10_000);
  held.sock.destroy();
  await d2.restart(); // for d2.stop(): removes lim-att and the roots
});
