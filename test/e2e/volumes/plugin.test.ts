// docker's legacy volume plugin protocol, against a plugin this test runs: a
// small server on a unix socket in the daemon's plugin directory that keeps
// volumes as directories and records every call it gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pierBin, run, usePrivateDaemon, type PrivateDaemon } from '../../harness/pierd.js';
import { dockerCli, e2eSkip } from '../../harness/clients.js';

const skip = e2eSkip('volume plugin e2e', { needsDocker: true });
let d: PrivateDaemon;
usePrivateDaemon(skip, (x) => { d = x; });
const { dk, ok } = dockerCli(() => d);

interface Plugin { server: Server; calls: string[]; root: string; close(): Promise<void> }

async function startPlugin(name: string): Promise<Plugin> {
  const dir = join(d.root, 'exec', 'plugins');
  const root = join(d.root, `plugin-${name}`);
  mkdirSync(dir, { recursive: true });
  mkdirSync(root, { recursive: true });
  const calls: string[] = [];
  // One volume the plugin had before pier knew it: volume ls shows it, through VolumeDriver.List.
  const vols = new Set<string>([`${name}-outside`]);
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      const b = (body ? JSON.parse(body) : {}) as { Name?: string; ID?: string };
      const n = b.Name ?? '';
      calls.push(`${req.url ?? ''} ${n}`.trim());
      let out: unknown = { Err: '' };
      switch (req.url) {
        case '/Plugin.Activate': out = { Implements: ['VolumeDriver'] }; break;
        case '/VolumeDriver.Create': mkdirSync(join(root, n), { recursive: true }); vols.add(n); break;
        case '/VolumeDriver.Remove': vols.delete(n); break;
        case '/VolumeDriver.Mount': case '/VolumeDriver.Path': out = { Mountpoint: join(root, n), Err: '' }; break;
        case '/VolumeDriver.Get': out = vols.has(n) ? { Volume: { Name: n, Mountpoint: join(root, n) }, Err: '' } : { Err: 'no such volume' }; break;
        case '/VolumeDriver.Unmount': break;
        case '/VolumeDriver.List': out = { Volumes: [...vols].map((v) => ({ Name: v, Mountpoint: join(root, v) })), Err: '' }; break;
        default: out = { Err: `unknown call ${req.url ?? ''}` };
      }
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.plugins.v1+json' });
      res.end(JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(join(dir, `${name}.sock`), resolve));
  return { server, calls, root, close: () => new Promise<void>((resolve) => { server.close(() => resolve()); rmSync(root, { recursive: true, force: true }); }) };
}

test('a volume plugin: create, run with it, rm — the calls docker makes, in order', { skip }, async (t) => {
  const p = await startPlugin('pe2evol');
  t.after(() => p.close());
  assert.equal((await ok('volume', 'create', '-d', 'pe2evol', 'pv1')).trim(), 'pv1');
  const ls = await ok('volume', 'ls', '--format', '{{.Driver}} {{.Name}}');
  assert.match(ls, /^pe2evol pv1$/m);
  assert.match(ls, /^pe2evol pe2evol-outside$/m, 'what the plugin lists is listed too');
  await ok('run', '--rm', '-v', 'pv1:/data', 'busybox', 'sh', '-c', 'echo via-plugin > /data/f');
  assert.equal(readFileSync(join(p.root, 'pv1', 'f'), 'utf8'), 'via-plugin\n', 'the data went where the plugin said');
  const r = await dk('volume', 'rm', 'pv1');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(p.calls, [
    '/Plugin.Activate', '/VolumeDriver.Create pv1', '/VolumeDriver.Get pv1', '/VolumeDriver.List',
    '/VolumeDriver.Mount pv1', '/VolumeDriver.Unmount pv1', '/VolumeDriver.Remove pv1',
  ]);
});

test('--volume-driver and --mount volume-driver= create through the plugin; a missing plugin is a clear error', { skip }, async (t) => {
  const p = await startPlugin('pe2evol2');
  t.after(async () => { await dk('volume', 'rm', 'pv2', 'pv3'); await p.close(); });
  await ok('run', '--rm', '--volume-driver', 'pe2evol2', '-v', 'pv2:/d', 'busybox', 'true');
  await ok('run', '--rm', '--mount', 'type=volume,src=pv3,dst=/d,volume-driver=pe2evol2', 'busybox', 'true');
  assert.ok(p.calls.includes('/VolumeDriver.Create pv2') && p.calls.includes('/VolumeDriver.Create pv3'), p.calls.join('\n'));
  const missing = await dk('volume', 'create', '-d', 'pe2e-nosuch', 'pv4');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /create pv4: error looking up volume plugin pe2e-nosuch: plugin "pe2e-nosuch" not found/);
});

test('plugin ls shows the legacy plugins found; managed plugins are a clear "not supported yet"', { skip }, async (t) => {
  const p = await startPlugin('pe2els');
  t.after(() => p.close());
  const ls = await ok('plugin', 'ls', '--format', '{{.Name}} {{.Enabled}}');
  assert.match(ls, /^pe2els true$/m);
  assert.equal((await ok('plugin', 'inspect', '-f', '{{.Config.Interface.Types}}', 'pe2els')).trim(), '[docker.volumedriver/1.0]');
  assert.match(await ok('plugin', 'ls', '--filter', 'capability=volumedriver', '--format', '{{.Name}}'), /^pe2els$/m);
  assert.doesNotMatch(await ok('plugin', 'ls', '--filter', 'capability=authz', '--format', '{{.Name}}'), /pe2els/);
  for (const args of [['plugin', 'install', '--grant-all-permissions', 'vieux/sshfs'], ['plugin', 'enable', 'pe2els'], ['plugin', 'rm', 'pe2els']]) {
    const r = await dk(...args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, /managed plugins are not supported yet/);
  }
  const mine = await run(pierBin, ['plugin', 'ls'], d);
  assert.equal(mine.code, 0, mine.stderr);
  assert.match(mine.stdout, /^ID +NAME +DESCRIPTION +ENABLED\n[0-9a-f]{12} +pe2els +legacy plugin at .* +true$/m);
  const install = await run(pierBin, ['plugin', 'install', 'vieux/sshfs'], d);
  assert.equal(install.code, 1);
  assert.match(install.stderr, /managed plugins are not supported yet/);
  const missing = await dk('plugin', 'inspect', 'pe2e-nosuch');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /plugin "pe2e-nosuch" not found/);
});

test('plugin volumes survive a daemon restart: listed, mounted again, removed through the plugin', { skip }, async (t) => {
  const p = await startPlugin('pe2evolr');
  t.after(() => p.close());
  await ok('volume', 'create', '-d', 'pe2evolr', 'pvr');
  await ok('run', '--rm', '-v', 'pvr:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f');
  // A daemon restart: the running pierd stops first. (Launching a second one beside it left
  // the first to the harness's final SIGKILL, and its nft table on the host.)
  const before = d.proc;
  const exited = new Promise((r) => before.once('exit', r));
  before.kill('SIGTERM');
  await exited;
  await d.restart();
  assert.match(await ok('volume', 'ls', '--format', '{{.Driver}} {{.Name}}'), /^pe2evolr pvr$/m);
  assert.equal(await ok('run', '--rm', '-v', 'pvr:/data', 'busybox', 'cat', '/data/f'), 'kept\n');
  await ok('volume', 'rm', 'pvr');
  assert.ok(p.calls.includes('/VolumeDriver.Remove pvr'));
  assert.equal(p.calls.filter((c) => c === '/VolumeDriver.Mount pvr').length, p.calls.filter((c) => c === '/VolumeDriver.Unmount pvr').length, 'one Unmount per Mount');
});

test('a volume plugin that has gone away: volume ls warns and still lists what pier recorded', { skip }, async () => {
  const p = await startPlugin('pe2evolgone');
  await ok('volume', 'create', '-d', 'pe2evolgone', 'pvg');
  await p.close();
  rmSync(join(d.root, 'exec', 'plugins', 'pe2evolgone.sock'), { force: true });
  const r = await dk('volume', 'ls', '--format', '{{.Driver}} {{.Name}}');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^pe2evolgone pvg$/m);
  const rm = await dk('volume', 'rm', 'pvg');
  assert.notEqual(rm.code, 0, 'a volume whose plugin is gone is not dropped without the plugin');
});
