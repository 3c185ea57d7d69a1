/**
 * Where a build's context comes from: the request body (a tar, plain or
 * compressed), a git repository (`remote=` git URL, `#ref:subdir`), or an
 * http(s) URL of a tar or of a lone Dockerfile. Each ends as a ContextStore
 * (indexed, never unpacked) with `.dockerignore` applied and the Dockerfile read.
 */
import { mkdir, rm } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pack as tarPack } from 'tar-stream';
import { InvalidParameterError, NotFoundError, messageOf } from '../errdefs/index.js';
import { createTar } from '../pkg/archive/index.js';
import { httpGet, readBody } from '../pkg/httpget/index.js';
import { ContextStore } from './context-store.js';

const run = promisify(execFile);

export interface BuildContext {
  store: ContextStore;
  dockerfile: string;
  /** Name of the Dockerfile inside the context (for messages). */
  dockerfileName: string;
}

const isGit = (url: string): boolean => /^(git@|git:\/\/|github\.com\/)|\.git(#|$)/.test(url) || /^https?:\/\/[^#]*\.git(#.*)?$/.test(url);

/** The context of one build, in `dir` (a scratch directory the caller removes). */
export async function openBuildContext(body: Readable, o: { dir: string; dockerfile: string; remote: string; signal?: AbortSignal }): Promise<BuildContext> {
  await mkdir(o.dir, { recursive: true });
  const spill = `${o.dir}/context.tar`;
  let store: ContextStore;
  if (o.remote && isGit(o.remote)) {
    const root = await cloneRepo(o.remote, o.dir);
    store = await ContextStore.receive(createTar(root), spill, o.signal);
    await rm(`${o.dir}/repo`, { recursive: true, force: true });
  } else if (o.remote) {
    const res = await httpGet(o.remote, o.signal ? { signal: o.signal } : {}).catch((err: unknown) => { throw new InvalidParameterError(`unable to prepare context: ${messageOf(err)}`); });
    if (res.status !== 200) { res.body.resume(); throw new InvalidParameterError(`unable to prepare context: ${o.remote}: ${res.status} ${res.statusText}`); }
    const buf = await readBody(res.body);
    const isTar = (buf.length >= 262 && buf.subarray(257, 262).toString('latin1') === 'ustar') || buf[0] === 0x1f || buf.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
    store = await ContextStore.receive(isTar ? Readable.from([buf]) : oneFileTar('Dockerfile', buf), spill, o.signal);
  } else {
    store = await ContextStore.receive(body, spill, o.signal);
  }
  try {
    return readDockerfile(store, o.dockerfile);
  } catch (err) {
    store.close();
    throw err;
  }
}

function oneFileTar(name: string, data: Buffer): Readable {
  const p = tarPack();
  p.entry({ name, mode: 0o644, size: data.length }, data);
  p.finalize();
  return p as unknown as Readable;
}

async function cloneRepo(url: string, dir: string): Promise<string> {
  const [repo = '', frag = ''] = url.split('#');
  const [ref = '', sub = ''] = frag.split(':');
  try {
    await run('git', ['clone', '--quiet', '--recurse-submodules', ...(ref ? ['--branch', ref] : []), '--depth', '1', '--', repo.startsWith('github.com/') ? `https://${repo}` : repo, `${dir}/repo`], { timeout: 600_000 });
  } catch (err) {
    throw new InvalidParameterError(`unable to prepare context: unable to 'git clone' to temporary context directory: ${(err as { stderr?: string }).stderr?.trim() ?? messageOf(err)}`);
  }
  await rm(`${dir}/repo/.git`, { recursive: true, force: true });
  const clean = posix.normalize(sub || '.').replace(/^(\.\.\/)+/, '');
  return `${dir}/repo/${clean}`;
}

function readDockerfile(store: ContextStore, dockerfile: string): BuildContext {
  const name = posix.normalize(dockerfile || 'Dockerfile').replace(/^\/+/, '');
  if (name.startsWith('../')) throw new InvalidParameterError(`Cannot locate specified Dockerfile: ${dockerfile}`);
  let text: string | undefined;
  let found = name;
  for (const candidate of dockerfile ? [name] : ['Dockerfile', 'dockerfile']) {
    const e = store.get(candidate);
    if (e?.type !== 'file') continue;
    text = store.read(e).toString('utf8');
    found = candidate;
    break;
  }
  if (text === undefined) throw new NotFoundError(`Cannot locate specified Dockerfile: ${dockerfile || 'Dockerfile'}`);
  const m = store.applyDockerignore();
  // The Dockerfile and .dockerignore reach the daemon, but COPY never sees them when ignored.
  if (m) for (const f of [found, '.dockerignore']) if (m.matches(f)) store.forget(f);
  return { store, dockerfile: text, dockerfileName: found };
}
