import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AtomicFile, goDir, goErrnoText } from './output-file.js';

function tmpDir(): string { return fs.mkdtempSync(path.join(os.tmpdir(), 'pier-out-')); }

test('goDir follows filepath.Dir', () => {
  assert.equal(goDir('out.tar'), '.');
  assert.equal(goDir('nodir/'), 'nodir');
  assert.equal(goDir('/nonexistent-dir/out.tar'), '/nonexistent-dir');
  assert.equal(goDir('/out.tar'), '/');
  assert.equal(goDir('a//b/../c/out.tar'), 'a/c');
});

test('bad destinations fail with docker\'s words before anything is written', () => {
  const dir = tmpDir();
  try {
    fs.writeFileSync(path.join(dir, 'file'), '');
    fs.symlinkSync('file', path.join(dir, 'link'));
    const msg = (p: string): string => { try { AtomicFile.create(p); return 'ok'; } catch (err) { return (err as Error).message; } };
    assert.equal(msg('/nonexistent-dir/out.tar'), 'invalid output path: stat /nonexistent-dir: no such file or directory');
    assert.equal(msg(path.join(dir, 'file', 'x.tar')), `invalid output path: stat ${path.join(dir, 'file')}: not a directory`);
    assert.equal(msg(dir), 'cannot write to a directory');
    assert.equal(msg(path.join(dir, 'link')), 'cannot write to a symbolic link directly');
    assert.equal(msg('/dev/null'), 'cannot write to a character device file');
    assert.equal(msg(''), 'file name is empty');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['file', 'link']);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('the file appears (mode 0600) only on commit; discard leaves nothing', async () => {
  const dir = tmpDir();
  try {
    const dest = path.join(dir, 'out.tar');
    const f = AtomicFile.create(dest);
    await pipeline(Readable.from([Buffer.from('hello')]), f.stream);
    assert.equal(fs.existsSync(dest), false);
    f.commit();
    f.discard();
    assert.equal(fs.readFileSync(dest, 'utf8'), 'hello');
    assert.equal(fs.statSync(dest).mode & 0o777, 0o600);
    const g = AtomicFile.create(dest);
    g.discard();
    assert.deepEqual(fs.readdirSync(dir), ['out.tar']);
    assert.equal(fs.readFileSync(dest, 'utf8'), 'hello');
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('goErrnoText uses Go\'s wording', () => {
  assert.equal(goErrnoText(Object.assign(new Error('x'), { code: 'EISDIR', errno: -21 })), 'is a directory');
  assert.equal(goErrnoText(Object.assign(new Error('x'), { code: 'EROFS', errno: -30 })), 'read-only file system');
});
