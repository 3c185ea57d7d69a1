import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { InvalidParameterError } from '../errdefs/index.js';
import { InvalidTokenError, TokenKey } from './jwt.js';

const part = (token: string, i: number): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[i] ?? '', 'base64url').toString()) as Record<string, unknown>;

test('TokenKey signs ES256 (P-256, 64-byte r||s signatures) and verifies its own tokens', () => {
  const key = TokenKey.generate();
  assert.equal(key.alg, 'ES256');
  assert.match(key.kid, /^[A-Za-z0-9_-]{43}$/);
  const token = key.sign({ sub: 'alice', n: 1 });
  assert.deepEqual(part(token, 0), { typ: 'JWT', alg: 'ES256', kid: key.kid });
  assert.equal(Buffer.from(token.split('.')[2] ?? '', 'base64url').length, 64);
  assert.deepEqual(key.verify(token), { sub: 'alice', n: 1 });
});

test('TokenKey loads an RSA PEM (RS256) and refuses other curves, short RSA keys and public keys', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = TokenKey.fromPem(rsa.privateKey.export({ format: 'pem', type: 'pkcs1' }));
  assert.equal(key.alg, 'RS256');
  assert.deepEqual(key.verify(key.sign({ a: 'b' })), { a: 'b' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const sec1 = TokenKey.fromPem(ec.privateKey.export({ format: 'pem', type: 'sec1' }));
  assert.equal(sec1.alg, 'ES256');
  assert.equal(sec1.kid, new TokenKey(ec.privateKey).kid, 'the kid depends on the key only');
  assert.throws(() => new TokenKey(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey), /EC P-256 .* not ec secp384r1/);
  assert.throws(() => new TokenKey(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey), InvalidParameterError);
  assert.throws(() => new TokenKey(ec.publicKey), /must be a private key/);
  assert.throws(() => TokenKey.fromPem('not a key'), /not a PEM private key/);
});

test('TokenKey.verify refuses tampered payloads, other keys, other algorithms and malformed tokens', () => {
  const key = TokenKey.generate();
  const token = key.sign({ access: [] });
  const [h, , s] = token.split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify({ access: [{ type: 'repository', name: 'x', actions: ['push'] }] })).toString('base64url')}.${s}`;
  assert.throws(() => key.verify(forged), /invalid token signature/);
  const other = TokenKey.generate();
  assert.throws(() => key.verify(other.sign({})), /unknown key/);
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`;
  assert.throws(() => key.verify(none), /algorithm "none" is not ES256/);
  const hs = `${Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url')}.e30.${s}`;
  assert.throws(() => key.verify(hs), InvalidTokenError);
  for (const bad of ['', 'a.b', 'a.b.c.d', '!!.e30.x', `${h}.e30.@@`, `${h}.W10.${s}`]) assert.throws(() => key.verify(bad), InvalidTokenError, bad);
});
