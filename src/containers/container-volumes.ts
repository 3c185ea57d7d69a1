import { existsSync } from 'node:fs';
import { cp, readdir, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { InvalidParameterError, NotFoundError, messageOf } from '../errdefs/index.js';
import type { HostConfig, MountPoint } from '../pkg/engine/index.js';
import { parseVolumeSpec, DEFAULT_PROPAGATION } from '../pkg/oci/index.js';
import type { VolumeService } from '../volumes/index.js';

/** A volume a container mounts (named or anonymous), as its record keeps it. */
export interface ContainerVolume {
  name: string;
  destination: string;
  readOnly: boolean;
  noCopy: boolean;
  anonymous: boolean;
  subpath?: string;
}

/** The other container a --volumes-from names, as far as this needs it. */
export interface VolumesSource { Id: string; HostConfig: HostConfig; volumes: ContainerVolume[] }

export type Volumes = Pick<VolumeService, 'create' | 'tryGet' | 'remove' | 'acquire' | 'releaseMount' | 'get' | 'adopt'>;

interface Planned { driver?: string; name?: string; destination: string; readOnly: boolean; noCopy: boolean; anonymous: boolean; subpath?: string }

/**
 * Works out a new container's volumes — `-v name:/dst`, `-v /dst`, `--mount
 * type=volume`, --volumes-from and the image's VOLUMEs (anonymous, unless a
 * user mount covers the path) — validates every mount destination once, then
 * creates what is missing. On failure nothing it created is left.
 */
export async function planVolumes(o: {
  hostConfig: HostConfig;
  imageVolumes: readonly string[];
  volumesFrom: (ref: string) => VolumesSource;
  volumes: Volumes;
}): Promise<{ volumes: ContainerVolume[]; binds: string[] }> {
  const h = o.hostConfig;
  const planned: Planned[] = [];
  const destinations: string[] = [];
  const binds: string[] = [];
  for (const raw of h.Binds ?? []) {
    const v = parseVolumeSpec(raw);
    destinations.push(v.destination);
    if (v.kind === 'volume') {
      const driver = h.VolumeDriver || 'local';
      planned.push({ driver, ...(v.name ? { name: v.name } : {}), destination: v.destination, readOnly: v.readOnly, noCopy: v.noCopy, anonymous: !v.name });
    }
  }
  for (const m of h.Mounts ?? []) {
    if (!m.Target || !m.Target.startsWith('/')) {
      throw new InvalidParameterError(`invalid mount config for type "${m.Type}": invalid mount path: '${m.Target ?? ''}' mount path must be absolute`);
    }
    const dst = posix.normalize(m.Target);
    destinations.push(dst);
    if (m.Type === 'bind') {
      // docker checks bind sources at create: a refused mount leaves no container behind.
      const src = m.Source ?? '';
      if (src === '') throw new InvalidParameterError('invalid mount config for type "bind": field Source must not be empty');
      if (!src.startsWith('/')) throw new InvalidParameterError(`invalid mount config for type "bind": invalid mount path: '${src}' mount path must be absolute`);
      if (!existsSync(src) && m.BindOptions?.CreateMountpoint !== true) throw new InvalidParameterError(`invalid mount config for type "bind": bind source path does not exist: ${src}`);
    }
    if (m.Type !== 'volume') continue;
    if (m.Source) checkVolumeName(m.Source);
    const driver = m.VolumeOptions?.DriverConfig?.Name || h.VolumeDriver || 'local';
    const sub = m.VolumeOptions?.Subpath;
    if (sub && (posix.isAbsolute(sub) || posix.normalize(sub).startsWith('..'))) throw new InvalidParameterError(`invalid mount config for type "volume": subpath must be a relative path within the volume`);
    planned.push({
      driver, ...(m.Source ? { name: m.Source } : {}), destination: dst, readOnly: m.ReadOnly === true,
      noCopy: m.VolumeOptions?.NoCopy === true, anonymous: !m.Source, ...(sub ? { subpath: posix.normalize(sub) } : {}),
    });
  }
  for (const dst of Object.keys(h.Tmpfs ?? {})) destinations.push(posix.normalize(dst));
  for (const spec of h.VolumesFrom ?? []) {
    const [ref = '', mode = ''] = spec.split(':');
    if (mode !== '' && mode !== 'ro' && mode !== 'rw') throw new InvalidParameterError(`invalid mode: ${mode}`);
    let src: VolumesSource;
    try { src = o.volumesFrom(ref); } catch (err) {
      // 400, as moby: a 404 on create makes the docker CLI go and pull the image.
      if (err instanceof NotFoundError) throw new InvalidParameterError(`No such container: ${ref}`);
      throw err;
    }
    for (const v of src.volumes) {
      if (destinations.includes(v.destination)) continue;
      destinations.push(v.destination);
      planned.push({ name: v.name, destination: v.destination, readOnly: mode === 'ro' ? true : mode === 'rw' ? false : v.readOnly, noCopy: true, anonymous: false, ...(v.subpath ? { subpath: v.subpath } : {}) });
    }
    for (const raw of src.HostConfig.Binds ?? []) {
      const b = parseVolumeSpec(raw);
      if (b.kind !== 'bind' || destinations.includes(b.destination)) continue;
      destinations.push(b.destination);
      const ro = mode === 'ro' || (mode === '' && b.readOnly);
      binds.push(`${b.source}:${b.destination}:${ro ? 'ro' : 'rw'}`);
    }
  }
  const seen = new Set<string>();
  for (const d of destinations) {
    if (seen.has(d)) throw new InvalidParameterError(`Duplicate mount point: ${d}`);
    seen.add(d);
  }
  for (const dst of o.imageVolumes) {
    const d = posix.normalize(dst);
    if (seen.has(d)) continue;
    seen.add(d);
    planned.push({ destination: d, readOnly: false, noCopy: false, anonymous: true });
  }
  const made: string[] = [];
  const out: ContainerVolume[] = [];
  try {
    for (const p of planned) {
      let name: string;
      if (p.name !== undefined && o.volumes.tryGet(p.name)) {
        name = p.name;
      } else {
        let v;
        try {
          v = await o.volumes.create({ ...(p.name ? { Name: p.name } : {}), Driver: p.driver ?? 'local' }, { anonymous: p.anonymous });
        } catch (err) {
          // 400, not the 404 of a missing plugin: the docker CLI would take a 404 for a missing image.
          if (err instanceof NotFoundError) throw new InvalidParameterError(messageOf(err));
          throw err;
        }
        made.push(v.Name);
        name = v.Name;
      }
      out.push({ name, destination: p.destination, readOnly: p.readOnly, noCopy: p.noCopy, anonymous: p.anonymous, ...(p.subpath ? { subpath: p.subpath } : {}) });
    }
  } catch (err) {
    for (const n of made) await o.volumes.remove(n, { force: true }).catch(() => undefined);
    throw err;
  }
  return { volumes: out, binds };
}

/** moby's local-driver name rules, with its words. */
export function checkVolumeName(name: string): void {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
    throw new InvalidParameterError(`create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  if (name.length < 2) throw new InvalidParameterError(`create ${name}: volume name is too short, names should be at least two alphanumeric characters`);
}

/** docker's inspect `Mounts`: volumes, binds and --mount entries (tmpfs as docker lists it). */
export function mountPoints(h: HostConfig, volumes: readonly ContainerVolume[], extraBinds: readonly string[], volumeSource: (name: string) => string): MountPoint[] {
  const out: MountPoint[] = [];
  for (const raw of [...(h.Binds ?? []), ...extraBinds]) {
    const v = parseVolumeSpec(raw);
    if (v.kind !== 'bind') continue;
    out.push({ Type: 'bind', Source: v.source, Destination: v.destination, Mode: raw.split(':')[2] ?? '', RW: !v.readOnly, Propagation: v.propagation || DEFAULT_PROPAGATION });
  }
  for (const m of h.Mounts ?? []) {
    if (m.Type === 'bind') out.push({ Type: 'bind', Source: m.Source ?? '', Destination: m.Target, Mode: '', RW: m.ReadOnly !== true, Propagation: m.BindOptions?.Propagation || DEFAULT_PROPAGATION });
    if (m.Type === 'tmpfs') out.push({ Type: 'tmpfs', Source: '', Destination: m.Target, Mode: '', RW: m.ReadOnly !== true, Propagation: '' });
  }
  for (const v of volumes) {
    out.push({ Type: 'volume', Name: v.name, Source: volumeSource(v.name), Destination: v.destination, Driver: 'local', Mode: v.noCopy ? 'nocopy' : 'z', RW: !v.readOnly, Propagation: '' });
  }
  return out;
}

/**
 * docker's copy-up: a volume that is still empty, mounted over a directory
 * that holds files in the image, first gets a copy of them (modes, owners
 * and times kept). `nocopy` and non-empty volumes are left alone.
 */
export async function copyUp(rootfs: string, v: ContainerVolume, hostPath: string): Promise<void> {
  if (v.noCopy || v.subpath) return;
  const inImage = posix.join(rootfs, v.destination);
  let st;
  try { st = await stat(inImage); } catch { return; }
  if (!st.isDirectory()) return;
  if ((await readdir(hostPath)).length > 0) return;
  const entries = await readdir(inImage);
  if (entries.length === 0) return;
  await cp(inImage, hostPath, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true, force: false, errorOnExist: false });
  const { chmod } = await import('node:fs/promises');
  await chmod(hostPath, st.mode & 0o7777);
  // fs.cp keeps modes but not owners: set them as the image has them.
  await copyOwners(inImage, hostPath);
}

async function copyOwners(from: string, to: string): Promise<void> {
  const { lchown, lstat } = await import('node:fs/promises');
  const st = await lstat(from);
  await lchown(to, st.uid, st.gid).catch(() => undefined);
  if (!st.isDirectory()) return;
  for (const n of await readdir(from)) await copyOwners(posix.join(from, n), posix.join(to, n));
}
