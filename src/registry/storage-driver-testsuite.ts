// The conformance suite every StorageDriver implementation runs (STYLE §8;
// distribution `registry/storage/driver/testsuites`). A driver that fails it
// breaks the registry's crash-safety and path-confinement guarantees.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidParameterError, NotFoundError } from '../errdefs/index.js';
import type { StorageDriver } from './storage-driver.js';

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

async function readAll(driver: StorageDriver, path: string, range: { start?: number; end?: number } = {}): Promise<string> {
  let out = '';
  for await (const c of await driver.reader(path, range)) out += (c as Buffer).toString();
  return out;
}

/** Registers the suite; `make` returns a fresh, empty driver and its cleanup. */
export function storageDriverSuite(label: string, make: () => Promise<{ driver: StorageDriver; cleanup: () => Promise<void> }>): void {
  const withDriver = (name: string, fn: (d: StorageDriver) => Promise<void>): void => {
    test(`${label}: ${name}`, async (t) => {
      const { driver, cleanup } = await make();
      t.after(cleanup);
      await fn(driver);
    });
  };

  withDriver('putContent then getContent returns the bytes; a second put replaces them whole', async (d) => {
    await d.putContent('a/b/c', 'first');
    assert.equal((await d.getContent('a/b/c')).toString(), 'first');
    await d.putContent('a/b/c', 'second, longer');
    assert.equal((await d.getContent('a/b/c')).toString(), 'second, longer');
    await d.putContent('a/b/empty', '', { durable: false });
    assert.equal((await d.getContent('a/b/empty')).length, 0);
  });

  withDriver('a missing path is NotFoundError for getContent, reader, stat, list and move', async (d) => {
    await assert.rejects(d.getContent('no/such'), NotFoundError);
    await assert.rejects(d.reader('no/such'), NotFoundError);
    await assert.rejects(d.stat('no/such'), NotFoundError);
    await assert.rejects(d.list('no/such'), NotFoundError);
    await assert.rejects(d.move('no/such', 'x'), NotFoundError);
  });

  withDriver('getContent refuses files larger than maxBytes', async (d) => {
    await d.putContent('big', '0123456789');
    await assert.rejects(d.getContent('big', { maxBytes: 5 }), InvalidParameterError);
    assert.equal((await d.getContent('big', { maxBytes: 10 })).toString(), '0123456789');
  });

  withDriver('paths with empty, . or .. components, or absolute ones, are InvalidParameterError', async (d) => {
    for (const p of ['', '/etc/passwd', '../x', 'a/../../x', 'a//b', './a', 'a/.', 'a\0b']) {
      await assert.rejects(d.putContent(p, 'x'), InvalidParameterError, JSON.stringify(p));
      await assert.rejects(d.getContent(p), InvalidParameterError, JSON.stringify(p));
      await assert.rejects(d.delete(p), InvalidParameterError, JSON.stringify(p));
    }
  });

  withDriver('reader streams a file or an inclusive byte range', async (d) => {
    await d.putContent('r', '0123456789');
    assert.equal(await readAll(d, 'r'), '0123456789');
    assert.equal(await readAll(d, 'r', { start: 2, end: 5 }), '2345');
    assert.equal(await readAll(d, 'r', { start: 7 }), '789');
  });

  withDriver('append creates the file, appends, and resolves with the new size', async (d) => {
    assert.equal(await d.append('up/data', chunks('abc', 'def')), 6);
    assert.equal(await d.append('up/data', chunks('gh')), 8);
    assert.equal(await readAll(d, 'up/data'), 'abcdefgh');
    assert.equal((await d.stat('up/data')).size, 8);
  });

  withDriver('a failing append body rejects and leaves what was written', async (d) => {
    async function* failing(): AsyncIterable<Uint8Array> { yield Buffer.from('ok'); throw new Error('client went away'); }
    await assert.rejects(d.append('up/data', failing()), /client went away/);
    assert.ok((await d.stat('up/data')).size <= 2);
  });

  withDriver('stat reports size and kind; list names the children of a directory', async (d) => {
    await d.putContent('dir/one', '1');
    await d.putContent('dir/sub/two', '22');
    const st = await d.stat('dir/sub/two');
    assert.equal(st.size, 2);
    assert.equal(st.isDirectory, false);
    assert.equal((await d.stat('dir/sub')).isDirectory, true);
    assert.deepEqual((await d.list('dir')).sort(), ['one', 'sub']);
  });

  withDriver('move replaces the destination and removes the source', async (d) => {
    await d.putContent('src', 'new');
    await d.putContent('deep/dst', 'old');
    await d.move('src', 'deep/dst');
    assert.equal((await d.getContent('deep/dst')).toString(), 'new');
    await assert.rejects(d.stat('src'), NotFoundError);
    await d.putContent('src2', 'x');
    await d.move('src2', 'fresh/parent/dst');
    assert.equal((await d.getContent('fresh/parent/dst')).toString(), 'x');
  });

  withDriver('delete removes files and trees and is idempotent', async (d) => {
    await d.putContent('t/a', '1');
    await d.putContent('t/b/c', '2');
    await d.delete('t/a');
    await assert.rejects(d.stat('t/a'), NotFoundError);
    await d.delete('t');
    await assert.rejects(d.stat('t/b/c'), NotFoundError);
    await d.delete('t');
    await d.delete('never/existed');
  });
}
