import { InvalidParameterError, NotFoundError, NotImplementedError, messageOf } from '../../errdefs/index.js';
import type { RegistryAuth } from '../../distribution/index.js';
import { parseFilters, validateFilters, matchLabels, matchPruneLabels, matchAny } from '../../pkg/filters/index.js';
import { parseReference, withDefaultTag, familiarName, familiarString, fullString } from '../../pkg/reference/index.js';
import { parsePlatformParam, platformMatches, platformMismatch, type ImageRecord, type ImageConfigFile } from '../../images/index.js';

type ImageRunConfig = NonNullable<ImageConfigFile['config']>;
const IMAGE_FIELDS = ['User', 'ExposedPorts', 'Env', 'Cmd', 'Entrypoint', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal', 'Healthcheck', 'OnBuild', 'Shell'];
function pickImageFields(c: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of IMAGE_FIELDS) if (c[k] !== undefined && c[k] !== null) out[k] = c[k];
  return out;
}
import { COMMON_HEADERS, qbool, readJson, type Ctx } from '../http.js';
import { decodeContainerConfig, Fields } from '../decode.js';
import { httpGet } from '../../pkg/httpget/index.js';
import type { Router } from '../router.js';
import type { Backend } from '../backend.js';

async function summary(b: Backend, img: ImageRecord): Promise<Record<string, unknown>> {
  const cfg = await b.images.config(img.id);
  return {
    Containers: -1, Created: Math.floor(Date.parse(img.created) / 1000), Id: img.id, Labels: cfg.config?.Labels ?? null,
    ParentId: img.parent, RepoDigests: img.repoDigests, RepoTags: b.images.tagsOf(img.id), SharedSize: -1, Size: img.size,
  };
}

async function inspect(b: Backend, img: ImageRecord): Promise<Record<string, unknown>> {
  const cfg = await b.images.config(img.id);
  const c = cfg.config ?? {};
  return {
    Id: img.id, RepoTags: b.images.tagsOf(img.id), RepoDigests: img.repoDigests, Parent: img.parent, Comment: img.comment,
    Created: cfg.created ?? img.created, DockerVersion: '', Author: cfg.author ?? '',
    Config: {
      Hostname: '', Domainname: '', User: c.User ?? '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
      Tty: false, OpenStdin: false, StdinOnce: false, Env: c.Env ?? null, Cmd: c.Cmd ?? null, Image: '', Volumes: c.Volumes ?? null,
      WorkingDir: c.WorkingDir ?? '', Entrypoint: c.Entrypoint ?? null, OnBuild: c.OnBuild ?? null, Labels: c.Labels ?? null,
      ...(c.ExposedPorts ? { ExposedPorts: c.ExposedPorts } : {}), ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
      ...(c.Healthcheck ? { Healthcheck: c.Healthcheck } : {}), ...(c.Shell ? { Shell: c.Shell } : {}),
    },
    Architecture: cfg.architecture, Os: cfg.os, Size: img.size,
    GraphDriver: { Name: 'overlay2', Data: null },
    RootFS: { Type: 'layers', Layers: img.diffIds },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}

function progress(ctx: Ctx): (obj: Record<string, unknown>) => void {
  const res = ctx.res;
  if (!res) return () => {};
  // The 200 goes out with the first line: until then an error can still be a plain HTTP error.
  return (obj) => {
    if (res.destroyed || res.writableEnded) return;
    if (!res.headersSent) res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/json' });
    res.write(JSON.stringify(obj) + '\r\n');
  };
}

/** Ends a progress stream, with its 200 head if no line went out. */
function endProgress(ctx: Ctx): void {
  const res = ctx.res;
  if (!res || res.destroyed || res.writableEnded) return;
  if (!res.headersSent) res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/json' });
  res.end();
}

export function imageRoutes(r: Router, b: Backend): void {
  r.get('/images/json', async (ctx) => {
    const f = parseFilters(ctx.query.get('filters'));
    validateFilters(f, ['before', 'dangling', 'label', 'reference', 'since', 'until']);
    const all = b.images.list().sort((x, y) => (x.created < y.created ? 1 : -1));
    const out: Record<string, unknown>[] = [];
    const showAll = qbool(ctx.query, 'all');
    const parents = new Set(all.map((i) => i.parent).filter(Boolean));
    for (const img of all) {
      const tags = b.images.tagsOf(img.id);
      // Intermediate images (a build's steps: untagged, with children) show only with -a.
      if (tags.length === 0 && parents.has(img.id) && (!showAll || f.has('dangling'))) continue;
      if (!matchAny(f, 'dangling', (v) => (v === 'true' || v === '1') === (tags.length === 0))) continue;
      if (!matchAny(f, 'reference', (v) => tags.some((t) => globMatch(v, t) || globMatch(v, t.replace(/:[^:/]+$/, ''))))) continue;
      const s = await summary(b, img);
      if (!matchLabels(f, s['Labels'] as Record<string, string> | null)) continue;
      if (f.has('reference') && tags.length === 0) continue;
      out.push(s);
    }
    return { json: out };
  });
  r.get('/images/{name*}/json', async (ctx) => ({ json: await inspect(b, b.images.resolve(ctx.params['name'] ?? '')) }));
  r.get('/images/{name*}/history', async (ctx) => {
    const img = b.images.resolve(ctx.params['name'] ?? '');
    const cfg = await b.images.config(img.id);
    const platform = ctx.query.get('platform');
    if (platform) {
      const want = parsePlatformParam(platform);
      if (!platformMatches(cfg, want)) throw platformMismatch(ctx.params['name'] ?? '', cfg, want);
    }
    const hist = (cfg.history ?? []).slice().reverse();
    const sizes = img.diskSizes ?? img.layerSizes;
    let layer = sizes.length - 1;
    return {
      json: hist.map((h, i) => {
        const size = h.empty_layer ? 0 : sizes[layer--] ?? 0;
        return { Id: i === 0 ? img.id : '<missing>', Created: Math.floor(Date.parse(h.created ?? img.created) / 1000), CreatedBy: h.created_by ?? '', Tags: i === 0 ? b.images.tagsOf(img.id) : null, Size: size, Comment: h.comment ?? '' };
      }),
    };
  });
  r.delete('/images/{name*}', async (ctx) => ({
    json: await b.images.remove(ctx.params['name'] ?? '', { force: qbool(ctx.query, 'force'), prune: !ctx.query.has('noprune') || !qbool(ctx.query, 'noprune') }),
  }));
  r.post('/images/{name*}/tag', (ctx) => {
    const img = b.images.resolve(ctx.params['name'] ?? '');
    const repo = ctx.query.get('repo') ?? '';
    const tag = ctx.query.get('tag') ?? '';
    if (!repo) throw new InvalidParameterError('repository name must have at least one component');
    b.images.tag(img.id, tag ? `${repo}:${tag}` : repo);
    return { status: 201, text: '' };
  });
  r.post('/images/{name*}/push', async (ctx) => {
    const name = ctx.params['name'] ?? '';
    const tag = ctx.query.get('tag') ?? '';
    const parsed = parseReference(tag ? `${name}:${tag}` : name);
    if (parsed.digest) throw new InvalidParameterError('cannot push a digest reference');
    const tags = parsed.tag !== undefined ? [parsed.tag] : b.images.localTags(parsed);
    if (tags.length === 0) throw new NotFoundError(`An image does not exist locally with the tag: ${familiarString(parsed)}`);
    for (const t of tags) {
      // NotFound before streaming, in docker's words.
      if (!b.images.tryResolve(fullString({ ...parsed, tag: t }))) throw new NotFoundError(`An image does not exist locally with the tag: ${familiarName(parsed)}`);
    }
    const auth = registryAuth(ctx.req.headers['x-registry-auth']);
    const send = progress(ctx);
    try {
      for (const t of tags) await b.images.push({ ...parsed, tag: t }, send, auth ? { auth } : {});
    } catch (err) {
      send({ errorDetail: { message: messageOf(err) }, error: messageOf(err) });
    }
    endProgress(ctx);
    return undefined;
  });
  const save = async (ctx: Ctx, names: string[]): Promise<undefined> => {
    if (names.length === 0) throw new InvalidParameterError('no images named');
    const platforms = ctx.query.getAll('platform').filter(Boolean).map(parsePlatformParam);
    if (platforms.length > 1) throw new InvalidParameterError('saving several platforms of an image is not supported: pier keeps one platform per image');
    const stream = await b.images.save(names, platforms[0] ? { platform: platforms[0] } : {}); // NotFoundError before the 200
    const res = ctx.res;
    if (!res) return undefined;
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/x-tar' });
    stream.on('error', (err) => { b.log.warn('image save failed', { err: messageOf(err) }); res.destroy(err); });
    stream.pipe(res);
    return undefined;
  };
  r.get('/images/get', (ctx) => save(ctx, ctx.query.getAll('names').flatMap((n) => n.split(',')).filter(Boolean)));
  r.get('/images/{name*}/get', (ctx) => save(ctx, [ctx.params['name'] ?? '']));
  r.post('/images/load', async (ctx) => {
    const quiet = qbool(ctx.query, 'quiet');
    const platforms = ctx.query.getAll('platform').filter(Boolean).map(parsePlatformParam);
    if (platforms.length > 1) throw new InvalidParameterError('loading several platforms is not supported: pier keeps one platform per image');
    const lines = await b.images.load(ctx.req, platforms[0] ? { platform: platforms[0] } : {});
    const res = ctx.res;
    if (!res) return undefined;
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/json' });
    for (const l of lines) res.write(`${JSON.stringify({ stream: `${l}\n` })}\r\n`);
    void quiet;
    res.end();
    return undefined;
  });
  r.post('/commit', async (ctx) => {
    const q = ctx.query;
    const c = b.containers.get(q.get('container') ?? '');
    // moby's postCommit: the body is a container.Config (or nothing); anything else is a 400.
    const raw = await readJson(ctx.req);
    // Decoded for its types only (a Cmd of 5 would otherwise land in the image's config).
    decodeContainerConfig(new Fields(raw, 'container.Config'));
    const given: Record<string, unknown> = {};
    for (const [k, v] of Object.entries((raw ?? {}) as Record<string, unknown>)) if (v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0) && v !== '') given[k] = v;
    // `-c` changes apply on top of what the container runs with (docker's BuildFromConfig).
    const changes = q.getAll('changes');
    const overrides: Record<string, unknown> = changes.length
      ? (await import('../../build/index.js')).applyChanges({ ...pickImageFields(c.Config as unknown as Record<string, unknown>), ...given } as ImageRunConfig, changes) as Record<string, unknown>
      : given;
    let rec;
    try {
      rec = await b.images.commit({
        parentId: c.Image, upperDir: await b.images.snapshots.dir(c.pier.snapshotKey), containerId: c.Id,
        containerConfig: c.Config as unknown as Record<string, unknown>, overrides,
        ...(q.get('comment') ? { comment: q.get('comment') ?? '' } : {}), ...(q.get('author') ? { author: q.get('author') ?? '' } : {}),
        ...(q.get('repo') ? { repo: q.get('repo') ?? '' } : {}), ...(q.get('tag') ? { tag: q.get('tag') ?? '' } : {}),
      });
    } catch (err) {
      // Removed while being committed: its layer went away under us.
      if (!b.containers.tryGet(c.Id)) throw new NotFoundError(`No such container: ${q.get('container') ?? ''}`, { cause: err });
      throw err;
    }
    return { status: 201, json: { Id: rec.id } };
  });
  r.post('/images/prune', async (ctx) => {
    const f = parseFilters(ctx.query.get('filters'));
    validateFilters(f, ['dangling', 'until', 'label', 'label!']);
    const dangling = f.get('dangling');
    const all = dangling !== undefined && (dangling.has('false') || dangling.has('0'));
    const until = [...(f.get('until') ?? [])][0];
    const untilMs = until === undefined ? undefined : /^\d+(\.\d+)?$/.test(until) ? Number(until) * 1000 : /^\d+[smh]$/.test(until) ? Date.now() - Number(until.slice(0, -1)) * ({ s: 1e3, m: 6e4, h: 36e5 } as Record<string, number>)[until.slice(-1)]! : Date.parse(until);
    if (untilMs !== undefined && Number.isNaN(untilMs)) throw new InvalidParameterError(`invalid filter 'until=${until}'`);
    const labelsOf = async (img: ImageRecord): Promise<Record<string, string> | null> => (await b.images.config(img.id)).config?.Labels ?? null;
    const labelCache = new Map<string, Record<string, string> | null>();
    for (const img of b.images.list()) labelCache.set(img.id, await labelsOf(img));
    const { deleted, reclaimed } = await b.images.prune({
      all,
      keep: (img) => (untilMs !== undefined && Date.parse(img.created) >= untilMs) || !matchPruneLabels(f, labelCache.get(img.id) ?? null),
    });
    return { json: { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed } };
  });
  r.post('/auth', async (ctx) => {
    const body = await readJson(ctx.req) as Record<string, unknown> | null;
    const str = (k: string): string => (typeof body?.[k] === 'string' ? body[k] as string : '');
    const server = str('serveraddress').replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    const domain = !server || ['index.docker.io', 'registry-1.docker.io', 'docker.io'].includes(server) ? 'docker.io' : server;
    // A host name is at most 253 characters (and a port 6 more): a longer one is refused here, in
    // few words, rather than echoed whole in a failed lookup's message.
    const quoted = JSON.stringify(str('serveraddress').length > 100 ? `${str('serveraddress').slice(0, 100)}…` : str('serveraddress'));
    if (domain.length > 260) throw new InvalidParameterError(`invalid registry address ${quoted}: longer than a host name can be`);
    if (!URL.canParse(`https://${domain}/`) || /[\s/@]/.test(domain)) throw new InvalidParameterError(`invalid registry address ${quoted}`);
    await b.images.login(domain, { username: str('username'), password: str('password'), ...(str('identitytoken') ? { identitytoken: str('identitytoken') } : {}) });
    return { json: { Status: 'Login Succeeded', IdentityToken: '' } };
  });
  r.post('/images/create', async (ctx) => {
    const q = ctx.query;
    const fromSrc = q.get('fromSrc');
    if (fromSrc !== null) {
      // `docker import URL`: the rootfs tarball is fetched by the daemon (no scheme means http://, as docker does).
      let url: URL | undefined;
      if (fromSrc !== '-') {
        try { url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(fromSrc) ? fromSrc : `http://${fromSrc}`); } catch { url = undefined; }
        if (!url || !/^https?:$/.test(url.protocol)) throw new InvalidParameterError(`invalid import source: ${fromSrc}: only http(s) URLs or - (the request body)`);
      }
      const send = progress(ctx);
      try {
        let body: import('node:stream').Readable = ctx.req;
        if (url) {
          const href = url.href;
          const res = await httpGet(href, { signal: ctx.signal }).catch((err: unknown) => { throw new InvalidParameterError(`Get "${href}": ${messageOf(err)}`); });
          if (res.status !== 200) { res.body.resume(); throw new InvalidParameterError(`Get "${href}": ${res.status} ${res.statusText}`); }
          body = res.body;
          send({ status: 'Downloading from', id: url.href });
        }
        const list = q.getAll('changes');
        const changes = (list.length ? (await import('../../build/index.js')).applyChanges({}, list) : {}) as Record<string, unknown>;
        // The docker CLI sends `repo=name:tag` with no `tag` parameter: split it as dockerd does.
        let repo = q.get('repo') ?? '';
        let tag = q.get('tag') ?? '';
        if (repo && !tag) {
          const ref = parseReference(repo);
          if (ref.tag) { tag = ref.tag; repo = repo.slice(0, repo.length - ref.tag.length - 1); }
        }
        const rec = await b.images.importRootfs(body, {
          ...(repo ? { repo } : {}), ...(tag ? { tag } : {}),
          ...(q.get('message') ? { message: q.get('message') ?? '' } : {}), changes,
        });
        send({ status: rec.id });
      } catch (err) {
        send({ errorDetail: { message: messageOf(err) }, error: messageOf(err) });
      }
      endProgress(ctx);
      return undefined;
    }
    const from = q.get('fromImage') ?? '';
    const tag = q.get('tag') ?? '';
    const parsed = parseReference(tag && !tag.startsWith('sha256:') ? `${from}:${tag}` : tag ? `${from}@${tag}` : from);
    const auth = registryAuth(ctx.req.headers['x-registry-auth']);
    const platform = q.get('platform') ?? '';
    // A client that goes away cancels its pull, as with dockerd (a transfer another pull shares goes on).
    const opts = { ...(platform ? { platform } : {}), ...(auth ? { auth } : {}), signal: ctx.signal };
    // No tag and no digest: every tag (docker pull -a sends the bare name).
    const refs = parsed.tag === undefined && parsed.digest === undefined
      ? (await b.images.remoteTags(parsed, auth)).map((t) => ({ ...parsed, tag: t }))
      : [withDefaultTag(parsed)];
    // The first manifest is resolved before any byte is sent: not found, refused login → an HTTP error.
    const first = refs[0];
    if (!first) throw new NotFoundError(`no tags found for ${familiarString(parsed)}`);
    const job = await b.images.pull(first, opts);
    const send = progress(ctx);
    try {
      await job.run(send);
      for (const r of refs.slice(1)) await (await b.images.pull(r, opts)).run(send);
    } catch (err) {
      send({ errorDetail: { message: messageOf(err) }, error: messageOf(err) });
    }
    endProgress(ctx);
    return undefined;
  });
}

/**
 * X-Registry-Auth: base64url (or plain base64) JSON of docker's AuthConfig.
 * Absent or unreadable means anonymous, as dockerd treats it.
 */
export function registryAuth(header: string | string[] | undefined): RegistryAuth | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return undefined;
  try {
    const j = JSON.parse(Buffer.from(h.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as Record<string, unknown>;
    const out: RegistryAuth = {};
    for (const k of ['username', 'password', 'identitytoken', 'registrytoken', 'serveraddress'] as const) {
      const v = j[k];
      if (typeof v === 'string' && v) out[k] = v;
    }
    return Object.keys(out).length ? out : undefined;
  } catch {
    return undefined;
  }
}

/** `-c` changes of `docker import`: a subset of Dockerfile instructions. */
function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$');
  return re.test(s);
}
