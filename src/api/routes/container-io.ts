import { posix } from 'node:path';
import { writeWithBackpressure } from '../../pkg/streams/index.js';
import { pipeline } from 'node:stream/promises';
import { ForbiddenError, InvalidParameterError, NotFoundError, isNotFound } from '../../errdefs/index.js';
import { readLogs, parseSince, rotatedPaths, parseLogOpts } from '../../containers/index.js';
import { statPath, createTar, extractTar } from '../../pkg/archive/index.js';
import { COMMON_HEADERS, qbool, qint, type Ctx } from '../http.js';
import { frameHeader } from '../hijack.js';
import type { Router } from '../router.js';
import type { Backend } from '../backend.js';

async function logs(ctx: Ctx, b: Backend): Promise<undefined> {
  const c = b.containers.get(ctx.params['id'] ?? '');
  const q = ctx.query;
  const stdout = qbool(q, 'stdout');
  const stderr = qbool(q, 'stderr');
  if (!stdout && !stderr) throw new InvalidParameterError('Bad parameters: you must choose at least one stream');
  const follow = qbool(q, 'follow');
  const timestamps = qbool(q, 'timestamps');
  const tailRaw = q.get('tail') ?? 'all';
  const tail = tailRaw === 'all' || tailRaw === '' ? undefined : Number(tailRaw);
  if (tail !== undefined && !Number.isInteger(tail)) throw new InvalidParameterError(`invalid value for "tail": "${tailRaw}"`);
  const since = q.get('since') ? parseSince(q.get('since') ?? '') : undefined;
  const until = q.get('until') ? parseSince(q.get('until') ?? '') : undefined;
  const res = ctx.res;
  if (!res) return undefined;
  const tty = c.Config.Tty;
  res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
  res.flushHeaders();
  const running = c.State.Running || c.State.Status === 'restarting';
  const done = follow && running ? b.containers.wait(c.Id, 'not-running', ctx.signal).then(() => undefined) : Promise.resolve();
  let policy;
  try { policy = parseLogOpts(c.HostConfig.LogConfig.Config); } catch { policy = undefined; }
  const paths = { current: c.LogPath, rotated: policy ? rotatedPaths(c.LogPath, policy) : [] };
  for await (const e of readLogs(paths, { stdout, stderr, follow: follow && running, tail, since, until, signal: ctx.signal, done })) {
    const data = timestamps ? Buffer.concat([Buffer.from(fixedTimestamp(e.timeNano) + ' '), e.data]) : e.data;
    const chunk = tty ? data : Buffer.concat([frameHeader(e.stream === 'stderr' ? 2 : 1, data.length), data]);
    await writeWithBackpressure(res, chunk);
    if (res.destroyed) break;
  }
  res.end();
  return undefined;
}

/** Runs fn with the container's rootfs mounted (mounting it for a stopped container). */
async function withRootfs<R>(b: Backend, ref: string, fn: (root: string) => Promise<R>, withMounts = true): Promise<R> {
  return b.containers.views.withRootfs(ref, fn, { withMounts });
}

/** docker logs -t: RFC3339 with exactly nine fractional digits (jsonmessage.RFC3339NanoFixed). */
function fixedTimestamp(ns: bigint): string {
  const secs = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(Number(secs) * 1000).toISOString().slice(0, 19)}.${frac}Z`;
}

function pathStatHeader(st: unknown): string {
  return Buffer.from(JSON.stringify(st)).toString('base64');
}

/** A path that is not there (or not reachable through a directory): docker's "Could not find the file". */
function pathMissing(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return isNotFound(err) || code === 'ENOENT' || code === 'ENOTDIR';
}

/** A path as an error message shows it: the first 200 characters of a longer one (a message stays readable, and under 4 kB). */
function shown(p: string): string {
  return p.length > 200 ? `${p.slice(0, 200)}…` : p;
}

/** The `path` of an archive request: required, and a path the kernel can take (no NUL byte). */
function archivePath(ctx: Ctx): string {
  const p = ctx.query.get('path') ?? '';
  if (!p) throw new InvalidParameterError('path is required');
  if (p.includes('\0')) throw new InvalidParameterError(`invalid path ${JSON.stringify(shown(p))}: it contains a NUL byte`);
  return p;
}

async function archiveStat(ctx: Ctx, b: Backend, withBody: boolean): Promise<undefined> {
  const ref = ctx.params['id'] ?? '';
  const c = b.containers.get(ref);
  const p = archivePath(ctx);
  const res = ctx.res;
  if (!res) return undefined;
  await withRootfs(b, c.Id, async (root) => {
    let st;
    try {
      st = await statPath(root, p);
    } catch (err) {
      if (pathMissing(err)) throw new NotFoundError(`Could not find the file ${shown(p)} in container ${ref}`, { cause: err });
      throw err;
    }
    if (!withBody) {
      res.writeHead(200, { ...COMMON_HEADERS, 'X-Docker-Container-Path-Stat': pathStatHeader(st), 'Content-Length': '0' });
      res.end();
      return;
    }
    const clean = posix.normalize(posix.join('/', p));
    const rel = clean.slice(1);
    const base = p.endsWith('/.') ? '.' : posix.basename(clean) || '.';
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/x-tar', 'X-Docker-Container-Path-Stat': pathStatHeader(st) });
    const tar = rel === '' ? createTar(root, { includeRoot: false, signal: ctx.signal, idMap: b.containers.idMapper }) : createTar(root, { paths: [rel], rename: { from: rel, to: base }, signal: ctx.signal, idMap: b.containers.idMapper });
    await pipeline(tar, res);
  });
  return undefined;
}

async function archivePut(ctx: Ctx, b: Backend): Promise<undefined> {
  const ref = ctx.params['id'] ?? '';
  const c = b.containers.get(ref);
  const p = archivePath(ctx);
  if (c.HostConfig.ReadonlyRootfs) throw new ForbiddenError('container rootfs is marked read-only');
  const noOverwriteDirNonDir = qbool(ctx.query, 'noOverwriteDirNonDir');
  const copyUIDGID = qbool(ctx.query, 'copyUIDGID');
  await withRootfs(b, c.Id, async (root) => {
    let st;
    try {
      st = await statPath(root, p);
    } catch (err) {
      if (pathMissing(err)) throw new NotFoundError(`Could not find the file ${shown(p)} in container ${ref}`, { cause: err });
      throw err;
    }
    if ((st.mode & 0x80000000) === 0) throw new InvalidParameterError(`extraction point is not a directory`);
    const { resolveInRoot } = await import('../../pkg/archive/index.js');
    const dest = await resolveInRoot(root, p, { followFinal: true });
    await extractTar(ctx.req, dest, { whiteouts: 'literal', noOverwriteDirNonDir, chown: copyUIDGID || true, idMap: b.containers.idMapper });
  });
  return { status: 200, text: '' } as unknown as undefined;
}

export function containerIoRoutes(r: Router, b: Backend): void {
  r.get('/containers/{id}/logs', (ctx) => logs(ctx, b));
  r.head('/containers/{id}/archive', (ctx) => archiveStat(ctx, b, false));
  r.get('/containers/{id}/archive', (ctx) => archiveStat(ctx, b, true));
  r.put('/containers/{id}/archive', async (ctx) => { await archivePut(ctx, b); return { status: 200, text: '' }; });
  r.get('/containers/{id}/export', async (ctx) => {
    const c = b.containers.get(ctx.params['id'] ?? '');
    const res = ctx.res;
    if (!res) return undefined;
    await withRootfs(b, c.Id, async (root) => {
      res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/x-tar' });
      await pipeline(createTar(root, { signal: ctx.signal, idMap: b.containers.idMapper }), res);
    }, false);
    b.containers.publish(c, 'export');
    return undefined;
  });
  r.get('/containers/{id}/changes', async (ctx) => ({ json: await b.containers.views.changes(ctx.params['id'] ?? '') }));
  r.get('/containers/{id}/top', async (ctx) => ({ json: await b.containers.views.top(ctx.params['id'] ?? '', ctx.query.get('ps_args') || '-ef') }));
  r.get('/containers/{id}/stats', async (ctx) => {
    const id = ctx.params['id'] ?? '';
    const stream = !ctx.query.has('stream') || qbool(ctx.query, 'stream');
    const oneShot = qbool(ctx.query, 'one-shot');
    const res = ctx.res;
    if (!res) return undefined;
    let prev = await b.containers.views.stats(id, undefined);
    if (!stream) {
      if (!oneShot && b.containers.get(id).State.Running) {
        await new Promise((r) => setTimeout(r, 1000));
        prev = await b.containers.views.stats(id, prev);
      }
      return { json: prev };
    }
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/json' });
    res.write(JSON.stringify(prev) + '\n');
    while (!ctx.signal.aborted) {
      await new Promise((r) => setTimeout(r, 1000));
      if (ctx.signal.aborted) break;
      const c = b.containers.tryGet(id);
      if (!c) break;
      prev = await b.containers.views.stats(id, prev);
      res.write(JSON.stringify(prev) + '\n');
    }
    res.end();
    return undefined;
  });
  r.get('/containers/{id}/port', (ctx) => {
    b.containers.get(ctx.params['id'] ?? '');
    return { json: {} };
  });
  void qint;
}
