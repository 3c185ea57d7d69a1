// Docker's `--device-cgroup-rule` and `--device` syntaxes as OCI device cgroup entries
// (moby `daemon/oci_linux.go` WithDevices, `oci/devices_linux.go`).

import { InvalidParameterError } from '../../errdefs/index.js';
import type { LinuxDeviceCgroup } from './spec.js';

const RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** Parse `c 1:3 mr` / `a *:* rwm`; throws InvalidParameterError with docker's wording. */
export function parseDeviceCgroupRule(rule: string): LinuxDeviceCgroup {
  const m = RULE.exec(rule);
  if (m === null) throw new InvalidParameterError(`invalid device cgroup format '${rule}'`);
  const [, type, maj, min, access] = m;
  const out: LinuxDeviceCgroup = { allow: true, type: type as 'a' | 'b' | 'c', access: access ?? 'rwm' };
  if (maj !== undefined && maj !== '*') out.major = Number(maj);
  if (min !== undefined && min !== '*') out.minor = Number(min);
  return out;
}

/** Check a `--device` permission string (`rwm` subset; empty means `rwm`). */
export function deviceAccess(perms: string): string {
  if (perms === '') return 'rwm';
  if (!/^[rwm]{1,3}$/.test(perms) || new Set(perms).size !== perms.length) {
    throw new InvalidParameterError(`invalid device mode: ${perms}`);
  }
  return perms;
}
