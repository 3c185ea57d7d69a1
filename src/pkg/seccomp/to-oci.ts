// Resolve a docker-format seccomp profile into the OCI `linux.seccomp` of one container
// (moby `profiles/seccomp/seccomp_linux.go` setupSeccomp): pick the native architecture's
// archMap entry and keep only the rules whose includes/excludes match the container's
// bounding capabilities, the architecture and the running kernel.

import * as os from 'node:os';
import { InvalidParameterError } from '../../errdefs/index.js';
import type { LinuxSeccomp, LinuxSyscall } from '../oci/index.js';
import { parseProfile, type ProfileFilter, type SeccompProfile } from './profile.js';

/** Docker's native architecture names (Go's GOARCH spelling) → libseccomp's. */
export const NATIVE_ARCHES: Readonly<Record<string, string>> = {
  amd64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64', x86: 'SCMP_ARCH_X86', arm: 'SCMP_ARCH_ARM',
  ppc64le: 'SCMP_ARCH_PPC64LE', s390x: 'SCMP_ARCH_S390X', riscv64: 'SCMP_ARCH_RISCV64',
};

export interface ToOciSeccompOptions {
  /** The container's bounding capabilities (CAP_… names). */
  caps: readonly string[];
  /** Native architecture in docker's spelling. */
  arch: 'amd64' | 'arm64';
  /** Kernel release for `minKernel` conditions; default `os.release()`. */
  kernel?: string;
}

function kernelAtLeast(release: string, min: string): boolean {
  const [kMaj = 0, kMin = 0] = release.split(/[.-]/).map((s) => Number.parseInt(s, 10) || 0);
  const [mMaj = 0, mMin = 0] = min.split('.').map((s) => Number.parseInt(s, 10) || 0);
  return kMaj !== mMaj ? kMaj > mMaj : kMin >= mMin;
}

function excluded(f: ProfileFilter | undefined, caps: ReadonlySet<string>, arch: string, kernel: string): boolean {
  if (f === undefined) return false;
  if ((f.arches ?? []).includes(arch)) return true;
  if ((f.caps ?? []).some((c) => caps.has(c))) return true;
  return f.minKernel !== undefined && kernelAtLeast(kernel, f.minKernel);
}

function included(f: ProfileFilter | undefined, caps: ReadonlySet<string>, arch: string, kernel: string): boolean {
  if (f === undefined) return true;
  if ((f.arches ?? []).length > 0 && !(f.arches ?? []).includes(arch)) return false;
  if (!(f.caps ?? []).every((c) => caps.has(c))) return false;
  return f.minKernel === undefined || kernelAtLeast(kernel, f.minKernel);
}

/**
 * The OCI seccomp section for a container holding `opts.caps`, or undefined when the profile
 * disables seccomp (no default action and no rules, as docker treats it).
 * `profile` is parsed JSON (validated here: InvalidParameterError on a malformed profile).
 */
export function toOciSeccomp(profile: unknown, opts: ToOciSeccompOptions): LinuxSeccomp | undefined {
  const p: SeccompProfile = parseProfile(profile);
  if (p.defaultAction === '' && p.syscalls.length === 0) return undefined;
  if (p.defaultAction === '') throw new InvalidParameterError('Decoding seccomp profile failed: defaultAction: missing');
  if ((p.architectures?.length ?? 0) > 0 && (p.archMap?.length ?? 0) > 0) {
    throw new InvalidParameterError(
      `'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'`,
    );
  }
  const out: LinuxSeccomp = { defaultAction: p.defaultAction };
  if (p.defaultErrnoRet !== undefined) out.defaultErrnoRet = p.defaultErrnoRet;
  const native = NATIVE_ARCHES[opts.arch];
  if (p.architectures !== undefined && p.architectures.length > 0) {
    out.architectures = [...p.architectures];
  } else {
    const entry = p.archMap?.find((a) => a.architecture === native);
    if (entry !== undefined) out.architectures = [entry.architecture, ...entry.subArchitectures];
  }
  if (p.flags !== undefined && p.flags.length > 0) out.flags = [...p.flags];
  if (p.listenerPath !== undefined) out.listenerPath = p.listenerPath;
  if (p.listenerMetadata !== undefined) out.listenerMetadata = p.listenerMetadata;

  const caps = new Set(opts.caps);
  const kernel = opts.kernel ?? os.release();
  const syscalls: LinuxSyscall[] = [];
  for (const call of p.syscalls) {
    if (excluded(call.excludes, caps, opts.arch, kernel)) continue;
    if (!included(call.includes, caps, opts.arch, kernel)) continue;
    const s: LinuxSyscall = { names: [...call.names], action: call.action };
    if (call.errnoRet !== undefined) s.errnoRet = call.errnoRet;
    if (call.args !== undefined) s.args = call.args.map((a) => ({ ...a }));
    syscalls.push(s);
  }
  out.syscalls = syscalls;
  return out;
}
