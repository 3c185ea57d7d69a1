import { ConflictError, InvalidParameterError } from '../../errdefs/index.js';
import type { BuildRequest } from '../../build/index.js';
import { parseReference, withDefaultTag } from '../../pkg/reference/index.js';
import { COMMON_HEADERS, qbool, type Ctx } from '../http.js';
import type { Router } from '../router.js';
import type { Backend } from '../backend.js';

function jsonParam<T>(q: URLSearchParams, name: string, fallback: T): T {
  const raw = q.get(name);
  if (raw === null || raw === '') return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new InvalidParameterError(`invalid ${name} parameter: ${raw}`);
  }
}

function num(q: URLSearchParams, name: string): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new InvalidParameterError(`invalid ${name} parameter: ${raw}`);
  return n;
}

/** The /build query as docker's legacy builder reads it. */
export function buildRequest(q: URLSearchParams): BuildRequest {
  const version = q.get('version');
  if (version === '2') throw new InvalidParameterError('BuildKit is not supported by pier: use the legacy builder (DOCKER_BUILDKIT=0)');
  const buildArgs = jsonParam<Record<string, string | null>>(q, 'buildargs', {});
  const labels = jsonParam<Record<string, string>>(q, 'labels', {});
  if (typeof buildArgs !== 'object' || buildArgs === null || Array.isArray(buildArgs)) throw new InvalidParameterError('buildargs must be a JSON object');
  const extraHosts = q.getAll('extrahosts').flatMap((h) => h.split(',')).filter(Boolean);
  const req: BuildRequest = {
    tags: q.getAll('t'), dockerfile: q.get('dockerfile') ?? '', remote: q.get('remote') ?? '',
    buildArgs, labels, noCache: qbool(q, 'nocache'), pull: qbool(q, 'pull'), target: q.get('target') ?? '',
    networkMode: q.get('networkmode') || 'default', platform: q.get('platform') ?? '', extraHosts,
    shmSize: num(q, 'shmsize'), memory: num(q, 'memory'), memorySwap: num(q, 'memswap'), cpuShares: num(q, 'cpushares'),
    cpuPeriod: num(q, 'cpuperiod'), cpuQuota: num(q, 'cpuquota'), cpusetCpus: q.get('cpusetcpus') ?? '', cpusetMems: q.get('cpusetmems') ?? '',
    ulimits: jsonParam<unknown>(q, 'ulimits', null), quiet: qbool(q, 'q'),
    cacheFrom: jsonParam<string[]>(q, 'cachefrom', []).filter((x) => typeof x === 'string'),
  };
  for (const t of req.tags) {
    let ok = false;
    try { ok = !withDefaultTag(parseReference(t)).digest; } catch { ok = false; }
    if (!ok) throw new InvalidParameterError(/[A-Z]/.test(t.split(':')[0] ?? '') ? `invalid reference format: repository name (${t.split(':')[0] ?? t}) must be lowercase` : 'invalid reference format');
  }
  return req;
}

async function build(ctx: Ctx, b: Backend): Promise<undefined> {
  const req = buildRequest(ctx.query);
  // pier's own client: a context the daemon kept from an earlier build of the same
  // directory (same key) is not sent again; without it, the client sends the body.
  const key = ctx.req.headers['x-pier-context-key'];
  if (typeof key === 'string' && key) {
    if (!/^[a-f0-9]{64}$/.test(key)) throw new InvalidParameterError('invalid X-Pier-Context-Key');
    req.contextKey = key;
    if (ctx.req.headers['content-length'] === '0' && !b.builds.hasContext(key)) {
      throw new ConflictError('pier: build context not kept: send it');
    }
  }
  const res = ctx.res;
  if (!res) return undefined;
  // The 200 goes out with the first message, not before: a context whose framing breaks early
  // (a bad chunk) then still gets the parser's 400 instead of a cut 200.
  const head = (): void => { if (!res.headersSent) res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'application/json' }); };
  const send = (m: Record<string, unknown>): void => { if (!res.writableEnded && !res.destroyed) { head(); res.write(`${JSON.stringify(m)}\r\n`); } };
  await b.builds.build(ctx.req, req, send, ctx.signal);
  if (!res.destroyed) { head(); res.end(); }
  return undefined;
}

export function buildRoutes(r: Router, b: Backend): void {
  r.post('/build', (ctx) => build(ctx, b));
  r.post('/build/prune', async () => ({ json: await b.builds.prune() }));
  r.post('/session', () => { throw new InvalidParameterError('BuildKit sessions are not supported by pier: use the legacy builder (DOCKER_BUILDKIT=0)'); });
}
