import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { Authorizer, bufferedBody, type AuthzPlugin } from './authz.js';

function fakeReq(body: string, headers: Record<string, string> = {}): IncomingMessage {
  const r = Readable.from([Buffer.from(body)]) as unknown as IncomingMessage;
  Object.assign(r, { method: 'POST', url: '/v1.50/containers/create', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } });
  return r;
}

function plugin(name: string, answer: (method: string, body: Record<string, unknown>) => Record<string, unknown> | Promise<Record<string, unknown>>, impl = ['authz']): AuthzPlugin & { seen: string[] } {
  const seen: string[] = [];
  return {
    name, seen,
    activate: () => Promise.resolve(impl),
    call: async (m, b) => { seen.push(m); return answer(m, b as Record<string, unknown>); },
  };
}

test('plugins are asked in order; the first denial stops the request with its message', async () => {
  const a = plugin('a', () => ({ Allow: true }));
  const b = plugin('b', () => ({ Allow: false, Msg: 'not today' }));
  const c = plugin('c', () => ({ Allow: true }));
  const z = new Authorizer(() => Promise.resolve([a, b, c]));
  await assert.rejects(z.request(fakeReq('{"Image":"x"}'), true), (e: Error) => e.constructor.name === 'ForbiddenError' && e.message === 'authorization denied by plugin b: not today');
  assert.deepEqual([a.seen, b.seen, c.seen], [['AuthZPlugin.AuthZReq'], ['AuthZPlugin.AuthZReq'], []]);
});

test('the JSON body goes to the plugin base64, and the route still reads the same bytes', async () => {
  let got: unknown;
  const z = new Authorizer(() => Promise.resolve([plugin('p', (_m, body) => { got = body['RequestBody']; return { Allow: true }; })]));
  const req = fakeReq('{"Image":"busybox"}');
  await z.request(req, true);
  assert.equal(Buffer.from(String(got), 'base64').toString(), '{"Image":"busybox"}');
  assert.equal(bufferedBody(req)?.toString(), '{"Image":"busybox"}');
});

test('fail closed: a plugin that throws, times out, or does not implement authz denies', async () => {
  for (const p of [
    plugin('boom', () => { throw new Error('connection reset'); }),
    plugin('slow', () => Promise.reject(new Error('plugin slow did not answer AuthZPlugin.AuthZReq within 10s'))),
    plugin('vol', () => ({ Allow: true }), ['VolumeDriver']),
  ]) {
    const z = new Authorizer(() => Promise.resolve([p]));
    await assert.rejects(z.request(fakeReq('{}'), true), (e: Error) => e.constructor.name === 'SystemError' && e.message.startsWith(`plugin ${p.name} failed with error: `));
  }
  const missing = new Authorizer(() => Promise.reject(new Error('error looking up authorization plugin x: plugin "x" not found')));
  await assert.rejects(missing.request(fakeReq('{}'), true), /plugin "x" not found/);
});

test('a missing Allow is a denial, not a pass', async () => {
  const z = new Authorizer(() => Promise.resolve([plugin('p', () => ({}))]));
  await assert.rejects(z.request(fakeReq('{}'), true), /authorization denied by plugin p: /);
});
