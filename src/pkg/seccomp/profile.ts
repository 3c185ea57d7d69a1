// Docker's seccomp profile format (moby `profiles/seccomp` Seccomp type; the same JSON as
// containers-common's /usr/share/containers/seccomp.json): an OCI LinuxSeccomp plus `archMap`
// and per-rule `includes`/`excludes` conditions that are resolved when a spec is built.
// `parseProfile` narrows untrusted JSON into this shape or throws InvalidParameterError.

import { InvalidParameterError } from '../../errdefs/index.js';
import type { LinuxSeccompAction, LinuxSeccompArg, LinuxSeccompOperator } from '../oci/index.js';

export interface ProfileFilter {
  caps?: string[];
  arches?: string[];
  /** "major.minor" kernel version. */
  minKernel?: string;
}

export interface ProfileSyscall {
  names: string[];
  action: LinuxSeccompAction;
  errnoRet?: number;
  args?: LinuxSeccompArg[];
  includes?: ProfileFilter;
  excludes?: ProfileFilter;
}

export interface ProfileArchMap { architecture: string; subArchitectures: string[] }

export interface SeccompProfile {
  defaultAction: LinuxSeccompAction | '';
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: ProfileArchMap[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls: ProfileSyscall[];
}

const ACTIONS: readonly string[] = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
];
const OPERATORS: readonly string[] = [
  'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
];

function bad(where: string, what: string): InvalidParameterError {
  return new InvalidParameterError(`Decoding seccomp profile failed: ${where}: ${what}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optString(o: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(`${where}.${key}`, 'expected a string');
  return v;
}

function optStrings(o: Record<string, unknown>, key: string, where: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string')) throw bad(`${where}.${key}`, 'expected an array of strings');
  return [...v];
}

function optUint(o: Record<string, unknown>, key: string, where: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw bad(`${where}.${key}`, 'expected a non-negative integer');
  return v;
}

function action(v: unknown, where: string): LinuxSeccompAction {
  if (typeof v !== 'string' || !ACTIONS.includes(v)) throw bad(where, `unknown action ${JSON.stringify(v)}`);
  return v as LinuxSeccompAction;
}

function filter(v: unknown, where: string): ProfileFilter | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw bad(where, 'expected an object');
  const out: ProfileFilter = {};
  const caps = optStrings(v, 'caps', where);
  const arches = optStrings(v, 'arches', where);
  const minKernel = optString(v, 'minKernel', where);
  if (caps !== undefined) out.caps = caps;
  if (arches !== undefined) out.arches = arches;
  if (minKernel !== undefined && minKernel !== '') {
    if (!/^\d+\.\d+$/.test(minKernel)) throw bad(`${where}.minKernel`, `invalid kernel version ${JSON.stringify(minKernel)}`);
    out.minKernel = minKernel;
  }
  return out;
}

function arg(v: unknown, where: string): LinuxSeccompArg {
  if (!isRecord(v)) throw bad(where, 'expected an object');
  const index = optUint(v, 'index', where) ?? 0;
  const value = optUint(v, 'value', where) ?? 0;
  const valueTwo = optUint(v, 'valueTwo', where) ?? 0;
  if (typeof v['op'] !== 'string' || !OPERATORS.includes(v['op'])) throw bad(`${where}.op`, `unknown operator ${JSON.stringify(v['op'])}`);
  return { index, value, valueTwo, op: v['op'] as LinuxSeccompOperator };
}

function syscall(v: unknown, where: string): ProfileSyscall {
  if (!isRecord(v)) throw bad(where, 'expected an object');
  const name = optString(v, 'name', where);
  const names = optStrings(v, 'names', where) ?? [];
  if (name !== undefined && name !== '' && names.length > 0) {
    throw new InvalidParameterError(`'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'`);
  }
  const out: ProfileSyscall = { names: name !== undefined && name !== '' ? [name] : names, action: action(v['action'], `${where}.action`) };
  const errnoRet = optUint(v, 'errnoRet', where);
  if (errnoRet !== undefined) out.errnoRet = errnoRet;
  const args = v['args'];
  if (args !== undefined && args !== null) {
    if (!Array.isArray(args)) throw bad(`${where}.args`, 'expected an array');
    if (args.length > 0) out.args = args.map((a, i) => arg(a, `${where}.args[${i}]`));
  }
  const inc = filter(v['includes'], `${where}.includes`);
  const exc = filter(v['excludes'], `${where}.excludes`);
  if (inc !== undefined) out.includes = inc;
  if (exc !== undefined) out.excludes = exc;
  return out;
}

/** Narrow parsed JSON into a docker-format profile; InvalidParameterError names the first bad field. */
export function parseProfile(json: unknown): SeccompProfile {
  if (!isRecord(json)) throw bad('profile', 'expected a JSON object');
  const defaultAction = json['defaultAction'] === undefined || json['defaultAction'] === ''
    ? '' as const : action(json['defaultAction'], 'defaultAction');
  const syscallsRaw = json['syscalls'] ?? [];
  if (!Array.isArray(syscallsRaw)) throw bad('syscalls', 'expected an array');
  const profile: SeccompProfile = { defaultAction, syscalls: syscallsRaw.map((s, i) => syscall(s, `syscalls[${i}]`)) };
  const defaultErrnoRet = optUint(json, 'defaultErrnoRet', 'profile');
  if (defaultErrnoRet !== undefined) profile.defaultErrnoRet = defaultErrnoRet;
  const architectures = optStrings(json, 'architectures', 'profile');
  if (architectures !== undefined) profile.architectures = architectures;
  const archMap = json['archMap'];
  if (archMap !== undefined && archMap !== null) {
    if (!Array.isArray(archMap)) throw bad('archMap', 'expected an array');
    profile.archMap = archMap.map((a, i) => {
      const where = `archMap[${i}]`;
      if (!isRecord(a)) throw bad(where, 'expected an object');
      const architecture = optString(a, 'architecture', where);
      if (architecture === undefined) throw bad(`${where}.architecture`, 'missing');
      return { architecture, subArchitectures: optStrings(a, 'subArchitectures', where) ?? [] };
    });
  }
  const flags = optStrings(json, 'flags', 'profile');
  if (flags !== undefined) profile.flags = flags;
  const listenerPath = optString(json, 'listenerPath', 'profile');
  if (listenerPath !== undefined && listenerPath !== '') profile.listenerPath = listenerPath;
  const listenerMetadata = optString(json, 'listenerMetadata', 'profile');
  if (listenerMetadata !== undefined && listenerMetadata !== '') profile.listenerMetadata = listenerMetadata;
  return profile;
}
