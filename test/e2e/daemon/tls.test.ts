// TLS as dockerd does it, through the real docker CLI and pier: a TCP listener with
// --tlsverify serves clients whose certificate the CA signed; one without a certificate, one
// signed by another CA, and plain HTTP are refused before any API call runs. Bad TLS files and
// a non-loopback plain TCP listener stop pierd with one line naming the fix.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dockerBin, pierBin, run, startDaemon, type PrivateDaemon } from '../../harness/pierd.js';
import { e2eSkip } from '../../harness/clients.js';
import { randomPorts } from '../networks/net-helpers.js';

const execFileP = promisify(execFile);
const skip = e2eSkip('tls e2e', { needsDocker: true });
let dir: string;
let port: number;
let d: PrivateDaemon | undefined;

function makeCerts(to: string): void {
  const o = (...args: string[]): void => { execFileSync('openssl', args, { cwd: to, stdio: 'ignore' }); };
  o('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=pier-test-ca', '-keyout', 'ca-key.pem', '-out', 'ca.pem');
  o('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server-key.pem', '-out', 'server.csr');
  writeFileSync(join(to, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  o('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.pem');
  o('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=client', '-keyout', 'key.pem', '-out', 'client.csr');
  writeFileSync(join(to, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  o('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-extfile', 'client.ext', '-out', 'cert.pem');
  mkdirSync(join(to, 'rogue'));
  o('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=rogue', '-keyout', 'rogue/key.pem', '-out', 'rogue/cert.pem');
  copyFileSync(join(to, 'ca.pem'), join(to, 'rogue', 'ca.pem'));
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'pier-tls-e2e-'));
  makeCerts(dir);
  port = await randomPorts(1);
  d = await startDaemon({ extraArgs: ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', join(dir, 'ca.pem'), '--tlscert', join(dir, 'server.pem'), '--tlskey', join(dir, 'server-key.pem')] });
});

after(async () => {
  await d?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const over = (certDir: string | undefined, bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: certDir ? '1' : '', DOCKER_CERT_PATH: certDir ?? '' };
  delete env['PIER_HOST'];
  return execFileP(bin, args, { env, timeout: 30_000 }).then((r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }), (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }));
};

test('a client whose certificate the CA signed is served, streams included (docker CLI and pier)', { skip }, async () => {
  const docker = dockerBin() ?? 'docker';
  const v = await over(dir, docker, ['version', '--format', '{{.Server.Version}}']);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout.trim(), '0.1.0');
  const r = await over(dir, docker, ['run', '--rm', 'busybox', 'echo', 'over-tls']);
  assert.equal(r.stdout, 'over-tls\n', r.stderr);
  const p = await over(dir, pierBin, ['run', '--rm', 'busybox', 'echo', 'pier-over-tls']);
  assert.equal(p.stdout, 'pier-over-tls\n', p.stderr);
  // The unix socket keeps working beside it.
  assert.equal((await run(pierBin, ['version', '--format', '{{.Server.Version}}'], d as PrivateDaemon)).stdout.trim(), '0.1.0');
});

test('no certificate, a certificate from another CA, and plain HTTP are refused before any call runs', { skip }, async () => {
  const docker = dockerBin() ?? 'docker';
  const rogue = await over(join(dir, 'rogue'), docker, ['ps']);
  assert.notEqual(rogue.code, 0);
  assert.match(rogue.stderr, /tls|certificate/i);
  const mine = await over(join(dir, 'rogue'), pierBin, ['ps']);
  assert.notEqual(mine.code, 0);
  assert.match(mine.stderr, /TLS handshake failed/);
  const plain = await over(undefined, docker, ['ps']);
  assert.notEqual(plain.code, 0);
  const noCert = await execFileP('curl', ['-sf', '--cacert', join(dir, 'ca.pem'), `https://127.0.0.1:${port}/_ping`]).then(() => 0, (e: { code?: number }) => e.code ?? -1);
  assert.notEqual(noCert, 0, 'TLS without a client certificate is refused');
});

test('pierd refuses to start: plain TCP on a non-loopback address, a key that does not match, a missing CA', { skip }, async () => {
  const pierd = join(pierBin, '..', 'pierd');
  const start = (extra: string[]): Promise<{ code: number; stderr: string }> => execFileP(pierd, ['-H', `unix://${join(dir, 'x.sock')}`, '--data-root', join(dir, 'xd'), '--exec-root', join(dir, 'xe'), ...extra], { timeout: 20_000 })
    .then(() => ({ code: 0, stderr: '' }), (e: { code?: number; stderr?: string }) => ({ code: e.code ?? -1, stderr: e.stderr ?? '' }));
  const open = await start(['-H', 'tcp://0.0.0.0:2399']);
  assert.equal(open.code, 1);
  assert.match(open.stderr, /refusing to listen on tcp:\/\/0\.0\.0\.0:2399 without --tlsverify.*--insecure-tcp/);
  const mismatch = await start(['-H', 'tcp://127.0.0.1:2399', '--tlsverify', '--tlscacert', join(dir, 'ca.pem'), '--tlscert', join(dir, 'server.pem'), '--tlskey', join(dir, 'key.pem')]);
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.stderr, new RegExp(`the TLS key ${join(dir, 'key.pem')} does not match the certificate`));
  const noCa = await start(['-H', 'tcp://127.0.0.1:2399', '--tlsverify', '--tlscacert', join(dir, 'nope.pem'), '--tlscert', join(dir, 'server.pem'), '--tlskey', join(dir, 'server-key.pem')]);
  assert.equal(noCa.code, 1);
  assert.match(noCa.stderr, /could not read the TLS CA certificate .*nope\.pem \(ENOENT\): set --tlscacert/);
});
