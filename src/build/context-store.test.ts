import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { ContextStore } from './context-store.js';

async function storeOf(entries: { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; body?: string; linkname?: string; mode?: number }[]): Promise<{ s: ContextStore; done: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'pier-ctx-test-'));
  const p = pack();
  for (const e of entries) {
    if ((e.type ?? 'file') === 'file') p.entry({ name: e.name, mode: e.mode ?? 0o644 }, e.body ?? '');
    else p.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname ?? '', mode: e.mode ?? 0o755 });
  }
  p.finalize();
  const s = await ContextStore.receive(p as unknown as Readable, join(dir, 'spill'));
  return { s, done: () => { s.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test('entries are indexed with their content hashes; missing parents appear as directories; hard links share bytes', async () => {
  const { s, done } = await storeOf([
    { name: './a//b/file.txt', body: 'hello' },
    { name: 'other', type: 'link', linkname: 'a/b/file.txt' },
  ]);
  try {
    assert.equal(s.get('a')?.type, 'dir');
    assert.equal(s.get('a/b/file.txt')?.sha, '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    assert.equal(s.read(s.get('other') ?? { name: '', type: 'file', mode: 0, uid: 0, gid: 0, mtime: new Date(), size: 0 }).toString(), 'hello');
    assert.deepEqual(s.children(''), ['a', 'other']);
  } finally { done(); }
});

test('.dockerignore drops what it names, with ! exceptions inside an ignored directory', async () => {
  const { s, done } = await storeOf([
    { name: '.dockerignore', body: 'logs\n!logs/keep.log\n*.tmp\n' },
    { name: 'logs/a.log', body: 'x' }, { name: 'logs/keep.log', body: 'k' }, { name: 'x.tmp', body: 't' }, { name: 'src/main.c', body: 'c' },
  ]);
  try {
    s.applyDockerignore();
    assert.equal(s.get('logs/a.log'), undefined);
    assert.equal(s.get('x.tmp'), undefined);
    assert.ok(s.get('logs/keep.log'));
    assert.ok(s.get('src/main.c'));
  } finally { done(); }
});

test('symlinks resolve inside the context; one that leads out is refused', async () => {
  const { s, done } = await storeOf([
    { name: 'real/f', body: 'f' },
    { name: 'in', type: 'symlink', linkname: 'real' },
    { name: 'up', type: 'symlink', linkname: '../outside' },
    { name: 'abs', type: 'symlink', linkname: '/etc/passwd' },
  ]);
  try {
    assert.equal(s.resolve('in/f'), 'real/f');
    assert.equal(s.resolve('in', false), 'in');
    assert.throws(() => s.resolve('up/x'), /forbidden path outside the build context/);
    assert.throws(() => s.resolve('abs'), /forbidden path outside the build context/);
    assert.equal(s.resolve('nope'), undefined);
  } finally { done(); }
});
