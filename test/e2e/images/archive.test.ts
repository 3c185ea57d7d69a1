// End to end: docker save / load / commit / history through pierd, with the real
// docker CLI and pier, including archives made elsewhere and hostile ones.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { usePrivateDaemon, pierBin, type PrivateDaemon } from '../../harness/pierd.js';
import { e2eSkip, rawRequest } from '../../harness/clients.js';
import { boundCli, docker, removeContainers } from '../cli/cli-helpers.js';
import { writeLayeredLayout } from './registry-fixtures.js';

const execFileP = promisify(execFile);
const skip = e2eSkip('image archive e2e', { needsDocker: true });

let d: PrivateDaemon;
const dk = boundCli(docker, () => d);
const pier = boundCli(pierBin, () => d);
usePrivateDaemon(skip, (x) => { d = x; });

let tmp: string;
before(() => { tmp = mkdtempSync(join(tmpdir(), 'pier-archive-e2e-')); });
after(() => { rmSync(tmp, { recursive: true, force: true }); });

const scratchEmpty = (): void => {
  let left: string[] = [];
  try { left = readdirSync(join(d.root, 'data', 'tmp')); } catch { /* never made */ }
  assert.deepEqual(left, [], 'load leaves nothing in its scratch dir');
};

test('commit keeps the container\'s changes (a deleted file stays deleted) and -c, -m; history lists it', { skip }, async (t) => {
  t.after(() => removeContainers(d, 'ar-commit'));
  await dk.ok('run', '--name', 'ar-commit', 'busybox', 'sh', '-c', 'echo made > /made; rm /etc/group');
  const id = (await pier.ok('commit', '-c', 'CMD ["cat","/made"]', '-c', 'ENV A=1', '-m', 'snapshot one', 'ar-commit', 'ar/committed:1')).trim();
  assert.match(id, /^sha256:[a-f0-9]{64}$/);
  assert.equal(await dk.ok('run', '--rm', 'ar/committed:1'), 'made\n');
  assert.equal(await dk.ok('run', '--rm', 'ar/committed:1', 'sh', '-c', 'test -e /etc/group || echo gone; echo $A'), 'gone\n1\n');
  const hist = (await dk.ok('history', '--format', '{{.Comment}}|{{.CreatedBy}}', 'ar/committed:1')).trim().split('\n');
  assert.equal(hist.length, 2);
  assert.equal(hist[0], 'snapshot one|sh -c echo made > /made; rm /etc/group');
  assert.equal(await dk.fmt('{{.Parent}}', 'ar/committed:1'), await dk.fmt('{{.Id}}', 'busybox'));
});

test('save of two images, rmi, load: same IDs and tags back; pier save | docker load works too', { skip }, async () => {
  await dk.ok('tag', 'busybox', 'ar/second:2');
  const file = join(tmp, 'two.tar');
  await dk.ok('save', '-o', file, 'busybox', 'ar/second:2');
  const listing = (await execFileP('tar', ['tf', file])).stdout.split('\n');
  for (const f of ['manifest.json', 'index.json', 'oci-layout']) assert.ok(listing.includes(f), `${f} in the archive`);
  const id = await dk.fmt('{{.Id}}', 'busybox');
  await dk.ok('rmi', 'ar/second:2');
  const load = await dk.run(['load', '-i', file]);
  assert.equal(load.code, 0, load.stderr);
  assert.match(load.stdout, /Loaded image: ar\/second:2\n/);
  assert.match(load.stdout, /Loaded image: busybox:latest\n/);
  assert.equal(await dk.fmt('{{.Id}}', 'ar/second:2'), id);
  // pier's save, streamed into docker's load.
  const piped = await execFileP('bash', ['-c', `${pierBin} save ar/second:2 | ${docker} load`], { env: d.env });
  assert.equal(piped.stdout, 'Loaded image: ar/second:2\n');
  scratchEmpty();
});

test('load takes a bare OCI layout with gzip layers', { skip }, async () => {
  const layout = join(tmp, 'oci');
  await writeLayeredLayout(layout, 'v1', 'archive');
  // docker load names it from io.containerd.image.name; add it as an OCI layout from elsewhere would.
  const idx = join(layout, 'index.json');
  const j = JSON.parse((await import('node:fs')).readFileSync(idx, 'utf8')) as { manifests: { annotations: Record<string, string> }[] };
  for (const m of j.manifests) m.annotations['io.containerd.image.name'] = 'docker.io/ar/oci:v1';
  writeFileSync(idx, JSON.stringify(j));
  const tarFile = join(tmp, 'oci.tar');
  await execFileP('tar', ['-C', layout, '-cf', tarFile, '.']);
  const load = await pier.run(['load', '-i', tarFile]);
  assert.equal(load.code, 0, load.stderr);
  assert.equal(load.stdout, 'Loaded image: ar/oci:v1\n');
  assert.equal(await dk.ok('run', '--rm', 'ar/oci:v1', 'cat', '/etc/a.txt'), 'one-v2\n');
  scratchEmpty();
});

test('hostile archives are refused with a clear error and leave nothing', { skip }, async () => {
  // manifest.json pointing outside the archive
  const evil = join(tmp, 'evil');
  mkdirSync(evil, { recursive: true });
  writeFileSync(join(evil, 'manifest.json'), JSON.stringify([{ Config: '../../../../etc/hostname', RepoTags: ['ar/evil:1'], Layers: [] }]));
  await execFileP('tar', ['-C', evil, '-cf', join(tmp, 'evil.tar'), 'manifest.json']);
  const r1 = await dk.run(['load', '-i', join(tmp, 'evil.tar')]);
  assert.equal(r1.code, 1);
  assert.match(r1.stderr, /invalid archive: \.\.\/\.\.\/\.\.\/\.\.\/etc\/hostname points outside it/);
  // a layer whose content is not what the config says
  const bad = join(tmp, 'bad');
  mkdirSync(join(bad, 'blobs', 'sha256'), { recursive: true });
  const layer = (await execFileP('bash', ['-c', `cd ${tmp} && echo hi > f && tar cf - f | base64 -w0`])).stdout;
  writeFileSync(join(bad, 'blobs', 'sha256', 'l'), Buffer.from(layer, 'base64'));
  const cfg = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${'0'.repeat(64)}`] } });
  writeFileSync(join(bad, 'c.json'), cfg);
  writeFileSync(join(bad, 'manifest.json'), JSON.stringify([{ Config: 'c.json', RepoTags: ['ar/bad:1'], Layers: ['blobs/sha256/l'] }]));
  await execFileP('tar', ['-C', bad, '-cf', join(tmp, 'bad.tar'), '.']);
  const r2 = await dk.run(['load', '-i', join(tmp, 'bad.tar')]);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /does not match the image config's diff ID/);
  assert.equal((await dk.ok('images', '-q', 'ar/bad')).trim(), '');
  assert.equal((await dk.ok('images', '-q', 'ar/evil')).trim(), '');
  scratchEmpty();
});

test('an archive refused before its upload ends is still answered (load, import, cp in)', { skip }, async () => {
  // A hostile first entry, then more of the body only after pierd has refused it: pierd must
  // answer with the error, not drop the connection (it used to, when the body was not all in).
  const { request } = await import('node:http');
  const { pack } = await import('tar-stream');
  const p = pack();
  p.entry({ name: '../escape' }, 'pwned');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as AsyncIterable<Buffer>) chunks.push(c);
  const head = Buffer.concat(chunks).subarray(0, 1024); // the entry, without the end-of-archive blocks
  const cid = (await dk.ok('create', '--network', 'none', 'busybox', 'true')).trim();
  for (const path of ['/images/load', '/images/create?fromSrc=-&repo=ar/late', `/containers/${cid}/archive?path=/tmp`]) {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ socketPath: d.socket, path, method: path.includes('archive') ? 'PUT' : 'POST', headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', (err) => reject(new Error(`${path}: ${err.message}`)));
      req.write(head);
      // The rest comes late and slowly: 2 MB after pierd has seen the hostile entry.
      setTimeout(() => {
        let sent = 0;
        const more = (): void => {
          if (sent >= 2 << 20 || req.destroyed) { req.end(); return; }
          sent += 64 << 10;
          if (req.write(Buffer.alloc(64 << 10))) setImmediate(more); else req.once('drain', more);
        };
        more();
      }, 300);
    });
    assert.match(answer.body, /refusing to extract \\"\.\.\/escape\\": path escapes the destination/, `${path}: ${answer.status} ${answer.body}`);
  }
  await dk.ok('rm', cid);
  scratchEmpty();
});

test('image prune removes dangling images; -a every image no container uses', { skip }, async (t) => {
  t.after(() => removeContainers(d, 'ar-prune-src', 'ar-prune-user'));
  await dk.ok('run', '--name', 'ar-prune-src', 'busybox', 'sh', '-c', 'echo x > /x');
  const dangling = (await dk.ok('commit', 'ar-prune-src')).trim();
  const tagged = (await dk.ok('commit', 'ar-prune-src', 'ar/prune:1')).trim();
  await dk.ok('create', '--name', 'ar-prune-user', 'ar/prune:1', 'true');
  const first = await dk.ok('image', 'prune', '-f');
  assert.match(first, new RegExp(`Deleted Images:\\ndeleted: ${dangling}\\n`));
  assert.match(first, /Total reclaimed space: \d/);
  const ids = (await dk.ok('images', '-q', '--no-trunc')).split('\n');
  assert.ok(!ids.includes(dangling) && ids.includes(tagged));
  // -a: ar/prune:1 is used by a container and stays; an unused tagged image goes.
  await dk.ok('tag', 'busybox', 'ar/unused:1');
  await dk.ok('rmi', 'ar/unused:1');
  const imp = (await execFileP('bash', ['-c', `cd ${tmp} && mkdir -p imp && echo hi > imp/f && tar -C imp -c . | ${docker} import - ar/unused:2`], { env: d.env })).stdout.trim();
  const all = await dk.ok('image', 'prune', '-a', '-f');
  assert.match(all, /untagged: ar\/unused:2\n/);
  assert.match(all, new RegExp(`deleted: ${imp}`));
  assert.ok((await dk.ok('images', '-q', '--no-trunc')).split('\n').includes(tagged));
});

test('save of a repository name without a tag takes every tag of that repository', { skip }, async () => {
  await dk.ok('tag', 'busybox', 'ar/repo:one');
  await pier.ok('commit', '-c', 'CMD ["true"]', (await dk.ok('create', 'busybox')).trim(), 'ar/repo:two');
  const file = join(tmp, 'repo.tar');
  await dk.ok('save', '-o', file, 'ar/repo');
  const manifest = JSON.parse((await execFileP('tar', ['-xOf', file, 'manifest.json'])).stdout) as { RepoTags: string[] }[];
  assert.deepEqual(manifest.flatMap((m) => m.RepoTags).sort(), ['ar/repo:one', 'ar/repo:two']);
  const none = await dk.run(['save', '-o', join(tmp, 'none.tar'), 'ar/nosuchrepo']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /No such image: ar\/nosuchrepo:latest/);
  await dk.ok('container', 'prune', '-f');
});

test('import from a URL: the daemon fetches the rootfs tarball (http, or no scheme through the API); a bad source is refused', { skip }, async (t) => {
  const cid = (await dk.ok('create', 'busybox')).trim();
  const tarFile = join(tmp, 'rootfs.tar');
  await dk.ok('export', '-o', tarFile, cid);
  await dk.ok('rm', cid);
  const { createServer } = await import('node:http');
  const { readFileSync } = await import('node:fs');
  const server = createServer((req, res) => {
    if (req.url !== '/rootfs.tar') { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    res.end(readFileSync(tarFile));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => { server.close(); });
  const port = (server.address() as { port: number }).port;
  await dk.ok('import', '-c', 'CMD ["echo", "from-url"]', `http://127.0.0.1:${port}/rootfs.tar`, 'ar/fromurl:1');
  assert.equal(await dk.ok('run', '--rm', 'ar/fromurl:1'), 'from-url\n');
  // Through the API a source without a scheme means http:// (the docker CLI reads such a path as a local file).
  const noScheme = await rawRequest(d, { method: 'POST', path: `/v1.50/images/create?fromSrc=${encodeURIComponent(`127.0.0.1:${port}/rootfs.tar`)}&repo=ar/fromurl&tag=2` });
  assert.match(noScheme.body, /"status":"sha256:[0-9a-f]{64}"/, noScheme.body);
  assert.equal(await dk.ok('run', '--rm', 'ar/fromurl:2', 'echo', 'no-scheme'), 'no-scheme\n');
  const bad = await rawRequest(d, { method: 'POST', path: `/v1.50/images/create?fromSrc=${encodeURIComponent('ftp://127.0.0.1/x.tar')}` });
  assert.equal(bad.status, 400);
  assert.match(bad.body, /only http\(s\) URLs/);
  const missing = await dk.run(['import', `http://127.0.0.1:${port}/nope.tar`, 'ar/fromurl:3']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /404/);
  assert.equal((await dk.run(['image', 'inspect', 'ar/fromurl:3'])).code, 1, 'nothing is tagged');
});

test('--platform: save, load, history and run refuse or skip an image of another platform, as dockerd', { skip }, async () => {
  const arm = await dk.run(['save', '--platform', 'linux/arm64', 'busybox']);
  assert.equal(arm.code, 1);
  assert.match(arm.stderr, /image with reference busybox was found but does not match the specified platform: wanted linux\/arm64, actual: linux\/amd64/);
  const archive = join(tmp, 'plat.tar');
  await dk.ok('tag', 'busybox', 'ar/plat:1');
  await pier.ok('save', '--platform', 'linux/amd64', '-o', archive, 'ar/plat:1');
  await dk.ok('rmi', 'ar/plat:1');
  // An archive of another platform's images: nothing loaded, no error (dockerd skips them).
  assert.equal((await dk.ok('load', '--platform', 'linux/arm64', '-i', archive)).trim(), '');
  assert.equal((await dk.ok('images', '-q', 'ar/plat')).trim(), '');
  assert.match(await pier.ok('load', '--platform', 'linux/amd64', '-i', archive), /Loaded image: ar\/plat:1/);
  const hist = await pier.run(['history', '--platform', 'linux/arm64', 'ar/plat:1']);
  assert.notEqual(hist.code, 0);
  assert.match(hist.stderr, /does not match the specified platform/);
  // run --platform of a local image for another platform: "not found", so the client tries a pull (offline here).
  const run = await dk.run(['create', '--platform', 'linux/arm64', '--pull', 'never', 'ar/plat:1']);
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /does not match the specified platform: wanted linux\/arm64, actual: linux\/amd64/);
  assert.match((await dk.ok('create', '--platform', 'linux/amd64', 'ar/plat:1', 'true')).trim(), /^[0-9a-f]{64}$/);
  scratchEmpty();
});
