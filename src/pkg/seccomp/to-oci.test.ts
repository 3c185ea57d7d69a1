import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { InvalidParameterError } from '../../errdefs/index.js';
import { DEFAULT_CAPABILITIES } from '../oci/index.js';
import { DEFAULT_SECCOMP_PROFILE_PATH, loadDefaultSeccompProfile, parseProfileText } from './load.js';
import { toOciSeccomp } from './to-oci.js';

const haveProfile = fs.existsSync(DEFAULT_SECCOMP_PROFILE_PATH);
const skip = haveProfile ? false : `${DEFAULT_SECCOMP_PROFILE_PATH} not installed (Debian golang-github-containers-common)`;

function rulesFor(seccomp: ReturnType<typeof toOciSeccomp>, name: string) {
  return (seccomp?.syscalls ?? []).filter((s) => s.names.includes(name));
}

test('the installed default profile resolves for docker\'s default capabilities', { skip }, () => {
  const s = toOciSeccomp(loadDefaultSeccompProfile(), { caps: DEFAULT_CAPABILITIES, arch: 'amd64', kernel: '6.1.0' });
  assert.ok(s);
  assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(typeof s.defaultErrnoRet, 'number');
  assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  // amd64-only rules are kept, other architectures' dropped
  assert.equal(rulesFor(s, 'arch_prctl')[0]?.action, 'SCMP_ACT_ALLOW');
  assert.equal(rulesFor(s, 's390_runtime_instr').length, 0);
  // CAP_SYS_CHROOT is a default cap: chroot allowed, its errno twin excluded
  assert.deepEqual(rulesFor(s, 'chroot').map((r) => r.action), ['SCMP_ACT_ALLOW']);
  // CAP_SYS_ADMIN is not: bpf gets only the EPERM rule
  assert.deepEqual(rulesFor(s, 'bpf').map((r) => [r.action, r.errnoRet]), [['SCMP_ACT_ERRNO', 1]]);
  // no profile-only keys leak into the OCI form
  for (const r of s.syscalls ?? []) assert.deepEqual(Object.keys(r).filter((k) => !['names', 'action', 'errnoRet', 'args'].includes(k)), []);
});

test('adding CAP_SYS_ADMIN flips the bpf rule to allow', { skip }, () => {
  const s = toOciSeccomp(loadDefaultSeccompProfile(), { caps: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], arch: 'amd64', kernel: '6.1.0' });
  assert.deepEqual(rulesFor(s, 'bpf').map((r) => r.action), ['SCMP_ACT_ALLOW']);
});

test('minKernel conditions compare against the given kernel', () => {
  const profile = {
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['new_call'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '5.8' } },
      { names: ['old_call'], action: 'SCMP_ACT_ALLOW', excludes: { minKernel: '5.8' } },
      { name: 'single', action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
    ],
    architectures: ['SCMP_ARCH_X86_64'],
  };
  const names = (kernel: string) => (toOciSeccomp(profile, { caps: [], arch: 'amd64', kernel })?.syscalls ?? []).flatMap((s) => s.names);
  assert.deepEqual(names('6.1.0-13-amd64'), ['new_call', 'single']);
  assert.deepEqual(names('5.4.0'), ['old_call', 'single']);
});

test('a profile with neither default action nor rules disables seccomp', () => {
  assert.equal(toOciSeccomp({}, { caps: [], arch: 'amd64' }), undefined);
});

test('malformed profiles are rejected as invalid parameters', () => {
  const bad = (p: unknown) => assert.throws(() => toOciSeccomp(p, { caps: [], arch: 'amd64' }), InvalidParameterError);
  bad([]);
  bad({ defaultAction: 'SCMP_ACT_NOPE' });
  bad({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW', args: [{ op: 'LT' }] }] });
  bad({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ name: 'x', names: ['y'], action: 'SCMP_ACT_ALLOW' }] });
  bad({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], archMap: [{ architecture: 'SCMP_ARCH_X86_64' }] });
  assert.throws(() => parseProfileText('/etc/seccomp.json'), (e: unknown) => e instanceof InvalidParameterError
    && e.message.startsWith('Decoding seccomp profile failed: '));
});

test('profile text with __proto__ keys cannot pollute prototypes', () => {
  const p = parseProfileText('{"defaultAction":"SCMP_ACT_ALLOW","__proto__":{"polluted":1}}');
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  assert.equal(toOciSeccomp(p, { caps: [], arch: 'amd64' })?.defaultAction, 'SCMP_ACT_ALLOW');
});
