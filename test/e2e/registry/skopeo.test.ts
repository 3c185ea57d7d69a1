// `pier registry serve` driven by skopeo, a real OCI/docker registry client:
// push from an OCI layout, inspect, list tags, pull back byte for byte,
// cross-repository copy, delete, garbage collection, and basic auth.
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import bcrypt from 'bcryptjs';
import { pierBin } from '../../harness/pierd.js';
import { buildLayout, needsSkopeo, runProg, sha256, skopeo, startServe, tempDir } from './registry-helpers.js';

const LAYER_BYTES = 8 << 20;

test('skopeo pushes an OCI layout, inspects it, lists its tags and pulls it back unchanged', { skip: needsSkopeo }, async (t) => {
  const dir = await tempDir(t);
  const reg = await startServe(t, join(dir, 'root'));
  const img = await buildLayout(dir, '1', LAYER_BYTES);
  const ref = `docker://${reg.hostPort}/team/x:1`;

  const push = await skopeo(dir, 'copy', '--dest-tls-verify=false', `oci:${img.dir}:1`, ref);
  assert.equal(push.code, 0, push.stderr);

  const inspect = await skopeo(dir, 'inspect', '--tls-verify=false', ref);
  assert.equal(inspect.code, 0, inspect.stderr);
  const info = JSON.parse(inspect.stdout) as { Digest: string; RepoTags: string[]; Layers: string[]; Architecture: string };
  assert.equal(info.Digest, img.manifestDigest);
  assert.deepEqual(info.RepoTags, ['1']);
  assert.deepEqual(info.Layers, [img.layer]);
  assert.equal(info.Architecture, 'amd64');

  const raw = await skopeo(dir, 'inspect', '--raw', '--tls-verify=false', ref);
  assert.equal(raw.stdout, img.manifest, 'the manifest is served byte for byte');

  const out = join(dir, 'pulled');
  const pull = await skopeo(dir, 'copy', '--src-tls-verify=false', ref, `dir:${out}`);
  assert.equal(pull.code, 0, pull.stderr);
  assert.equal(await readFile(join(out, 'manifest.json'), 'utf8'), img.manifest);
  for (const d of [img.layer, img.config]) {
    assert.equal(sha256(await readFile(join(out, d.slice(7)))), d, `blob ${d} pulled intact`);
  }
  assert.equal(sha256(await readFile(join(img.dir, 'blobs', 'sha256', img.layer.slice(7)))), img.layer);

  const second = await buildLayout(dir, '2', 1024);
  assert.equal((await skopeo(dir, 'copy', '--dest-tls-verify=false', `oci:${second.dir}:2`, `docker://${reg.hostPort}/team/x:2`)).code, 0);
  const tags = await skopeo(dir, 'list-tags', '--tls-verify=false', `docker://${reg.hostPort}/team/x`);
  assert.equal(tags.code, 0, tags.stderr);
  assert.deepEqual((JSON.parse(tags.stdout) as { Tags: string[] }).Tags, ['1', '2']);
  assert.deepEqual(await (await fetch(`${reg.url}/v2/_catalog`)).json(), { repositories: ['team/x'] });
});

test('skopeo copies between repositories of the registry (blobs mounted, not re-sent)', { skip: needsSkopeo }, async (t) => {
  const dir = await tempDir(t);
  const reg = await startServe(t, join(dir, 'root'));
  const img = await buildLayout(dir, 'v1', 1 << 20);
  assert.equal((await skopeo(dir, 'copy', '--dest-tls-verify=false', `oci:${img.dir}:v1`, `docker://${reg.hostPort}/team/src:v1`)).code, 0);
  const copy = await skopeo(dir, 'copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${reg.hostPort}/team/src:v1`, `docker://${reg.hostPort}/other/dst:latest`);
  assert.equal(copy.code, 0, copy.stderr);
  const inspect = JSON.parse((await skopeo(dir, 'inspect', '--tls-verify=false', `docker://${reg.hostPort}/other/dst:latest`)).stdout) as { Digest: string };
  assert.equal(inspect.Digest, img.manifestDigest);
  const blobs = await readdir(join(reg.root, 'blobs', 'sha256'), { recursive: true });
  assert.equal(blobs.filter((b) => b.includes('/')).length, 3, 'layer, config and manifest stored once');
});

test('skopeo delete removes a manifest when --delete is set; registry gc then frees its blobs', { skip: needsSkopeo }, async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'root');
  const reg = await startServe(t, root, ['--delete']);
  const keep = await buildLayout(dir, 'keep', 4096);
  const drop = await buildLayout(dir, 'drop', 4096);
  assert.equal((await skopeo(dir, 'copy', '--dest-tls-verify=false', `oci:${keep.dir}:keep`, `docker://${reg.hostPort}/team/keep:1`)).code, 0);
  assert.equal((await skopeo(dir, 'copy', '--dest-tls-verify=false', `oci:${drop.dir}:drop`, `docker://${reg.hostPort}/team/drop:1`)).code, 0);
  const del = await skopeo(dir, 'delete', '--tls-verify=false', `docker://${reg.hostPort}/team/drop:1`);
  assert.equal(del.code, 0, del.stderr);
  const gone = await skopeo(dir, 'inspect', '--tls-verify=false', `docker://${reg.hostPort}/team/drop:1`);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /manifest unknown/);
  assert.equal(await reg.stop(), 0, 'SIGTERM ends the server with 0');

  const dry = await runProg(pierBin, ['registry', 'gc', '--root', root, '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  for (const d of [drop.manifestDigest, drop.config, drop.layer]) assert.match(dry.stdout, new RegExp(`blob eligible for deletion: ${d}`));
  assert.doesNotMatch(dry.stdout, new RegExp(keep.layer));
  const gc = await runProg(pierBin, ['registry', 'gc', '--root', root]);
  assert.equal(gc.code, 0, gc.stderr);
  assert.match(gc.stdout, /3 blobs marked, 3 blobs eligible for deletion\n$/);
  const again = await runProg(pierBin, ['registry', 'gc', '--root', root]);
  assert.match(again.stdout, /3 blobs marked, 0 blobs eligible for deletion\n$/);

  const back = await startServe(t, root);
  const pull = await skopeo(dir, 'copy', '--src-tls-verify=false', `docker://${back.hostPort}/team/keep:1`, `dir:${join(dir, 'kept')}`);
  assert.equal(pull.code, 0, pull.stderr);
});

test('skopeo delete is refused without --delete', { skip: needsSkopeo }, async (t) => {
  const dir = await tempDir(t);
  const reg = await startServe(t, join(dir, 'root'));
  const img = await buildLayout(dir, 'x', 1024);
  assert.equal((await skopeo(dir, 'copy', '--dest-tls-verify=false', `oci:${img.dir}:x`, `docker://${reg.hostPort}/team/x:1`)).code, 0);
  const del = await skopeo(dir, 'delete', '--tls-verify=false', `docker://${reg.hostPort}/team/x:1`);
  assert.notEqual(del.code, 0);
  assert.equal((await skopeo(dir, 'inspect', '--tls-verify=false', `docker://${reg.hostPort}/team/x:1`)).code, 0);
});

test('with --htpasswd, skopeo needs the right credentials to push and pull', { skip: needsSkopeo }, async (t) => {
  const dir = await tempDir(t);
  const htpasswd = join(dir, 'htpasswd');
  await writeFile(htpasswd, `ci:${bcrypt.hashSync('pa55word', 5).replace(/^\$2b\$/, '$2y$')}\n`);
  const reg = await startServe(t, join(dir, 'root'), ['--htpasswd', htpasswd, '--realm', 'pier e2e']);
  const img = await buildLayout(dir, 'auth', 1024);
  const ref = `docker://${reg.hostPort}/team/private:1`;
  const anonymous = await skopeo(dir, 'copy', '--dest-tls-verify=false', `oci:${img.dir}:auth`, ref);
  assert.notEqual(anonymous.code, 0);
  assert.match(anonymous.stderr, /authentication required|unauthorized/i);
  const wrong = await skopeo(dir, 'copy', '--dest-tls-verify=false', '--dest-creds', 'ci:nope', `oci:${img.dir}:auth`, ref);
  assert.notEqual(wrong.code, 0);
  const ok = await skopeo(dir, 'copy', '--dest-tls-verify=false', '--dest-creds', 'ci:pa55word', `oci:${img.dir}:auth`, ref);
  assert.equal(ok.code, 0, ok.stderr);
  const inspect = await skopeo(dir, 'inspect', '--tls-verify=false', '--creds', 'ci:pa55word', ref);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.equal((JSON.parse(inspect.stdout) as { Digest: string }).Digest, img.manifestDigest);
  const res = await fetch(`${reg.url}/v2/`);
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('www-authenticate'), 'Basic realm="pier e2e"');
});
