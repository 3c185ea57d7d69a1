import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeCommand } from './health-monitor.js';

test('probe commands: CMD runs as given, CMD-SHELL through /bin/sh -c, NONE and empty mean no check', () => {
  assert.deepEqual(probeCommand({ Test: ['CMD', 'curl', '-f', 'http://x/'] }), ['curl', '-f', 'http://x/']);
  assert.deepEqual(probeCommand({ Test: ['CMD-SHELL', 'test -f /ok || exit 1'] }), ['/bin/sh', '-c', 'test -f /ok || exit 1']);
  assert.equal(probeCommand({ Test: ['NONE'] }), undefined);
  assert.equal(probeCommand({ Test: [] }), undefined);
  assert.equal(probeCommand({ Test: ['CMD'] }), undefined);
  assert.equal(probeCommand(null), undefined);
});
