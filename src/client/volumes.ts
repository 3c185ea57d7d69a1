// /volumes/* endpoints, and the volume shapes they carry (Engine API 1.50).

import { InvalidParameterError } from '../errdefs/index.js';
import type { Transport } from './transport.js';

/** docker's volume.UsageData: -1 means "not computed". Filled only by GET /system/df. */
export interface VolumeUsageData { Size: number; RefCount: number }

/** GET /volumes/{name}, and each entry of GET /volumes (docker's volume.Volume). */
export interface Volume {
  /** Swarm cluster volumes only; pier has none. */
  ClusterVolume?: Record<string, unknown> | null;
  /** RFC 3339, as the daemon wrote it; omitted by drivers that do not know it. */
  CreatedAt?: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: string;
  Status?: Record<string, unknown> | null;
  UsageData?: VolumeUsageData | null;
}

/** POST /volumes/create: docker's volume.CreateOptions (every field omitempty). */
export interface VolumeCreateRequest {
  ClusterVolumeSpec?: Record<string, unknown>;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Record<string, string>;
  Name?: string;
}

export interface VolumeListResponse { Volumes: Volume[] | null; Warnings: string[] | null }

export interface VolumePruneReport { VolumesDeleted: string[] | null; SpaceReclaimed: number }

/** docker's trimID: surrounding blanks go; nothing left is an InvalidParameterError, sent nowhere. */
function path(name: string): string {
  const t = name.trim();
  if (t === '') throw new InvalidParameterError('invalid volume name or ID: value is empty');
  return `/volumes/${encodeURIComponent(t)}`;
}

export class VolumesClient {
  readonly #t: Transport;
  constructor(t: Transport) { this.#t = t; }

  /** GET /volumes; `filters` is the encoded filter document (dangling, driver, label, name). */
  list(opts: { filters?: string } = {}): Promise<VolumeListResponse> {
    return this.#t.json('GET', '/volumes', { query: { filters: opts.filters || undefined } });
  }

  /** GET /volumes/{name}: NotFoundError when there is no such volume. */
  inspect(name: string): Promise<Volume> {
    return this.#t.json('GET', path(name));
  }

  /** POST /volumes/create → 201 and the volume (an existing one of that name when it matches). */
  create(body: VolumeCreateRequest): Promise<Volume> {
    return this.#t.json('POST', '/volumes/create', { json: body });
  }

  /** DELETE /volumes/{name}; `force` forgives a missing volume (docker sends force=1). */
  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.#t.call('DELETE', path(name), { query: { force: opts.force ? '1' : undefined } });
  }

  /** POST /volumes/prune: anonymous unused volumes, or every unused one with the `all` filter. */
  prune(filters?: string): Promise<VolumePruneReport> {
    return this.#t.json('POST', '/volumes/prune', { query: { filters: filters || undefined } });
  }
}
