/**
 * net-helpers: what the network end-to-end suites share: the host objects a
 * private pierd makes (its nft table, its links), the host's own non-loopback
 * address, random free ports in 20000-29999, random private subnets, plain
 * HTTP and UDP clients, and a network namespace with a web server in it that
 * stands for "somewhere outside the bridges".
 *
 * Traffic from these helpers goes only to loopback, the host's own addresses
 * and addresses inside bridges and namespaces the tests made.
 */
import { createHash, randomInt } from 'node:crypto';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { poll, type PrivateDaemon } from '../../harness/pierd.js';

const execFileP = promisify(execFile);

/** A short random tag for names made per run (netns, veths, subnets). */
export function randTag(): string {
  return randomInt(0x10000, 0xfffff).toString(16);
}

/** The nft table of a private daemon: `pier-` + the first 6 hex of sha256(exec root). */
export function nftTableOf(d: PrivateDaemon): string {
  return `pier-${createHash('sha256').update(join(d.root, 'exec')).digest('hex').slice(0, 6)}`;
}

/** The default bridge's link name of a private daemon. */
export function defaultBridgeOf(d: PrivateDaemon): string {
  return `pier0-${nftTableOf(d).slice('pier-'.length)}`;
}

/** `nft list table ip <t>`, or '' when the table does not exist. */
export async function nftTableText(table: string): Promise<string> {
  try {
    return (await execFileP('nft', ['list', 'table', 'ip', table])).stdout;
  } catch {
    return '';
  }
}

/** Link names on the host (`ip -br link`, the `@peer` suffix cut off). */
export async function linkNames(): Promise<string[]> {
  const { stdout } = await execFileP('ip', ['-br', 'link']);
  return stdout.split('\n').map((l) => (l.split(/\s+/)[0] ?? '').split('@')[0] ?? '').filter(Boolean);
}

/** Host-side veth name pier gives an endpoint: `pierv` + the endpoint ID's first 10 hex. */
export function vethOf(endpointId: string): string {
  return `pierv${endpointId.slice(0, 10)}`;
}

/** Bridge name of a user-defined network: `pier-` + the network ID's first 10 hex. */
export function bridgeOf(networkId: string): string {
  return `pier-${networkId.slice(0, 10)}`;
}

/**
 * The host's own first non-loopback IPv4 address (from `ip -4 -o addr`), leaving out
 * pier's bridges and the veths these tests make.
 */
export async function hostAddress(): Promise<string> {
  const { stdout } = await execFileP('ip', ['-4', '-o', 'addr']);
  for (const line of stdout.split('\n')) {
    const f = line.trim().split(/\s+/);
    const dev = f[1] ?? '';
    const cidr = f[3] ?? '';
    if (!dev || dev === 'lo' || dev.startsWith('pier') || dev.startsWith('pe2e')) continue;
    const ip = cidr.split('/')[0] ?? '';
    if (ip && !ip.startsWith('127.')) return ip;
  }
  throw new Error(`no non-loopback IPv4 address on this host:\n${stdout}`);
}

function canBind(kind: 'tcp' | 'udp', port: number, host = '0.0.0.0'): Promise<boolean> {
  if (kind === 'udp') {
    return new Promise((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => { s.close(); resolve(false); });
      s.bind(port, host, () => s.close(() => resolve(true)));
    });
  }
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** Whether a TCP port can be bound on host right now (the test binds and lets go). */
export function tcpFree(port: number, host = '0.0.0.0'): Promise<boolean> {
  return canBind('tcp', port, host);
}

/** A random port in 20000-29999 (and `count - 1` after it) free for tcp and udp on every address. */
export async function randomPorts(count = 1): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = randomInt(20000, 30000 - count);
    let ok = true;
    for (let k = 0; k < count && ok; k++) ok = (await canBind('tcp', p + k)) && (await canBind('udp', p + k));
    if (ok) return p;
  }
  throw new Error('no free port in 20000-29999');
}

/** A /24 in 10.192.0.0/10 nobody routes on this host now (`ip -4 route`). */
export async function randomSubnet24(): Promise<{ prefix: string; subnet: string }> {
  const { stdout } = await execFileP('ip', ['-4', 'route']);
  for (let i = 0; i < 100; i++) {
    const prefix = `10.${randomInt(192, 255)}.${randomInt(1, 255)}`;
    if (!stdout.includes(`${prefix}.`) && !stdout.includes(`10.${prefix.split('.')[1]}.0.0/`)) return { prefix, subnet: `${prefix}.0/24` };
  }
  throw new Error('no free 10.x subnet');
}

export interface HttpAnswer { status: number; body: string }

/** One HTTP GET with a deadline; rejects with the socket error (ECONNREFUSED …). */
export function httpGet(host: string, port: number, path = '/', timeoutMs = 5000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`GET http://${host}:${port}${path} timed out`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

/** Polls until GET answers 200 (a published port right after `run -d`), returning the body. */
export async function httpGetWhenUp(host: string, port: number, path = '/', ms = 10_000): Promise<string> {
  let last: unknown;
  const body = await poll(async () => {
    try {
      const r = await httpGet(host, port, path, 2000);
      if (r.status === 200) return r.body;
      last = new Error(`status ${r.status}`);
    } catch (err) { last = err; }
    return undefined;
  }, ms, `http://${host}:${port}${path} to answer`).catch((err: unknown) => { throw new Error(`${String(err)}: last error ${String(last)}`); });
  return body;
}

/** The error code a GET fails with (ECONNREFUSED, ETIMEDOUT …), or 'answered' when it answers. */
export async function httpFailure(host: string, port: number, timeoutMs = 2000): Promise<string> {
  try {
    await httpGet(host, port, '/', timeoutMs);
    return 'answered';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

/** Sends `text` to host:port over UDP until a reply comes (up to `ms`); resolves the reply. */
export function udpExchange(host: string, port: number, text: string, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timers: NodeJS.Timeout[] = [];
    const done = (err: Error | undefined, reply?: string): void => {
      for (const t of timers) clearTimeout(t);
      clearInterval(resend);
      s.close();
      if (err) reject(err); else resolve(reply ?? '');
    };
    s.on('message', (m) => done(undefined, m.toString()));
    s.on('error', (err) => done(err));
    const send = (): void => { s.send(text, port, host); };
    const resend = setInterval(send, 300);
    timers.push(setTimeout(() => done(new Error(`no UDP reply from ${host}:${port} within ${ms} ms`)), ms));
    send();
  });
}

/**
 * A network namespace made by the test with a veth to the host (10.254.N.1/30 on
 * the host side, .2 inside) and busybox httpd on .2:8080 serving one file: an
 * address outside every bridge that a container can only reach by being routed
 * (and masqueraded) through the host.
 */
export interface OutsideTarget {
  ns: string;
  hostIf: string;
  hostIp: string;
  ip: string;
  port: number;
  body: string;
  remove(): Promise<void>;
}

export async function makeOutsideTarget(): Promise<OutsideTarget> {
  const tag = randTag();
  const ns = `pier-e2e-${tag}`;
  // Not pier-prefixed: pier's rules treat every "pier*" interface as one of its bridges.
  const hostIf = `pe2e${tag}h`;
  const peer = `pe2e${tag}c`;
  const { stdout: routes } = await execFileP('ip', ['-4', 'route']);
  let n = randomInt(1, 250);
  for (let i = 0; i < 50 && routes.includes(`10.254.${n}.`); i++) n = randomInt(1, 250);
  const hostIp = `10.254.${n}.1`;
  const ip = `10.254.${n}.2`;
  const dir = `/tmp/pier-e2e-www-${tag}`;
  const body = `outside-${tag}\n`;
  let httpd: ChildProcess | undefined;
  const remove = async (): Promise<void> => {
    if (httpd && httpd.exitCode === null && httpd.signalCode === null) {
      const gone = new Promise((r) => httpd?.once('exit', r));
      httpd.kill('SIGKILL');
      await gone;
    }
    await execFileP('ip', ['link', 'del', hostIf]).catch(() => undefined);
    await execFileP('ip', ['netns', 'del', ns]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.html'), body);
    await execFileP('ip', ['netns', 'add', ns]);
    await execFileP('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peer, 'netns', ns]);
    await execFileP('ip', ['addr', 'add', `${hostIp}/30`, 'dev', hostIf]);
    await execFileP('ip', ['link', 'set', hostIf, 'up']);
    for (const a of [['addr', 'add', `${ip}/30`, 'dev', peer], ['link', 'set', peer, 'up'], ['link', 'set', 'lo', 'up']]) {
      await execFileP('ip', ['netns', 'exec', ns, 'ip', ...a]);
    }
    httpd = spawn('ip', ['netns', 'exec', ns, '/bin/busybox', 'httpd', '-f', '-p', `${ip}:8080`, '-h', dir], { stdio: 'ignore' });
    await poll(async () => {
      try { return (await httpGetInNs(ns, ip, 8080)) === body || undefined; } catch { return undefined; }
    }, 5000, 'the outside target to answer');
  } catch (err) {
    await remove();
    throw err;
  }
  return { ns, hostIf, hostIp, ip, port: 8080, body, remove };
}

async function httpGetInNs(ns: string, ip: string, port: number): Promise<string> {
  const { stdout } = await execFileP('ip', ['netns', 'exec', ns, '/bin/busybox', 'wget', '-qO-', `http://${ip}:${port}/`]);
  return stdout;
}
