// Docker's user mount syntaxes turned into OCI mounts: `-v src:dst[:mode]` (moby
// `volume/mounts/linux_parser.go`), `--tmpfs dst[:opts]` option merging (moby `pkg/mount`
// MergeTmpfsOptions) and the parents-before-children ordering docker applies.

import * as path from 'node:path';
import { InvalidParameterError } from '../../errdefs/index.js';
import type { Mount } from './spec.js';

export const PROPAGATION_MODES: readonly string[] = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
/** Docker's default bind propagation. */
export const DEFAULT_PROPAGATION = 'rprivate';

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** A parsed `-v` entry. `kind: 'volume'` is a named (`name`) or anonymous (no `name`) volume. */
export type VolumeSpec =
  | { kind: 'bind'; source: string; destination: string; readOnly: boolean; propagation: string }
  | { kind: 'volume'; name?: string; destination: string; readOnly: boolean; noCopy: boolean };

interface Mode { readOnly: boolean; propagation: string; noCopy: boolean }

function parseMode(mode: string): Mode | undefined {
  const out: Mode = { readOnly: false, propagation: '', noCopy: false };
  let rw = 0;
  let label = 0;
  for (const o of mode.split(',')) {
    if (o === 'ro' || o === 'rw') { rw++; out.readOnly = o === 'ro'; continue; }
    if (o === 'z' || o === 'Z') { label++; continue; }
    if (o === 'nocopy') { out.noCopy = true; continue; }
    if (PROPAGATION_MODES.includes(o) && out.propagation === '') { out.propagation = o; continue; }
    return undefined;
  }
  return rw > 1 || label > 1 ? undefined : out;
}

function invalidSpec(raw: string, detail?: string): InvalidParameterError {
  return new InvalidParameterError(`invalid volume specification: '${raw}'${detail === undefined ? '' : `: ${detail}`}`);
}

/**
 * Parse one `HostConfig.Binds` entry. Absolute sources are binds; anything else is a volume name
 * (checked against docker's volume-name rule, with docker's hint about absolute paths).
 */
export function parseVolumeSpec(raw: string): VolumeSpec {
  const arr = raw.split(':');
  if (arr[0] === '' || arr.length > 3) throw invalidSpec(raw);
  let source = '';
  let destination: string;
  let modeText = '';
  if (arr.length === 1) {
    destination = arr[0] ?? '';
  } else if (arr.length === 2 && parseMode(arr[1] ?? '') !== undefined) {
    destination = arr[0] ?? '';
    modeText = arr[1] ?? '';
  } else {
    source = arr[0] ?? '';
    destination = arr[1] ?? '';
    modeText = arr[2] ?? '';
  }
  const mode = modeText === '' ? { readOnly: false, propagation: '', noCopy: false } : parseMode(modeText);
  if (mode === undefined) throw new InvalidParameterError(`invalid mode: ${modeText}`);
  const isBind = source.startsWith('/');
  const type = isBind ? 'bind' : 'volume';
  if (!destination.startsWith('/')) {
    throw invalidSpec(raw, `invalid mount config for type "${type}": invalid mount path: '${destination}' mount path must be absolute`);
  }
  if (path.posix.normalize(destination) === '/') throw invalidSpec(raw, `invalid specification: destination can't be '/'`);
  if (isBind) {
    if (mode.noCopy) throw new InvalidParameterError(`invalid mode: ${modeText}`);
    return {
      kind: 'bind', source: path.posix.normalize(source), destination: path.posix.normalize(destination),
      readOnly: mode.readOnly, propagation: mode.propagation || DEFAULT_PROPAGATION,
    };
  }
  if (source !== '' && !VOLUME_NAME.test(source)) {
    throw new InvalidParameterError(
      `create ${source}: "${source}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
  const vol: VolumeSpec = { kind: 'volume', destination: path.posix.normalize(destination), readOnly: mode.readOnly, noCopy: mode.noCopy };
  return source === '' ? vol : { ...vol, name: source };
}

/** An OCI bind mount as docker writes it: `rbind` (or `bind` when non-recursive), `ro`, propagation. */
export function bindMount(opts: { source: string; destination: string; readOnly?: boolean; propagation?: string; nonRecursive?: boolean }): Mount {
  const options = [opts.nonRecursive === true ? 'bind' : 'rbind'];
  if (opts.readOnly === true) options.push('ro');
  options.push(opts.propagation || DEFAULT_PROPAGATION);
  return { destination: opts.destination, type: 'bind', source: opts.source, options };
}

const FLAG_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['ro', 'rw'], ['exec', 'noexec'], ['suid', 'nosuid'], ['dev', 'nodev'], ['atime', 'noatime'],
  ['diratime', 'nodiratime'], ['relatime', 'norelatime'], ['strictatime', 'nostrictatime'], ['sync', 'async'],
  ['dirsync', ''], ['mand', 'nomand'],
];
const TMPFS_DATA_KEYS = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol', 'huge', 'inode64', 'noswap']);

/**
 * Options of a docker tmpfs mount: `noexec,nosuid,nodev,rprivate` then the user's comma list, where a
 * later flag replaces its opposite (`exec` drops `noexec`) and a later `key=value` replaces the key.
 */
export function tmpfsOptions(data: string): string[] {
  const out: string[] = ['noexec', 'nosuid', 'nodev', DEFAULT_PROPAGATION];
  for (const opt of data.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const key = opt.split('=')[0] ?? opt;
    if (opt.includes('=')) {
      if (!TMPFS_DATA_KEYS.has(key)) throw new InvalidParameterError(`invalid tmpfs option ${JSON.stringify(opt)}`);
      const i = out.findIndex((o) => o.startsWith(`${key}=`));
      if (i >= 0) out.splice(i, 1);
      out.push(opt);
      continue;
    }
    const pair = FLAG_PAIRS.find(([a, b]) => a === opt || b === opt);
    if (pair === undefined && !PROPAGATION_MODES.includes(opt)) {
      throw new InvalidParameterError(`invalid tmpfs option ${JSON.stringify(opt)}`);
    }
    const drop = pair ?? PROPAGATION_MODES;
    for (let i = out.length - 1; i >= 0; i--) if (drop.includes(out[i] ?? '')) out.splice(i, 1);
    out.push(opt);
  }
  return out;
}

/** An OCI tmpfs mount for `--tmpfs dst[:opts]` or a `--mount type=tmpfs`. */
export function tmpfsMount(destination: string, data: string): Mount {
  return { destination, type: 'tmpfs', source: 'tmpfs', options: tmpfsOptions(data) };
}

function depth(p: string): number { return path.posix.normalize(p).split('/').filter((s) => s !== '').length; }

/** Stable sort so a parent directory is mounted before anything beneath it (docker sorts by depth). */
export function sortMountsByDepth(mounts: readonly Mount[]): Mount[] {
  return mounts.map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i)
    .map(({ m }) => m);
}
