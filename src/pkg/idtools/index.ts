/**
 * idtools: user-namespace id mappings for `--userns-remap`.
 *
 * A remap names a host user (and group) whose subordinate id ranges, from
 * /etc/subuid and /etc/subgid, become the container's ids 0…n: root in the
 * container is an unprivileged id on the host. `default` means the user
 * `dockremap`, as with dockerd, created with a free 65536-id range when it is
 * missing, so a host that ran dockerd with remapping keeps its ranges.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { InvalidParameterError } from '../../errdefs/index.js';

/** One contiguous range: container ids [containerId, containerId+size) are host ids [hostId, hostId+size). */
export interface IdRange { containerId: number; hostId: number; size: number }

export interface IdMapping {
  /** The remap as configured, resolved: `dockremap:dockremap`. */
  readonly user: string;
  readonly group: string;
  readonly uids: readonly IdRange[];
  readonly gids: readonly IdRange[];
}

/** The kernel's overflow id: what a host id without a mapping reads as inside a user namespace. */
export const OVERFLOW_ID = 65534;

export const DEFAULT_REMAP_USER = 'dockremap';

export interface IdFiles { passwd: string; group: string; subuid: string; subgid: string }
export const HOST_ID_FILES: IdFiles = { passwd: '/etc/passwd', group: '/etc/group', subuid: '/etc/subuid', subgid: '/etc/subgid' };

function readOr(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}

/** name → id from a passwd(5) or group(5) file. */
function lookupDb(text: string, nameOrId: string): { name: string; id: number } | undefined {
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || !f[0]) continue;
    const id = Number(f[2]);
    if (f[0] === nameOrId || (/^\d+$/.test(nameOrId) && id === Number(nameOrId))) return { name: f[0], id };
  }
  return undefined;
}

/** Ranges of subuid(5)/subgid(5) entries for a user, by name or id, in file order. */
export function subordinateRanges(text: string, name: string, id: number | undefined): IdRange[] {
  const out: IdRange[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(':');
    if (f.length !== 3 || line.trim().startsWith('#')) continue;
    if (f[0] !== name && !(id !== undefined && f[0] === String(id))) continue;
    const start = Number(f[1]);
    const size = Number(f[2]);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(size) || start < 0 || size <= 0) continue;
    out.push({ containerId: 0, hostId: start, size });
  }
  // Consecutive container ids across ranges, as dockerd does with several lines.
  let next = 0;
  for (const r of out) { r.containerId = next; next += r.size; }
  return out;
}

/** The first id ≥ 100000 after every range in a subordinate-id file, for a new 65536-id range. */
export function freeRangeStart(...texts: string[]): number {
  let start = 100_000;
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const f = line.trim().split(':');
      if (f.length !== 3) continue;
      const end = Number(f[1]) + Number(f[2]);
      if (Number.isSafeInteger(end) && end > start) start = end;
    }
  }
  return start;
}

/** Parses `user[:group]` (names or ids); `default` is dockremap:dockremap. */
export function parseRemapSpec(spec: string): { user: string; group: string | undefined } {
  const s = spec.trim();
  if (s === 'default') return { user: DEFAULT_REMAP_USER, group: DEFAULT_REMAP_USER };
  const [user, group, extra] = s.split(':');
  if (!user || extra !== undefined || group === '') throw new InvalidParameterError(`invalid --userns-remap value ${JSON.stringify(spec)}: want default, a user, or user:group`);
  return { user, group };
}

/**
 * Resolves `--userns-remap` against the host's id files. `default` creates the
 * dockremap user and its ranges when they are missing (as dockerd does); any
 * other user must exist and have ranges, or start-up stops with a line that
 * names the file and the fix.
 */
export function resolveRemap(spec: string, files: IdFiles = HOST_ID_FILES): IdMapping {
  const { user, group } = parseRemapSpec(spec);
  const isDefault = spec.trim() === 'default';
  let pw = lookupDb(readOr(files.passwd), user);
  if (!pw && isDefault && files === HOST_ID_FILES) {
    run('useradd', ['--system', '--no-create-home', '--shell', '/bin/false', '--user-group', DEFAULT_REMAP_USER]);
    pw = lookupDb(readOr(files.passwd), user);
  }
  if (!pw) throw new InvalidParameterError(`--userns-remap: user ${JSON.stringify(user)} not found in ${files.passwd}: create it (useradd) or use --userns-remap=default`);
  const groupName = group ?? pw.name;
  const gr = lookupDb(readOr(files.group), groupName);
  if (!gr) throw new InvalidParameterError(`--userns-remap: group ${JSON.stringify(groupName)} not found in ${files.group}: create it (groupadd) or name an existing group`);
  let uids = subordinateRanges(readOr(files.subuid), pw.name, pw.id);
  let gids = subordinateRanges(readOr(files.subgid), gr.name, gr.id);
  if ((!uids.length || !gids.length) && isDefault && files === HOST_ID_FILES) {
    const start = freeRangeStart(readOr(files.subuid), readOr(files.subgid));
    const range = `${start}-${start + 65535}`;
    run('usermod', [...(uids.length ? [] : ['--add-subuids', range]), ...(gids.length ? [] : ['--add-subgids', range]), pw.name]);
    uids = subordinateRanges(readOr(files.subuid), pw.name, pw.id);
    gids = subordinateRanges(readOr(files.subgid), gr.name, gr.id);
  }
  if (!uids.length) throw new InvalidParameterError(`--userns-remap: no subordinate uid range for ${pw.name} in ${files.subuid}: add one, e.g. usermod --add-subuids 100000-165535 ${pw.name}`);
  if (!gids.length) throw new InvalidParameterError(`--userns-remap: no subordinate gid range for ${gr.name} in ${files.subgid}: add one, e.g. usermod --add-subgids 100000-165535 ${gr.name}`);
  return { user: pw.name, group: gr.name, uids, gids };
}

function run(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new InvalidParameterError(`--userns-remap=default: ${cmd} ${args.join(' ')} failed${stderr ? `: ${stderr}` : ''}`);
  }
}

function toHostId(ranges: readonly IdRange[], id: number): number | undefined {
  for (const r of ranges) if (id >= r.containerId && id < r.containerId + r.size) return r.hostId + (id - r.containerId);
  return undefined;
}

function toContainerId(ranges: readonly IdRange[], id: number): number | undefined {
  for (const r of ranges) if (id >= r.hostId && id < r.hostId + r.size) return r.containerId + (id - r.hostId);
  return undefined;
}

/**
 * Translates file ownership between a container's ids and the host's. Used
 * where files cross the boundary: layers unpacked (container → host), layers
 * and archives made from a container's files (host → container).
 */
export class IdMapper {
  constructor(readonly mapping: IdMapping) {}

  /** The host uid/gid of the container's root. */
  get rootUid(): number { return this.mapping.uids[0]?.hostId ?? 0; }
  get rootGid(): number { return this.mapping.gids[0]?.hostId ?? 0; }

  /** Container ids to host ids; an id outside the ranges cannot be stored, as dockerd refuses it. */
  toHost(uid: number, gid: number): { uid: number; gid: number } {
    const hu = toHostId(this.mapping.uids, uid);
    const hg = toHostId(this.mapping.gids, gid);
    if (hu === undefined) throw new InvalidParameterError(`container ID ${uid} cannot be mapped to a host ID: the remapped range of ${this.mapping.user} has ${total(this.mapping.uids)} ids`);
    if (hg === undefined) throw new InvalidParameterError(`container ID ${gid} cannot be mapped to a host ID: the remapped range of ${this.mapping.group} has ${total(this.mapping.gids)} ids`);
    return { uid: hu, gid: hg };
  }

  /** Host ids to container ids; a host id outside the ranges reads as the overflow id, as the kernel shows it. */
  toContainer(uid: number, gid: number): { uid: number; gid: number } {
    return { uid: toContainerId(this.mapping.uids, uid) ?? OVERFLOW_ID, gid: toContainerId(this.mapping.gids, gid) ?? OVERFLOW_ID };
  }

  /** The OCI runtime spec's uidMappings/gidMappings. */
  ociMappings(): { uidMappings: { containerID: number; hostID: number; size: number }[]; gidMappings: { containerID: number; hostID: number; size: number }[] } {
    const m = (rs: readonly IdRange[]) => rs.map((r) => ({ containerID: r.containerId, hostID: r.hostId, size: r.size }));
    return { uidMappings: m(this.mapping.uids), gidMappings: m(this.mapping.gids) };
  }

  /** dockerd's name for the remapped data root's subdirectory: `<uid>.<gid>`. */
  get dirName(): string { return `${this.rootUid}.${this.rootGid}`; }
}

function total(rs: readonly IdRange[]): number { return rs.reduce((n, r) => n + r.size, 0); }
