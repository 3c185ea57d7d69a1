/**
 * corpus-cases: the Dockerfile corpus (test/e2e/build/corpus/<case>/) and, for
 * each build of a case, what a user would check without a reference engine:
 * the default command's output, config fields and files. The values are what
 * docker's legacy builder produces (checked against dockerd 20.10), except in
 * the cases it refuses, where they are BuildKit's documented behaviour.
 */
import { chmodSync, chownSync, createWriteStream, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';

export interface CorpusBuild {
  /** The image reference, always under corpus/. */
  tag: string;
  /** The Dockerfile's name in the case dir (default: Dockerfile). */
  file?: string;
  target?: string;
  buildArgs?: Record<string, string>;
  /** false: the default command is not worth running (it fails by design, or waits for input). */
  run?: boolean;
  /** What `docker run --rm <tag>` prints on stdout, exiting 0. */
  stdout?: string;
  /** Config fields (a dotted path into `.Config`) → value, as GET /images/{name}/json has them. */
  config?: Record<string, unknown>;
  /** The image's Author (MAINTAINER). */
  author?: string;
  /** Files of the image: path → `type mode uid:gid size[ -> symlink target]`, or null when absent. */
  files?: Record<string, string | null>;
}

export interface CorpusCase {
  /** The directory under corpus/. */
  name: string;
  /** Built in order, each with the docker CLI (DOCKER_BUILDKIT=0) on every engine. */
  builds: CorpusBuild[];
  /** Adds to the copied context what git cannot hold (modes, owners, symlinks, empty dirs, archives). */
  prepare?: (dir: string) => Promise<void> | void;
  /** dockerd's legacy builder refuses this case (a BuildKit feature): no comparison when it does. */
  legacyRejects?: { pattern: RegExp; why: string };
}

const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** bundle.tar.gz for add-archive: owners and modes an ADD must keep. */
async function writeBundle(dir: string): Promise<void> {
  const p = pack();
  const own = { uid: 1000, gid: 1000, mtime: new Date(0) };
  p.entry({ name: 'pkg/', type: 'directory', mode: 0o755, ...own });
  p.entry({ name: 'pkg/bin.sh', mode: 0o755, ...own }, '#!/bin/sh\necho bin\n');
  p.entry({ name: 'pkg/conf', mode: 0o640, ...own }, 'conf\n');
  p.entry({ name: 'pkg/link', type: 'symlink', linkname: 'bin.sh', mode: 0o777, ...own });
  p.finalize();
  await pipeline(p, createGzip(), createWriteStream(join(dir, 'bundle.tar.gz')));
}

export const CORPUS: readonly CorpusCase[] = [
  {
    name: 'from-arg-stages',
    builds: [{
      tag: 'corpus/from-arg-stages', buildArgs: { OVERRIDE: 'given', VERSION: '2.0' },
      stdout: 'version=2.0 from_base=v2.0 meta_only=[] greeting=hello override=given derived=hello-world shadow=env-value late=env-first\n',
      config: { Env: [PATH, 'FROM_BASE=v2.0', 'SHADOW=env-value', 'LATE=env-first'], Cmd: ['cat', '/args'] },
    }],
  },
  {
    name: 'run-shell',
    builds: [{
      tag: 'corpus/run-shell',
      stdout: 'shell form sees HOME=/root\nexec form via exec-zero\nvia wrapped\nafter SHELL\nvia wrapped\n',
      config: {
        Shell: ['/bin/sh', '-c', 'echo "via $0" >> /run.log; eval "$1"', 'wrapped'],
        Cmd: ['/bin/sh', '-c', 'echo "via $0" >> /run.log; eval "$1"', 'wrapped', 'cat /run.log'],
      },
      files: { '/exec-$HOME': 'f 0644 0:0 0', '/exec-/root': null },
    }],
  },
  {
    name: 'run-heredoc',
    legacyRejects: { pattern: /unknown instruction: ECHO/, why: 'heredocs are BuildKit-only; dockerd 20.10\'s legacy builder reads the body as instructions' },
    builds: [{
      tag: 'corpus/run-heredoc',
      stdout: 'line one heredoc\nline two\nno $expansion here\ncopied by heredoc\n',
      files: { '/copied.txt': 'f 0644 0:0 18' },
    }],
  },
  {
    name: 'cmd-entrypoint',
    builds: [
      { tag: 'corpus/cmd-entrypoint:reset', target: 'reset', stdout: 'entrypoint:\n', config: { Entrypoint: ['echo', 'entrypoint:'], Cmd: null } },
      { tag: 'corpus/cmd-entrypoint:exec', target: 'exec', stdout: 'exec entrypoint: from cmd\n', config: { Entrypoint: ['echo', 'exec entrypoint:'], Cmd: ['from', 'cmd'] } },
      {
        tag: 'corpus/cmd-entrypoint', stdout: 'hello world, $0 is the-cmd\n',
        config: { Entrypoint: ['/bin/sh', '-c', 'echo "hello $WHO, \\$0 is $0"'], Cmd: ['the-cmd'] },
      },
    ],
  },
  {
    name: 'env',
    builds: [{
      tag: 'corpus/env',
      stdout: 'changed|two words|three escaped|legacy value with  two spaces|one-two words|onex|one|fallback|set||$A|$A|one|/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n',
      config: {
        Env: [
          'PATH=/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=changed', 'B=two words', 'C=three escaped',
          'LEGACY=legacy value with  two spaces', 'REF=one-two words', 'BRACES=onex', 'DEFAULTED=fallback', 'ALT=set', 'EMPTY_ALT=',
          'SAME_LINE=one', 'ESCAPED=$A', 'SINGLE=$A', 'DOUBLE=one',
        ],
      },
    }],
  },
  {
    name: 'label-expose-volume',
    builds: [{
      tag: 'corpus/label-expose-volume', stdout: 'kept\n', author: 'Corpus Tester <corpus@example.com>',
      config: {
        Labels: { one: 'overridden', two: '2 two', three: 'multi line', four: 'with space', 'com.example.quoted': 'say "hi"', empty: '' },
        ExposedPorts: { '80/tcp': {}, '8080/tcp': {}, '53/udp': {}, '7000/tcp': {}, '7001/tcp': {}, '7002/tcp': {}, '9000/udp': {}, '9001/udp': {} },
        Volumes: { '/data': {}, '/logs': {}, '/cache': {}, '/srv/share': {} },
        StopSignal: 'SIGUSR1',
      },
      // The RUN's layer holds the volumes' mount points, not what it wrote into them.
      files: { '/kept': 'f 0644 0:0 5', '/data': 'd 0755 0:0 -', '/srv/share': 'd 0755 0:0 -', '/data/lost': null },
    }],
  },
  {
    name: 'user-workdir',
    builds: [{
      tag: 'corpus/user-workdir',
      stdout: [
        '/srv/app/nested', 'uid=1001 gid=1002 groups=1002', 'uid=1000(app) gid=1000(app) groups=1000(app)',
        'uid=1001 gid=1002 groups=1002', '/tmp/owned-by-name 1000:1000 644', '/tmp/owned-by-numeric 1001:1002 644',
        '/srv 0:0 755', '/srv/app 0:0 755', '/srv/app/nested 0:0 755', '',
      ].join('\n'),
      config: { User: '1001:1002', WorkingDir: '/srv/app/nested', Env: [PATH, 'BASE=/srv'] },
    }],
  },
  {
    name: 'copy-context',
    prepare: (dir) => {
      chmodSync(join(dir, 'dir/run.sh'), 0o755);
      chmodSync(join(dir, 'dir/private'), 0o600);
      symlinkSync('one.txt', join(dir, 'dir/link'));
      symlinkSync('/etc/passwd', join(dir, 'dir/sub/abs-link'));
      mkdirSync(join(dir, 'dir/empty'));
      chownSync(join(dir, 'b.txt'), 1234, 1234);
    },
    builds: [{
      tag: 'corpus/copy-context',
      stdout: '/ctx:\na.txt\nb.txt\nc.md\ndir\nkeep.bak\n\n/work:\nc.md\nkeep.bak\nrelative.txt\none\n/etc/passwd\n',
      config: { WorkingDir: '/work' },
      files: {
        '/glob/a.txt': 'f 0644 0:0 2', '/glob/b.txt': 'f 0644 0:0 3', '/glob/c.md': null,
        '/contents/one.txt': 'f 0644 0:0 4', '/contents/run.sh': 'f 0755 0:0 19', '/contents/private': 'f 0600 0:0 8',
        '/contents/link': 'l 0777 0:0 - -> one.txt', '/contents/sub/abs-link': 'l 0777 0:0 - -> /etc/passwd',
        '/contents/empty': 'd 0755 0:0 -', '/contents/dir': null, '/contents-slash/sub/two.txt': 'f 0644 0:0 4',
        '/renamed': 'f 0644 0:0 2', '/newdir/a.txt': 'f 0644 0:0 2', '/work/relative.txt': 'f 0644 0:0 3',
        '/ctx/keep.bak': 'f 0644 0:0 5', '/ctx/drop.bak': null, '/ctx/secret': null, '/ctx/Dockerfile': null, '/ctx/.dockerignore': null,
      },
    }],
  },
  {
    name: 'copy-chown',
    builds: [{
      tag: 'corpus/copy-chown',
      stdout: '/numeric 1234:5678 644\n/name-only 33:33 644\n/uid-only 42:42 644\n/owned-dir 65534:33 755\n/owned-dir/f 65534:33 644\n/from-arg 8:1 644\n/added 1:1 644\n',
    }],
  },
  {
    name: 'copy-chmod',
    legacyRejects: { pattern: /the --chmod option requires BuildKit/, why: '--chmod is BuildKit-only in dockerd 20.10\'s legacy builder' },
    builds: [{
      tag: 'corpus/copy-chmod', run: false,
      files: { '/secret': 'f 0600 0:0 2', '/tools/f': 'f 0750 0:0 2', '/tools/sub/g': 'f 0750 0:0 2', '/added': 'f 0640 1:1 2' },
    }],
  },
  {
    name: 'copy-from-stages',
    builds: [{
      tag: 'corpus/copy-from-stages', stdout: 'built\nbuilt\nsecond\n',
      config: { Env: [PATH], Entrypoint: ['/bin/busybox'], Cmd: ['cat', '/app/artifact', '/app/link', '/second'] },
      files: { '/app/link': 'l 0777 0:0 - -> artifact', '/app/empty': 'd 0755 0:0 -', '/second': 'f 0644 0:0 7', '/out': null },
    }],
  },
  {
    name: 'add-archive',
    prepare: writeBundle,
    builds: [{
      tag: 'corpus/add-archive',
      stdout: [
        'added', 'added/plain.txt', 'copied', 'copied/bundle.tar.gz', 'unpacked', 'unpacked-noslash', 'unpacked-noslash/pkg',
        'unpacked-noslash/pkg/bin.sh', 'unpacked-noslash/pkg/conf', 'unpacked-noslash/pkg/link', 'unpacked/pkg', 'unpacked/pkg/bin.sh',
        'unpacked/pkg/conf', 'unpacked/pkg/link', 'conf', '',
      ].join('\n'),
      files: {
        '/unpacked/pkg': 'd 0755 1000:1000 -', '/unpacked/pkg/bin.sh': 'f 0755 1000:1000 19', '/unpacked/pkg/conf': 'f 0640 1000:1000 5',
        '/unpacked/pkg/link': 'l 0777 1000:1000 - -> bin.sh', '/unpacked-noslash/pkg/conf': 'f 0640 1000:1000 5', '/added/plain.txt': 'f 0644 0:0 6',
      },
    }],
  },
  {
    name: 'healthcheck',
    builds: [
      {
        tag: 'corpus/healthcheck:probe', target: 'probe', run: false,
        config: {
          'Healthcheck.Test': ['CMD-SHELL', 'test -f /tmp/ok || exit 1'],
          'Healthcheck.Interval': 5e9, 'Healthcheck.Timeout': 2e9, 'Healthcheck.StartPeriod': 1e9, 'Healthcheck.Retries': 4,
        },
      },
      { tag: 'corpus/healthcheck:exec-form', target: 'exec-form', run: false, config: { 'Healthcheck.Test': ['CMD', 'true'], 'Healthcheck.Interval': 90e9 } },
      { tag: 'corpus/healthcheck', run: false, config: { 'Healthcheck.Test': ['NONE'] } },
    ],
  },
  {
    name: 'onbuild',
    builds: [
      {
        tag: 'corpus/onbuild-base', file: 'Dockerfile.base', run: false,
        config: { OnBuild: ['ARG WHO=child', 'COPY greeting.txt /app/', 'RUN echo "built for $WHO" > /app/onbuild.out', 'ENV FROM_TRIGGER=yes'] },
      },
      {
        tag: 'corpus/onbuild', stdout: 'greeting from the child context\nbuilt for child\n',
        config: { OnBuild: null, Env: [PATH, 'FROM_TRIGGER=yes', 'AFTER=triggers'] },
      },
    ],
  },
  {
    name: 'escape-backtick',
    builds: [{
      tag: 'corpus/escape-backtick', stdout: 'backslash\\kept C:\\Users\\corpus\nline-two\n',
      config: { Env: [PATH, 'WINPATH=C:\\Users\\corpus', 'NEXT=value'], Labels: { quoted: 'a "quoted" word' } },
      files: { '/a.txt': 'f 0644 0:0 2' },
    }],
  },
  {
    name: 'continuations',
    builds: [{
      tag: 'corpus/continuations', stdout: 'one two three\n',
      config: { Env: [PATH, 'X=1', 'Y= and two'], Labels: { a: '1', b: '2' } },
    }],
  },
  {
    name: 'target',
    builds: [{ tag: 'corpus/target', target: 'wanted', stdout: 'first\nwanted\n', files: { '/first': 'f 0644 0:0 6', '/wanted': 'f 0644 0:0 7' } }],
  },
];
