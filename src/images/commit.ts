/**
 * `docker commit`: a container's own changes (its snapshot's upper dir, overlay
 * whiteouts turned into `.wh.` entries) become one new layer on top of its
 * image, with the container's run config (and any `-c` changes) as the image's.
 */
import { createTar } from '../pkg/archive/index.js';
import { fullString, parseReference, withDefaultTag, familiarString } from '../pkg/reference/index.js';
import type { ImageConfigFile, ImageRecord, ImageService } from './image-service.js';

type RunConfig = NonNullable<ImageConfigFile['config']>;

export interface CommitRequest {
  /** The container's image ('' for none). */
  parentId: string;
  /** Host directory with the container's changes (its snapshot's upper dir). */
  upperDir: string;
  containerId: string;
  /** The container's Config (docker's container config). */
  containerConfig: Record<string, unknown>;
  /** Config fields from the request body and `-c` changes, which win. */
  overrides: Partial<RunConfig>;
  comment?: string;
  author?: string;
  repo?: string;
  tag?: string;
}

const IMAGE_FIELDS = ['User', 'ExposedPorts', 'Env', 'Cmd', 'Entrypoint', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal', 'Healthcheck', 'OnBuild', 'Shell'] as const;

export async function commitContainer(images: ImageService, r: CommitRequest): Promise<ImageRecord> {
  const parent = r.parentId ? images.tryResolve(r.parentId) : undefined;
  const base: ImageConfigFile = parent ? await images.config(parent.id) : { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } };
  const parentChain = parent ? images.topLayer(parent) : '';
  const layer = await images.applyLayer(createTar(r.upperDir, { overlayWhiteouts: true, idMap: images.idMap }), parentChain);
  const run: Record<string, unknown> = {};
  for (const k of IMAGE_FIELDS) if (r.containerConfig[k] !== undefined && r.containerConfig[k] !== null) run[k] = r.containerConfig[k];
  const created = new Date().toISOString();
  const cmd = Array.isArray(r.containerConfig['Cmd']) ? (r.containerConfig['Cmd'] as string[]).join(' ') : '';
  const cfg: ImageConfigFile & { container?: string; container_config?: unknown } = {
    ...base,
    architecture: base.architecture || 'amd64', os: base.os || 'linux', created,
    ...(r.author ? { author: r.author } : {}),
    config: { ...(run as RunConfig), ...r.overrides },
    container: r.containerId,
    container_config: r.containerConfig,
    rootfs: { type: 'layers', diff_ids: [...(base.rootfs?.diff_ids ?? []), layer.diffId] },
    history: [...(base.history ?? []), { created, created_by: cmd, ...(r.comment ? { comment: r.comment } : {}), ...(r.author ? { author: r.author } : {}) }],
  };
  const rec = await images.recordImage(Buffer.from(JSON.stringify(cfg)), [...(parent?.layerSizes ?? []), layer.size], { comment: r.comment ?? '' });
  const withParent: ImageRecord = { ...rec, parent: parent?.id ?? '' };
  images.update(withParent);
  let name: string | undefined;
  if (r.repo) {
    const ref = withDefaultTag(parseReference(r.tag ? `${r.repo}:${r.tag}` : r.repo));
    images.tag(rec.id, fullString(ref));
    name = familiarString(ref);
  }
  images.events.publish({ Type: 'image', Action: 'commit', Actor: { ID: rec.id, Attributes: { ...(name ? { name } : {}), comment: r.comment ?? '' } } });
  return withParent;
}
