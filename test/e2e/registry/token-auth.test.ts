// `pier registry serve --auth token`: the Docker registry token flow driven by
// skopeo (challenge → GET /token with or without Basic credentials → Bearer
// token): pushes need a user of the htpasswd file, pulls need one too unless
// --anonymous-pull is set. Also the flag checks and a persistent signing key.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import bcrypt from 'bcryptjs';
import { pierBin } from '../../harness/pierd.js';
import { buildLayout, needsSkopeo, runProg, sha256, skopeo, startServe, tempDir } from './registry-helpers.js';

async function htpasswdFile(dir: string): Promise<string> {
  const path = join(dir, 'htpasswd');
  await writeFile(path, `ci:${bcrypt.hashSync('pa55word', 5).replace(/^\$2b\$/, '$2y$')}\n`);
  return path;
}

const claims = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;

async function fetchToken(url: string, scope: string, creds?: string): Promise<Response> {
  const headers: Record<string, string> = creds ? { Authorization: `Basic ${Buffer.from(creds).toString('base64')}` } : {};
  return fetch(`${url}/token?service=pier-registry&scope=${encodeURIComponent(scope)}`, { headers });
}

async function serveToken(t: TestContext, dir: string, extra: string[] = []): Promise<Awaited<ReturnType<typeof startServe>>> {
  return startServe(t, join(dir, 'root'), ['--auth', 'token', '--htpasswd', await htpasswdFile(dir), ...extra]);
}

test('with --auth token --anonymous-pull, skopeo pushes with credentials and pulls without', { skip: needsSkopeo }, async (t) => {
  const dir = await tempDir(t);
  const reg = await serveToken(t, dir, ['--anonymous-pull', '--delete']);
  assert.match(reg.stderr(), /token auth: tokens from http:\/\/127\.0\.0\.1:\d+\/token, service "pier-registry", ES256, anonymous pull allowed/);
  const ping = await fetch(`${reg.url}/v2/`);
  assert.equal(ping.status, 401);
  assert.equal(ping.headers.get('www-authenticate'), `Bearer realm="${reg.url}/token",service="pier-registry"`);

  const img = await buildLayout(dir, 'tok', 1 << 20);
  const ref = `docker://${reg.hostPort}/team/app:1`;
  const anonymous = await skopeo(dir, 'copy', '--dest-tls-verify=false', `oci:${img.dir}:tok`, ref);
  assert.notEqual(anonymous.code, 0, 'anonymous push is refused');
  assert.match(anonymous.stderr, /insufficient scope|unauthorized|denied/i);
  const wrong = await skopeo(dir, 'copy', '--dest-tls-verify=false', '--dest-creds', 'ci:nope', `oci:${img.dir}:tok`, ref);
  assert.notEqual(wrong.code, 0, 'wrong credentials get no token');
  const push = await skopeo(dir, 'copy', '--dest-tls-verify=false', '--dest-creds', 'ci:pa55word', `oci:${img.dir}:tok`, ref);
  assert.equal(push.code, 0, push.stderr);

  const out = join(dir, 'pulled');
  const pull = await skopeo(dir, 'copy', '--src-tls-verify=false', ref, `dir:${out}`);
  assert.equal(pull.code, 0, pull.stderr);
  assert.equal(await readFile(join(out, 'manifest.json'), 'utf8'), img.manifest);
  assert.equal(sha256(await readFile(join(out, img.layer.slice(7)))), img.layer);
  const inspect = await skopeo(dir, 'inspect', '--tls-verify=false', ref);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.equal((JSON.parse(inspect.stdout) as { Digest: string }).Digest, img.manifestDigest);

  // Cross-repository copy (a blob mount with pull on the source) and delete need the user too.
  const copy = await skopeo(dir, 'copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--dest-creds', 'ci:pa55word', ref, `docker://${reg.hostPort}/other/app:1`);
  assert.equal(copy.code, 0, copy.stderr);
  assert.notEqual((await skopeo(dir, 'delete', '--tls-verify=false', `docker://${reg.hostPort}/other/app:1`)).code, 0, 'anonymous delete is refused');
  const del = await skopeo(dir, 'delete', '--tls-verify=false', '--creds', 'ci:pa55word', `docker://${reg.hostPort}/other/app:1`);
  assert.equal(del.code, 0, del.stderr);
  assert.notEqual((await skopeo(dir, 'inspect', '--tls-verify=false', `docker://${reg.hostPort}/other/app:1`)).code, 0);

  const anonToken = await fetchToken(reg.url, 'repository:team/app:pull,push');
  assert.equal(anonToken.status, 200);
  assert.deepEqual(claims(((await anonToken.json()) as { token: string }).token)['access'], [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
  const bad = await fetchToken(reg.url, 'repository:team/app:pull', 'ci:nope');
  assert.equal(bad.status, 401);
  assert.equal(((await bad.json()) as { errors: { code: string }[] }).errors[0]?.code, 'UNAUTHORIZED');
});

test('with --auth token and no --anonymous-pull, pulls need credentials too', { skip: needsSkopeo }, async (t) => {
  const dir = await tempDir(t);
  const reg = await serveToken(t, dir);
  const img = await buildLayout(dir, 'priv', 4096);
  const ref = `docker://${reg.hostPort}/team/private:1`;
  const push = await skopeo(dir, 'copy', '--dest-tls-verify=false', '--dest-creds', 'ci:pa55word', `oci:${img.dir}:priv`, ref);
  assert.equal(push.code, 0, push.stderr);
  const anonymous = await skopeo(dir, 'copy', '--src-tls-verify=false', ref, `dir:${join(dir, 'anon')}`);
  assert.notEqual(anonymous.code, 0, 'anonymous pull is refused');
  assert.match(anonymous.stderr, /insufficient scope|unauthorized|denied/i);
  assert.notEqual((await skopeo(dir, 'inspect', '--tls-verify=false', ref)).code, 0);
  const pull = await skopeo(dir, 'copy', '--src-tls-verify=false', '--src-creds', 'ci:pa55word', ref, `dir:${join(dir, 'pulled')}`);
  assert.equal(pull.code, 0, pull.stderr);
  assert.equal(await readFile(join(dir, 'pulled', 'manifest.json'), 'utf8'), img.manifest);
});

test('--auth-token-key signs RS256 with the given key: tokens survive a restart', async (t) => {
  const dir = await tempDir(t);
  const keyPath = join(dir, 'token-key.pem');
  await writeFile(keyPath, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const root = join(dir, 'root');
  const args = ['--auth', 'token', '--htpasswd', await htpasswdFile(dir), '--auth-token-key', keyPath];
  const first = await startServe(t, root, args);
  const res = await fetchToken(first.url, 'repository:team/x:pull', 'ci:pa55word');
  assert.equal(res.status, 200);
  const { token } = (await res.json()) as { token: string };
  assert.equal((JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { alg: string }).alg, 'RS256');
  assert.equal(await first.stop(), 0);
  const second = await startServe(t, root, args);
  const tags = await fetch(`${second.url}/v2/team/x/tags/list`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(tags.status, 404, 'the token is still valid; the repository does not exist');
  assert.equal((await fetch(`${second.url}/v2/`, { headers: { Authorization: `Bearer ${token}x` } })).status, 401);
});

test('pier registry serve exits 1 with one line on unusable token auth flags', async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'root');
  const htpasswd = await htpasswdFile(dir);
  await writeFile(join(dir, 'p384.pem'), generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const cases: [string[], RegExp][] = [
    [['--auth', 'magic'], /^invalid --auth "magic": want htpasswd or token/],
    [['--auth', 'token'], /^--auth token needs --htpasswd \(users who may push\) or --anonymous-pull/],
    [['--auth', 'htpasswd'], /^--auth htpasswd needs --htpasswd/],
    [['--htpasswd', htpasswd, '--anonymous-pull'], /^--anonymous-pull needs --auth token/],
    [['--auth-token-key', join(dir, 'p384.pem')], /^--auth-token-key needs --auth token/],
    [['--auth', 'token', '--anonymous-pull', '--auth-token-key', join(dir, 'missing.pem')], /^cannot read token signing key ".*missing\.pem"/],
    [['--auth', 'token', '--anonymous-pull', '--auth-token-key', htpasswd], /^--auth-token-key ".*htpasswd": not a PEM private key/],
    [['--auth', 'token', '--anonymous-pull', '--auth-token-key', join(dir, 'p384.pem')], /must be EC P-256 \(ES256\) or RSA/],
  ];
  for (const [args, want] of cases) {
    const r = await runProg(pierBin, ['registry', 'serve', '--addr', '127.0.0.1:0', '--root', root, ...args], { timeoutMs: 15_000 });
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, want, args.join(' '));
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
  }
});
