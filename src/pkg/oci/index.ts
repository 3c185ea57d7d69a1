/**
 * oci: the OCI runtime-spec (config.json / process.json) types pier writes for crun and runc,
 * and the docker-compatible building blocks that have no pier state: capability names and
 * docker's --cap-add/--cap-drop arithmetic, docker's default mounts, masked/read-only paths and
 * device rules, `-v`/`--tmpfs` syntax, `--device-cgroup-rule`, `--ulimit`, and a `HostProbe`
 * for the few host facts a spec depends on.
 *
 * A spec is a plain JSON-serialisable value: build it, `JSON.stringify` it into the bundle's
 * config.json, and hand the bundle to the runtime. Nothing here mounts or spawns anything.
 *
 * @example
 * const caps = resolveCapabilities({ adds: ['net_admin'], drops: ['mknod'], available: daemonCaps });
 * const spec: Spec = { ociVersion: OCI_VERSION, process: { user: { uid: 0, gid: 0 }, args: ['sh'], cwd: '/',
 *   capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] } },
 *   root: { path: '/var/lib/pier/…/merged' }, mounts: defaultMounts({ cgroupVersion: 1, privileged: false,
 *   shm: { mode: 'private', size: DEFAULT_SHM_SIZE } }) };
 */
export * from './spec.js';
export * from './caps.js';
export * from './defaults.js';
export * from './device-rules.js';
export * from './host.js';
export * from './resources.js';
export * from './rlimits.js';
export * from './security-opts.js';
export * from './user-mounts.js';
