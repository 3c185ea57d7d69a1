/**
 * bench/api-client.mjs: the API-level cases of bench/run, one in-process
 * Engine API client on node:http over a unix socket (the same code for pierd
 * and dockerd), so the figures are the daemon's own share without any CLI
 * start-up. Prints one JSON object on stdout.
 *
 *   run       --socket S --runs N           create, attach (hijack), wait, start, wait result, AutoRemove
 *   exec      --socket S --runs N --container C   exec create + start (hijack) + inspect, as `docker exec`
 *   create    --socket S --count N [--parallel P] --label K=V   N created containers (busybox true)
 *   coldstart --socket S --runs N -- CMD...  launch the daemon, time until /_ping answers 200, stop it
 *
 * It refuses any socket outside $BENCH_TMP: it only talks to daemons bench/run started.
 */
import { request, Agent } from 'node:http';
import { spawn } from 'node:child_process';
import { existsSync, unlinkSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const argv = process.argv.slice(2);
const mode = argv[0];
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const socketPath = opt('socket', '');
const benchTmp = process.env.BENCH_TMP ?? '';
if (!benchTmp || !socketPath.startsWith(`${benchTmp}/`)) {
  process.stderr.write(`api-client: refusing socket ${JSON.stringify(socketPath)}: not under this run's BENCH_TMP\n`);
  process.exit(2);
}
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** One request; resolves status and parsed (JSON or text) body. */
function call(method, path, body, { raw = false } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers = data === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) };
    const req = request({ socketPath, agent, method, path, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed = text;
        if (!raw && text && (res.headers['content-type'] ?? '').includes('json')) parsed = JSON.parse(text);
        if ((res.statusCode ?? 0) >= 400) reject(new Error(`${method} ${path}: ${res.statusCode} ${text.trim()}`));
        else resolve({ status: res.statusCode, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** A hijacked stream (attach, exec start): resolves once upgraded; `.done` settles when the stream ends. */
function hijack(path, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? '' : JSON.stringify(body);
    const req = request({
      socketPath, method: 'POST', path, agent: false,
      headers: { Connection: 'Upgrade', Upgrade: 'tcp', 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) },
    });
    const drain = (stream) => new Promise((res) => { stream.on('data', () => {}); stream.on('end', res); stream.on('close', res); stream.on('error', res); });
    req.on('upgrade', (_res, socket, head) => { void head; resolve({ done: drain(socket).then(() => socket.destroy()) }); });
    req.on('response', (res) => {
      if ((res.statusCode ?? 0) >= 400) { res.resume(); reject(new Error(`POST ${path}: ${res.statusCode}`)); return; }
      resolve({ done: drain(res) });
    });
    req.on('error', reject);
    req.end(data);
  });
}

function stats(ms) {
  const t = [...ms].sort((a, b) => a - b);
  const n = t.length;
  const mid = Math.floor(n / 2);
  const r = (x) => Math.round(x * 100) / 100;
  const median = n % 2 ? t[mid] : (t[mid - 1] + t[mid]) / 2;
  return { unit: 'ms', median: r(median), min: r(t[0]), max: r(t[n - 1]), n, times: t.map(r), tool: 'api-client' };
}

const v = '/v1.41';

/** docker run --rm --network none busybox true, as the CLI drives it. */
async function runOnce() {
  const created = await call('POST', `${v}/containers/create`, {
    Image: 'busybox', Cmd: ['true'], AttachStdout: true, AttachStderr: true,
    HostConfig: { NetworkMode: 'none', AutoRemove: true },
  });
  const id = created.body.Id;
  const attached = await hijack(`${v}/containers/${id}/attach?stream=1&stdout=1&stderr=1`);
  const waited = call('POST', `${v}/containers/${id}/wait?condition=removed`);
  await call('POST', `${v}/containers/${id}/start`);
  const [w] = await Promise.all([waited, attached.done]);
  if (w.body.StatusCode !== 0) throw new Error(`container exited ${w.body.StatusCode}`);
}

async function execOnce(container) {
  const c = await call('POST', `${v}/containers/${container}/exec`, { Cmd: ['true'], AttachStdout: true, AttachStderr: true });
  const s = await hijack(`${v}/exec/${c.body.Id}/start`, { Detach: false, Tty: false });
  await s.done;
  const i = await call('GET', `${v}/exec/${c.body.Id}/json`);
  if (i.body.ExitCode !== 0) throw new Error(`exec exited ${i.body.ExitCode}`);
}

async function timed(runs, fn) {
  await fn(); // warm-up
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return stats(ms);
}

async function createMany(count, parallel, label) {
  const [k, val] = label.split('=');
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < count) {
      next++;
      await call('POST', `${v}/containers/create`, {
        Image: 'busybox', Cmd: ['true'], Labels: { [k]: val ?? '' }, HostConfig: { NetworkMode: 'none' },
      });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return { count, ms: Math.round(performance.now() - t0) };
}

function pingOnce() {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', agent: false }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Launch → first 200 on /_ping, polling every millisecond; then SIGTERM and wait for the exit. */
async function coldstart(runs, cmd) {
  const ms = [];
  for (let i = 0; i <= runs; i++) {
    if (existsSync(socketPath)) unlinkSync(socketPath);
    const t0 = performance.now();
    const p = spawn(cmd[0], cmd.slice(1), { stdio: 'ignore', detached: true });
    const exited = new Promise((res) => p.once('exit', res));
    let up = false;
    while (!up && p.exitCode === null) {
      up = await pingOnce();
      if (!up) await new Promise((r) => setTimeout(r, 1));
    }
    const took = performance.now() - t0;
    if (!up) throw new Error(`${cmd[0]} exited ${p.exitCode} before answering /_ping`);
    p.kill('SIGTERM');
    await exited;
    if (i > 0) ms.push(took); // the first launch is a warm-up
  }
  return stats(ms);
}

async function main() {
  const runs = Number(opt('runs', '20'));
  let out;
  switch (mode) {
    case 'run': out = await timed(runs, runOnce); break;
    case 'exec': out = await timed(runs, () => execOnce(opt('container', ''))); break;
    case 'create': out = await createMany(Number(opt('count', '1')), Number(opt('parallel', '4')), opt('label', 'pier-bench=1')); break;
    case 'coldstart': {
      const dd = argv.indexOf('--');
      out = await coldstart(runs, argv.slice(dd + 1));
      break;
    }
    default: throw new Error(`unknown mode ${JSON.stringify(mode)}`);
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
  agent.destroy();
}

main().catch((e) => { process.stderr.write(`api-client: ${e.message}\n`); process.exit(1); });
