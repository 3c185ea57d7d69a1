import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestRegistry } from './start-test-registry.js';

test('GET /v2/ is 200 {} with the API version header', async (t) => {
  const r = await startTestRegistry(t);
  const res = await r.req('/v2/');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
  assert.deepEqual(await res.json(), {});
  assert.equal((await r.req('/v2')).status, 200);
});

test('tags are listed in lexical order and paginated with n, last and a Link header', async (t) => {
  const r = await startTestRegistry(t);
  const img = await r.pushImage('team/x', 'v1');
  for (const tag of ['b', 'a', 'latest', 'V2', '1.0']) assert.equal((await r.putManifest('team/x', tag, img.manifestBytes)).status, 201);
  const all = await r.req('/v2/team/x/tags/list');
  assert.equal(all.status, 200);
  assert.equal(all.headers.get('link'), null);
  assert.deepEqual(await all.json(), { name: 'team/x', tags: ['1.0', 'V2', 'a', 'b', 'latest', 'v1'] });

  const seen: string[] = [];
  let next: string | undefined = '/v2/team/x/tags/list?n=4';
  const links: string[] = [];
  while (next !== undefined) {
    const res: Response = await r.req(next);
    seen.push(...((await res.json()) as { tags: string[] }).tags);
    const link = res.headers.get('link');
    if (link !== null) links.push(link);
    next = link === null ? undefined : /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
  }
  assert.deepEqual(seen, ['1.0', 'V2', 'a', 'b', 'latest', 'v1']);
  assert.deepEqual(links, ['</v2/team/x/tags/list?n=4&last=b>; rel="next"']);
  assert.deepEqual(await (await r.req('/v2/team/x/tags/list?last=b')).json(), { name: 'team/x', tags: ['latest', 'v1'] });
  assert.deepEqual(await (await r.req('/v2/team/x/tags/list?n=0')).json(), { name: 'team/x', tags: [] });
});

test('tags of an unknown repository are 404 NAME_UNKNOWN; a bad n is 400 PAGINATION_NUMBER_INVALID', async (t) => {
  const r = await startTestRegistry(t);
  const res = await r.req('/v2/team/none/tags/list');
  assert.equal(res.status, 404);
  assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code, 'NAME_UNKNOWN');
  await r.pushImage('team/x', '1');
  const bad = await r.req('/v2/team/x/tags/list?n=-1');
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { errors: { code: string }[] }).errors[0]?.code, 'PAGINATION_NUMBER_INVALID');
});

test('the catalog lists repositories with manifests, nested names included, with pagination', async (t) => {
  const r = await startTestRegistry(t);
  for (const name of ['team/x', 'team', 'alpha/beta/gamma', 'zed']) await r.pushImage(name, '1');
  await r.pushBlob('only/blobs', 'no manifest here');
  const res = await r.req('/v2/_catalog');
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { repositories: ['alpha/beta/gamma', 'team', 'team/x', 'zed'] });
  const page = await r.req('/v2/_catalog?n=2');
  assert.deepEqual(await page.json(), { repositories: ['alpha/beta/gamma', 'team'] });
  assert.equal(page.headers.get('link'), '</v2/_catalog?n=2&last=team>; rel="next"');
  const rest = await r.req('/v2/_catalog?n=2&last=team');
  assert.deepEqual(await rest.json(), { repositories: ['team/x', 'zed'] });
  assert.equal(rest.headers.get('link'), null);
});
