import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile, jsonForm, splitWords, keyValuePairs } from './dockerfile.js';

test('stages, names, meta ARGs, flags, continuation lines with comments, heredocs', () => {
  const df = parseDockerfile([
    'ARG BASE=busybox',
    'FROM ${BASE} AS Build',
    'COPY --chown=1:2 --from=x a b',
    'RUN echo a \\',
    '# a comment inside',
    '  b',
    'RUN <<EOF',
    'echo one',
    'EOF',
    'FROM build',
  ].join('\n'));
  assert.equal(df.metaArgs.length, 1);
  assert.deepEqual(df.stages.map((s) => [s.name, s.base]), [['build', '${BASE}'], ['', 'build']]);
  const [copy, run, here] = df.stages[0]?.instructions ?? [];
  assert.deepEqual([...(copy?.flags ?? [])], [['chown', ['1:2']], ['from', ['x']]]);
  assert.equal(copy?.args, 'a b');
  assert.equal(copy?.original, 'COPY --chown=1:2 --from=x a b');
  assert.equal(run?.args, 'echo a   b');
  assert.equal(run?.line, 4);
  assert.deepEqual(here?.heredocs, [{ name: 'EOF', chomp: false, quoted: false, content: 'echo one\n' }]);
});

test('errors name the line: unknown instruction, unknown flag, nothing before FROM but ARG, bad stage name', () => {
  assert.throws(() => parseDockerfile('FROM busybox\nFOO bar\n'), /line 2: unknown instruction: FOO/);
  assert.throws(() => parseDockerfile('FROM busybox\nRUN --nope echo\n'), /line 2: unknown flag: nope/);
  assert.throws(() => parseDockerfile('RUN echo\nFROM busybox\n'), /line 1: no build stage in current context/);
  assert.throws(() => parseDockerfile('FROM busybox AS 1x\n'), /invalid name for build stage/);
  assert.throws(() => parseDockerfile('# just a comment\n'), /cannot be empty/);
});

test('JSON form only for arrays of strings; words keep quotes; key=value pairs and the legacy form', () => {
  assert.deepEqual(jsonForm('["a", "b c"]'), ['a', 'b c']);
  assert.equal(jsonForm('[1, 2]'), undefined);
  assert.equal(jsonForm('[not json'), undefined);
  assert.deepEqual(splitWords('a="b c" d\\ e \'f g\'', '\\'), ['a="b c"', 'd\\ e', "'f g'"]);
  const ins = (args: string) => ({ keyword: 'ENV', args, flags: new Map(), line: 1, original: '', heredocs: [] });
  assert.deepEqual(keyValuePairs(ins('A=1 B="two words"'), '\\'), [['A', '1'], ['B', '"two words"']]);
  assert.deepEqual(keyValuePairs(ins('KEY some value'), '\\'), [['KEY', 'some value']]);
});

test('continuations drop indented comments and empty lines, as docker does', () => {
  const df = parseDockerfile('FROM busybox\nRUN echo one \\\n    two \\\n  # an indented comment\n\n    three > /out\nENV A=1\n');
  assert.equal(df.stages[0]?.instructions[0]?.args, 'echo one     two     three > /out');
  assert.equal(df.stages[0]?.instructions[1]?.args, 'A=1');
});
