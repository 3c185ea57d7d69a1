import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidParameterError } from '../../errdefs/index.js';
import { digestOf, DigestingStream, digestStream, isDigest, parseDigest, digestHex } from './index.js';

const emptySha = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

test('digestOf hashes bytes and strings with sha256', () => {
  assert.equal(digestOf(new Uint8Array()), emptySha);
  assert.equal(digestOf('abc'), 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('isDigest accepts only sha256 with 64 lowercase hex digits', () => {
  assert.equal(isDigest(emptySha), true);
  assert.equal(isDigest(emptySha.toUpperCase()), false);
  assert.equal(isDigest('sha256:abc'), false);
  assert.equal(isDigest(42), false);
});

test('parseDigest returns good digests and throws InvalidParameterError with go-digest wording', () => {
  assert.equal(parseDigest(emptySha), emptySha);
  assert.equal(digestHex(parseDigest(emptySha)).length, 64);
  assert.throws(() => parseDigest('nope'), (e: unknown) => e instanceof InvalidParameterError && /invalid checksum digest format/.test(e.message));
  assert.throws(() => parseDigest('sha512:abcd'), /unsupported digest algorithm/);
  assert.throws(() => parseDigest('sha256:abcd'), /invalid checksum digest length/);
});

test('DigestingStream passes bytes through and hashes them', async () => {
  const hasher = new DigestingStream();
  const seen: Buffer[] = [];
  await pipeline(Readable.from([Buffer.from('a'), Buffer.from('bc')]), hasher, new Writable({
    write(chunk: Buffer, _e, cb) { seen.push(chunk); cb(); },
  }));
  assert.equal(Buffer.concat(seen).toString(), 'abc');
  assert.equal(hasher.size, 3);
  assert.equal(hasher.digest(), digestOf('abc'));
});

test('digestStream hashes an async iterable and reports its size', async () => {
  const r = await digestStream(Readable.from([Buffer.from('ab'), Buffer.from('c')]));
  assert.deepEqual(r, { digest: digestOf('abc'), size: 3 });
});
