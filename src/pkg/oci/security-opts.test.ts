import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError } from '../../errdefs/index.js';
import { parseSecurityOpts } from './security-opts.js';
import { parseDeviceCgroupRule } from './device-rules.js';
import { ulimitsToRlimits } from './rlimits.js';

test('security-opt forms docker accepts', () => {
  assert.equal(parseSecurityOpts(['no-new-privileges']).noNewPrivileges, true);
  assert.equal(parseSecurityOpts(['no-new-privileges:true']).noNewPrivileges, true);
  assert.equal(parseSecurityOpts(['no-new-privileges=false']).noNewPrivileges, false);
  assert.deepEqual(parseSecurityOpts(['seccomp=unconfined']).seccomp, { kind: 'unconfined' });
  assert.deepEqual(parseSecurityOpts(['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']).seccomp,
    { kind: 'custom', text: '{"defaultAction":"SCMP_ACT_ALLOW"}' });
  const o = parseSecurityOpts(['label=disable', 'apparmor=unconfined', 'label:type:x']);
  assert.deepEqual(o.labels, ['disable', 'type:x']);
  assert.equal(o.seccomp.kind, 'default');
});

test('security-opt errors use docker\'s wording', () => {
  assert.throws(() => parseSecurityOpts(['x']), (e: unknown) => e instanceof InvalidParameterError && e.message === 'invalid --security-opt 1: "x"');
  assert.throws(() => parseSecurityOpts(['foo=bar']), { message: 'invalid --security-opt 2: "foo=bar"' });
  assert.throws(() => parseSecurityOpts(['no-new-privileges=maybe']), { message: 'invalid --security-opt 2: "no-new-privileges=maybe"' });
});

test('device cgroup rules parse wildcards and reject garbage', () => {
  assert.deepEqual(parseDeviceCgroupRule('c 1:3 mr'), { allow: true, type: 'c', major: 1, minor: 3, access: 'mr' });
  assert.deepEqual(parseDeviceCgroupRule('a *:* rwm'), { allow: true, type: 'a', access: 'rwm' });
  assert.throws(() => parseDeviceCgroupRule('x 1:2 r'), { message: `invalid device cgroup format 'x 1:2 r'` });
});

test('ulimits become rlimits, last one wins', () => {
  assert.deepEqual(ulimitsToRlimits([{ Name: 'nofile', Soft: 10, Hard: 20 }, { Name: 'nofile', Soft: 5, Hard: 6 }]),
    [{ type: 'RLIMIT_NOFILE', soft: 5, hard: 6 }]);
  assert.throws(() => ulimitsToRlimits([{ Name: 'bogus', Soft: 1, Hard: 1 }]), { message: 'invalid ulimit type: bogus' });
});
