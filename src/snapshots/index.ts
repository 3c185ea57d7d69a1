/**
 * snapshots: filesystem snapshots for image layers and container rootfs.
 *
 * Vocabulary: `key` names an *active* snapshot (writable, e.g. a container's
 * upper dir or a layer being unpacked), `name` a *committed* one (read-only,
 * an image layer keyed by its chain ID). One namespace holds both.
 * Lifecycle of a layer import: `prepare(tmpKey, parentChainId)` → extract the
 * layer into `dir(tmpKey)` → `commit(chainId, tmpKey)`. A container:
 * `prepare('container-<id>', topChainId)` → mount the returned `Mount[]` →
 * run → `remove('container-<id>')`. The snapshotter never mounts: it returns
 * mounts and the caller (runtime side) performs them.
 */
export type { Snapshotter, Mount, SnapshotInfo, SnapshotKind } from './snapshotter.js';
export { OverlaySnapshotter } from './overlay/overlay-snapshotter.js';
