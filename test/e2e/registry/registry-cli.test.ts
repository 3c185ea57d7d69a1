// What a user sees from `pier registry serve` itself: the listening line,
// a clean stop on SIGINT/SIGTERM, and a one-line reason and exit 1 when it
// cannot start.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { pierBin } from '../../harness/pierd.js';
import { waitExit } from '../../harness/clients.js';
import { runProg, startServe, tempDir } from './registry-helpers.js';

test('pier registry serve prints where it listens and exits 0 on SIGINT', async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'root');
  const reg = await startServe(t, root, ['--read-only']);
  assert.equal(reg.stderr().split('\n')[0], `pier registry listening on http://${reg.hostPort} (root ${root})`);
  const res = await fetch(`${reg.url}/v2/`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
  const push = await fetch(`${reg.url}/v2/team/x/blobs/uploads/`, { method: 'POST' });
  assert.equal(push.status, 405, '--read-only refuses writes');
  reg.proc.kill('SIGINT');
  // Wait for the exit SIGINT causes: stop() would add a SIGTERM, which can land in the
  // instant Node tears the process down (default dispositions) and kill it by signal.
  assert.equal((await waitExit(reg.proc)).code, 0);
});

test('pier registry serve exits 1 with one line when the address is in use', async (t) => {
  const dir = await tempDir(t);
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const addr = blocker.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  const r = await runProg(pierBin, ['registry', 'serve', '--addr', `127.0.0.1:${port}`, '--root', join(dir, 'root')], { timeoutMs: 15_000 });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `cannot listen on 127.0.0.1:${port}: address already in use\n`);
});

test('pier registry serve exits 1 on a bad --addr, an unreadable htpasswd, or half a TLS pair', async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'root');
  const cases: [string[], RegExp][] = [
    [['--addr', 'nonsense'], /^invalid --addr "nonsense"/],
    [['--addr', '127.0.0.1:99999'], /^invalid --addr/],
    [['--htpasswd', join(dir, 'missing')], /^cannot read htpasswd file ".*missing"/],
    [['--tls-cert', join(dir, 'cert.pem')], /^--tls-cert and --tls-key must be given together/],
  ];
  for (const [args, want] of cases) {
    const r = await runProg(pierBin, ['registry', 'serve', '--addr', '127.0.0.1:0', '--root', root, ...args], { timeoutMs: 15_000 });
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, want);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
  }
});

test('pier registry gc exits 1 when the root does not exist', async (t) => {
  const dir = await tempDir(t);
  const r = await runProg(pierBin, ['registry', 'gc', '--root', join(dir, 'nope')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^registry root ".*nope" is not usable/);
});
