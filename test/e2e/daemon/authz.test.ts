// docker's authorization plugin protocol (AuthZPlugin.AuthZReq / AuthZRes) against a plugin
// this test runs: a small server on a unix socket in /run/docker/plugins that records every
// call, denies `container create` of one image, hides one image from `images`, and answers
// garbage for volume calls (which must deny: fail closed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type PrivateDaemon } from '../../harness/pierd.js';
import { dockerCli, e2eSkip } from '../../harness/clients.js';

const skip = e2eSkip('authorization plugin e2e', { needsDocker: true });
const NAME = `pierauthz${process.pid}`;
const SOCK = join('/run/docker/plugins', `${NAME}.sock`);

interface Call { method: string; uri: string; reqBody?: string; status?: number; resBody?: string }
const calls: Call[] = [];
let server: Server | undefined;
let d: PrivateDaemon | undefined;
const { dk, ok } = dockerCli(() => d as PrivateDaemon);

const b64 = (v: unknown): string | undefined => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined);

before(async () => {
  if (skip) return;
  mkdirSync('/run/docker/plugins', { recursive: true });
  rmSync(SOCK, { force: true });
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      const b = (body ? JSON.parse(body) : {}) as Record<string, unknown>;
      const uri = String(b['RequestURI'] ?? '');
      const reply = (out: unknown): void => {
        res.writeHead(200, { 'Content-Type': 'application/vnd.docker.plugins.v1+json' });
        res.end(typeof out === 'string' ? out : JSON.stringify(out));
      };
      if (req.url === '/Plugin.Activate') { reply({ Implements: ['authz'] }); return; }
      const reqBody = b64(b['RequestBody']);
      const resBody = b64(b['ResponseBody']);
      const stage = req.url === '/AuthZPlugin.AuthZReq' ? 'req' : 'res';
      calls.push({ method: `${stage} ${String(b['RequestMethod'])}`, uri, ...(reqBody ? { reqBody } : {}), ...(typeof b['ResponseStatusCode'] === 'number' ? { status: b['ResponseStatusCode'] } : {}), ...(resBody ? { resBody } : {}) });
      if (uri.includes('/volumes')) { reply('this is not JSON'); return; }
      if (stage === 'req' && uri.includes('/containers/create') && reqBody?.includes('"Image":"authz/denied:1"')) {
        reply({ Allow: false, Msg: 'image authz/denied:1 is not allowed here' });
        return;
      }
      if (stage === 'res' && uri.includes('/images/json') && resBody?.includes('authz/hidden:1')) {
        reply({ Allow: false, Msg: 'this list shows a hidden image' });
        return;
      }
      reply({ Allow: true, Msg: '' });
    });
  });
  await new Promise<void>((resolve) => server?.listen(SOCK, resolve));
  d = await startDaemon({ extraArgs: ['--authorization-plugin', NAME] });
});

after(async () => {
  await d?.stop();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  rmSync(SOCK, { force: true });
});

test('every request and answer goes through the plugin; a denied create is a 403 with its message', { skip }, async () => {
  assert.equal(await ok('run', '--rm', 'busybox', 'echo', 'allowed'), 'allowed\n');
  await ok('tag', 'busybox', 'authz/denied:1');
  calls.length = 0;
  const denied = await dk('create', '--name', 'az-denied', 'authz/denied:1');
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, new RegExp(`Error response from daemon: authorization denied by plugin ${NAME}: image authz/denied:1 is not allowed here`));
  // The request reached the plugin with its JSON body; nothing was created.
  const create = calls.find((c) => c.method === 'req POST' && c.uri.includes('/containers/create'));
  assert.ok(create?.reqBody?.includes('"Image":"authz/denied:1"'), JSON.stringify(calls));
  assert.equal(calls.some((c) => c.method === 'res POST' && c.uri.includes('/containers/create')), false, 'a denied request never runs, so there is no answer to check');
  assert.equal((await ok('ps', '-aq', '--filter', 'name=az-denied')).trim(), '');
  // An allowed create: the plugin saw the request, then the answer (201 and the new ID).
  calls.length = 0;
  const id = (await ok('create', '--name', 'az-ok', 'busybox', 'true')).trim();
  const seen = calls.filter((c) => c.uri.includes('/containers/create'));
  assert.deepEqual(seen.map((c) => c.method), ['req POST', 'res POST']);
  assert.equal(seen[1]?.status, 201);
  assert.ok(seen[1]?.resBody?.includes(id), 'the answer went to the plugin before the client');
  await ok('rm', 'az-ok');
});

test('an answer the plugin refuses is replaced by a 403', { skip }, async () => {
  await ok('tag', 'busybox', 'authz/hidden:1');
  const r = await dk('images');
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`authorization denied by plugin ${NAME}: this list shows a hidden image`));
  await ok('rmi', 'authz/hidden:1');
  assert.match(await ok('images', '--format', '{{.Repository}}:{{.Tag}}'), /busybox:latest/);
});

test('a plugin that answers garbage denies (fail closed), and the daemon keeps serving', { skip }, async () => {
  const r = await dk('volume', 'create', 'az-vol');
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`plugin ${NAME} failed with error: .*not JSON`));
  assert.equal((await ok('volume', 'ls', '-q').catch(() => 'refused')), 'refused', 'volume ls is refused too');
  assert.equal(await ok('run', '--rm', 'busybox', 'echo', 'still-serving'), 'still-serving\n');
  assert.match(await ok('info', '--format', '{{json .Plugins.Authorization}}'), new RegExp(NAME));
});
