/**
 * The build context: the tar the client sends (plain or compressed), unpacked
 * safely into a scratch directory; `.dockerignore` applied (the docker CLI
 * filters already, other clients may not); the Dockerfile found and read.
 */
import { readFile, rm, mkdir, lstat, readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InvalidParameterError, NotFoundError } from '../errdefs/index.js';
import { extractTar } from '../pkg/archive/index.js';
import { parseDockerignore, PatternMatcher } from '../pkg/dockerignore/index.js';

const run = promisify(execFile);

export interface BuildContext {
  dir: string;
  dockerfile: string;
  /** Name of the Dockerfile inside the context (for messages). */
  dockerfileName: string;
}

async function removeIgnored(dir: string, m: PatternMatcher, keep: ReadonlySet<string>): Promise<void> {
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(rel ? `${dir}/${rel}` : dir, { withFileTypes: true });
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (keep.has(r)) continue;
      if (m.matches(r)) {
        if (e.isDirectory() && m.exclusions()) {
          await walk(r); // an exception below may bring entries back
          continue;
        }
        await rm(`${dir}/${r}`, { recursive: true, force: true });
        continue;
      }
      if (e.isDirectory()) await walk(r);
    }
  };
  await walk('');
}

/** Unpacks the request body into `dir` and reads the Dockerfile named `dockerfile` (a path in the context). */
export async function receiveContext(body: Readable, dir: string, dockerfile: string, signal?: AbortSignal): Promise<BuildContext> {
  await mkdir(dir, { recursive: true });
  await extractTar(body, dir, { whiteouts: 'literal', ...(signal ? { signal } : {}) });
  return openContext(dir, dockerfile);
}

/** `remote=`: a git repository (cloned, `#ref:subdir` honoured) as the context. */
export async function cloneContext(url: string, dir: string, dockerfile: string): Promise<BuildContext> {
  const [repo = '', frag = ''] = url.split('#');
  const [ref = '', sub = ''] = frag.split(':');
  await mkdir(dir, { recursive: true });
  try {
    await run('git', ['clone', '--quiet', '--recurse-submodules', ...(ref ? ['--branch', ref] : []), '--depth', '1', '--', repo.replace(/^git:\/\/(?=github\.com)/, 'https://'), `${dir}/repo`], { timeout: 600_000 });
  } catch (err) {
    throw new InvalidParameterError(`unable to prepare context: unable to 'git clone' to temporary context directory: ${(err as { stderr?: string }).stderr?.trim() ?? String(err)}`);
  }
  await rm(`${dir}/repo/.git`, { recursive: true, force: true });
  const root = sub ? `${dir}/repo/${posix.normalize(sub).replace(/^(\.\.\/)+/, '')}` : `${dir}/repo`;
  return openContext(root, dockerfile);
}

export async function openContext(dir: string, dockerfile: string): Promise<BuildContext> {
  const name = posix.normalize(dockerfile || 'Dockerfile').replace(/^\/+/, '');
  if (name.startsWith('../')) throw new InvalidParameterError(`Cannot locate specified Dockerfile: ${dockerfile}`);
  let text: string | undefined;
  let found = name;
  for (const candidate of dockerfile ? [name] : ['Dockerfile', 'dockerfile']) {
    try {
      const st = await lstat(`${dir}/${candidate}`);
      if (!st.isFile()) continue;
      text = await readFile(`${dir}/${candidate}`, 'utf8');
      found = candidate;
      break;
    } catch { /* next */ }
  }
  if (text === undefined) throw new NotFoundError(`Cannot locate specified Dockerfile: ${dockerfile || 'Dockerfile'}`);
  let ignore: string | undefined;
  try { ignore = await readFile(`${dir}/.dockerignore`, 'utf8'); } catch { ignore = undefined; }
  if (ignore !== undefined) {
    const patterns = parseDockerignore(ignore);
    const m = new PatternMatcher(patterns);
    await removeIgnored(dir, m, new Set());
    // The Dockerfile and .dockerignore reach the daemon, but COPY never sees them when ignored.
    for (const f of [found, '.dockerignore']) if (m.matches(f)) await rm(`${dir}/${f}`, { force: true });
  }
  return { dir, dockerfile: text, dockerfileName: found };
}
