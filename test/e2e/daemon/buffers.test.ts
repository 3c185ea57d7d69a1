// End to end: a client that stops reading cannot make pierd buffer without bound. An events
// subscriber that falls behind loses events (as with dockerd, which drops for slow subscribers)
// and still gets new ones once it reads again; the daemon keeps serving everyone else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { usePrivateDaemon, isRoot, type PrivateDaemon } from '../../harness/pierd.js';
import { rawRequest } from '../../harness/clients.js';

const skip = !isRoot() ? 'needs root' : false;
if (skip && process.env['CI'] === 'true') throw new Error('CI runs as root');

let d: PrivateDaemon;
usePrivateDaemon(skip, (x) => { d = x; });

test('an events client that stops reading loses events beyond a bound, then gets new ones again', { skip }, async () => {
  const lines: string[] = [];
  let buf = '';
  let resume!: () => void;
  let close = (): void => undefined;
  const connected = new Promise<void>((ready) => {
    const req = request({ socketPath: d.socket, path: '/events?filters=' + encodeURIComponent(JSON.stringify({ type: ['volume'] })) }, (res) => {
      res.setEncoding('utf8');
      res.pause();
      resume = () => {
        res.on('data', (c: string) => {
          buf += c;
          let i;
          while ((i = buf.indexOf('\n')) >= 0) { lines.push(buf.slice(0, i)); buf = buf.slice(i + 1); }
        });
        res.resume();
      };
      ready();
    });
    req.end();
    close = () => req.destroy();
  });
  await connected;
  // 2,000 volumes created and removed: 4,000 events while the client reads none.
  const published = 4000;
  for (let i = 0; i < published / 2; i += 50) {
    await Promise.all(Array.from({ length: 50 }, async (_, j) => {
      const name = `bf-${i + j}`;
      const c = await rawRequest(d, { method: 'POST', path: '/volumes/create', body: JSON.stringify({ Name: name }) });
      assert.equal(c.status, 201, c.body);
      const r = await rawRequest(d, { method: 'DELETE', path: `/volumes/${name}` });
      assert.equal(r.status, 204, r.body);
    }));
  }
  // Everyone else is still served while that client sleeps.
  assert.equal((await rawRequest(d, { path: '/_ping' })).body, 'OK');
  resume();
  await new Promise((r) => setTimeout(r, 1000));
  const before = lines.length;
  assert.ok(before >= 1024, `the client gets at least the queued events (got ${before})`);
  assert.ok(before < published, `events beyond the bound were dropped for it (got ${before} of ${published})`);
  assert.match(d.logText(), /an events client reads slower than events come/);
  // Caught up: a new event arrives.
  await rawRequest(d, { method: 'POST', path: '/volumes/create', body: JSON.stringify({ Name: 'bf-last' }) });
  const deadline = Date.now() + 5000;
  while (!lines.slice(before).some((l) => l.includes('"bf-last"')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(lines.slice(before).some((l) => l.includes('"bf-last"')), 'the new event is delivered');
  await rawRequest(d, { method: 'DELETE', path: '/volumes/bf-last' });
  close();
});
