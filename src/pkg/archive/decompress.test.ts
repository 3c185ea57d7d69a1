import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { decompressed, detectCompression } from './decompress.js';

async function all(input: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of decompressed(input)) out.push(c);
  return Buffer.concat(out);
}

async function* chunks(b: Buffer, size = 7919): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

// Half random (incompressible), half text: several MB, so the pipes fill and drain many times.
const plain = Buffer.concat([randomBytes(3 << 20), Buffer.from('pier layer text\n'.repeat(200_000))]);
const gz = gzipSync(plain);

test('detectCompression names gzip, zstd, xz, bzip2 and plain data', () => {
  assert.equal(detectCompression(gz.subarray(0, 6)), 'gzip');
  assert.equal(detectCompression(zstdCompressSync(Buffer.from('x'))), 'zstd');
  assert.equal(detectCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])), 'xz');
  assert.equal(detectCompression(Buffer.from('BZh91AY')), 'bzip2');
  assert.equal(detectCompression(Buffer.from('ustar\0')), 'none');
});

  test('gunzip: the bytes come back whole, in small or large input chunks', async () => {
    assert.ok((await all(chunks(gz))).equals(plain));
    assert.ok((await all(chunks(gz, 1 << 20))).equals(plain));
  });

  test('gunzip: a truncated stream is an error, not a short layer', async () => {
    await assert.rejects(all(chunks(gz.subarray(0, gz.length >> 1))));
  });

  test('gunzip: corrupt data is an error', async () => {
    const bad = Buffer.from(gz);
    bad[bad.length - 6] = (bad[bad.length - 6] ?? 0) ^ 0xff; // the CRC
    await assert.rejects(all(chunks(bad)));
  });

  test('gunzip: a failing source surfaces its own error', async () => {
    async function* broken(): AsyncGenerator<Buffer> {
      yield gz.subarray(0, 100_000);
      throw new Error('connection reset by peer');
    }
    await assert.rejects(all(broken()), /connection reset by peer/);
  });

  test('gunzip: a consumer that stops early releases the source', async () => {
  let released = false;
  async function* source(): AsyncGenerator<Buffer> {
    try { yield* chunks(gz); } finally { released = true; }
  }
  for await (const c of decompressed(source())) { assert.ok(c.length > 0); break; }
  assert.equal(released, true);
});

test('plain data passes through untouched', async () => {
  assert.ok((await all(chunks(plain))).equals(plain));
});
