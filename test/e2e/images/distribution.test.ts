// End to end: pull and push through pierd with the real docker CLI (and pier's),
// against pier's own registry and, where installed, Debian's docker-registry
// (CNCF distribution); skopeo as the outside client that must agree.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { usePrivateDaemon, pierBin, startDaemon, type PrivateDaemon } from '../../harness/pierd.js';
import { e2eSkip } from '../../harness/clients.js';
import { boundCli, docker } from '../cli/cli-helpers.js';
import { distributionBin, startDistribution, startPierRegistry, writeLayeredLayout, type TestRegistry } from './registry-fixtures.js';

const execFileP = promisify(execFile);
const skip = e2eSkip('image distribution e2e', { needsDocker: true }) || (!existsSync('/usr/bin/skopeo') ? 'skopeo is not installed' : false);
if (skip === 'skopeo is not installed') console.log('# skipping image distribution e2e: skopeo is not installed');

let d: PrivateDaemon;
const dk = boundCli(docker, () => d);
const pier = boundCli(pierBin, () => d);
usePrivateDaemon(skip, (x) => { d = x; });

let tmp: string;
const registries: TestRegistry[] = [];
before(() => { tmp = mkdtempSync(join(tmpdir(), 'pier-dist-e2e-')); });
after(async () => {
  for (const r of registries) await r.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function registry(kind: 'pier' | 'distribution', name: string, opts: { htpasswd?: string } = {}): Promise<TestRegistry> {
  const root = join(tmp, name);
  const r = kind === 'pier'
    ? await startPierRegistry(root, opts.htpasswd ? ['--htpasswd', opts.htpasswd] : [])
    : await startDistribution(root, opts);
  registries.push(r);
  return r;
}

const skopeo = async (...args: string[]): Promise<string> => (await execFileP('skopeo', args, { maxBuffer: 16 << 20 })).stdout;

const kinds: ('pier' | 'distribution')[] = distributionBin ? ['pier', 'distribution'] : ['pier'];

for (const kind of kinds) {
  test(`docker push, rmi and pull through pierd round-trip an image at ${kind}'s registry; skopeo sees the same digest`, { skip }, async () => {
    const reg = await registry(kind, `rt-${kind}`);
    const name = `${reg.host}/team/busybox:1`;
    await dk.ok('tag', 'busybox', name);
    const push = await dk.run(['push', name]);
    assert.equal(push.code, 0, push.stderr);
    const m = /1: digest: (sha256:[a-f0-9]{64}) size: \d+/.exec(push.stdout);
    assert.ok(m, push.stdout);
    const inspected = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${name}`)) as { Digest: string; Layers: string[] };
    assert.equal(inspected.Digest, m[1]);
    // Pushing again: every layer is already there.
    assert.match((await dk.ok('push', name)), /Layer already exists/);
    await dk.ok('rmi', name);
    const run = await dk.run(['run', '--rm', name, 'echo', 'pulled-on-demand']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'pulled-on-demand\n');
    assert.match(run.stderr, new RegExp(`Unable to find image '${name.replace(/[.]/g, '\\.')}' locally`));
    assert.ok((JSON.parse(await dk.fmt('{{json .RepoDigests}}', name)) as string[]).includes(`${reg.host}/team/busybox@${m[1]}`));
  });
}

type IncomingMessage = import('node:http').IncomingMessage;
type ServerResponse = import('node:http').ServerResponse;

/**
 * An HTTP proxy in front of a test registry on a free loopback port. Blob GETs of more than
 * `minBlob` bytes go to `onBlob` (the upstream response paused, the client's headers already
 * sent); everything else passes through. `onRequest` sees every request first.
 */
async function blobProxy(reg: TestRegistry, minBlob: number, onBlob: (req: IncomingMessage, res: ServerResponse, up: IncomingMessage) => void,
  onRequest: (req: IncomingMessage) => void = () => undefined): Promise<{ port: number; close: () => Promise<void> }> {
  const http = await import('node:http');
  const [rhost, rport] = reg.host.split(':');
  const proxy = http.createServer((req, res) => {
    onRequest(req);
    const up = http.request({ host: rhost, port: Number(rport), path: req.url, method: req.method, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      const blob = req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '') && Number(ur.headers['content-length'] ?? 0) > minBlob;
      if (blob) onBlob(req, res, ur);
      else ur.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  const addr = proxy.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    close: async () => { proxy.closeAllConnections(); await new Promise<void>((r) => proxy.close(() => r())); },
  };
}

test('a two-layer image copied in by skopeo pulls with its whiteout, opaque dir and hard link applied', { skip }, async () => {
  const reg = await registry('pier', 'layered');
  const layout = join(tmp, 'layout');
  const { manifestDigest, diffIds } = await writeLayeredLayout(layout, 'v1');
  await skopeo('copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${reg.host}/team/layered:v1`);
  const name = `${reg.host}/team/layered:v1`;
  const pull = await dk.run(['pull', name]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, /Pull complete/);
  assert.match(pull.stdout, new RegExp(`Digest: ${manifestDigest}`));
  assert.match(pull.stdout, new RegExp(`Status: Downloaded newer image for ${name.replace(/[.]/g, '\\.')}`));
  assert.equal(await dk.fmt('{{json .RootFS.Layers}}', name), JSON.stringify(diffIds));
  const out = await dk.ok('run', '--rm', name, 'sh', '-c', 'cat /etc/a.txt; test -e /etc/b.txt || echo b-gone; ls /dir; cat /etc/hl; stat -c %h /etc/hl');
  // a.txt rewritten above the hard link: the link keeps layer one's inode, as on dockerd's overlay2.
  assert.equal(out, 'one-v2\nb-gone\nnew\none\n2\n');
  // The second pull of the same reference is a no-op.
  assert.match(await dk.ok('pull', name), /Image is up to date/);
  assert.equal((await dk.ok('history', '-q', name)).trim().split('\n').length, 2);
});

test('a corrupted layer is refused and leaves neither image nor partial blob', { skip: skip || (!distributionBin && 'docker-registry is not installed') }, async () => {
  const reg = await registry('distribution', 'corrupt');
  const layout = join(tmp, 'layout-c');
  await writeLayeredLayout(layout, 'v1', 'corrupt');
  const name = `${reg.host}/team/corrupt:v1`;
  await skopeo('copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${name}`);
  const m = JSON.parse(await skopeo('inspect', '--tls-verify=false', '--raw', `docker://${name}`)) as { layers: { digest: string }[] };
  const hex = m.layers[1]?.digest.slice(7) ?? '';
  const data = join(tmp, 'corrupt', 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
  const bytes = readFileSync(data);
  bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 0xff;
  writeFileSync(data, bytes);
  const pull = await dk.run(['pull', name]);
  assert.equal(pull.code, 1, pull.stdout);
  assert.match(pull.stderr, /failed to verify layer sha256:[a-f0-9]{64}/);
  assert.equal((await dk.ok('images', '-q', `${reg.host}/team/corrupt`)).trim(), '');
  assert.deepEqual(readdirSync(join(d.root, 'data', 'content', 'ingest')), []);
});

test('login to an address longer than any host name is refused in few words', { skip }, async () => {
  const host = `${'x'.repeat(70_000)}.example`;
  const r = await dk.run(['login', '-u', 'a', '-p', 'b', host]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /invalid registry address "x{100}…": longer than a host name can be/);
  assert.ok(r.stderr.length < 1000, `the error does not echo the whole address (${r.stderr.length} bytes)`);
});

test('login to a registry with htpasswd: refused, accepted, push, logout', { skip: skip || (!existsSync('/usr/bin/htpasswd') && 'htpasswd (apache2-utils) is not installed') }, async () => {
  const pw = join(tmp, 'htpasswd');
  writeFileSync(pw, (await execFileP('htpasswd', ['-Bbn', 'alice', 's3cret'])).stdout);
  const reg = await registry(distributionBin ? 'distribution' : 'pier', 'auth', { htpasswd: pw });
  const cfg = join(tmp, 'docker-config');
  const env = { ...d.env, DOCKER_CONFIG: cfg };
  const as = async (bin: string, args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const child = execFileP(bin, args, { env });
      if (input) { child.child.stdin?.end(input); } else child.child.stdin?.end();
      const r = await child;
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const x = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof x.code === 'number' ? x.code : 1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
    }
  };
  const name = `${reg.host}/alice/busybox:1`;
  await dk.ok('tag', 'busybox', name);
  const anon = await as(docker, ['push', name]);
  assert.equal(anon.code, 1);
  assert.match(anon.stderr, /no basic auth credentials|unauthorized/);
  const bad = await as(docker, ['login', '-u', 'alice', '--password-stdin', reg.host], 'wrong\n');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /401 Unauthorized|unauthorized/);
  const good = await as(pierBin, ['login', '-u', 'alice', '--password-stdin', reg.host], 's3cret\n');
  assert.equal(good.code, 0, good.stderr);
  assert.equal(good.stdout, 'Login Succeeded\n');
  const stored = JSON.parse(readFileSync(join(cfg, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
  assert.equal(Buffer.from(stored.auths[reg.host]?.auth ?? '', 'base64').toString(), 'alice:s3cret');
  // docker reads what pier login stored, and the push goes through.
  const push = await as(docker, ['push', name]);
  assert.equal(push.code, 0, push.stderr);
  const out = await as(pierBin, ['logout', reg.host]);
  assert.equal(out.stdout, `Removing login credentials for ${reg.host}\n`);
  assert.equal((await as(pierBin, ['push', name])).code, 1);
});

test('pier push and pier pull: the same stream as docker, two concurrent pulls share one download', { skip }, async () => {
  const reg = await registry('pier', 'cli');
  const layout = join(tmp, 'layout-p');
  await writeLayeredLayout(layout, 'v1', 'cli');
  await skopeo('copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${reg.host}/team/p:v1`);
  const name = `${reg.host}/team/p:v1`;
  const [a, b] = await Promise.all([pier.run(['pull', name]), dk.run(['pull', name])]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  assert.match(a.stdout, new RegExp(`${name.replace(/[.]/g, '\\.')}\\n$`));
  await pier.ok('tag', name, `${reg.host}/team/copy:v2`);
  const push = await pier.run(['push', `${reg.host}/team/copy:v2`]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /The push refers to repository \[127\.0\.0\.1:\d+\/team\/copy\]/);
  assert.match(push.stdout, /v2: digest: sha256:[a-f0-9]{64} size: \d+/);
  // Pulled from team/p on this registry: the layers are mounted, not sent again.
  assert.match(push.stdout, /: Mounted from team\/p\n/);
  assert.doesNotMatch(push.stdout, /: Pushed\n/);
  // Same image, same manifest bytes: the pushed digest is the pulled one.
  const src = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${name}`)) as { Digest: string };
  const dst = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${reg.host}/team/copy:v2`)) as { Digest: string };
  assert.equal(dst.Digest, src.Digest);
});

test('pull errors are docker\'s: unknown tag, unreachable registry, no such local tag to push', { skip }, async () => {
  const reg = await registry('pier', 'errors');
  const missing = await dk.run(['pull', `${reg.host}/team/none:1`]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `Error response from daemon: manifest for ${reg.host}/team/none:1 not found: manifest unknown: manifest unknown\n`);
  const down = await dk.run(['pull', '127.0.0.1:1/x:1']);
  assert.equal(down.code, 1);
  assert.equal(down.stderr, 'Error response from daemon: Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused\n');
  const nopush = await dk.run(['push', `${reg.host}/team/never:1`]);
  assert.equal(nopush.code, 1);
  assert.equal(nopush.stderr, `Error response from daemon: An image does not exist locally with the tag: ${reg.host}/team/never\n`);
});

test('a pull whose layer download is cut off resumes with a Range request and completes', { skip }, async () => {
  const reg = await registry('pier', 'flaky');
  const layout = join(tmp, 'layout-f');
  await writeLayeredLayout(layout, 'v1', 'flaky');
  await skopeo('copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${reg.host}/team/f:v1`);
  // A proxy in front of the registry that drops each blob's first transfer after 64 kB.
  const cutOnce = new Set<string>();
  const ranges: string[] = [];
  const proxy = await blobProxy(reg, 100_000, (req, res, ur) => {
    if (cutOnce.has(req.url ?? '')) { ur.pipe(res); return; }
    cutOnce.add(req.url ?? '');
    let sent = 0;
    ur.on('data', (c: Buffer) => {
      if (sent + c.length >= 65536) { res.write(c.subarray(0, 65536 - sent)); ur.destroy(); res.socket?.destroy(); return; }
      sent += c.length;
      res.write(c);
    });
  }, (req) => { if (req.headers.range) ranges.push(`${req.url} ${req.headers.range}`); });
  try {
    const name = `127.0.0.1:${proxy.port}/team/f:v1`;
    const pull = await dk.run(['pull', name]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.ok(cutOnce.size >= 1, 'at least one blob was cut');
    assert.ok(ranges.some((r) => /bytes=[1-9]\d*-$/.test(r)), `a resumed request: ${ranges.join(", ")}`);
    assert.equal(await dk.ok('run', '--rm', name, 'cat', '/etc/a.txt'), 'one-v2\n');
  } finally {
    await proxy.close();
  }
});

test('big layers unpack on the worker thread: files and diff IDs right, a cut-off download resumed, a hostile layer refused', { skip }, async () => {
  const reg = await registry('pier', 'big');
  const big = randomBytes(6 << 20); // random: it stays ~6 MB gzipped, past the worker's threshold
  const layout = join(tmp, 'layout-big');
  const { diffIds } = await writeLayeredLayout(layout, 'v1', 'big', { big });
  await skopeo('copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${reg.host}/team/big:v1`);
  // Each blob's first transfer is cut after 1 MB: the worker, following the blob's file, waits out the resume.
  const cut = new Set<string>();
  const proxy = await blobProxy(reg, 1_000_000, (req, res, ur) => {
    if (cut.has(req.url ?? '')) { ur.pipe(res); return; }
    cut.add(req.url ?? '');
    let sent = 0;
    ur.on('data', (c: Buffer) => {
      if (sent + c.length >= 1 << 20) { res.write(c.subarray(0, (1 << 20) - sent)); ur.destroy(); res.socket?.destroy(); return; }
      sent += c.length;
      res.write(c);
    });
  });
  try {
    const name = `127.0.0.1:${proxy.port}/team/big:v1`;
    const pull = await dk.run(['pull', name]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.ok(cut.size >= 2, 'both big blobs were cut once');
    assert.equal(await dk.fmt('{{json .RootFS.Layers}}', name), JSON.stringify(diffIds));
    const sum = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    const out = await dk.ok('run', '--rm', '--network', 'none', name, 'sh', '-c', 'sha256sum /big.bin /big2.bin; cat /etc/a.txt; test -e /etc/b.txt || echo b-gone; ls /dir');
    assert.equal(out, `${sum(big)}  /big.bin\n${sum(big.subarray(0, big.length >> 1))}  /big2.bin\none-v2\nb-gone\nnew\n`);
  } finally {
    await proxy.close();
  }
  // A big layer whose tar climbs out of its root: refused with the extractor's words, nothing half-made left.
  const hl = join(tmp, 'layout-big-hostile');
  await writeLayeredLayout(hl, 'v1', 'big-hostile', { big, hostile: true });
  const hostile = `${reg.host}/team/big-hostile:v1`;
  await skopeo('copy', '--dest-tls-verify=false', `oci:${hl}:v1`, `docker://${hostile}`);
  const snaps = (): number => readdirSync(join(d.root, 'data', 'snapshots')).length;
  const before = snaps();
  const refused = await dk.run(['pull', hostile]);
  assert.equal(refused.code, 1, refused.stdout);
  assert.match(refused.stderr, /refusing to extract "\.\.\/escape": path escapes the destination/);
  assert.equal((await dk.ok('images', '-q', `${reg.host}/team/big-hostile`)).trim(), '');
  assert.deepEqual(readdirSync(join(d.root, 'data', 'content', 'ingest')), []);
  assert.equal(snaps(), before + 1, 'only the good first layer stays, committed for a retry');
  assert.equal((await execFileP('find', [d.root, '-name', 'escape'])).stdout, '', 'nothing written outside the layer');
});

test('a token-auth registry: anonymous pull, push only after login (the Bearer flow through pierd)', { skip: skip || (!existsSync('/usr/bin/htpasswd') && 'htpasswd (apache2-utils) is not installed') }, async () => {
  const pw = join(tmp, 'htpasswd-token');
  writeFileSync(pw, (await execFileP('htpasswd', ['-Bbn', 'bob', 'pw'])).stdout);
  const root = join(tmp, 'token');
  const reg = await startPierRegistry(root, ['--auth', 'token', '--htpasswd', pw, '--anonymous-pull']);
  registries.push(reg);
  const env = { ...d.env, DOCKER_CONFIG: join(tmp, 'docker-config-token') };
  const as = async (args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> => {
    const child = execFile(docker, args, { env });
    child.stdin?.end(input ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr?.on('data', (b: Buffer) => { stderr += b.toString(); });
    const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
    return { code, stdout, stderr };
  };
  const name = `${reg.host}/bob/bb:1`;
  await dk.ok('tag', 'busybox', name);
  const anon = await as(['push', name]);
  assert.equal(anon.code, 1);
  assert.match(anon.stderr, /unauthorized|denied/);
  assert.equal((await as(['login', '-u', 'bob', '--password-stdin', reg.host], 'nope\n')).code, 1);
  assert.equal((await as(['login', '-u', 'bob', '--password-stdin', reg.host], 'pw\n')).code, 0);
  const push = await as(['push', name]);
  assert.equal(push.code, 0, push.stderr);
  await as(['logout', reg.host]);
  await dk.ok('rmi', name);
  const pull = await as(['run', '--rm', name, 'echo', 'anonymous pull']);
  assert.equal(pull.code, 0, pull.stderr);
  assert.equal(pull.stdout, 'anonymous pull\n');
});

test('registry mirrors: a docker.io image comes from the first mirror that has it; a dead mirror is skipped; docker info lists them', { skip }, async (t) => {
  const mirror = await registry('pier', 'mirror');
  const layout = join(tmp, 'layout-m');
  await writeLayeredLayout(layout, 'v1', 'mirror');
  // docker.io/library/mirrored:1 and docker.io/team/app:2, as a mirror holds them.
  await skopeo('copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${mirror.host}/library/mirrored:1`);
  await skopeo('copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${mirror.host}/team/app:2`);
  // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
  const m = await startDaemon({ extraArgs: ['--registry-mirror', 'http://127.0.0.1:9', '--registry-mirror', `http://${mirror.host}/`] });
  t.after(() => m.stop());
  const mk = boundCli(docker, () => m);
  const info = JSON.parse(await mk.ok('info', '--format', '{{json .RegistryConfig.Mirrors}}')) as string[];
  assert.deepEqual(info, ['http://127.0.0.1:9/', `http://${mirror.host}/`]);
  const pull = await mk.run(['pull', 'mirrored:1']);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, /Downloaded newer image for mirrored:1/);
  assert.equal(await mk.ok('run', '--rm', 'team/app:2', 'cat', '/salt', '/etc/a.txt'), 'mirrorone-v2\n');
  assert.match(m.logText(), /registry mirror failed, trying the next endpoint/);
  // A name the mirrors do not have falls through to docker.io, unreachable here: docker's error.
  const miss = await mk.run(['pull', 'not-on-the-mirror:1']);
  assert.notEqual(miss.code, 0);
  // A bad mirror is refused at start-up with docker's words.
  const bad = await execFileP(join(pierBin, '..', 'pierd'), ['-H', `unix://${join(tmp, 'bad.sock')}`, '--data-root', join(tmp, 'bad-data'), '--exec-root', join(tmp, 'bad-exec'), '--registry-mirror', 'ftp://mirror.example'])
    .then(() => ({ code: 0, stderr: '' }), (e: { code?: number; stderr?: string }) => ({ code: e.code ?? -1, stderr: e.stderr ?? '' }));
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /invalid mirror: unsupported scheme "ftp" in "ftp:\/\/mirror\.example"/);
});

test('a pull whose client goes away is cancelled: the transfer stops and nothing half-made stays', { skip }, async () => {
  const reg = await registry('pier', 'cancel');
  const layout = join(tmp, 'layout-x');
  await writeLayeredLayout(layout, 'v1', 'cancel');
  await skopeo('copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${reg.host}/team/x:v1`);
  // A proxy that trickles every blob (`rate` bytes every 100 ms) and notes when its client hangs up.
  let rate = 4096;
  const { spawn } = await import('node:child_process');
  let blobStarted!: () => void;
  const started = new Promise<void>((r) => { blobStarted = r; });
  let hungUp!: () => void;
  const cancelled = new Promise<void>((r) => { hungUp = r; });
  const proxy = await blobProxy(reg, 1000, (_req, res, ur) => {
    blobStarted();
    res.on('close', () => { if (!res.writableFinished) hungUp(); });
    ur.pause();
    const timer = setInterval(() => {
      const c = ur.read(rate) as Buffer | null ?? ur.read() as Buffer | null;
      if (c) res.write(c);
      else if (ur.readableEnded) { clearInterval(timer); res.end(); }
    }, 100);
    res.on('close', () => clearInterval(timer));
  });
  const port = proxy.port;
  try {
    const name = `127.0.0.1:${port}/team/x:v1`;
    const cli = spawn(docker ?? 'docker', ['pull', name], { env: d.env, stdio: 'ignore' });
    await started;
    await new Promise((r) => setTimeout(r, 300));
    cli.kill('SIGKILL');
    const outcome = await Promise.race([cancelled.then(() => 'cancelled'), new Promise((r) => setTimeout(() => r('still pulling'), 10_000))]);
    assert.equal(outcome, 'cancelled', 'pierd stops the transfer once its client is gone');
    assert.equal((await dk.ok('images', '-q', `127.0.0.1:${port}/team/x`)).trim(), '');
    let ingest: string[] = [];
    for (let i = 0; i < 50; i++) {
      ingest = readdirSync(join(d.root, 'data', 'content', 'ingest'));
      if (ingest.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(ingest, [], 'no partial blob');
    assert.doesNotMatch(readFileSync('/proc/self/mountinfo', 'utf8'), /pier-extract-/);
    // Two pulls share one transfer; the one whose client leaves does not take the other down.
    rate = 32768;
    const leaver = spawn(docker ?? 'docker', ['pull', name], { env: d.env, stdio: 'ignore' });
    const stayer = dk.run(['pull', name]);
    await new Promise((r) => setTimeout(r, 700));
    leaver.kill('SIGKILL');
    const stayed = await stayer;
    assert.equal(stayed.code, 0, stayed.stderr);
    assert.match(stayed.stdout, /Downloaded newer image/);
  } finally {
    await proxy.close();
  }
});
