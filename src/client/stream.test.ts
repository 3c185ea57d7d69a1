import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { FrameDemuxer, encodeFrame, jsonLines, type StreamId } from './stream.js';

test('demux splits frames that span and share chunks', () => {
  const got: [StreamId, string][] = [];
  const d = new FrameDemuxer((s, b) => got.push([s, b.toString()]));
  const all = Buffer.concat([encodeFrame(1, Buffer.from('out\n')), encodeFrame(2, Buffer.from('err\n')), encodeFrame(1, Buffer.from('x'))]);
  for (let i = 0; i < all.length; i += 3) d.push(all.subarray(i, i + 3));
  assert.deepEqual(got, [[1, 'out\n'], [2, 'err\n'], [1, 'x']]);
  assert.equal(d.pending, 0);
});

test('demux keeps an incomplete frame until it is whole', () => {
  const got: string[] = [];
  const d = new FrameDemuxer((_s, b) => got.push(b.toString()));
  const f = encodeFrame(1, Buffer.from('hello'));
  d.push(f.subarray(0, 10));
  assert.deepEqual(got, []);
  d.push(f.subarray(10));
  assert.deepEqual(got, ['hello']);
});

test('jsonLines yields objects across chunk boundaries and skips junk', async () => {
  const body = Readable.from([Buffer.from('{"a":1}\n{"b"'), Buffer.from(':2}\nnot json\n{"c":3}')]);
  const out: unknown[] = [];
  for await (const v of jsonLines(body)) out.push(v);
  assert.deepEqual(out, [{ a: 1 }, { b: 2 }, { c: 3 }]);
});
