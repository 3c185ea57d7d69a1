// Linux capability names and docker's --cap-add/--cap-drop arithmetic (moby `oci/caps`).

import { InvalidParameterError } from '../../errdefs/index.js';

/** Every capability the kernel knows, indexed by its bit number (capabilities(7), up to CAP_CHECKPOINT_RESTORE = 40). */
export const KNOWN_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** Docker's default set, in docker's order (moby `oci/caps/defaults.go`). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const ALL = 'ALL';

/**
 * Capability names set in a hex mask as printed in /proc/<pid>/status (`CapPrm: 000001fffeffffff`).
 * Bits the table does not name (a newer kernel) are ignored.
 */
export function capabilitiesFromMask(hex: string): string[] {
  const mask = BigInt(`0x${hex.trim() || '0'}`);
  return KNOWN_CAPABILITIES.filter((_, bit) => ((mask >> BigInt(bit)) & 1n) === 1n);
}

/**
 * The capabilities a process may hand to a container: permitted ∩ bounding of the given
 * /proc/<pid>/status text. pierd passes its own (`/proc/self/status`) as `daemonCaps`.
 */
export function capabilitiesFromStatus(statusText: string): string[] {
  const field = (name: string): string => new RegExp(`^${name}:\\s*([0-9a-fA-F]+)$`, 'm').exec(statusText)?.[1] ?? '0';
  const bounding = new Set(capabilitiesFromMask(field('CapBnd')));
  return capabilitiesFromMask(field('CapPrm')).filter((c) => bounding.has(c));
}

/**
 * Upper-case and CAP_-prefix each name, keeping the magic `ALL`.
 * Throws InvalidParameterError with docker's wording for a name the kernel does not know, or one
 * that `available` (the daemon's own set) lacks.
 */
export function normalizeCapabilities(names: readonly string[], available: readonly string[]): string[] {
  const have = new Set(available);
  return names.map((raw) => {
    let c = raw.toUpperCase();
    if (c === ALL) return c;
    if (!c.startsWith('CAP_')) c = `CAP_${c}`;
    if (!KNOWN_CAPABILITIES.includes(c)) throw new InvalidParameterError(`unknown capability: ${JSON.stringify(c)}`);
    if (!have.has(c)) {
      throw new InvalidParameterError(
        `capability not supported by your kernel or not available in the current environment: ${JSON.stringify(c)}`,
      );
    }
    return c;
  });
}

export interface CapabilityOptions {
  adds?: readonly string[] | null;
  drops?: readonly string[] | null;
  privileged?: boolean;
  /** The capabilities the daemon holds: `ALL` and --privileged expand to these, and nothing outside them is returned. */
  available: readonly string[];
}

/**
 * Docker's cap arithmetic: privileged ⇒ everything available; `--cap-add ALL` ⇒ everything minus
 * drops; `--cap-drop ALL` ⇒ only the adds; otherwise defaults minus drops, plus adds.
 * The result has no duplicates and never names a capability outside `available`.
 */
export function resolveCapabilities(opts: CapabilityOptions): string[] {
  const available = opts.available;
  if (opts.privileged === true) return [...available];
  const drops = normalizeCapabilities(opts.drops ?? [], available);
  const adds = normalizeCapabilities(opts.adds ?? [], available);
  let caps: string[];
  if (adds.includes(ALL)) {
    caps = available.filter((c) => !drops.includes(c));
  } else if (drops.includes(ALL)) {
    caps = adds;
  } else {
    caps = [...DEFAULT_CAPABILITIES.filter((c) => !drops.includes(c)), ...adds];
  }
  const have = new Set(available);
  return [...new Set(caps)].filter((c) => have.has(c));
}
