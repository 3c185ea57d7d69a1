// end-3 (GET/HEAD a manifest), end-7 (PUT), end-9 (DELETE by digest, or a tag).

import type { Reference } from './manifest-store.js';
import { MANIFEST_MAX_BYTES } from './manifest-store.js';
import type { RequestContext, RouteOf } from './request-context.js';
import { RegistryError, type RegistryErrorCode } from './registry-error.js';
import { checkDigest, isTag } from './repository-name.js';
import { readBody, sendEmpty } from './respond.js';

/**
 * A manifest URL names a digest (anything with `:`) or a tag. A reference that
 * is neither gets `badCode`: MANIFEST_INVALID for a PUT, MANIFEST_UNKNOWN when
 * reading (no manifest can have that name).
 */
export function parseManifestReference(s: string, badCode: RegistryErrorCode): Reference {
  if (s.includes(':')) return { digest: checkDigest(s) };
  if (isTag(s)) return { tag: s };
  throw new RegistryError(badCode, { message: `invalid tag: "${s}"`, detail: { reference: s } });
}

export async function getManifest(ctx: RequestContext, route: RouteOf<'manifest'>): Promise<void> {
  const { req, res, stores } = ctx;
  const ref = parseManifestReference(route.reference, 'MANIFEST_UNKNOWN');
  const head = req.method === 'HEAD';
  const m = head ? await stores.manifests.resolve(route.name, ref) : await stores.manifests.get(route.name, ref);
  res.writeHead(200, {
    'Content-Type': m.mediaType,
    'Content-Length': m.size,
    'Docker-Content-Digest': m.digest,
    'ETag': `"${m.digest}"`,
  });
  res.end('bytes' in m && !head ? m.bytes : undefined);
}

export async function putManifest(ctx: RequestContext, route: RouteOf<'manifest'>): Promise<void> {
  const { req, stores } = ctx;
  const ref = parseManifestReference(route.reference, 'MANIFEST_INVALID');
  const bytes = await readBody(req, MANIFEST_MAX_BYTES);
  const put = await stores.manifests.put(route.name, ref, bytes, req.headers['content-type']);
  sendEmpty(ctx.res, 201, {
    'Location': `/v2/${route.name}/manifests/${put.digest}`,
    'Docker-Content-Digest': put.digest,
    // Tells the client this registry indexed the subject: no fallback tag schema needed.
    ...(put.subject !== undefined ? { 'OCI-Subject': put.subject } : {}),
  });
}

export async function deleteManifest(ctx: RequestContext, route: RouteOf<'manifest'>): Promise<void> {
  const ref = parseManifestReference(route.reference, 'MANIFEST_UNKNOWN');
  if ('digest' in ref) await ctx.stores.manifests.delete(route.name, ref.digest);
  else await ctx.stores.manifests.untag(route.name, ref.tag);
  sendEmpty(ctx.res, 202);
}
