import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import bcrypt from 'bcryptjs';
import { digestOf } from '../pkg/digest/index.js';
import { Htpasswd } from './htpasswd.js';
import { TokenKey } from './jwt.js';
import { imageManifest, startTestRegistry, type TestRegistry } from './start-test-registry.js';
import { parseScopes, requiredAccess, type TokenOptions } from './token-auth.js';

const SERVICE = 'pier-test';
const users = new Htpasswd(`alice:${bcrypt.hashSync('s3cret', 4)}\n`);
const basic = (u: string, p: string): Record<string, string> => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
const bearer = (t: string): Record<string, string> => ({ Authorization: `Bearer ${t}` });
const claims = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
const errorOf = async (res: Response): Promise<{ code: string; message: string; detail?: unknown } | undefined> =>
  ((await res.json()) as { errors: { code: string; message: string; detail?: unknown }[] }).errors[0];

/** The parameters of a `Bearer k="v",…` challenge. */
function bearerParams(header: string | null): Record<string, string> {
  if (header === null) assert.fail('no WWW-Authenticate header');
  assert.ok(header?.startsWith('Bearer '), `a Bearer challenge: ${header}`);
  return Object.fromEntries([...header.slice(7).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

function start(t: TestContext, token: TokenOptions = {}): Promise<TestRegistry> {
  return startTestRegistry(t, { htpasswd: users, realm: SERVICE, token, allowDelete: true });
}

/** GET /token as a docker client does; resolves the token (asserting 200). */
async function getToken(r: TestRegistry, scope: string[], headers: Record<string, string> = {}): Promise<string> {
  const q = new URLSearchParams({ service: SERVICE });
  for (const s of scope) q.append('scope', s);
  const res = await r.req(`/token?${q}`, { headers });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { token: string }).token;
}

/** Pushes a config, a layer and a manifest with `token`. */
async function pushImage(r: TestRegistry, name: string, tag: string, token: string): Promise<void> {
  const put = async (bytes: string): Promise<{ digest: ReturnType<typeof digestOf>; size: number }> => {
    const digest = digestOf(bytes);
    const res = await r.req(`/v2/${name}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: bytes, headers: bearer(token) });
    assert.equal(res.status, 201, await res.text());
    return { digest, size: bytes.length };
  };
  const config = await put(JSON.stringify({ architecture: 'amd64', os: 'linux', tag }));
  const layer = await put(`layer ${tag}`);
  const res = await r.req(`/v2/${name}/manifests/${tag}`, {
    method: 'PUT', body: imageManifest({ config, layers: [layer] }),
    headers: { ...bearer(token), 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  assert.equal(res.status, 201, await res.text());
}

test('the token flow: 401 challenge, token from the realm with Basic credentials, then access with the Bearer token', async (t) => {
  const r = await start(t);
  const port = new URL(r.url).port;

  const base = await r.req('/v2/');
  assert.equal(base.status, 401);
  assert.equal(base.headers.get('www-authenticate'), `Bearer realm="http://127.0.0.1:${port}/token",service="${SERVICE}"`);
  assert.equal((await errorOf(base))?.code, 'UNAUTHORIZED');

  const push = await r.req('/v2/team/x/manifests/1', { method: 'PUT', body: '{}' });
  assert.equal(push.status, 401);
  const ch = bearerParams(push.headers.get('www-authenticate'));
  assert.deepEqual(ch, { realm: `http://127.0.0.1:${port}/token`, service: SERVICE, scope: 'repository:team/x:pull,push' });
  assert.deepEqual((await errorOf(push))?.detail, [{ Type: 'repository', Name: 'team/x', Action: 'pull' }, { Type: 'repository', Name: 'team/x', Action: 'push' }]);
  assert.equal(bearerParams((await r.req('/v2/team/x/tags/list')).headers.get('www-authenticate'))['scope'], 'repository:team/x:pull');
  assert.equal(bearerParams((await r.req('/v2/_catalog')).headers.get('www-authenticate'))['scope'], 'registry:catalog:*');

  // The realm as the challenge gives it; the Host header picks the address.
  const res = await fetch(`${ch['realm']}?service=${ch['service']}&scope=${encodeURIComponent(ch['scope'] ?? '')}`, { headers: basic('alice', 's3cret') });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const body = (await res.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
  assert.equal(body.access_token, body.token);
  assert.equal(body.expires_in, 300);
  assert.ok(Math.abs(Date.parse(body.issued_at) - Date.now()) < 5000, body.issued_at);
  const c = claims(body.token);
  assert.equal(c['iss'], SERVICE);
  assert.equal(c['aud'], SERVICE);
  assert.equal(c['sub'], 'alice');
  assert.equal(c['exp'], (c['iat'] as number) + 300);
  assert.equal(c['nbf'], c['iat']);
  assert.match(String(c['jti']), /^[A-Za-z0-9_-]{22}$/);
  assert.deepEqual(c['access'], [{ type: 'repository', name: 'team/x', actions: ['pull', 'push'] }]);
  assert.equal(JSON.parse(Buffer.from(body.token.split('.')[0] ?? '', 'base64url').toString()).alg, 'ES256');

  assert.equal((await r.req('/v2/', { headers: bearer(body.token) })).status, 200);
  await pushImage(r, 'team/x', '1', body.token);
  const get = await r.req('/v2/team/x/manifests/1', { headers: { ...bearer(body.token), Accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(get.status, 200);
  assert.deepEqual(await (await r.req('/v2/team/x/tags/list', { headers: bearer(body.token) })).json(), { name: 'team/x', tags: ['1'] });
  const catalog = await getToken(r, ['registry:catalog:*'], basic('alice', 's3cret'));
  assert.deepEqual(await (await r.req('/v2/_catalog', { headers: bearer(catalog) })).json(), { repositories: ['team/x'] });
  assert.equal((await r.req('/v2/_catalog', { headers: bearer(body.token) })).status, 401, 'a repository token does not list the catalog');
});

test('with anonymousPull an anonymous token pulls but cannot push', async (t) => {
  const r = await start(t, { anonymousPull: true });
  await pushImage(r, 'team/x', '1', await getToken(r, ['repository:team/x:pull,push'], basic('alice', 's3cret')));
  const anon = await getToken(r, ['repository:team/x:pull,push', 'repository:team/x:pull']);
  assert.equal(claims(anon)['sub'], '');
  assert.deepEqual(claims(anon)['access'], [{ type: 'repository', name: 'team/x', actions: ['pull'] }]);
  assert.equal((await r.req('/v2/team/x/manifests/1', { headers: bearer(anon) })).status, 200);
  assert.equal((await r.req('/v2/team/x/manifests/1', { method: 'HEAD', headers: bearer(anon) })).status, 200);

  const post = await r.req('/v2/team/x/blobs/uploads/', { method: 'POST', headers: bearer(anon) });
  assert.equal(post.status, 401);
  assert.deepEqual(bearerParams(post.headers.get('www-authenticate')), {
    realm: `${r.url}/token`, service: SERVICE, scope: 'repository:team/x:pull,push', error: 'insufficient_scope',
  });
  assert.equal((await errorOf(post))?.code, 'UNAUTHORIZED');
  const del = await r.req('/v2/team/x/manifests/1', { method: 'DELETE', headers: bearer(anon) });
  assert.equal(del.status, 401);
  assert.equal(bearerParams(del.headers.get('www-authenticate'))['scope'], 'repository:team/x:delete');
  assert.equal((await r.req('/v2/team/x/manifests/1', { headers: bearer(anon) })).status, 200, 'still there');
  const catalog = await getToken(r, ['registry:catalog:*']);
  assert.deepEqual(claims(catalog)['access'], [], 'anonymous users do not list the catalog');
});

test('without anonymousPull an anonymous token grants nothing: /v2/ only, 401 insufficient_scope elsewhere', async (t) => {
  const r = await start(t);
  await pushImage(r, 'team/x', '1', await getToken(r, ['repository:team/x:push,pull'], basic('alice', 's3cret')));
  const anon = await getToken(r, ['repository:team/x:pull']);
  assert.deepEqual(claims(anon)['access'], []);
  assert.equal((await r.req('/v2/', { headers: bearer(anon) })).status, 200);
  const get = await r.req('/v2/team/x/manifests/1', { headers: bearer(anon) });
  assert.equal(get.status, 401);
  assert.equal(bearerParams(get.headers.get('www-authenticate'))['error'], 'insufficient_scope');
});

test('the token endpoint: wrong credentials are 401 with a JSON error; bad service, scope or grant 400; POST password grant works', async (t) => {
  const r = await start(t);
  for (const headers of [basic('alice', 'wrong'), basic('bob', 's3cret'), { Authorization: 'Bearer abc' }]) {
    const res = await r.req(`/token?service=${SERVICE}&scope=repository:team/x:pull`, { headers });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), `Basic realm="${SERVICE}"`);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await errorOf(res), { code: 'UNAUTHORIZED', message: 'invalid username or password' });
  }
  assert.equal((await r.req('/token?service=other', { headers: basic('alice', 's3cret') })).status, 400);
  assert.equal((await r.req('/token?scope=nonsense', { headers: basic('alice', 's3cret') })).status, 400);
  assert.equal((await r.req('/token', { method: 'DELETE' })).status, 405);

  const form = (f: Record<string, string>): RequestInit => ({ method: 'POST', body: new URLSearchParams(f), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  const ok = await r.req('/token', form({ grant_type: 'password', username: 'alice', password: 's3cret', service: SERVICE, scope: 'repository:team/x:pull', client_id: 'test' }));
  assert.equal(ok.status, 200);
  const { access_token: token } = (await ok.json()) as { access_token: string };
  assert.deepEqual(claims(token)['access'], [{ type: 'repository', name: 'team/x', actions: ['pull'] }]);
  assert.equal((await r.req('/token', form({ grant_type: 'password', username: 'alice', password: 'no', service: SERVICE }))).status, 401);
  assert.equal((await r.req('/token', form({ grant_type: 'refresh_token', refresh_token: 'x', service: SERVICE }))).status, 400);
  // Without token auth /token is no endpoint at all.
  const plain = await startTestRegistry(t);
  assert.equal((await plain.req('/token')).status, 404);
});

test('expired, not-yet-valid, tampered, foreign and malformed tokens are 401 invalid_token', async (t) => {
  const key = TokenKey.generate();
  let now = Date.now();
  const r = await start(t, { key, now: () => now });
  const token = await getToken(r, ['repository:team/x:pull'], basic('alice', 's3cret'));
  const tags = (tok: string): Promise<Response> => r.req('/v2/team/x/tags/list', { headers: bearer(tok) });
  assert.equal((await tags(token)).status, 404, 'valid: the repository is unknown');

  now += 330_000; // past exp (300 s), within the 60 s leeway
  assert.equal((await tags(token)).status, 404);
  now += 60_000;
  const expired = await tags(token);
  assert.equal(expired.status, 401);
  assert.equal(bearerParams(expired.headers.get('www-authenticate'))['error'], 'invalid_token');
  assert.equal((await errorOf(expired))?.message, 'token expired');
  now = Date.now();

  const sec = Math.floor(now / 1000);
  const good = { iss: SERVICE, sub: 'alice', aud: SERVICE, iat: sec, nbf: sec, exp: sec + 300, jti: 'x', access: [{ type: 'repository', name: 'team/x', actions: ['pull'] }] };
  assert.equal((await tags(key.sign(good))).status, 404);
  assert.equal((await tags(key.sign({ ...good, aud: [SERVICE, 'other'] }))).status, 404, 'aud may be a list');
  const cases: [string, string][] = [
    [key.sign({ ...good, exp: sec - 120 }), 'token expired'],
    [key.sign({ ...good, nbf: sec + 120 }), 'token not valid yet'],
    [key.sign({ ...good, aud: 'other-service' }), 'token is for another service'],
    [key.sign({ ...good, iss: 'someone-else' }), 'token issued by another issuer'],
    [key.sign({ ...good, exp: undefined }), 'token has no expiry'],
    [key.sign({ ...good, access: [{ type: 'repository', name: 'team/x', actions: 'pull' }] }), 'malformed token access claim'],
    [TokenKey.generate().sign(good), 'token signed by an unknown key'],
    ['not-a-jwt', 'malformed token: not a JWS compact serialization'],
  ];
  const [h, , s] = token.split('.');
  const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims(token), access: [{ type: 'repository', name: 'team/x', actions: ['pull', 'push'] }] })).toString('base64url')}.${s}`;
  cases.push([tampered, 'invalid token signature']);
  for (const [tok, why] of cases) {
    const res = await tags(tok);
    assert.equal(res.status, 401, why);
    assert.equal(bearerParams(res.headers.get('www-authenticate'))['error'], 'invalid_token', why);
    assert.equal((await errorOf(res))?.message, why);
  }
  assert.equal((await r.req('/v2/team/x/blobs/uploads/', { method: 'POST', headers: bearer(tampered) })).status, 401);
  const basicToApi = await r.req('/v2/', { headers: basic('alice', 's3cret') });
  assert.equal(basicToApi.status, 401, 'the API takes tokens only');
  assert.equal(bearerParams(basicToApi.headers.get('www-authenticate'))['error'], undefined);
});

test('a token for one repository is insufficient_scope on another; push covers DELETE', async (t) => {
  const r = await start(t);
  const a = await getToken(r, ['repository:team/a:pull,push'], basic('alice', 's3cret'));
  await pushImage(r, 'team/a', '1', a);
  const other = await r.req('/v2/team/b/blobs/uploads/', { method: 'POST', headers: bearer(a) });
  assert.equal(other.status, 401);
  assert.deepEqual(bearerParams(other.headers.get('www-authenticate')), {
    realm: `${r.url}/token`, service: SERVICE, scope: 'repository:team/b:pull,push', error: 'insufficient_scope',
  });
  const pullOnly = await getToken(r, ['repository:team/a:pull'], basic('alice', 's3cret'));
  assert.equal((await r.req('/v2/team/a/blobs/uploads/', { method: 'POST', headers: bearer(pullOnly) })).status, 401);
  assert.equal((await r.req('/v2/team/a/manifests/1', { method: 'DELETE', headers: bearer(pullOnly) })).status, 401);
  assert.equal((await r.req('/v2/team/a/manifests/1', { method: 'DELETE', headers: bearer(a) })).status, 202);
  // containers/image asks for `*` to delete, distribution's client for `delete`.
  const star = await getToken(r, ['repository:team/c:*'], basic('alice', 's3cret'));
  assert.deepEqual(claims(star)['access'], [{ type: 'repository', name: 'team/c', actions: ['*'] }]);
  await pushImage(r, 'team/c', '1', star);
});

test('a cross-repository mount needs pull on `from`; without it the POST is an ordinary upload', async (t) => {
  const r = await start(t);
  await pushImage(r, 'team/src', '1', await getToken(r, ['repository:team/src:pull,push'], basic('alice', 's3cret')));
  const layer = digestOf('layer 1');
  const dstOnly = await getToken(r, ['repository:team/dst:pull,push'], basic('alice', 's3cret'));
  const noMount = await r.req(`/v2/team/dst/blobs/uploads/?mount=${layer}&from=team/src`, { method: 'POST', headers: bearer(dstOnly) });
  assert.equal(noMount.status, 202);
  const both = await getToken(r, ['repository:team/dst:pull,push', 'repository:team/src:pull'], basic('alice', 's3cret'));
  const mounted = await r.req(`/v2/team/dst/blobs/uploads/?mount=${layer}&from=team/src`, { method: 'POST', headers: bearer(both) });
  assert.equal(mounted.status, 201);
});

test('parseScopes and requiredAccess', () => {
  assert.deepEqual(parseScopes(['repository:team/x:pull,push repository(plugin):p:pull', 'registry:catalog:*']), [
    { type: 'repository', name: 'team/x', actions: ['pull', 'push'] },
    { type: 'repository', name: 'p', actions: ['pull'] },
    { type: 'registry', name: 'catalog', actions: ['*'] },
  ]);
  assert.deepEqual(parseScopes([]), []);
  assert.equal(parseScopes(['repository:x']), undefined);
  assert.equal(parseScopes(['Repo:x:pull']), undefined);
  assert.deepEqual(requiredAccess({ kind: 'base' }, 'GET'), []);
  assert.deepEqual(requiredAccess({ kind: 'blob', name: 'a', digest: 'x' }, 'HEAD'), [{ type: 'repository', name: 'a', action: 'pull' }]);
  assert.deepEqual(requiredAccess({ kind: 'upload', name: 'a', id: 'x' }, 'PATCH').map((a) => a.action), ['pull', 'push']);
  assert.deepEqual(requiredAccess({ kind: 'blob', name: 'a', digest: 'x' }, 'DELETE').map((a) => a.action), ['delete']);
});
