import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidParameterError } from '../../errdefs/index.js';
import { cleanPath, parseDockerignore, PatternMatcher, walkContext } from './index.js';

const excluded = (patterns: string[], path: string): boolean => new PatternMatcher(patterns).matches(path);

test('parseDockerignore follows ignorefile.ReadAll: comments, trimming, cleaning, leading / removed', () => {
  const text = 'test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n';
  assert.deepEqual(parseDockerignore(text), ['test1', 'test2', 'a/file/here', 'lastfile', '!inverted/abs/path']);
  assert.deepEqual(parseDockerignore('\uFEFF# bom then comment\r\n./foo/ \r\n  bar//baz/../qux\t\n  # not a comment\n'),
    ['foo', 'bar/qux', '# not a comment']);
  assert.deepEqual(parseDockerignore('/\n!/\n../x\n**/\n'), ['/', '!/', '../x', '**']);
  assert.deepEqual(parseDockerignore(''), []);
});

test('a lone ! is rejected with docker\'s message, by the parser and by the matcher', () => {
  for (const text of ['foo\n!\n', '! \n']) {
    assert.throws(() => parseDockerignore(text), (err: unknown) =>
      err instanceof InvalidParameterError && err.message === 'illegal exclusion pattern: "!"');
  }
  assert.throws(() => new PatternMatcher(['!']), InvalidParameterError);
});

test('cleanPath is Go\'s path.Clean', () => {
  const cases: [string, string][] = [
    ['', '.'], ['.', '.'], ['./', '.'], ['a/./b', 'a/b'], ['a//b/', 'a/b'], ['a/../..', '..'], ['/..', '/'],
    ['/a/../../b', '/b'], ['../../a', '../../a'], ['a/b/../../../c', '../c'], ['/', '/'],
  ];
  for (const [input, want] of cases) assert.equal(cleanPath(input), want, input);
});

test('the examples of docker\'s .dockerignore documentation', () => {
  // */temp*: one level down only
  assert.equal(excluded(['*/temp*'], 'somedir/temporary.txt'), true);
  assert.equal(excluded(['*/temp*'], 'somedir/temp'), true);
  assert.equal(excluded(['*/temp*'], 'somedir/temp/inner/file'), true);
  assert.equal(excluded(['*/temp*'], 'temp.txt'), false);
  assert.equal(excluded(['*/temp*'], 'a/b/temp.txt'), false);
  // */*/temp*: two levels down
  assert.equal(excluded(['*/*/temp*'], 'somedir/subdir/temporary.txt'), true);
  assert.equal(excluded(['*/*/temp*'], 'somedir/temporary.txt'), false);
  // temp?: one character, root only
  assert.equal(excluded(['temp?'], 'tempa'), true);
  assert.equal(excluded(['temp?'], 'tempb'), true);
  assert.equal(excluded(['temp?'], 'temp'), false);
  assert.equal(excluded(['temp?'], 'tempab'), false);
  assert.equal(excluded(['temp?'], 'dir/tempa'), false);
  // **/*.go: any depth, including the root
  assert.equal(excluded(['**/*.go'], 'main.go'), true);
  assert.equal(excluded(['**/*.go'], 'cmd/x/main.go'), true);
  assert.equal(excluded(['**/*.go'], 'main.go.txt'), false);
  // *.md with an exception
  assert.equal(excluded(['*.md', '!README.md'], 'README.md'), false);
  assert.equal(excluded(['*.md', '!README.md'], 'CHANGES.md'), true);
  // the last matching line wins
  const p1 = ['*.md', '!README*.md', 'README-secret.md'];
  assert.equal(excluded(p1, 'README-secret.md'), true);
  assert.equal(excluded(p1, 'README.md'), false);
  assert.equal(excluded(p1, 'README-public.md'), false);
  assert.equal(excluded(p1, 'other.md'), true);
  const p2 = ['*.md', 'README-secret.md', '!README*.md'];
  assert.equal(excluded(p2, 'README-secret.md'), false);
  assert.equal(excluded(p2, 'other.md'), true);
});

test('a pattern that matches a parent directory excludes everything beneath it', () => {
  assert.equal(excluded(['foo'], 'foo/bar/baz'), true);
  assert.equal(excluded(['foo/bar'], 'foo/bar/baz/qux'), true);
  assert.equal(excluded(['foo/bar'], 'foo/barbaz'), false);
  assert.equal(excluded(['f*'], 'foo/bar'), true);
  assert.equal(excluded(['foo'], 'x/foo'), false);
  assert.equal(excluded(['docs', '!docs/README.md'], 'docs/README.md'), false);
  assert.equal(excluded(['docs', '!docs/README.md'], 'docs/other.md'), true);
  assert.equal(excluded(['docs/*', '!docs/README.md'], 'docs/README.md'), false);
  assert.equal(excluded(['!fileutils.go', '*.go'], 'fileutils.go'), true);
  assert.equal(excluded(['*.go', '!fileutils.go'], 'fileutils.go'), false);
  assert.equal(excluded(['**', '!util/docker/web'], 'util/docker/web/foo'), false);
  assert.equal(excluded(['**', '!util/docker/web', 'util/docker/web/foo'], 'util/docker/web/foo'), true);
  assert.equal(excluded([], 'any/path'), false);
});

test('leading / and ./ in patterns name the same path as without', () => {
  for (const p of parseDockerignore('/foo\n./bar/\n.//baz/./x\n')) assert.equal(p.startsWith('/') || p.startsWith('.'), false);
  const m = new PatternMatcher(parseDockerignore('/foo\n./bar/\n'));
  assert.equal(m.matches('foo'), true);
  assert.equal(m.matches('bar/x'), true);
  assert.equal(m.matches('x/foo'), false);
});

// moby/patternmatcher TestMatches (single patterns; paths may have a trailing slash)
test('** matches any number of directories, including none (patternmatcher TestMatches)', () => {
  const cases: [string, string, boolean][] = [
    ['**', 'file', true], ['**', 'file/', true], ['**/', 'file', true], ['**/', 'file/', true], ['**', '/', true],
    ['**/', '/', true], ['**', 'dir/file', true], ['**/', 'dir/file', true], ['**', 'dir/file/', true],
    ['**/', 'dir/file/', true], ['**/**', 'dir/file', true], ['**/**', 'dir/file/', true], ['dir/**', 'dir/file', true],
    ['dir/**', 'dir/file/', true], ['dir/**', 'dir/dir2/file', true], ['dir/**', 'dir/dir2/file/', true],
    ['**/dir', 'dir', true], ['**/dir', 'dir/file', true], ['**/dir2/*', 'dir/dir2/file', true],
    ['**/dir2/*', 'dir/dir2/file/', true], ['**/dir2/**', 'dir/dir2/dir3/file', true],
    ['**/dir2/**', 'dir/dir2/dir3/file/', true], ['**file', 'file', true], ['**file', 'dir/file', true],
    ['**/file', 'dir/file', true], ['**file', 'dir/dir/file', true], ['**/file', 'dir/dir/file', true],
    ['**/file*', 'dir/dir/file', true], ['**/file*', 'dir/dir/file.txt', true], ['**/file*txt', 'dir/dir/file.txt', true],
    ['**/file*.txt', 'dir/dir/file.txt', true], ['**/file*.txt*', 'dir/dir/file.txt', true],
    ['**/**/*.txt', 'dir/dir/file.txt', true], ['**/**/*.txt2', 'dir/dir/file.txt', false], ['**/*.txt', 'file.txt', true],
    ['**/**/*.txt', 'file.txt', true], ['a**/*.txt', 'a/file.txt', true], ['a**/*.txt', 'a/dir/file.txt', true],
    ['a**/*.txt', 'a/dir/dir/file.txt', true], ['a/*.txt', 'a/dir/file.txt', false], ['a/*.txt', 'a/file.txt', true],
    ['a/*.txt**', 'a/file.txt', true], ['a[b-d]e', 'ae', false], ['a[b-d]e', 'ace', true], ['a[b-d]e', 'aae', false],
    ['a[^b-d]e', 'aze', true], ['.*', '.foo', true], ['.*', 'foo', false], ['abc.def', 'abcdef', false],
    ['abc.def', 'abc.def', true], ['abc.def', 'abcZdef', false], ['abc?def', 'abcZdef', true], ['abc?def', 'abcdef', false],
    ['a\\\\', 'a\\', true], ['**/foo/bar', 'foo/bar', true], ['**/foo/bar', 'dir/foo/bar', true],
    ['**/foo/bar', 'dir/dir2/foo/bar', true], ['abc/**', 'abc', false], ['abc/**', 'abc/def', true],
    ['abc/**', 'abc/def/ghi', true], ['**/.foo', '.foo', true], ['**/.foo', 'bar.foo', false],
    ['a(b)c/def', 'a(b)c/def', true], ['a(b)c/def', 'a(b)c/xyz', false], ['a.|)$(}+{bc', 'a.|)$(}+{bc', true],
    ['dist/*.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true], ['a\\*b', 'a*b', true],
    ['a/**/b', 'a/b', true], ['a/**/b', 'a/x/y/b', true], ['a/**/b', 'ab', false],
  ];
  for (const [pattern, path, want] of cases) assert.equal(excluded([pattern], path), want, `${pattern} ~ ${path}`);
});

test('**foo is a plain suffix match, as in moby (it matches barfoo)', () => {
  assert.equal(excluded(['**foo'], 'barfoo'), true);
  assert.equal(excluded(['**/foo'], 'barfoo'), false);
});

// Go's filepath.Match tests, as patternmatcher runs them
test('glob syntax is Go\'s filepath.Match: *, ?, classes, ranges, negation, escapes', () => {
  const cases: [string, string, boolean][] = [
    ['abc', 'abc', true], ['*', 'abc', true], ['*c', 'abc', true], ['a*', 'a', true], ['a*', 'abc', true],
    ['a*', 'ab/c', true], ['a*/b', 'abc/b', true], ['a*/b', 'a/c/b', false], ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true], ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false], ['a*b?c*x', 'abxbbxdbxebxczzx', true],
    ['a*b?c*x', 'abxbbxdbxebxczzy', false], ['ab[c]', 'abc', true], ['ab[b-d]', 'abc', true], ['ab[e-g]', 'abc', false],
    ['ab[^c]', 'abc', false], ['ab[^b-d]', 'abc', false], ['ab[^e-g]', 'abc', true], ['a\\*b', 'a*b', true],
    ['a\\*b', 'ab', false], ['a?b', 'a☺b', true], ['a[^a]b', 'a☺b', true], ['a???b', 'a☺b', false],
    ['a[^a][^a][^a]b', 'a☺b', false], ['[a-ζ]*', 'α', true], ['*[a-ζ]', 'A', false], ['a?b', 'a/b', false],
    ['a*b', 'a/b', false], ['[\\]a]', ']', true], ['[\\-]', '-', true], ['[x\\-]', 'x', true], ['[x\\-]', '-', true],
    ['[x\\-]', 'z', false], ['[\\-x]', 'x', true], ['[\\-x]', '-', true], ['[\\-x]', 'a', false], ['*x', 'xxx', true],
    ['a?b', 'a😀b', true], ['[!a]', '!', true], ['[!a]', 'b', false], ['x\\[y', 'x[y', true], ['a]b', 'a]b', true],
  ];
  for (const [pattern, path, want] of cases) assert.equal(excluded([pattern], path), want, `${pattern} ~ ${path}`);
});

test('malformed globs are rejected with Go\'s "syntax error in pattern"', () => {
  for (const p of ['[]a]', '[-]', '[x-]', '[-x]', '\\', '[a-b-c]', '[', '[^', '[^bc', 'a[', 'ok\n[']) {
    assert.throws(() => new PatternMatcher(p.split('\n')), { name: 'InvalidParameterError', message: 'syntax error in pattern' }, p);
  }
  // Passes filepath.Match but Go's regexp rejects the reversed range; moby fails on first use (moby/moby#52203).
  const m = new PatternMatcher(['[Local-Only]/']);
  assert.throws(() => m.matches('x'), { message: 'syntax error in pattern' });
});

test('a ^ outside a class is a regexp anchor in moby, so it only matches in literal patterns', () => {
  assert.equal(excluded(['a^b'], 'a^b'), true);
  assert.equal(excluded(['a^b*'], 'a^bc'), false);
});

test('patterns are trimmed and cleaned again by the matcher; exclusions() reports ! patterns', () => {
  const m = new PatternMatcher(['docs', '  !docs/README.md  ', '', 'x/']);
  assert.deepEqual(m.patterns, [
    { pattern: 'docs', exclusion: false }, { pattern: 'docs/README.md', exclusion: true }, { pattern: 'x', exclusion: false },
  ]);
  assert.equal(m.exclusions(), true);
  assert.equal(new PatternMatcher(['docs']).exclusions(), false);
});

test('mayMatchInside says when an excluded directory must still be walked', () => {
  assert.equal(new PatternMatcher(['node_modules']).mayMatchInside('node_modules'), false);
  const literal = new PatternMatcher(['*', '!keep/this/file', '!other/**']);
  assert.equal(literal.mayMatchInside('keep'), true);
  assert.equal(literal.mayMatchInside('keep/this'), true);
  assert.equal(literal.mayMatchInside('keep/that'), false);
  assert.equal(literal.mayMatchInside('other'), true);
  assert.equal(literal.mayMatchInside('unrelated'), false);
  const shallow = new PatternMatcher(['*', '!*.md']);
  assert.equal(shallow.mayMatchInside('docs'), false); // *.md only matches at the root
  const deep = new PatternMatcher(['*', '!*/*.md']);
  assert.equal(deep.mayMatchInside('docs'), true);
  assert.equal(deep.mayMatchInside('docs/sub'), false);
  const star = new PatternMatcher(['*', '!d?cs/*.md']);
  assert.equal(star.mayMatchInside('docs'), true);
  assert.equal(star.mayMatchInside('src'), false);
  assert.equal(new PatternMatcher(['*', '!**/keep']).mayMatchInside('any/where'), true);
  assert.equal(new PatternMatcher(['*', '![ab]/x']).mayMatchInside('c'), true); // classes: conservative
});

async function tree(t: { after: (fn: () => Promise<void>) => void }, files: Record<string, string | { link: string } | null>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'pier-dockerignore-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  for (const [rel, content] of Object.entries(files)) {
    const abs = join(root, rel);
    if (content === null) { await mkdir(abs, { recursive: true }); continue; }
    await mkdir(join(abs, '..'), { recursive: true });
    if (typeof content === 'string') await writeFile(abs, content);
    else await symlink(content.link, abs);
  }
  return root;
}

async function walk(root: string, patterns?: string): Promise<string[]> {
  const m = patterns === undefined ? undefined : new PatternMatcher(parseDockerignore(patterns));
  const out: string[] = [];
  for await (const e of walkContext(root, m)) out.push(e.kind === 'dir' ? `${e.rel}/` : e.kind === 'symlink' ? `${e.rel}@` : e.rel);
  return out;
}

test('walkContext yields everything in Go\'s WalkDir order without a matcher, symlinks unfollowed', async (t) => {
  const root = await tree(t, {
    'a.txt': '', 'a/b.txt': '', 'a/c/d': '', 'B': '', 'empty': null, 'link': { link: 'a' }, 'z\u{1F600}': '', 'z\uFFFD': '',
  });
  assert.deepEqual(await walk(root), ['B', 'a/', 'a/b.txt', 'a/c/', 'a/c/d', 'a.txt', 'empty/', 'link@', 'z\uFFFD', 'z\u{1F600}']);
});

test('walkContext skips excluded files and whole excluded directories', async (t) => {
  const root = await tree(t, {
    'Dockerfile': '', 'node_modules/x/index.js': '', 'src/a.go': '', 'src/a_test.go': '', 'src/tmp/junk': '', 'README.md': '',
  });
  assert.deepEqual(await walk(root, 'node_modules\n**/*_test.go\nsrc/tmp\n*.md\n'), ['Dockerfile', 'src/', 'src/a.go']);
});

test('walkContext re-includes ! exceptions inside an excluded directory and yields its parents first', async (t) => {
  const root = await tree(t, {
    'docs/README.md': '', 'docs/other.md': '', 'docs/sub/deep.md': '', 'vendor/a/keep.txt': '', 'vendor/a/drop.txt': '',
    'vendor/b/drop.txt': '', 'main.go': '',
  });
  assert.deepEqual(await walk(root, 'docs\n!docs/README.md\nvendor\n!vendor/a/keep.txt\n'),
    ['docs/', 'docs/README.md', 'main.go', 'vendor/', 'vendor/a/', 'vendor/a/keep.txt']);
  assert.deepEqual(await walk(root, '*\n!**/*.md\n'),
    ['docs/', 'docs/README.md', 'docs/other.md', 'docs/sub/', 'docs/sub/deep.md']);
  // exceptions that come first are overridden by the later exclusion
  assert.deepEqual(await walk(root, '!docs/README.md\ndocs\nvendor\nmain.go\n'), []);
});

test('walkContext stops when its signal is aborted', async (t) => {
  const root = await tree(t, { a: '', b: '' });
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(async () => { for await (const _ of walkContext(root, undefined, { signal: ac.signal })) { /* drain */ } });
});
