// end-1 (GET /v2/), end-8 (tags list), end-12 (referrers) and distribution's
// _catalog extension.

import { listRepositories } from './list-repositories.js';
import { paginate } from './paginate.js';
import { OCI_INDEX } from './parse-manifest.js';
import type { RequestContext, RouteOf } from './request-context.js';
import { checkDigest } from './repository-name.js';
import { sendJson } from './respond.js';

/** distribution's cap on one catalog page (`catalog.maxentries` default). */
export const CATALOG_MAX_ENTRIES = 1000;

export async function apiBase(ctx: RequestContext): Promise<void> {
  sendJson(ctx.req, ctx.res, 200, {});
}

export async function listTags(ctx: RequestContext, route: RouteOf<'tags'>): Promise<void> {
  const tags = await ctx.stores.manifests.tags(route.name);
  const page = paginate(tags, ctx.query, `/v2/${route.name}/tags/list`);
  sendJson(ctx.req, ctx.res, 200, { name: route.name, tags: page.items }, page.link !== undefined ? { Link: page.link } : {});
}

export async function catalog(ctx: RequestContext): Promise<void> {
  const repos = await listRepositories(ctx.stores.driver);
  const page = paginate(repos, ctx.query, '/v2/_catalog', CATALOG_MAX_ENTRIES);
  sendJson(ctx.req, ctx.res, 200, { repositories: page.items }, page.link !== undefined ? { Link: page.link } : {});
}

export async function listReferrers(ctx: RequestContext, route: RouteOf<'referrers'>): Promise<void> {
  const subject = checkDigest(route.digest);
  const artifactType = ctx.query.get('artifactType');
  let manifests = await ctx.stores.manifests.referrers(route.name, subject);
  if (artifactType !== null) manifests = manifests.filter((d) => d.artifactType === artifactType);
  // Always 200 with an index, empty when nothing refers to the subject (distribution-spec end-12).
  sendJson(ctx.req, ctx.res, 200, { schemaVersion: 2, mediaType: OCI_INDEX, manifests }, {
    'Content-Type': OCI_INDEX,
    ...(artifactType !== null ? { 'OCI-Filters-Applied': 'artifactType' } : {}),
  });
}
