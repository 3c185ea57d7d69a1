// `pier build`: the context (a directory, a tar or Dockerfile on stdin, or a URL)
// sent to POST /build with docker's parameters, and the build stream shown step
// by step with timings and CACHED markers (or only the image ID with -q).

import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { posix, resolve, relative } from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pack as tarPack } from 'tar-stream';
import { messageOf } from '../../errdefs/index.js';
import { createTar } from '../../pkg/archive/index.js';
import { parseDockerignore, PatternMatcher } from '../../pkg/dockerignore/index.js';
import { type Handler, StatusError, writeErr, writeOut } from '../context.js';
import { parseImageRef } from '../image-ref.js';

/** A tar holding one file (for a Dockerfile from outside the context or stdin). */
function oneFileTar(name: string, data: Buffer): Promise<Buffer> {
  const p = tarPack();
  p.entry({ name, mode: 0o644, size: data.length, mtime: new Date() }, data);
  p.finalize();
  const chunks: Buffer[] = [];
  return new Promise((res, rej) => {
    p.on('data', (c: unknown) => { chunks.push(c as Buffer); });
    p.on('end', () => res(Buffer.concat(chunks)));
    p.on('error', rej);
  });
}

/** `tar` with `extra` (a whole tar) appended: the first one's end-of-archive blocks held back and dropped. */
function appendTar(tar: Readable, extra: Buffer): Readable {
  let held = Buffer.alloc(0);
  const t = new Transform({
    transform(chunk: Buffer, _e, cb) {
      const all = Buffer.concat([held, chunk]);
      const keep = Math.max(0, all.length - 1024);
      held = all.subarray(keep);
      cb(null, all.subarray(0, keep));
    },
    flush(cb) { cb(null, extra); },
  });
  tar.on('error', (err) => t.destroy(err));
  return tar.pipe(t);
}

/**
 * A key for a context directory: every entry's name, type, mode, size, owner, inode,
 * mtime and ctime (what BuildKit compares too), and the Dockerfile's name. Any
 * write, chmod, chown, rename, add or delete changes it.
 */
function metadataKey(dir: string, excludes: (p: string) => boolean, dockerfile: string): string {
  const h = createHash('sha256');
  h.update(`pier-context-v1\0${dockerfile}\0`);
  const walk = (rel: string): void => {
    const names = fs.readdirSync(rel ? `${dir}/${rel}` : dir).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      if (excludes(r)) continue;
      const p = `${dir}/${r}`;
      const st = fs.lstatSync(p, { bigint: true });
      h.update(`${r}\0${st.mode}\0${st.size}\0${st.uid}:${st.gid}\0${st.ino}\0${st.mtimeNs}\0${st.ctimeNs}\0`);
      if (st.isSymbolicLink()) h.update(fs.readlinkSync(p));
      else if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return h.digest('hex');
}

/** The tar in 256 KiB writes: a small write per file made the daemon handle 4,000 chunks for 2,000 files. */
function batched(src: Readable): Readable {
  let parts: Buffer[] = [];
  let size = 0;
  const t = new Transform({
    transform(chunk: Buffer, _e, cb) {
      parts.push(chunk);
      size += chunk.length;
      if (size >= 256 * 1024) { const b = Buffer.concat(parts, size); parts = []; size = 0; cb(null, b); return; }
      cb();
    },
    flush(cb) { cb(null, size ? Buffer.concat(parts, size) : undefined); },
  });
  src.on('error', (err) => t.destroy(err));
  return src.pipe(t);
}

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

function buildArgs(values: readonly string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0) {
      const fromEnv = env[v];
      if (fromEnv !== undefined) out[v] = fromEnv;
      continue;
    }
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

function labels(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0) out[v] = '';
    else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** The step-by-step view: `#N [i/M] INSTRUCTION`, its output, then `#N CACHED` or `#N DONE 0.3s`. */
class StepView {
  #n = 0;
  #started = 0;
  #cached = false;
  #title = '';
  #last: string[] = [];
  #partial = '';
  readonly #t0 = Date.now();

  #finish(): void {
    if (this.#n === 0) return;
    this.#flushPartial();
    writeOut(this.#cached ? `#${this.#n} CACHED\n\n` : `#${this.#n} DONE ${((Date.now() - this.#started) / 1000).toFixed(1)}s\n\n`);
  }

  #flushPartial(): void {
    if (!this.#partial) return;
    this.#line(this.#partial);
    this.#partial = '';
  }

  #line(l: string): void {
    writeOut(`#${this.#n} ${((Date.now() - this.#started) / 1000).toFixed(3)} ${l}\n`);
    this.#last.push(l);
    if (this.#last.length > 10) this.#last.shift();
  }

  text(s: string): void {
    const all = this.#partial + s;
    const lines = all.split('\n');
    this.#partial = lines.pop() ?? '';
    for (const l of lines) {
      const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(l);
      if (step) {
        this.#finish();
        this.#n = Number(step[1]);
        this.#started = Date.now();
        this.#cached = false;
        this.#last = [];
        this.#title = `[${step[1] ?? ''}/${step[2] ?? ''}] ${step[3] ?? ''}`;
        writeOut(`#${this.#n} ${this.#title}\n`);
        continue;
      }
      if (l === ' ---> Using cache') { this.#cached = true; continue; }
      if (/^ ---> (Running in )?[0-9a-f]{12}$|^ ---> $|^Removing intermediate container [0-9a-f]{12}$/.test(l)) continue;
      if (/^Successfully (built|tagged) /.test(l)) {
        this.#finish();
        this.#n = 0;
        writeOut(`${l}\n`);
        continue;
      }
      if (this.#n === 0) { writeOut(`${l}\n`); continue; }
      this.#line(l);
    }
  }

  done(): void {
    this.#finish();
    this.#n = 0;
    writeOut(`Build finished in ${((Date.now() - this.#t0) / 1000).toFixed(1)}s\n`);
  }

  error(message: string): void {
    this.#flushPartial();
    if (this.#n > 0) {
      writeErr(`#${this.#n} ERROR: ${message}\n------\n > ${this.#title}:\n`);
      for (const l of this.#last) writeErr(`${l}\n`);
      writeErr('------\n');
    }
  }
}

export const buildCommand: Handler = async (ctx) => {
  const target = ctx.args[0] ?? '';
  const f = ctx.flags;
  const progress = f.string('progress') ?? 'auto';
  if (!['auto', 'plain', 'tty', 'quiet', 'rawjson'].includes(progress)) throw new StatusError(1, `invalid progress mode "${progress}"`);
  const quiet = f.bool('quiet') || progress === 'quiet';
  const tags = f.list('tag');
  for (const t of tags) {
    const ref = parseImageRef(t);
    if (!ref || ref.digest) throw new StatusError(1, `invalid argument "${t}" for "-t, --tag" flag: invalid reference format`);
  }
  let dockerfileFlag = f.string('file') ?? '';
  let body: Readable | undefined;
  let makeBody: (() => Promise<Readable>) | undefined;
  let contextKey: string | undefined;
  let remote = '';
  let dockerfileParam = '';
  if (target === '-') {
    if (dockerfileFlag === '-') throw new StatusError(1, 'invalid argument: can\'t use stdin for both build context and dockerfile');
    const data = await readAll(process.stdin);
    const isTar = data.length >= 262 && (data.subarray(257, 262).toString('latin1') === 'ustar' || data[0] === 0x1f || data.subarray(0, 3).toString('latin1') === 'BZh' || data.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])));
    if (isTar) {
      const p = new PassThrough();
      p.end(data);
      body = p;
      dockerfileParam = dockerfileFlag;
    } else {
      const name = `.dockerfile.${randomBytes(10).toString('hex')}`;
      const p = new PassThrough();
      p.end(await oneFileTar(name, data));
      body = p;
      dockerfileParam = name;
    }
  } else if (/^(https?:\/\/|git@|git:\/\/|github\.com\/)/.test(target)) {
    remote = target.startsWith('github.com/') ? `https://${target}` : target;
    dockerfileParam = dockerfileFlag;
  } else {
    const dir = resolve(target);
    let st: fs.Stats;
    try { st = fs.statSync(dir); } catch { throw new StatusError(1, `unable to prepare context: path "${target}" not found`); }
    if (!st.isDirectory()) throw new StatusError(1, `unable to prepare context: context must be a directory: ${dir}`);
    let ignore: PatternMatcher | undefined;
    try { ignore = new PatternMatcher(parseDockerignore(fs.readFileSync(`${dir}/.dockerignore`, 'utf8'))); } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new StatusError(1, `failed to parse .dockerignore: ${messageOf(err)}`);
    }
    let extra: Buffer | undefined;
    if (dockerfileFlag === '-') {
      const name = `.dockerfile.${randomBytes(10).toString('hex')}`;
      extra = await oneFileTar(name, await readAll(process.stdin));
      dockerfileParam = name;
    } else {
      if (!dockerfileFlag) dockerfileFlag = fs.existsSync(`${dir}/Dockerfile`) || !fs.existsSync(`${dir}/dockerfile`) ? `${dir}/Dockerfile` : `${dir}/dockerfile`;
      const abs = resolve(dockerfileFlag.startsWith('/') ? dockerfileFlag : resolve(dockerfileFlag));
      try { fs.statSync(abs); } catch { throw new StatusError(1, `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${abs}: no such file or directory`); }
      const rel = relative(dir, abs);
      if (rel.startsWith('..') || rel.startsWith('/')) {
        const name = `.dockerfile.${randomBytes(10).toString('hex')}`;
        extra = await oneFileTar(name, fs.readFileSync(abs));
        dockerfileParam = name;
      } else {
        dockerfileParam = rel.split('/').join(posix.sep);
      }
    }
    const keep = new Set([dockerfileParam, '.dockerignore']);
    let ignoreText = '';
    try { ignoreText = fs.readFileSync(`${dir}/.dockerignore`, 'utf8'); } catch { ignoreText = ''; }
    const excludes = (p: string): boolean => (extra !== undefined && p === '.dockerignore')
      || (!keep.has(p) && (ignore?.matches(p) ?? false) && !(ignore?.mayMatchInside(p) ?? false));
    // A directory context (with its own Dockerfile) gets a key from its files' metadata: the
    // daemon keeps the context of the last builds, and one it still has is not sent again.
    if (!extra && ctx.env['PIER_BUILD_CONTEXT_CACHE'] !== '0') contextKey = metadataKey(dir, excludes, dockerfileParam);
    const extraTar = extra;
    makeBody = async () => {
      const tar = createTar(dir, { excludes });
      // As docker's CLI: a Dockerfile from elsewhere goes in under a random name, and
      // .dockerignore gains that name so COPY never copies it.
      return extraTar ? appendTar(tar, Buffer.concat([extraTar.subarray(0, extraTar.length - 1024), await oneFileTar('.dockerignore', Buffer.from(`${ignoreText}\n${dockerfileParam}\n`))])) : tar;
    };
  }
  const query: Record<string, string | string[] | undefined> = {
    t: tags.length ? tags : undefined,
    dockerfile: dockerfileParam || undefined,
    remote: remote || undefined,
    buildargs: JSON.stringify(buildArgs(f.list('build-arg'), ctx.env)),
    labels: JSON.stringify(labels(f.list('label'))),
    nocache: f.bool('no-cache') ? '1' : undefined,
    pull: f.bool('pull') ? '1' : undefined,
    target: f.string('target') || undefined,
    networkmode: f.string('network') || 'default',
    platform: f.string('platform') || undefined,
    q: quiet ? '1' : undefined,
    rm: '1',
    forcerm: f.bool('force-rm') ? '1' : undefined,
    extrahosts: f.list('add-host').length ? f.list('add-host').join(',') : undefined,
    shmsize: f.string('shm-size') || undefined,
    cachefrom: JSON.stringify(f.list('cache-from')),
    version: '1',
  };
  let res;
  if (contextKey) {
    try {
      res = await ctx.client().images.build(undefined, query, { contextKey });
    } catch (err) {
      if (!/build context not kept/.test(messageOf(err))) throw err;
      res = await ctx.client().images.build(batched(await (makeBody as () => Promise<Readable>)()), query, { contextKey });
    }
  } else {
    if (!body && makeBody) body = await makeBody();
    res = await ctx.client().images.build(body ? batched(body) : undefined, query);
  }
  const view = progress === 'rawjson' || quiet ? undefined : new StepView();
  let id = '';
  let error = '';
  let partial = '';
  for await (const chunk of res.body) {
    partial += (chunk as Buffer).toString('utf8');
    const lines = partial.split(/\r?\n/);
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      if (progress === 'rawjson') writeOut(`${line}\n`);
      let m: Record<string, unknown>;
      try { m = JSON.parse(line) as Record<string, unknown>; } catch { continue; }
      const aux = m['aux'] as { ID?: string } | undefined;
      if (aux?.ID) id = aux.ID;
      if (typeof m['error'] === 'string') { error = m['error']; continue; }
      if (typeof m['stream'] === 'string') view?.text(m['stream']);
      else if (typeof m['status'] === 'string' && view) view.text(`${m['status']}${m['id'] ? ` ${String(m['id'])}` : ''}\n`);
    }
  }
  if (error) {
    view?.error(error);
    throw new StatusError(1, `ERROR: ${error}`);
  }
  if (!id) throw new StatusError(1, 'ERROR: the build stream ended without an image ID');
  view?.done();
  if (quiet) writeOut(`${id}\n`);
  const iid = f.string('iidfile');
  if (iid) fs.writeFileSync(iid, id);
  return 0;
};

export const builderPruneCommand: Handler = async (ctx) => {
  const r = await ctx.client().images.buildPrune();
  writeOut(`Total:\t${r.SpaceReclaimed}B\n`);
};
