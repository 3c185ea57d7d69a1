// Maps a request path to one of the distribution-spec endpoints (end-1…end-14,
// plus distribution's _catalog). Only the last path segment is percent-decoded
// (digests, tags, upload IDs); repository names are matched as sent, so
// `%2e%2e` or `..` can never become a name.

import { RegistryError } from './registry-error.js';
import { REPOSITORY_NAME_PATTERN } from './repository-name.js';

export type Route =
  | { readonly kind: 'base' }
  | { readonly kind: 'catalog' }
  | { readonly kind: 'tags'; readonly name: string }
  | { readonly kind: 'manifest'; readonly name: string; readonly reference: string }
  | { readonly kind: 'blob'; readonly name: string; readonly digest: string }
  | { readonly kind: 'upload-start'; readonly name: string }
  | { readonly kind: 'upload'; readonly name: string; readonly id: string }
  | { readonly kind: 'referrers'; readonly name: string; readonly digest: string };

export type RouteKind = Route['kind'];

const N = `(${REPOSITORY_NAME_PATTERN})`;
const SEG = '([^/]+)';

/** In order: the upload routes come before `blobs/<digest>`, which would also match them. */
const patterns: readonly [RegExp, (m: RegExpExecArray) => Route][] = [
  [/^\/v2\/?$/, () => ({ kind: 'base' })],
  [/^\/v2\/_catalog$/, () => ({ kind: 'catalog' })],
  [new RegExp(`^/v2/${N}/tags/list$`), (m) => ({ kind: 'tags', name: m[1] ?? '' })],
  [new RegExp(`^/v2/${N}/manifests/${SEG}$`), (m) => ({ kind: 'manifest', name: m[1] ?? '', reference: decode(m[2]) })],
  [new RegExp(`^/v2/${N}/blobs/uploads/?$`), (m) => ({ kind: 'upload-start', name: m[1] ?? '' })],
  [new RegExp(`^/v2/${N}/blobs/uploads/${SEG}$`), (m) => ({ kind: 'upload', name: m[1] ?? '', id: decode(m[2]) })],
  [new RegExp(`^/v2/${N}/blobs/${SEG}$`), (m) => ({ kind: 'blob', name: m[1] ?? '', digest: decode(m[2]) })],
  [new RegExp(`^/v2/${N}/referrers/${SEG}$`), (m) => ({ kind: 'referrers', name: m[1] ?? '', digest: decode(m[2]) })],
];

/** Paths shaped like an endpoint whose name is not a valid repository name. */
const LOOSE = /^\/v2\/(.+?)\/(?:tags\/list|manifests\/[^/]+|blobs\/uploads\/?[^/]*|blobs\/[^/]+|referrers\/[^/]+)$/;

const MAX_PATH = 1024;

function decode(s: string | undefined): string {
  try {
    return decodeURIComponent(s ?? '');
  } catch {
    // Malformed escapes: keep the raw text, which then fails the digest/tag grammar.
    return s ?? '';
  }
}

/**
 * The endpoint `pathname` names; undefined for paths outside the API (404).
 * NAME_INVALID when it has an endpoint's shape but not a valid repository name.
 */
export function parseRoute(pathname: string): Route | undefined {
  // A name is at most 255 bytes and a reference ~140: longer paths name nothing, and
  // the cap bounds the regex work on hostile input.
  if (pathname.length > MAX_PATH) return undefined;
  for (const [re, make] of patterns) {
    const m = re.exec(pathname);
    if (m) return make(m);
  }
  const loose = LOOSE.exec(pathname);
  if (loose) throw new RegistryError('NAME_INVALID', { detail: { name: loose[1] } });
  return undefined;
}
