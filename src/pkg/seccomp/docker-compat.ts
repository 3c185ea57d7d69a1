// Debian ships podman's copy of the default seccomp profile, which (for nested
// and rootless containers) allows mount, unshare, setns, clone with namespace
// flags and keyctl to every container. Docker's builtin profile does not: those
// need CAP_SYS_ADMIN, and the kernel keyring calls are always refused. This
// narrows a podman-style profile to docker's rules (moby profiles/seccomp/default.json).
import type { ProfileSyscall, SeccompProfile } from './profile.js';

/** Allowed only with CAP_SYS_ADMIN in docker's profile. */
const SYS_ADMIN_ONLY = [
  'bpf', 'clone', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie', 'mount',
  'mount_setattr', 'move_mount', 'name_to_handle_at', 'open_tree', 'perf_event_open', 'quotactl', 'quotactl_fd',
  'setdomainname', 'sethostname', 'setns', 'syslog', 'umount', 'umount2', 'unshare',
];
/** Never allowed by docker's profile: the keyring is not namespaced. */
const ALWAYS_DENIED = ['add_key', 'keyctl', 'request_key'];

/** CLONE_NEWNS|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWCGROUP: clone may create none of these without CAP_SYS_ADMIN. */
const CLONE_NS_FLAGS = 2114060288;

function unconditional(r: ProfileSyscall): boolean {
  const empty = (f: ProfileSyscall['includes']): boolean => !f || (!(f.caps?.length) && !(f.arches?.length) && !f.minKernel);
  return r.action === 'SCMP_ACT_ALLOW' && empty(r.includes) && empty(r.excludes) && !(r.args?.length);
}

/** Returns a copy of `profile` whose unconditional allow list follows docker's CAP_SYS_ADMIN rules. */
export function narrowToDockerDefaults(profile: SeccompProfile): SeccompProfile {
  const moved = new Set([...SYS_ADMIN_ONLY, ...ALWAYS_DENIED]);
  const syscalls: ProfileSyscall[] = profile.syscalls.map((r) => (unconditional(r) ? { ...r, names: r.names.filter((n) => !moved.has(n)) } : r))
    .filter((r) => r.names.length > 0);
  syscalls.push(
    { names: [...SYS_ADMIN_ONLY], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
    {
      names: ['clone'], action: 'SCMP_ACT_ALLOW', excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] },
      args: [{ index: 0, value: CLONE_NS_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    },
    // glibc falls back to clone when clone3 says ENOSYS, and clone's flags can be checked.
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN'] } },
  );
  // docker answers a refused syscall with EPERM (podman: ENOSYS).
  return { ...profile, defaultErrnoRet: 1, syscalls };
}
