import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError } from '../../errdefs/index.js';
import { bindMount, parseVolumeSpec, sortMountsByDepth, tmpfsOptions } from './user-mounts.js';

test('an absolute -v source is a bind with rbind and rprivate', () => {
  const v = parseVolumeSpec('/host/data:/data');
  assert.deepEqual(v, { kind: 'bind', source: '/host/data', destination: '/data', readOnly: false, propagation: 'rprivate' });
  assert.deepEqual(bindMount({ source: '/h', destination: '/c' }).options, ['rbind', 'rprivate']);
});

test('-v modes set read-only and propagation', () => {
  const v = parseVolumeSpec('/h:/c:ro,rshared');
  assert.ok(v.kind === 'bind');
  assert.deepEqual(bindMount(v), { destination: '/c', type: 'bind', source: '/h', options: ['rbind', 'ro', 'rshared'] });
});

test('-v rejects a bad mode, a relative target and the root target', () => {
  assert.throws(() => parseVolumeSpec('/h:/c:bogus'), { message: 'invalid mode: bogus' });
  assert.throws(() => parseVolumeSpec('/h:c'), (e: unknown) => e instanceof InvalidParameterError
    && e.message.endsWith(`invalid mount config for type "bind": invalid mount path: 'c' mount path must be absolute`));
  assert.throws(() => parseVolumeSpec('/h:/'), InvalidParameterError);
  assert.throws(() => parseVolumeSpec(':/c'), { message: `invalid volume specification: ':/c'` });
});

test('a relative -v source that is not a volume name gets docker\'s absolute-path hint', () => {
  assert.throws(() => parseVolumeSpec('./x:/c'), {
    message: 'create ./x: "./x" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path',
  });
});

test('named and anonymous volumes are recognised', () => {
  assert.deepEqual(parseVolumeSpec('data:/data:ro'), { kind: 'volume', name: 'data', destination: '/data', readOnly: true, noCopy: false });
  assert.deepEqual(parseVolumeSpec('/data'), { kind: 'volume', destination: '/data', readOnly: false, noCopy: false });
  assert.deepEqual(parseVolumeSpec('/data:ro'), { kind: 'volume', destination: '/data', readOnly: true, noCopy: false });
});

test('tmpfs options start from noexec,nosuid,nodev and let the user flip them', () => {
  assert.deepEqual(tmpfsOptions(''), ['noexec', 'nosuid', 'nodev', 'rprivate']);
  assert.deepEqual(tmpfsOptions('size=64m,exec,mode=1777,size=1g'), ['nosuid', 'nodev', 'rprivate', 'exec', 'mode=1777', 'size=1g']);
  assert.throws(() => tmpfsOptions('bogus=1'), InvalidParameterError);
});

test('mounts are sorted parents first and otherwise keep their order', () => {
  const m = (destination: string) => ({ destination });
  assert.deepEqual(sortMountsByDepth([m('/a/b/c'), m('/z'), m('/a/b'), m('/y')]).map((x) => x.destination), ['/z', '/y', '/a/b', '/a/b/c']);
});
