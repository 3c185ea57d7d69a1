import { test } from 'node:test';
import assert from 'node:assert/strict';
import { narrowToDockerDefaults } from './docker-compat.js';
import { toOciSeccomp } from './to-oci.js';
import type { SeccompProfile } from './profile.js';

const podmanLike: SeccompProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
  syscalls: [{ names: ['read', 'write', 'unshare', 'mount', 'keyctl', 'clone'], action: 'SCMP_ACT_ALLOW' }],
};

function allowed(caps: string[], name: string): boolean {
  const oci = toOciSeccomp(narrowToDockerDefaults(podmanLike), { caps, arch: 'amd64' });
  return (oci?.syscalls ?? []).some((r) => r.action === 'SCMP_ACT_ALLOW' && r.names.includes(name) && !(r.args?.length));
}

test('unshare and mount need CAP_SYS_ADMIN, as in docker\'s profile', () => {
  assert.equal(allowed(['CAP_CHOWN'], 'unshare'), false);
  assert.equal(allowed(['CAP_CHOWN'], 'mount'), false);
  assert.equal(allowed(['CAP_SYS_ADMIN'], 'unshare'), true);
  assert.equal(allowed(['CAP_CHOWN'], 'read'), true);
});

test('keyctl is refused even with CAP_SYS_ADMIN', () => {
  assert.equal(allowed(['CAP_SYS_ADMIN'], 'keyctl'), false);
});

test('clone without CAP_SYS_ADMIN is allowed only without namespace flags', () => {
  const oci = toOciSeccomp(narrowToDockerDefaults(podmanLike), { caps: [], arch: 'amd64' });
  const rule = (oci?.syscalls ?? []).find((r) => r.names.includes('clone'));
  assert.equal(rule?.args?.[0]?.op, 'SCMP_CMP_MASKED_EQ');
});
