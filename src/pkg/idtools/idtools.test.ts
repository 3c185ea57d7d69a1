import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { IdMapper, OVERFLOW_ID, freeRangeStart, parseRemapSpec, resolveRemap, subordinateRanges } from './index.js';

test('subordinate ranges: by name or id, consecutive container ids across lines, junk skipped', () => {
  const text = '# comment\nalice:100000:65536\nbob:200000:1000\n1001:300000:10\nalice:400000:bad\nalice:500000:100\n';
  assert.deepEqual(subordinateRanges(text, 'alice', 1000), [
    { containerId: 0, hostId: 100000, size: 65536 }, { containerId: 65536, hostId: 500000, size: 100 },
  ]);
  assert.deepEqual(subordinateRanges(text, 'carol', 1001), [{ containerId: 0, hostId: 300000, size: 10 }]);
  assert.deepEqual(subordinateRanges(text, 'dave', 7), []);
});

test('a new range starts after every range in use, at 100000 at least', () => {
  assert.equal(freeRangeStart('', ''), 100000);
  assert.equal(freeRangeStart('a:100000:65536\n', 'b:300000:10\n'), 300010);
  assert.equal(freeRangeStart('a:10:5\n'), 100000);
});

test('remap specs: default, user, user:group; anything else is refused', () => {
  assert.deepEqual(parseRemapSpec('default'), { user: 'dockremap', group: 'dockremap' });
  assert.deepEqual(parseRemapSpec('alice'), { user: 'alice', group: undefined });
  assert.deepEqual(parseRemapSpec('alice:staff'), { user: 'alice', group: 'staff' });
  for (const bad of ['', 'a:b:c', 'a:', ':b']) assert.throws(() => parseRemapSpec(bad), /invalid --userns-remap value/);
});

test('resolveRemap reads the id files and names the file and fix when a range is missing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pier-idtools-'));
  try {
    const f = { passwd: join(dir, 'passwd'), group: join(dir, 'group'), subuid: join(dir, 'subuid'), subgid: join(dir, 'subgid') };
    writeFileSync(f.passwd, 'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n');
    writeFileSync(f.group, 'root:x:0:\nalice:x:1000:\nstaff:x:50:\n');
    writeFileSync(f.subuid, 'alice:100000:65536\n');
    writeFileSync(f.subgid, 'staff:200000:65536\n');
    const m = resolveRemap('alice:staff', f);
    assert.equal(m.user, 'alice');
    assert.equal(m.group, 'staff');
    assert.equal(new IdMapper(m).dirName, '100000.200000');
    assert.throws(() => resolveRemap('alice', f), /no subordinate gid range for alice in .*subgid: add one, e\.g\. usermod --add-subgids 100000-165535 alice/);
    assert.throws(() => resolveRemap('nobody2', f), /user "nobody2" not found in .*passwd/);
    assert.throws(() => resolveRemap('alice:nogroup', f), /group "nogroup" not found in .*group/);
    assert.throws(() => resolveRemap('root', f), /no subordinate uid range for root in .*subuid/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('ids cross the boundary both ways; an unmappable container id is refused, an unmappable host id is the overflow id', () => {
  const ids = new IdMapper({ user: 'u', group: 'g', uids: [{ containerId: 0, hostId: 100000, size: 65536 }], gids: [{ containerId: 0, hostId: 200000, size: 1000 }] });
  assert.deepEqual(ids.toHost(0, 0), { uid: 100000, gid: 200000 });
  assert.deepEqual(ids.toHost(1000, 999), { uid: 101000, gid: 200999 });
  assert.throws(() => ids.toHost(0, 1000), /container ID 1000 cannot be mapped to a host ID/);
  assert.throws(() => ids.toHost(70000, 0), /container ID 70000 cannot be mapped to a host ID/);
  assert.deepEqual(ids.toContainer(100005, 200007), { uid: 5, gid: 7 });
  assert.deepEqual(ids.toContainer(0, 0), { uid: OVERFLOW_ID, gid: OVERFLOW_ID });
  assert.deepEqual(ids.ociMappings(), { uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 200000, size: 1000 }] });
});
