// Docker's `--security-opt` list (HostConfig.SecurityOpt), parsed with moby's rules and wording
// (`daemon/daemon_unix.go` parseSecurityOpt). SELinux labels and AppArmor profiles are accepted
// and ignored: pier applies neither.

import { InvalidParameterError } from '../../errdefs/index.js';

export type SeccompChoice =
  | { kind: 'default' }
  | { kind: 'unconfined' }
  /** `seccomp=<profile JSON text>`: the docker CLI reads the file and sends its content. */
  | { kind: 'custom'; text: string };

export interface SecurityOptions {
  noNewPrivileges: boolean;
  seccomp: SeccompChoice;
  /** `writable-cgroups=true`: /sys/fs/cgroup mounted rw. */
  writableCgroups: boolean;
  apparmorProfile?: string;
  labels: string[];
}

/** Go's strconv.ParseBool. */
function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

export function parseSecurityOpts(opts: readonly string[] | null | undefined, defaults: { noNewPrivileges?: boolean } = {}): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: defaults.noNewPrivileges === true, seccomp: { kind: 'default' }, writableCgroups: false, labels: [] };
  for (const opt of opts ?? []) {
    if (opt === 'no-new-privileges') { out.noNewPrivileges = true; continue; }
    if (opt === 'disable') { out.labels.push('disable'); continue; }
    let sep = opt.indexOf('=');
    if (sep < 0) sep = opt.indexOf(':');
    if (sep < 0) throw new InvalidParameterError(`invalid --security-opt 1: ${JSON.stringify(opt)}`);
    const key = opt.slice(0, sep);
    const value = opt.slice(sep + 1);
    switch (key) {
      case 'label':
        out.labels.push(value);
        break;
      case 'apparmor':
        out.apparmorProfile = value;
        break;
      case 'seccomp':
        out.seccomp = value === 'unconfined' ? { kind: 'unconfined' }
          : value === 'builtin' || value === '' ? { kind: 'default' }
            : { kind: 'custom', text: value };
        break;
      case 'no-new-privileges':
      case 'writable-cgroups': {
        const b = parseBool(value);
        if (b === undefined) throw new InvalidParameterError(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
        if (key === 'no-new-privileges') out.noNewPrivileges = b;
        else out.writableCgroups = b;
        break;
      }
      default:
        throw new InvalidParameterError(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
    }
  }
  return out;
}
