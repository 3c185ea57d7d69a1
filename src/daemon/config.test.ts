import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadConfig } from './config.js';


test('health-on-failure: none by default, from the flag or daemon.json, anything else refused', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pier-cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'daemon.json');
  writeFileSync(file, JSON.stringify({ 'health-on-failure': 'stop' }));
  assert.equal(loadConfig(['--config-file', file]).healthOnFailure, 'stop');
  writeFileSync(file, '{}');
  assert.equal(loadConfig(['--config-file', file]).healthOnFailure, 'none');
  assert.equal(loadConfig(['--config-file', file, '--health-on-failure', 'restart']).healthOnFailure, 'restart');
  assert.throws(() => loadConfig(['--config-file', file, '--health-on-failure', 'reboot']), /invalid health-on-failure "reboot"/);
});

test('overlay peers need an advertise address, and addresses must be IPv4', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pier-cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'daemon.json');
  writeFileSync(file, '{}');
  const c = loadConfig(['--config-file', file, '--cluster-advertise', '10.0.0.1', '--cluster-peer', '10.0.0.2,10.0.0.3']);
  assert.deepEqual([c.clusterAdvertise, c.clusterPeers, c.clusterPort], ['10.0.0.1', ['10.0.0.2', '10.0.0.3'], 7946]);
  assert.throws(() => loadConfig(['--config-file', file, '--cluster-peer', '10.0.0.2']), /needs --cluster-advertise/);
  assert.throws(() => loadConfig(['--config-file', file, '--cluster-advertise', 'host-a']), /want an IPv4 address/);
});
