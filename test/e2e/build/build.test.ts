// End to end: builds through the real docker CLI's legacy builder (DOCKER_BUILDKIT=0)
// and `pier build` against a private pierd: what the image holds, the cache (a
// rebuild reuses exactly the unchanged steps), bad input refused with a clear error
// and nothing left behind, a client that goes away mid-build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, symlinkSync, readdirSync, readFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usePrivateDaemon, pierBin, poll, type PrivateDaemon } from '../../harness/pierd.js';
import { e2eSkip, rawRequest } from '../../harness/clients.js';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { boundCli, docker } from '../cli/cli-helpers.js';

const skip = e2eSkip('build e2e', { needsDocker: true });

let d: PrivateDaemon;
const legacy = (): PrivateDaemon => ({ ...d, env: { ...d.env, DOCKER_BUILDKIT: '0' } });
const dk = boundCli(docker, legacy);
const pier = boundCli(pierBin, () => d);
usePrivateDaemon(skip, (x) => { d = x; });

let tmp: string;
before(() => { tmp = mkdtempSync(join(tmpdir(), 'pier-build-e2e-')); });
after(() => { rmSync(tmp, { recursive: true, force: true }); });

/** A fresh context dir with `files` (path → content) in it. */
function context(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  rmSync(dir, { recursive: true, force: true });
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  return dir;
}

async function noLeftovers(): Promise<void> {
  assert.equal((await dk.ok('ps', '-aq')).trim(), '', 'no build container is left');
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(`${d.root}/`) && l.includes('/containers/'));
  assert.deepEqual(mounts, [], 'no container rootfs stays mounted');
  let scratch: string[] = [];
  try { scratch = readdirSync(join(d.root, 'data', 'tmp')); } catch { scratch = []; }
  assert.deepEqual(scratch, [], 'no build context is left in the scratch dir');
}

const usingCache = (out: string): number => out.split('\n').filter((l) => l === ' ---> Using cache').length;

test('a multi-stage build: the image runs, has its config, and .dockerignore (with ! exceptions) shaped the context', { skip }, async () => {
  const dir = context('multi', {
    'Dockerfile': [
      'ARG BASE=busybox',
      'FROM ${BASE} AS build',
      'ARG GREETING=hi',
      'ENV APP=/app NAME="two words"',
      'WORKDIR $APP',
      'COPY src/ ./src/',
      'RUN ls src | wc -l > count && \\',
      '    echo "$GREETING $NAME" > greeting',
      'FROM busybox',
      'COPY --from=build /app /app',
      'COPY . /ctx/',
      'LABEL org.example.a=yes "org.example.b"="with space"',
      'EXPOSE 8080 53/udp',
      'USER 1000:1000',
      'WORKDIR /app',
      'CMD ["sh", "-c", "cat count greeting"]',
    ].join('\n'),
    'src/a.txt': 'a', 'src/b.txt': 'b', 'src/c.txt': 'c',
    'secret.txt': 'no', 'logs/1.log': 'x', 'logs/keep.log': 'kept',
    '.dockerignore': 'secret.txt\nlogs\n!logs/keep.log\n',
  });
  const out = await dk.ok('build', '-t', 'bt/multi:1', '--build-arg', 'GREETING=hello', dir);
  assert.match(out, /^Step 1\/15 : ARG BASE=busybox\nStep 2\/15 : FROM \$\{BASE\} AS build\n/m);
  assert.match(out, /Successfully tagged bt\/multi:1\n/);
  assert.equal(await dk.ok('run', '--rm', 'bt/multi:1'), '3\nhello two words\n');
  const cfg = JSON.parse(await dk.fmt('{{json .Config}}', 'bt/multi:1')) as Record<string, unknown>;
  assert.deepEqual(cfg['Labels'], { 'org.example.a': 'yes', 'org.example.b': 'with space' });
  assert.deepEqual(cfg['ExposedPorts'], { '8080/tcp': {}, '53/udp': {} });
  assert.equal(cfg['User'], '1000:1000');
  assert.equal(cfg['WorkingDir'], '/app');
  assert.deepEqual(cfg['Cmd'], ['sh', '-c', 'cat count greeting']);
  assert.equal((cfg['Env'] as string[]).some((e) => e.startsWith('APP=')), false, 'ENV of the first stage does not reach the second');
  const listing = (await dk.ok('run', '--rm', 'bt/multi:1', 'find', '/ctx', '-type', 'f')).trim().split('\n').sort();
  assert.deepEqual(listing, ['/ctx/.dockerignore', '/ctx/Dockerfile', '/ctx/logs/keep.log', '/ctx/src/a.txt', '/ctx/src/b.txt', '/ctx/src/c.txt']);
  assert.equal(await dk.ok('run', '--rm', 'bt/multi:1', 'stat', '-c', '%u:%g %a', '/ctx/src/a.txt'), '0:0 644\n', 'COPY makes files root-owned, modes kept');
  // Intermediate images hide from `images`, show with -a.
  const plain = (await dk.ok('images', '-q')).trim().split('\n');
  const all = (await dk.ok('images', '-aq')).trim().split('\n');
  assert.ok(all.length > plain.length + 5, `images -a lists the steps (${all.length} vs ${plain.length})`);
  await noLeftovers();
});

test('the cache: an unchanged rebuild reuses every step and gives the same ID; a changed file reruns exactly the steps after its COPY', { skip }, async () => {
  const files: Record<string, string> = {
    'Dockerfile': 'FROM busybox\nENV A=1\nCOPY one /one\nRUN cat /one > /copy1\nCOPY two /two\nRUN cat /two > /copy2\nCMD ["cat", "/copy1", "/copy2"]\n',
    one: 'first\n', two: 'second\n',
  };
  const dir = context('cache', files);
  const first = await dk.ok('build', '-t', 'bt/cache:1', dir);
  assert.equal(usingCache(first), 0);
  const again = await dk.ok('build', '-t', 'bt/cache:2', dir);
  assert.equal(usingCache(again), 6, 'every step after FROM comes from the cache');
  assert.doesNotMatch(again, /Running in/);
  assert.equal(await dk.fmt('{{.Id}}', 'bt/cache:1'), await dk.fmt('{{.Id}}', 'bt/cache:2'));
  // A file's content changes (its mtime alone would not count): steps before it stay cached.
  writeFileSync(join(dir, 'two'), 'changed\n');
  const changed = await dk.ok('build', '-t', 'bt/cache:3', dir);
  assert.equal(usingCache(changed), 3, 'ENV, COPY one and RUN on it are reused');
  assert.match(changed, /Step 5\/7 : COPY two \/two\n ---> [0-9a-f]{12}\n/);
  assert.equal(await dk.ok('run', '--rm', 'bt/cache:3'), 'first\nchanged\n');
  // Only the mode changes: COPY sees it.
  chmodSync(join(dir, 'one'), 0o755);
  const moded = await dk.ok('build', '-t', 'bt/cache:4', dir);
  assert.equal(usingCache(moded), 1);
  // --no-cache runs everything again.
  const nocache = await dk.ok('build', '--no-cache', '-t', 'bt/cache:5', dir);
  assert.equal(usingCache(nocache), 0);
  // A build arg that RUN sees is part of RUN's cache key.
  const argDir = context('cache-arg', { Dockerfile: 'FROM busybox\nARG V=1\nRUN echo $V > /v\n' });
  await dk.ok('build', '-t', 'bt/arg:1', argDir);
  const same = await dk.ok('build', '-t', 'bt/arg:1', argDir);
  assert.equal(usingCache(same), 2);
  const other = await dk.ok('build', '--build-arg', 'V=2', '-t', 'bt/arg:2', argDir);
  assert.equal(usingCache(other), 1, 'ARG is reused, the RUN that reads it is not');
  assert.equal(await dk.ok('run', '--rm', 'bt/arg:2', 'cat', '/v'), '2\n');
});

test('--target builds only the stages the target needs; instructions of every kind land in the config', { skip }, async () => {
  const dir = context('target', {
    Dockerfile: [
      'FROM busybox AS broken',
      'RUN exit 9',
      'FROM busybox AS base',
      'SHELL ["/bin/sh", "-ec"]',
      'RUN echo base > /base',
      'FROM base AS app',
      'ONBUILD RUN echo triggered > /trig',
      'VOLUME /data /other',
      'STOPSIGNAL SIGINT',
      'HEALTHCHECK --interval=5s --retries=2 CMD wget -qO- http://localhost/ || exit 1',
      'ENTRYPOINT ["/bin/echo"]',
      'FROM app AS unused',
      'RUN exit 7',
    ].join('\n'),
  });
  const out = await dk.ok('build', '--target', 'app', '-t', 'bt/target:1', dir);
  assert.doesNotMatch(out, /exit 9|exit 7/, 'stages the target does not need are skipped');
  const cfg = JSON.parse(await dk.fmt('{{json .Config}}', 'bt/target:1')) as Record<string, unknown>;
  assert.deepEqual(cfg['Shell'], ['/bin/sh', '-ec']);
  assert.deepEqual(cfg['OnBuild'], ['RUN echo triggered > /trig']);
  assert.equal(cfg['StopSignal'], 'SIGINT');
  assert.deepEqual(cfg['Healthcheck'], { Test: ['CMD-SHELL', 'wget -qO- http://localhost/ || exit 1'], Interval: 5_000_000_000, Retries: 2 });
  assert.deepEqual(cfg['Entrypoint'], ['/bin/echo']);
  assert.equal(cfg['Cmd'] ?? null, null, 'an ENTRYPOINT resets the CMD inherited from busybox');
  assert.equal(await dk.ok('run', '--rm', 'bt/target:1', 'hi'), 'hi\n');
  // ONBUILD fires in a child build.
  const child = context('onbuild', { Dockerfile: 'FROM bt/target:1\nENTRYPOINT []\nCMD ["cat", "/trig", "/base"]\n' });
  const childOut = await dk.ok('build', '-t', 'bt/child:1', child);
  assert.match(childOut, /# Executing 1 build trigger\n/);
  assert.equal(await dk.ok('run', '--rm', 'bt/child:1'), 'triggered\nbase\n');
  const missing = await dk.run(['build', '--target', 'nope', dir]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /failed to reach build target nope in Dockerfile/);
});

test('bad input: a clear error naming the problem, the old image keeps its tag, nothing is left behind', { skip }, async () => {
  const good = context('bad-good', { Dockerfile: 'FROM busybox\nRUN echo v1 > /v\n' });
  await dk.ok('build', '-t', 'bt/bad:latest', good);
  const before = await dk.fmt('{{.Id}}', 'bt/bad:latest');
  const cases: { df: string; files?: Record<string, string>; err: RegExp }[] = [
    { df: 'FROM busybox\nFOO bar\n', err: /dockerfile parse error on line 2: unknown instruction: FOO/i },
    { df: 'FROM busybox\nCOPY nope /x\n', err: /COPY failed: file not found in build context or excluded by \.dockerignore: stat nope: file does not exist/ },
    { df: 'FROM busybox\nCOPY ../outside /x\n', err: /forbidden path outside the build context: \.\.\/outside/ },
    { df: 'FROM busybox\nCOPY --from=nosuchstage /x /x\n', err: /nosuchstage/ },
    { df: 'FROM ${NOPE}\n', err: /base name \(\$\{NOPE\}\) should not be blank/ },
    { df: 'FROM busybox\nRUN echo partial > /p; exit 3\n', err: /The command '\/bin\/sh -c echo partial > \/p; exit 3' returned a non-zero code: 3/ },
    { df: 'FROM busybox\nCOPY a b /notadir\n', files: { a: '1', b: '2' }, err: /When using COPY with more than one source file, the destination must be a directory and end with a \// },
    { df: 'FROM busybox\nSHELL /bin/sh -c\n', err: /SHELL requires the arguments to be in JSON form/ },
  ];
  for (const c of cases) {
    const dir = context('bad', { Dockerfile: c.df, ...(c.files ?? {}) });
    const r = await dk.run(['build', '-t', 'bt/bad:latest', dir]);
    // The docker CLI exits with a failed RUN's own code (errorDetail.code), else 1.
    assert.equal(r.code, /exit 3/.test(c.df) ? 3 : 1, `${c.df} fails`);
    assert.match(r.stderr + r.stdout, c.err);
    assert.equal(await dk.fmt('{{.Id}}', 'bt/bad:latest'), before, 'the tag still names the old image');
  }
  // A symlink in the context that points out of it is refused, not followed.
  const esc = context('bad-link', { Dockerfile: 'FROM busybox\nCOPY link /x\n' });
  symlinkSync('/etc/passwd', join(esc, 'link'));
  const r = await dk.run(['build', esc]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /COPY failed/);
  await noLeftovers();
});

test('a client that goes away mid-RUN: the step is killed, its container removed, nothing tagged', { skip }, async () => {
  const dir = context('cancel', { Dockerfile: 'FROM busybox\nRUN echo started; sleep 30\n' });
  const p = spawn(docker, ['build', '-t', 'bt/cancel:1', dir], { env: legacy().env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  await poll(() => out.includes('started') || undefined, 20_000, 'the RUN step to start');
  p.kill('SIGKILL');
  await poll(async () => ((await dk.ok('ps', '-aq')).trim() === '' ? true : undefined), 15_000, 'the build container to go');
  const tagged = await dk.run(['image', 'inspect', 'bt/cancel:1']);
  assert.equal(tagged.code, 1, 'nothing is tagged');
  await poll(() => { try { return readdirSync(join(d.root, 'data', 'tmp')).length === 0 || undefined; } catch { return true; } }, 10_000, 'the context to be removed');
  await noLeftovers();
});

test('pier build: step view with CACHED and timings, -q, --iidfile, Dockerfile from stdin, context as a tar on stdin', { skip }, async () => {
  const dir = context('pier', { Dockerfile: 'FROM busybox\nCOPY f /f\nRUN cat /f\n', f: 'content\n' });
  const first = await pier.ok('build', '-t', 'bt/pier:1', dir);
  assert.match(first, /^#1 \[1\/3\] FROM busybox\n/);
  assert.match(first, /#3 \[3\/3\] RUN cat \/f\n#3 [0-9.]+ content\n#3 DONE [0-9.]+s\n/);
  const second = await pier.ok('build', '-t', 'bt/pier:1', dir);
  assert.match(second, /#2 CACHED\n/);
  assert.match(second, /#3 CACHED\n/);
  const iid = join(tmp, 'iid');
  const quiet = await pier.ok('build', '-q', '--iidfile', iid, dir);
  assert.match(quiet, /^sha256:[0-9a-f]{64}\n$/);
  assert.equal(readFileSync(iid, 'utf8'), quiet.trim());
  const fromStdin = await pier.run(['build', '-t', 'bt/pier:stdin', '-f', '-', dir], { input: 'FROM busybox\nCMD ["cat", "/f"]\nCOPY f /f\n' });
  assert.equal(fromStdin.code, 0, fromStdin.stderr);
  assert.equal(await dk.ok('run', '--rm', 'bt/pier:stdin'), 'content\n');
  const dfOnly = await pier.run(['build', '-t', 'bt/pier:df', '-'], { input: 'FROM busybox\nRUN echo made > /m\nCMD ["cat", "/m"]\n' });
  assert.equal(dfOnly.code, 0, dfOnly.stderr);
  assert.equal(await dk.ok('run', '--rm', 'bt/pier:df'), 'made\n');
  const failed = await pier.run(['build', '-'], { input: 'FROM busybox\nRUN echo last-words; exit 4\n' });
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /#2 ERROR: The command '\/bin\/sh -c echo last-words; exit 4' returned a non-zero code: 4\n/);
  assert.match(failed.stderr, /> \[2\/2\] RUN echo last-words; exit 4:\nlast-words\n/);
});

test('RUN --mount=type=cache keeps a directory across builds; heredocs; ADD extracts a local tar', { skip }, async () => {
  const dir = context('mount', {
    Dockerfile: [
      'FROM busybox',
      'ARG N=1',
      'RUN --mount=type=cache,target=/cache echo run$N >> /cache/log && cat /cache/log > /seen',
      'RUN <<EOF',
      'echo from-heredoc > /h',
      'EOF',
      'COPY <<EOT /greeting',
      'hello $N',
      'EOT',
      'ADD t.tar /unpacked/',
    ].join('\n'),
  });
  const tarDir = join(tmp, 'tarsrc');
  mkdirSync(join(tarDir, 'inner'), { recursive: true });
  writeFileSync(join(tarDir, 'inner', 'x'), 'in-tar\n');
  await new Promise<void>((res, rej) => spawn('tar', ['-czf', join(dir, 't.tar'), '-C', tarDir, 'inner']).on('close', (c) => (c === 0 ? res() : rej(new Error(`tar ${c}`)))));
  await dk.ok('build', '-t', 'bt/mount:1', dir);
  await dk.ok('build', '--build-arg', 'N=2', '-t', 'bt/mount:2', dir);
  assert.equal(await dk.ok('run', '--rm', 'bt/mount:2', 'cat', '/seen'), 'run1\nrun2\n', 'the cache dir kept the first build\'s line');
  assert.equal(await dk.ok('run', '--rm', 'bt/mount:2', 'sh', '-c', 'test -e /cache/log || echo not-in-image'), 'not-in-image\n');
  assert.equal(await dk.ok('run', '--rm', 'bt/mount:2', 'cat', '/h', '/greeting', '/unpacked/inner/x'), 'from-heredoc\nhello 2\nin-tar\n');
});

test('rmi of a built image takes its intermediate images with it; image prune leaves nothing of a build behind', { skip }, async () => {
  const dir = context('rmi', { Dockerfile: 'FROM busybox\nENV X=1\nRUN echo 1 > /one\nLABEL l=1\n' });
  const beforeAll = (await dk.ok('images', '-aq')).trim().split('\n').length;
  await dk.ok('build', '-t', 'bt/rmi:1', dir);
  assert.equal((await dk.ok('images', '-aq')).trim().split('\n').length, beforeAll + 3);
  const out = await dk.ok('rmi', 'bt/rmi:1');
  assert.equal(out.split('\n').filter((l) => l.startsWith('Deleted: ')).length, 3, out);
  assert.equal((await dk.ok('images', '-aq')).trim().split('\n').length, beforeAll);
});

test('independent stages run at the same time (each waits for a file the other makes in a shared cache mount); output stays in stage order', { skip }, async () => {
  const wait = (mine: string, other: string): string => `RUN --mount=type=cache,target=/sync,id=pier-e2e-sync-$T touch /sync/${mine} && for i in $(seq 100); do [ -e /sync/${other} ] && exit 0; sleep 0.1; done; exit 1`;
  const dir = context('parallel', {
    Dockerfile: [
      'FROM busybox AS a', 'ARG T', wait('a', 'b'), 'RUN echo a > /a',
      'FROM busybox AS b', 'ARG T', wait('b', 'a'), 'RUN echo b > /b',
      'FROM busybox', 'COPY --from=a /a /a', 'COPY --from=b /b /b', 'CMD ["cat", "/a", "/b"]',
    ].join('\n'),
  });
  const out = await dk.ok('build', '--build-arg', `T=${Date.now()}`, '-t', 'bt/parallel:1', dir);
  assert.equal(await dk.ok('run', '--rm', 'bt/parallel:1'), 'a\nb\n');
  const steps = [...out.matchAll(/^Step (\d+)\/12 /gm)].map((m) => Number(m[1]));
  assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 'steps print in Dockerfile order');
});

test('--cache-from: an image loaded from elsewhere (no intermediate images here) stands in for the steps its history shows', { skip }, async () => {
  const dir = context('cachefrom', { Dockerfile: 'FROM busybox\nENV CF=1\nCOPY f /f\nRUN cat /f > /g\nCMD ["cat", "/g"]\n', f: 'cached-from\n' });
  await dk.ok('build', '-t', 'bt/cf:1', dir);
  const id = await dk.fmt('{{.Id}}', 'bt/cf:1');
  const archive = join(tmp, 'cf.tar');
  await dk.ok('save', '-o', archive, 'bt/cf:1');
  await dk.ok('rmi', 'bt/cf:1');
  await dk.ok('load', '-i', archive);
  const out = await dk.ok('build', '--cache-from', 'bt/cf:1', '-t', 'bt/cf:2', dir);
  assert.equal(usingCache(out), 4, out);
  assert.doesNotMatch(out, /Running in/);
  assert.equal(await dk.fmt('{{.Id}}', 'bt/cf:2'), id, 'the same image as the one cached from');
  writeFileSync(join(dir, 'f'), 'changed\n');
  const changed = await dk.ok('build', '--cache-from', 'bt/cf:1', '-t', 'bt/cf:3', dir);
  assert.equal(usingCache(changed), 1, 'only ENV matches once the copied file changed');
  assert.equal(await dk.ok('run', '--rm', 'bt/cf:3'), 'changed\n');
});

test('remote contexts: a git repository (remote=, #ref:subdir) and a tar.gz served over HTTP', { skip }, async (t) => {
  // A local repository with the context in a subdirectory on a branch.
  const repo = join(tmp, 'ctx-repo.git');
  const work = join(tmp, 'ctx-work');
  mkdirSync(join(work, 'app'), { recursive: true });
  writeFileSync(join(work, 'app', 'Dockerfile'), 'FROM busybox\nCOPY msg /msg\nCMD ["cat", "/msg"]\n');
  writeFileSync(join(work, 'app', 'msg'), 'from git\n');
  const git = (...a: string[]): void => { execFileSync('git', a, { cwd: work, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } }); };
  git('init', '-q', '-b', 'main'); git('checkout', '-q', '-b', 'rel'); git('add', '.'); git('commit', '-qm', 'ctx');
  execFileSync('git', ['clone', '-q', '--bare', work, repo]);
  const res = await rawRequest(d, { method: 'POST', path: `/v1.50/build?t=bt/git:1&remote=${encodeURIComponent(`file://${repo}#rel:app`)}` });
  assert.equal(res.status, 200);
  assert.match(res.body, /Successfully tagged bt\/git:1/, res.body);
  assert.equal(await dk.ok('run', '--rm', 'bt/git:1'), 'from git\n');
  // A tarball over HTTP, through the docker CLI.
  const src = context('http-src', { Dockerfile: 'FROM busybox\nCOPY msg /msg\nCMD ["cat", "/msg"]\n', msg: 'from http\n' });
  const tgz = join(tmp, 'ctx.tar.gz');
  execFileSync('tar', ['-czf', tgz, '-C', src, '.']);
  const server = createServer((req, r) => {
    // A tarball context, a lone Dockerfile (remote=), a file for ADD, and a redirect to it.
    if (req.url === '/Dockerfile') { r.writeHead(200); r.end(`FROM busybox\nADD http://127.0.0.1:${port}/moved /added\nCMD ["cat", "/added"]\n`); return; }
    if (req.url === '/moved') { r.writeHead(302, { Location: '/payload' }); r.end(); return; }
    if (req.url === '/payload') { r.writeHead(200); r.end('added over http\n'); return; }
    r.writeHead(200, { 'Content-Type': 'application/gzip' }); r.end(readFileSync(tgz));
  });
  let port = 0;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => { server.close(); });
  port = (server.address() as { port: number }).port;
  await dk.ok('build', '-t', 'bt/http:1', `http://127.0.0.1:${port}/ctx.tar.gz`);
  assert.equal(await dk.ok('run', '--rm', 'bt/http:1'), 'from http\n');
  const df = await rawRequest(d, { method: 'POST', path: `/v1.50/build?t=bt/http:2&remote=${encodeURIComponent(`http://127.0.0.1:${port}/Dockerfile`)}` });
  assert.match(df.body, /Successfully tagged bt\/http:2/, df.body);
  assert.equal(await dk.ok('run', '--rm', 'bt/http:2'), 'added over http\n');
  assert.equal(await dk.ok('run', '--rm', 'bt/http:2', 'stat', '-c', '%a', '/added'), '600\n', 'ADD of a URL makes the file 0600, as docker does');
  await noLeftovers();
});

test('pier build keeps a directory\'s context in the daemon: a rebuild sends none, and any change to a file is seen', { skip }, async () => {
  const dir = context('kept', { Dockerfile: 'FROM busybox\nCOPY f /f\nCMD ["cat", "/f"]\n', f: 'one\n' });
  await pier.ok('build', '-q', '-t', 'bt/kept:1', dir);
  const kept = readdirSync(join(d.root, 'data', 'build-contexts'));
  assert.equal(kept.length >= 1, true, 'the context is kept');
  const again = await pier.ok('build', '-t', 'bt/kept:1', dir);
  assert.match(again, /#2 CACHED\n/);
  // Same length, new content: the key (mtime, ctime, size, inode …) changes, the context is sent again.
  writeFileSync(join(dir, 'f'), 'two\n');
  const changed = await pier.ok('build', '-t', 'bt/kept:2', dir);
  assert.match(changed, /#2 DONE/);
  assert.equal(await dk.ok('run', '--rm', 'bt/kept:2'), 'two\n');
  // A new file appears: seen too.
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY . /ctx/\nCMD ["ls", "/ctx"]\n');
  writeFileSync(join(dir, 'new'), 'x');
  await pier.ok('build', '-t', 'bt/kept:3', dir);
  assert.equal(await dk.ok('run', '--rm', 'bt/kept:3'), 'Dockerfile\nf\nnew\n');
});

test('sizes as docker counts them: history SIZE and the image Size are the bytes of the layers\' files, and save still writes whole tars', { skip }, async () => {
  const dir = context('sizes', {
    Dockerfile: 'FROM busybox\nCOPY two /two\nRUN head -c 5000 /dev/zero > /five-k && ln /five-k /five-k-again && ln -s /five-k /sym\n',
    two: 'hi',
  });
  await dk.ok('build', '-t', 'bt/sizes:1', dir);
  const hist = JSON.parse((await rawRequest(d, { method: 'GET', path: '/images/bt/sizes:1/history' })).body.toString()) as { Size: number; CreatedBy: string }[];
  const copy = hist.find((h) => h.CreatedBy.includes('COPY'));
  const run = hist.find((h) => h.CreatedBy.includes('head -c 5000'));
  assert.equal(copy?.Size, 2, 'a 2-byte COPY is 2 bytes, not a 2 kB tar');
  // The file once (its second hard link is not counted again) and the symlink's target text.
  assert.equal(run?.Size, 5000 + '/five-k'.length);
  const base = JSON.parse((await rawRequest(d, { method: 'GET', path: '/images/busybox/json' })).body.toString()) as { Size: number };
  const img = JSON.parse((await rawRequest(d, { method: 'GET', path: '/images/bt/sizes:1/json' })).body.toString()) as { Size: number };
  assert.equal(img.Size, base.Size + 2 + 5000 + '/five-k'.length);
  // save's blob sizes are the tars' own: the archive loads back into a fresh name.
  const tarPath = join(tmp, 'sizes.tar');
  await dk.ok('save', '-o', tarPath, 'bt/sizes:1');
  await dk.ok('rmi', 'bt/sizes:1');
  assert.match(await dk.ok('load', '-i', tarPath), /Loaded image: bt\/sizes:1/);
  assert.equal(await dk.ok('run', '--rm', 'bt/sizes:1', 'cat', '/two'), 'hi');
});
