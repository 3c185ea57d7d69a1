import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError } from '../../errdefs/index.js';
import {
  DEFAULT_CAPABILITIES, KNOWN_CAPABILITIES, capabilitiesFromMask, capabilitiesFromStatus, resolveCapabilities,
} from './caps.js';

// This machine's daemon: every capability but CAP_SYS_RESOURCE (bit 24).
const daemonCaps = capabilitiesFromMask('000001fffeffffff');

test('capabilitiesFromMask decodes /proc status masks bit by bit', () => {
  assert.equal(daemonCaps.length, 40);
  assert.ok(!daemonCaps.includes('CAP_SYS_RESOURCE'));
  assert.deepEqual(capabilitiesFromMask('0000000000000021'), ['CAP_CHOWN', 'CAP_KILL']);
  assert.equal(KNOWN_CAPABILITIES[40], 'CAP_CHECKPOINT_RESTORE');
});

test('capabilitiesFromStatus intersects permitted with bounding', () => {
  const status = 'Name:\tx\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000003\nCapEff:\t0000000000000003\nCapBnd:\t0000000000000001\n';
  assert.deepEqual(capabilitiesFromStatus(status), ['CAP_CHOWN']);
});

test('default capabilities are docker\'s 14 in docker\'s order', () => {
  assert.deepEqual(resolveCapabilities({ available: daemonCaps }), [...DEFAULT_CAPABILITIES]);
  assert.equal(DEFAULT_CAPABILITIES.length, 14);
});

test('cap-add and cap-drop accept any case and an optional CAP_ prefix', () => {
  const caps = resolveCapabilities({ adds: ['net_admin', 'CAP_SYS_PTRACE'], drops: ['Mknod', 'CAP_kill'], available: daemonCaps });
  assert.ok(caps.includes('CAP_NET_ADMIN') && caps.includes('CAP_SYS_PTRACE'));
  assert.ok(!caps.includes('CAP_MKNOD') && !caps.includes('CAP_KILL'));
  assert.equal(caps.length, 14);
});

test('cap-drop ALL keeps only the added capabilities', () => {
  assert.deepEqual(resolveCapabilities({ adds: ['chown'], drops: ['ALL'], available: daemonCaps }), ['CAP_CHOWN']);
});

test('cap-add ALL grants what the daemon holds minus the drops', () => {
  const caps = resolveCapabilities({ adds: ['all'], drops: ['NET_RAW'], available: daemonCaps });
  assert.equal(caps.length, 39);
  assert.ok(!caps.includes('CAP_NET_RAW') && !caps.includes('CAP_SYS_RESOURCE'));
});

test('privileged grants exactly the daemon capabilities', () => {
  assert.deepEqual(resolveCapabilities({ privileged: true, adds: ['bogus'], available: daemonCaps }), daemonCaps);
});

test('an unknown capability is rejected with docker\'s message', () => {
  assert.throws(() => resolveCapabilities({ adds: ['foo'], available: daemonCaps }),
    (e: unknown) => e instanceof InvalidParameterError && e.message === 'unknown capability: "CAP_FOO"');
});

test('a capability the daemon lacks is rejected rather than requested', () => {
  assert.throws(() => resolveCapabilities({ adds: ['sys_resource'], available: daemonCaps }),
    (e: unknown) => e instanceof InvalidParameterError
      && e.message === 'capability not supported by your kernel or not available in the current environment: "CAP_SYS_RESOURCE"');
});
