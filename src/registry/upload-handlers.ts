// Blob uploads: end-4a/4b (POST, monolithic POST), end-11 (cross-repository
// mount), end-5 (PATCH chunk or stream), end-6 (PUT to finish), end-13 (GET
// status), end-14 (DELETE to cancel).

import type { IncomingMessage } from 'node:http';
import type { Digest } from '../pkg/digest/index.js';
import type { RequestContext, RouteOf } from './request-context.js';
import { RegistryError } from './registry-error.js';
import { checkDigest, isRepositoryName } from './repository-name.js';
import { hasBody, sendEmpty } from './respond.js';
import { rangeHeader } from './upload-store.js';

function uploadLocation(name: string, id: string): string {
  return `/v2/${name}/blobs/uploads/${id}`;
}

function blobCreated(ctx: RequestContext, name: string, digest: Digest): void {
  sendEmpty(ctx.res, 201, { 'Location': `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
}

function uploadAccepted(ctx: RequestContext, name: string, id: string, size: number, status = 202): void {
  sendEmpty(ctx.res, status, {
    'Location': uploadLocation(name, id),
    'Range': rangeHeader(size),
    'Docker-Upload-UUID': id,
  });
}

/**
 * The chunk's start from `Content-Range: <start>-<end>` (inclusive; a `bytes`
 * prefix is tolerated). Absent: the body is appended wherever the data ends,
 * which is how dockerd streams a whole layer in one PATCH.
 */
function chunkStart(req: IncomingMessage): number | undefined {
  const header = req.headers['content-range'];
  if (header === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)$/.exec(header.trim());
  if (!m || Number(m[1]) > Number(m[2])) {
    throw new RegistryError('RANGE_INVALID', { status: 416, detail: { 'Content-Range': header } });
  }
  return Number(m[1]);
}

export async function startUpload(ctx: RequestContext, route: RouteOf<'upload-start'>): Promise<void> {
  const { req, query, stores } = ctx;
  const name = route.name;
  const mount = query.get('mount');
  if (mount !== null) {
    const digest = checkDigest(mount);
    const from = query.get('from');
    // A `from` that cannot name a repository cannot hold the blob: upload as usual (end-11).
    if (from === null || isRepositoryName(from)) {
      const info = await stores.blobs.mount(name, digest, from ?? undefined);
      if (info) return blobCreated(ctx, name, digest);
    }
  }
  const digestParam = mount === null ? query.get('digest') : null;
  const id = await stores.uploads.start(name);
  if (digestParam === null) return uploadAccepted(ctx, name, id, 0);
  // Monolithic upload (end-4b): the whole blob in this request.
  try {
    const digest = checkDigest(digestParam);
    await stores.uploads.complete(name, id, digest, req);
    blobCreated(ctx, name, digest);
  } catch (err) {
    await stores.uploads.cancel(name, id).catch(() => { /* already removed by complete() */ });
    throw err;
  }
}

export async function patchUpload(ctx: RequestContext, route: RouteOf<'upload'>): Promise<void> {
  const start = chunkStart(ctx.req);
  const size = await ctx.stores.uploads.append(route.name, route.id, ctx.req, start !== undefined ? { start } : {});
  uploadAccepted(ctx, route.name, route.id, size);
}

export async function putUpload(ctx: RequestContext, route: RouteOf<'upload'>): Promise<void> {
  const { req, query, stores } = ctx;
  const digestParam = query.get('digest');
  if (digestParam === null || digestParam === '') {
    throw new RegistryError('DIGEST_INVALID', { message: 'digest missing: the upload must be finished with ?digest=' });
  }
  const digest = checkDigest(digestParam);
  const body = hasBody(req) ? req : undefined;
  const start = body ? chunkStart(req) : undefined;
  await stores.uploads.complete(route.name, route.id, digest, body, start !== undefined ? { start } : {});
  blobCreated(ctx, route.name, digest);
}

export async function uploadStatus(ctx: RequestContext, route: RouteOf<'upload'>): Promise<void> {
  const size = await ctx.stores.uploads.status(route.name, route.id);
  uploadAccepted(ctx, route.name, route.id, size, 204);
}

export async function cancelUpload(ctx: RequestContext, route: RouteOf<'upload'>): Promise<void> {
  await ctx.stores.uploads.cancel(route.name, route.id);
  sendEmpty(ctx.res, 204);
}
