// How `pier images` shows images: one row per repository:tag (docker's imageFormat),
// and how `pier history` shows an image's history entries (docker's historyContext).

import type { ImageHistoryItem, ImageSummary } from '../client/index.js';
import { type Row, ellipsis, goTimeString, rfc3339 } from './formatting.js';
import { humanDuration, humanSize } from './units.js';

export const IMAGES_HEADERS: Record<string, string> = {
  ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT',
  Size: 'SIZE', Containers: 'CONTAINERS', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', VirtualSize: 'SIZE',
};
export const IMAGES_DEFAULT_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
export const IMAGES_DIGEST_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';

/** "docker.io/library/busybox" → "busybox" (reference.FamiliarName). */
export function familiarName(name: string): string {
  return name.replace(/^(?:index\.)?docker\.io\/(?:library\/(?=[^/]+$))?/, '');
}

function splitTagged(ref: string): [string, string] | undefined {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon <= slash) return undefined;
  return [ref.slice(0, colon), ref.slice(colon + 1)];
}

export function imageRows(img: ImageSummary, opts: { digests: boolean; trunc: boolean; now: number }): Row[] {
  const tags = new Map<string, string[]>();
  const digests = new Map<string, string[]>();
  for (const t of img.RepoTags ?? []) {
    const p = splitTagged(t);
    if (!p || t === '<none>:<none>') continue;
    const k = familiarName(p[0]);
    tags.set(k, [...(tags.get(k) ?? []), p[1]]);
  }
  for (const d of img.RepoDigests ?? []) {
    const at = d.indexOf('@');
    if (at < 0 || d.startsWith('<none>')) continue;
    const k = familiarName(d.slice(0, at));
    digests.set(k, [...(digests.get(k) ?? []), d.slice(at + 1)]);
  }
  const base = (repo: string, tag: string, digest: string): Row => {
    const id = opts.trunc ? img.Id.replace(/^sha256:/, '').slice(0, 12) : img.Id;
    return {
      ID: id, Repository: repo, Tag: tag, Digest: digest,
      CreatedSince: img.Created > 0 ? `${humanDuration(opts.now - img.Created * 1000)} ago` : 'N/A',
      CreatedAt: goTimeString(new Date(img.Created * 1000)),
      Size: humanSize(img.Size, 3), VirtualSize: humanSize(img.Size),
      SharedSize: img.SharedSize < 0 ? 'N/A' : humanSize(img.SharedSize, 3),
      UniqueSize: img.SharedSize < 0 ? 'N/A' : humanSize(img.Size - img.SharedSize, 3),
      Containers: img.Containers < 0 ? 'N/A' : String(img.Containers),
    };
  };
  const rows: Row[] = [];
  for (const repo of [...tags.keys()].sort()) {
    const ds = opts.digests ? (digests.get(repo) ?? []) : [];
    digests.delete(repo);
    for (const tag of tags.get(repo) ?? []) {
      if (ds.length === 0) rows.push(base(repo, tag, '<none>'));
      else for (const d of ds) rows.push(base(repo, tag, d));
    }
  }
  for (const repo of [...digests.keys()].sort()) {
    if (opts.digests) for (const d of digests.get(repo) ?? []) rows.push(base(repo, '<none>', d));
    else rows.push(base(repo, '<none>', '<none>'));
  }
  if (rows.length === 0) rows.push(base('<none>', '<none>', '<none>'));
  return rows;
}

export const HISTORY_HEADERS: Record<string, string> = {
  ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT',
};
export const HISTORY_DEFAULT_TABLE = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
export const HISTORY_NON_HUMAN_TABLE = 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

/** docker's TruncateID: drops the "algo:" prefix and keeps 12 characters ("<missing>" stays). */
export function truncateId(id: string): string {
  const colon = id.indexOf(':');
  return (colon >= 0 ? id.slice(colon + 1) : id).slice(0, 12);
}

/** One `pier history` row: with `human`, "3 weeks ago" and "2.14MB"; without, RFC 3339 and bytes. */
export function historyRow(h: ImageHistoryItem, opts: { trunc: boolean; human: boolean; now: number }): Row {
  const createdAt = rfc3339(new Date(h.Created * 1000));
  const createdBy = h.CreatedBy.replaceAll('\t', ' ');
  return {
    ID: opts.trunc ? truncateId(h.Id) : h.Id,
    CreatedAt: createdAt,
    CreatedSince: opts.human ? `${humanDuration(opts.now - h.Created * 1000)} ago` : createdAt,
    CreatedBy: opts.trunc ? ellipsis(createdBy, 45) : createdBy,
    Size: opts.human ? humanSize(h.Size, 3) : String(h.Size),
    Comment: h.Comment,
  };
}
