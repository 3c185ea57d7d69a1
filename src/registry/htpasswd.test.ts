import assert from 'node:assert/strict';
import { test } from 'node:test';
import bcrypt from 'bcryptjs';
import { InvalidParameterError } from '../errdefs/index.js';
import { Htpasswd, parseBasicAuth } from './htpasswd.js';

test('Htpasswd accepts bcrypt entries ($2y$, $2a$, $2b$) and skips other schemes', async () => {
  const h = (p: string, v: string): string => bcrypt.hashSync(p, 4).replace(/^\$2b\$/, `$2${v}$`);
  const file = new Htpasswd(`# users\nann:${h('pa', 'y')}\nbea:${h('pb', 'a')}\n\ncid:${h('pc', 'b')}\ndee:$apr1$abc$def\neve:plain\n`);
  assert.equal(file.size, 3);
  assert.deepEqual(file.skipped, ['dee', 'eve']);
  assert.equal(await file.verify({ username: 'ann', password: 'pa' }), true);
  assert.equal(await file.verify({ username: 'ann', password: 'pa' }), true, 'cached');
  assert.equal(await file.verify({ username: 'bea', password: 'pb' }), true);
  assert.equal(await file.verify({ username: 'cid', password: 'pc' }), true);
  assert.equal(await file.verify({ username: 'ann', password: 'pb' }), false);
  assert.equal(await file.verify({ username: 'dee', password: 'x' }), false);
  assert.equal(await file.verify({ username: 'zed', password: 'pa' }), false);
});

test('Htpasswd refuses a line without a user; load() of a missing file says which', async () => {
  assert.throws(() => new Htpasswd('no-colon-here\n'), InvalidParameterError);
  await assert.rejects(Htpasswd.load('/nonexistent/htpasswd'), /cannot read htpasswd file "\/nonexistent\/htpasswd"/);
});

test('parseBasicAuth decodes user and password (which may contain a colon)', () => {
  const enc = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;
  assert.deepEqual(parseBasicAuth(enc('al:ice:pw')), { username: 'al', password: 'ice:pw' });
  assert.equal(parseBasicAuth(undefined), undefined);
  assert.equal(parseBasicAuth('Bearer abc'), undefined);
  assert.equal(parseBasicAuth(enc('nocolon')), undefined);
});
