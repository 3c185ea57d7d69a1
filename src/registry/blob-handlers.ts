// end-2 (GET/HEAD a blob, with single byte ranges) and end-10 (DELETE a blob).

import { pipeline } from 'node:stream/promises';
import type { RequestContext, RouteOf } from './request-context.js';
import { RegistryError } from './registry-error.js';
import { checkDigest } from './repository-name.js';
import { sendEmpty } from './respond.js';

/** Parses a single `bytes=a-b` / `bytes=a-` / `bytes=-n` range; undefined to serve everything (absent or multi-range). */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a = '', b = ''] = m;
  let start: number;
  let end: number;
  if (a === '') {
    if (b === '') return undefined;
    start = Math.max(size - Number(b), 0);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start > end || start >= size) {
    throw new RegistryError('RANGE_INVALID', { status: 416, headers: { 'Content-Range': `bytes */${size}` } });
  }
  return { start, end };
}

export async function getBlob(ctx: RequestContext, route: RouteOf<'blob'>): Promise<void> {
  const { req, res, stores } = ctx;
  const digest = checkDigest(route.digest);
  const info = await stores.blobs.stat(route.name, digest);
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': digest,
    'Accept-Ranges': 'bytes',
    // Content-addressed: the bytes behind a digest never change.
    'ETag': `"${digest}"`,
    'Cache-Control': 'max-age=31536000',
  };
  if (req.method === 'HEAD') {
    res.writeHead(200, { ...headers, 'Content-Length': info.size });
    res.end();
    return;
  }
  const range = parseRange(req.headers.range, info.size);
  const stream = await stores.blobs.open(digest, range ?? {});
  if (range) {
    res.writeHead(206, { ...headers, 'Content-Length': range.end - range.start + 1, 'Content-Range': `bytes ${range.start}-${range.end}/${info.size}` });
  } else {
    res.writeHead(200, { ...headers, 'Content-Length': info.size });
  }
  await pipeline(stream, res);
}

export async function deleteBlob(ctx: RequestContext, route: RouteOf<'blob'>): Promise<void> {
  const digest = checkDigest(route.digest);
  await ctx.stores.blobs.unlink(route.name, digest);
  sendEmpty(ctx.res, 202, { 'Docker-Content-Digest': digest });
}
