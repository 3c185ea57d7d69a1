import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadConfig, validateMirror } from './config.js';


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

test('registry mirrors: flags and daemon.json, normalised; docker\'s refusals', () => {
  const cfg = loadConfig(['--registry-mirror', 'https://mirror.example:5000', '--registry-mirror', 'http://10.0.0.1/'], {});
  assert.deepEqual(cfg.registryMirrors, ['https://mirror.example:5000/', 'http://10.0.0.1/']);
  assert.throws(() => validateMirror('ftp://m.example'), /invalid mirror: unsupported scheme "ftp" in "ftp:\/\/m.example"/);
  assert.throws(() => validateMirror('https://m.example/v2/'), /invalid mirror: path, query, or fragment at end of the URI/);
  assert.throws(() => validateMirror('https://u:p@m.example'), /username\/password not allowed/);
  assert.throws(() => validateMirror('not a url'), /is not a valid URI/);
});

test('TLS: --tlsverify implies TLS; files from the flags, daemon.json, or DOCKER_CERT_PATH; plain TCP needs --insecure-tcp', () => {
  const env = { HOME: '/home/u', DOCKER_CERT_PATH: '/certs' };
  assert.deepEqual(loadConfig([], env).tls, { mode: 'off', ca: '/certs/ca.pem', cert: '/certs/cert.pem', key: '/certs/key.pem' });
  assert.equal(loadConfig(['--tls'], env).tls.mode, 'tls');
  const v = loadConfig(['--tlsverify', '--tlscacert', '/x/ca.pem', '--tlscert=/x/s.pem', '--tlskey', '/x/k.pem'], env).tls;
  assert.deepEqual(v, { mode: 'verify', ca: '/x/ca.pem', cert: '/x/s.pem', key: '/x/k.pem' });
  assert.equal(loadConfig([], { HOME: '/home/u' }).tls.ca, '/home/u/.docker/ca.pem');
  assert.equal(loadConfig(['--insecure-tcp'], env).insecureTcp, true);
});
