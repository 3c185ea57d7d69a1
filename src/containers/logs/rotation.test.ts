import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidParameterError } from '../../errdefs/index.js';
import { fromHumanSize, parseLogOpts, rotatedPaths, rotateIfNeeded } from './rotation.js';
import { tempDir } from './k8s-fixtures.js';

test('parseLogOpts defaults to no rotation and one file', () => {
  assert.deepEqual(parseLogOpts({}), { maxSize: -1, maxFile: 1, compress: false });
});

test('parseLogOpts reads max-size in go-units SI sizes, as json-file does', () => {
  assert.equal(parseLogOpts({ 'max-size': '10m' }).maxSize, 10_000_000);
  assert.equal(parseLogOpts({ 'max-size': '1k' }).maxSize, 1000);
  assert.equal(parseLogOpts({ 'max-size': '100' }).maxSize, 100);
  assert.equal(parseLogOpts({ 'max-size': '1.5K' }).maxSize, 1500);
  assert.equal(parseLogOpts({ 'max-size': '2g' }).maxSize, 2_000_000_000);
  assert.equal(fromHumanSize('10MB'), 10_000_000);
  assert.equal(fromHumanSize('10MiB'), 10_000_000);
  assert.equal(fromHumanSize('10 kb'), 10_000);
  assert.equal(fromHumanSize('32b'), 32);
});

test('parseLogOpts reads max-file and compress', () => {
  assert.deepEqual(parseLogOpts({ 'max-size': '1m', 'max-file': '3', compress: 'true' }), { maxSize: 1_000_000, maxFile: 3, compress: true });
  assert.equal(parseLogOpts({ labels: 'a', env: 'B', tag: '{{.Name}}', mode: 'non-blocking', 'max-buffer-size': '4m' }).maxFile, 1);
});

test('parseLogOpts rejects bad options with docker\'s messages', () => {
  const cases: [Record<string, string>, string][] = [
    [{ 'max-sizes': '1' }, "unknown log opt 'max-sizes' for json-file log driver"],
    [{ 'max-file': 'x' }, 'strconv.Atoi: parsing "x": invalid syntax'],
    [{ 'max-file': '0' }, 'max-file cannot be less than 1'],
    [{ 'max-size': 'abc' }, "invalid size: 'abc'"],
    [{ 'max-size': '10q' }, "invalid suffix: 'q'"],
    [{ 'max-size': '10mbb' }, "invalid suffix: 'mbb'"],
    [{ 'max-size': '0' }, 'max-size must be a positive number'],
    [{ 'max-size': '-1' }, "invalid size: '-1'"],
    [{ compress: 'yes' }, 'strconv.ParseBool: parsing "yes": invalid syntax'],
    [{ compress: 'true', 'max-file': '1', 'max-size': '1m' }, 'compress cannot be true when max-file is less than 2 or max-size is not set'],
    [{ mode: 'fast' }, 'logger: logging mode not supported: fast'],
    [{ 'max-buffer-size': '1m' }, "logger: max-buffer-size option is only supported with 'mode=non-blocking'"],
  ];
  for (const [cfg, message] of cases) {
    assert.throws(() => parseLogOpts(cfg), (err: unknown) => err instanceof InvalidParameterError && err.message === message, message);
  }
});

test('rotatedPaths lists the kept files oldest first', () => {
  assert.deepEqual(rotatedPaths('/l/c.log', { maxFile: 3 }), ['/l/c.log.2', '/l/c.log.1']);
  assert.deepEqual(rotatedPaths('/l/c.log', { maxFile: 1 }), []);
});

test('rotateIfNeeded leaves a file below max-size alone', async (t) => {
  const dir = await tempDir(t);
  const p = join(dir, 'c.log');
  await writeFile(p, '12345');
  let reopened = 0;
  assert.equal(await rotateIfNeeded(p, { maxSize: 6, maxFile: 3 }, async () => void reopened++), false);
  assert.equal(await rotateIfNeeded(p, { maxSize: -1, maxFile: 3 }, async () => void reopened++), false);
  assert.equal(await rotateIfNeeded(join(dir, 'missing'), { maxSize: 1, maxFile: 3 }, async () => void reopened++), false);
  assert.equal(reopened, 0);
});

test('rotateIfNeeded shifts the files, drops the oldest and asks for a reopen', async (t) => {
  const dir = await tempDir(t);
  const p = join(dir, 'c.log');
  await writeFile(`${p}.2`, 'oldest');
  await writeFile(`${p}.1`, 'older');
  await writeFile(p, 'current!');
  let reopened = 0;
  const rotated = await rotateIfNeeded(p, { maxSize: 8, maxFile: 3 }, async () => {
    reopened++;
    await writeFile(p, ''); // what conmon's reopen does
  });
  assert.equal(rotated, true);
  assert.equal(reopened, 1);
  assert.deepEqual((await readdir(dir)).sort(), ['c.log', 'c.log.1', 'c.log.2']);
  assert.equal(await readFile(`${p}.1`, 'utf8'), 'current!');
  assert.equal(await readFile(`${p}.2`, 'utf8'), 'older');
  assert.equal((await stat(p)).size, 0);
});

test('rotateIfNeeded with max-file 1 truncates in place, then reopens', async (t) => {
  const dir = await tempDir(t);
  const p = join(dir, 'c.log');
  await writeFile(p, 'x'.repeat(100));
  let sizeAtReopen = -1;
  assert.equal(await rotateIfNeeded(p, { maxSize: 10, maxFile: 1 }, async () => void (sizeAtReopen = (await stat(p)).size)), true);
  assert.equal(sizeAtReopen, 0);
  assert.deepEqual(await readdir(dir), ['c.log']);
});
