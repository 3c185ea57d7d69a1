import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError } from '../errdefs/index.js';
import { processWord, processWords, processWordWithMatches } from './shell-word.js';

// BuildKit's frontend/dockerfile/shell/envVarTest (Unix rows), env PWD=/home SHELL=bash KOREAN=한국어 NULL=.
// `${` is written `$\{` here because this is a template literal.
const ENV_VAR_TEST = String.raw`
hello                    |     hello
he'll'o                  |     hello
he'llo                   |     error
he\'llo                  |     he'llo
he\\'llo                 |     error
abc\tdef                 |     abctdef
"abc\tdef"               |     abc\tdef
"abc\\tdef"              |     abc\tdef
'abc\tdef'               |     abc\tdef
hello\                   |     hello
hello\\                  |     hello\
"hello                   |     error
"hello\"                 |     error
"hel'lo"                 |     hel'lo
'hello                   |     error
'hello\'                 |     hello\
'hello\there'            |     hello\there
'hello\\there'           |     hello\\there
"''"                     |     ''
$.                       |     $.
he$1x                    |     hex
he$.x                    |     he$.x
he$pwd.                  |     he.
he$PWD                   |     he/home
he\$PWD                  |     he$PWD
he\\$PWD                 |     he\/home
"he\$PWD"                |     he$PWD
"he\\$PWD"               |     he\/home
\$\{}                     |     $\{}
\$\{}aaa                  |     $\{}aaa
he\$\{}                   |     he$\{}
he\$\{}xx                 |     he$\{}xx
$\{}                      |     error
$\{}aaa                   |     error
he$\{}                    |     error
he$\{}xx                  |     error
he$\{hi}                  |     he
he$\{hi}xx                |     hexx
he$\{PWD}                 |     he/home
he$\{.}                   |     error
he$\{XXX:-000}xx          |     he000xx
he$\{PWD:-000}xx          |     he/homexx
he$\{XXX:-$PWD}xx         |     he/homexx
he$\{XXX:-$\{PWD:-yyy}}xx  |     he/homexx
he$\{XXX:-$\{YYY:-yyy}}xx  |     heyyyxx
he$\{XXX:YYY}             |     error
he$\{XXX?}                |     error
he$\{XXX:?}               |     error
he$\{PWD?}                |     he/home
he$\{PWD:?}               |     he/home
he$\{NULL?}               |     he
he$\{NULL:?}              |     error
he$\{XXX:+$\{PWD}}xx       |     hexx
he$\{PWD:+$\{XXX}}xx       |     hexx
he$\{PWD:+$\{SHELL}}xx     |     hebashxx
he$\{XXX:+000}xx          |     hexx
he$\{PWD:+000}xx          |     he000xx
'he$\{XX}'                |     he$\{XX}
"he$\{PWD}"               |     he/home
"he'$PWD'"               |     he'/home'
"$PWD"                   |     /home
'$PWD'                   |     $PWD
'\$PWD'                  |     \$PWD
'"hello"'                |     "hello"
he\$PWD                  |     he$PWD
"he\$PWD"                |     he$PWD
'he\$PWD'                |     he\$PWD
he$\{PWD                  |     error
he$\{PWD:=000}xx          |     error
he$\{PWD:+$\{PWD}:}xx      |     he/home:xx
he$\{XXX:-\$PWD:}xx       |     he$PWD:xx
he$\{XXX:-\$\{PWD}z}xx     |     he$\{PWDz}xx
안녕하세요                 |     안녕하세요
안'녕'하세요               |     안녕하세요
안'녕하세요                |     error
안녕\'하세요               |     안녕'하세요
안\\'녕하세요              |     error
안녕\t하세요               |     안녕t하세요
"안녕\t하세요"             |     안녕\t하세요
'안녕\t하세요              |     error
안녕하세요\                |     안녕하세요
안녕하세요\\               |     안녕하세요\
"안녕하세요                |     error
"안녕하세요\"              |     error
"안녕'하세요"              |     안녕'하세요
'안녕하세요                |     error
'안녕하세요\'              |     안녕하세요\
안녕$1x                    |     안녕x
안녕$.x                    |     안녕$.x
안녕$pwd.                  |     안녕.
안녕$PWD                   |     안녕/home
안녕\$PWD                  |     안녕$PWD
안녕\\$PWD                 |     안녕\/home
안녕\$\{}                   |     안녕$\{}
안녕\$\{}xx                 |     안녕$\{}xx
안녕$\{}                    |     error
안녕$\{}xx                  |     error
안녕$\{hi}                  |     안녕
안녕$\{hi}xx                |     안녕xx
안녕$\{PWD}                 |     안녕/home
안녕$\{.}                   |     error
안녕$\{XXX:-000}xx          |     안녕000xx
안녕$\{PWD:-000}xx          |     안녕/homexx
안녕$\{XXX:-$PWD}xx         |     안녕/homexx
안녕$\{XXX:-$\{PWD:-yyy}}xx  |     안녕/homexx
안녕$\{XXX:-$\{YYY:-yyy}}xx  |     안녕yyyxx
안녕$\{XXX:YYY}             |     error
안녕$\{XXX:+$\{PWD}}xx       |     안녕xx
안녕$\{PWD:+$\{XXX}}xx       |     안녕xx
안녕$\{PWD:+$\{SHELL}}xx     |     안녕bashxx
안녕$\{XXX:+000}xx          |     안녕xx
안녕$\{PWD:+000}xx          |     안녕000xx
'안녕$\{XX}'                |     안녕$\{XX}
"안녕$\{PWD}"               |     안녕/home
"안녕'$PWD'"               |     안녕'/home'
'"안녕"'                   |     "안녕"
안녕\$PWD                  |     안녕$PWD
"안녕\$PWD"                |     안녕$PWD
'안녕\$PWD'                |     안녕\$PWD
안녕$\{PWD                  |     error
안녕$\{PWD:=000}xx          |     error
안녕$\{PWD:+$\{PWD}:}xx      |     안녕/home:xx
안녕$\{XXX:-\$PWD:}xx       |     안녕$PWD:xx
안녕$\{XXX:-\$\{PWD}z}xx     |     안녕$\{PWDz}xx
$KOREAN                    |     한국어
안녕$KOREAN                |     안녕한국어
$\{{aaa}                   |     error
$\{aaa}}                   |     }
$\{aaa                     |     error
$\{{aaa:-bbb}              |     error
$\{aaa:-bbb}}              |     bbb}
$\{aaa:-bbb                |     error
$\{aaa:-bbb}               |     bbb
$\{aaa:-$\{bbb:-ccc}}       |     ccc
$\{aaa:-bbb $\{foo}         |     error
$\{aaa:-bbb {foo}          |     bbb {foo
$\{:}                      |     error
$\{:-bbb}                  |     error
$\{:+bbb}                  |     error
$1                        |
$\{1}                      |
$\{1:+bbb}                 |
$\{1:-bbb}                 |     bbb
$9                        |
$\{9:-bbb}                 |     bbb
$999                      |
$\{999}                    |
$\{999:+bbb}               |
$\{999:-bbb}               |     bbb
$999aaa                   |     aaa
$\{999}aaa                 |     aaa
$\{999:+bbb}aaa            |     aaa
$\{999:-bbb}aaa            |     bbbaaa
$001                      |
$\{001}                    |
$\{001:+bbb}               |
$\{001:-bbb}               |     bbb
$001aaa                   |     aaa
$\{001}aaa                 |     aaa
$\{001:+bbb}aaa            |     aaa
$\{001:-bbb}aaa            |     bbbaaa
$@                        |
$\{@}                      |
$\{@:+bbb}                 |
$\{@:-bbb}                 |     bbb
$@@@                      |     @@
$@aaa                     |     aaa
$\{@}aaa                   |     aaa
$\{@:+bbb}aaa              |     aaa
$\{@:-bbb}aaa              |     bbbaaa
$*                        |
$\{*}                      |
$\{*:+bbb}                 |
$\{*:-bbb}                 |     bbb
$#                        |
$\{#}                      |
$\{#:+bbb}                 |
$\{#:-bbb}                 |     bbb
$?                        |
$\{?}                      |
$\{?:+bbb}                 |
$\{?:-bbb}                 |     bbb
$-                        |
$\{-}                      |
$\{-:+bbb}                 |
$\{-:-bbb}                 |     bbb
$$                        |
$\{$}                      |
$\{$:+bbb}                 |
$\{$:-bbb}                 |     bbb
$!                        |
$\{!}                      |
$\{!:+bbb}                 |
$\{!:-bbb}                 |     bbb
$0                        |
$\{0}                      |
$\{0:+bbb}                 |
$\{0:-bbb}                 |     bbb
`.replaceAll('$\\{', '${');

const ENV = { PWD: '/home', SHELL: 'bash', KOREAN: '한국어', NULL: '' };

test('every row of BuildKit\'s envVarTest gives the same word or an error', () => {
  const rows = ENV_VAR_TEST.split('\n').filter((l) => l.trim() !== '');
  assert.ok(rows.length > 190, `${rows.length} rows`);
  for (const row of rows) {
    const [source = '', expected = ''] = row.split('|').map((s) => s.trim());
    if (expected === 'error') {
      assert.throws(() => processWord(source, ENV), InvalidParameterError, `input: ${source}`);
    } else {
      assert.equal(processWord(source, ENV), expected, `input: ${source}`);
    }
  }
});

test('a Map works as the environment, like a record', () => {
  const env = new Map(Object.entries(ENV));
  assert.equal(processWord('he${XXX:-$PWD}xx', env), 'he/homexx');
  assert.equal(processWord('${constructor}${toString:-x}', {}), 'x');
});

test('processWords splits on unquoted whitespace, including whitespace from expansions (wordsTest)', () => {
  const env = { hi: 'hi', space: 'abc  def', leading: '  ab c', trailing: 'ab c   ' };
  const cases: [string, string[]][] = [
    ['hello', ['hello']],
    ['hello${none}bye', ['hellobye']],
    ['hello${hi}bye', ['hellohibye']],
    ['hello${space}bye', ['helloabc', 'defbye']],
    ['hello"${space}"bye', ['helloabc  defbye']],
    ['hello "${space}"bye', ['hello', 'abc  defbye']],
    ['hello${leading}def', ['hello', 'ab', 'cdef']],
    ['hello"${leading}" def', ['hello  ab c', 'def']],
    ['hello"${leading}"', ['hello  ab c']],
    ['hello${leading}', ['hello', 'ab', 'c']],
    ['hello${trailing}', ['helloab', 'c']],
    ['hello${trailing}d', ['helloab', 'c', 'd']],
    ['hello"${trailing}"d', ['helloab c   d']],
    ['hel"lo${trailing}"', ['helloab c   ']],
    ['hello" there  "', ['hello there  ']],
    ['hello there     ', ['hello', 'there']],
    ['hello\\ there', ['hello there']],
    ['hello\\" there', ['hello"', 'there']],
    ['hello"\\\\there"', ['hello\\there']],
    ['hello"\\there"', ['hello\\there']],
    ["hello'\\\\there'", ['hello\\\\there']],
    ["hello'\\there'", ['hello\\there']],
    ["hello'$there'", ['hello$there']],
    ['  80/tcp   443 ', ['80/tcp', '443']],
    ["a '' b", ['a', 'b']],
  ];
  for (const [input, expected] of cases) assert.deepEqual(processWords(input, env), expected, input);
  assert.throws(() => processWords('hello" there', env), InvalidParameterError);
});

test('processWords keeps the start of a word in front of a ${VAR:-default}', () => {
  assert.deepEqual(processWords('80/${PROTO:-tcp} 9000', {}), ['80/tcp', '9000']);
  assert.deepEqual(processWords('a${X:-b c}d', {}), ['ab', 'cd']);
});

test('processWords keeps a heredoc marker and its blanks as one word', () => {
  assert.deepEqual(processWords('cat << EOF', {}), ['cat', '<< EOF']);
  assert.deepEqual(processWords('a<b', {}), ['a<b']);
});

test('${VAR?msg} and ${VAR:?msg} fail with docker\'s messages', () => {
  const noEmpty = '${VAR:?message here$ARG}';
  const noUnset = '${VAR?message here$ARG}';
  assert.equal(processWord(noEmpty, { VAR: 'plain', ARG: 'x' }), 'plain');
  assert.throws(() => processWord(noEmpty, { VAR: '', ARG: 'x' }),
    { message: 'failed to process "${VAR:?message here$ARG}": VAR: message herex' });
  assert.throws(() => processWord(noEmpty, { ARG: 'x' }), /VAR: message herex$/);
  assert.equal(processWord(noUnset, { VAR: 'plain', ARG: 'x' }), 'plain');
  assert.equal(processWord(noUnset, { VAR: '', ARG: 'x' }), '');
  assert.throws(() => processWord(noUnset, { ARG: 'x' }), /VAR: message herex$/);
  assert.throws(() => processWord('${X?}', {}), { message: 'failed to process "${X?}": X: is not allowed to be unset' });
  assert.throws(() => processWord('${X:?}', { X: '' }), { message: 'failed to process "${X:?}": X: is not allowed to be empty' });
});

test('syntax errors carry lex.go\'s texts', () => {
  const msg = (w: string): string => {
    try {
      processWord(w, {});
    } catch (err) {
      assert.ok(err instanceof InvalidParameterError);
      return err.message;
    }
    throw new Error(`no error for ${w}`);
  };
  assert.equal(msg('${}'), 'failed to process "${}": syntax error: bad substitution');
  assert.equal(msg('${'), 'failed to process "${": syntax error: missing \'}\'');
  assert.equal(msg('${a:-b'), 'failed to process "${a:-b": syntax error: missing \'}\'');
  assert.equal(msg('${a=b}'), 'failed to process "${a=b}": unsupported modifier (=) in substitution');
  assert.equal(msg('${a:=b}'), 'failed to process "${a:=b}": unsupported modifier (:=) in substitution');
  assert.equal(msg('${a:#b}'), 'failed to process "${a:#b}": unsupported modifier (:#) in substitution');
  assert.equal(msg('${a'), 'failed to process "${a": unsupported modifier (\uFFFD) in substitution');
  assert.equal(msg("'a"), 'failed to process "\'a": unexpected end of statement while looking for matching single-quote');
  assert.equal(msg('"a'), 'failed to process "\\"a": unexpected end of statement while looking for matching double-quote');
  assert.equal(msg('${a//b}'), 'failed to process "${a//b}": syntax error: missing \'/\' in ${}');
  assert.equal(msg('${a#\\x}'), 'failed to process "${a#\\\\x}": invalid pattern (\\x) in substitution: invalid escape \'\\x\'');
});

test('processWordWithMatches reports set and unset variables (TestProcessWithMatches)', () => {
  type Case = [input: string, env: Record<string, string>, expected: string | Error, matched?: string[], unmatched?: string[]];
  const E = new Error('error');
  const FB = { FOO: 'xxx', BAR: '' };
  const cases: Case[] = [
    ['x', { DUMMY: 'dummy' }, 'x', [], []],
    ['x ${UNUSED}', { DUMMY: 'dummy' }, 'x ', [], ['UNUSED']],
    ['x ${FOO}', { FOO: 'y' }, 'x y', ['FOO'], []],
    ['${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}', FB, 'xxx  ccc', ['FOO', 'BAR'], ['BAZ']],
    ['${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}', FB, 'xxx bbb ccc', ['FOO', 'BAR'], ['BAZ']],
    ['${FOO:-}', FB, 'xxx', ['FOO'], []],
    ['${FOO:-}', {}, '', [], ['FOO']],
    ['${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}', FB, 'aaa bbb ', ['FOO', 'BAR'], ['BAZ']],
    ['${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}', FB, 'aaa  ', ['FOO', 'BAR'], ['BAZ']],
    ['${FOO?aaa}', FB, 'xxx', ['FOO'], []],
    ['${BAR?bbb}', FB, '', ['BAR'], []],
    ['${BAZ?ccc}', FB, E],
    ['${FOO:?aaa}', FB, 'xxx', ['FOO'], []],
    ['${BAR:?bbb}', FB, E],
    ['${BAZ:?ccc}', FB, E],
    ['${BAZ:?}', FB, E],
    ['${FOO=aaa}', FB, E],
    ['${FOO=:aaa}', FB, E],
    ['${FOO=}', {}, E],
    ['${FOO#()[]{\\}^$.\\*\\?|\\\\}', { FOO: '()[]{}^$.*?|\\x' }, 'x', ['FOO'], []],
    ['${FOO%%\\**}', { FOO: 'xx**' }, 'xx', ['FOO'], []],
    ['${FOO#*x*y}', { FOO: 'xxyy' }, 'y', ['FOO'], []],
    ['${FOO#*}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
    ['${FOO#$BAR}', { FOO: 'xxyy', BAR: 'x' }, 'xyy', ['FOO', 'BAR'], []],
    ['${FOO#$BAR}', { FOO: 'xxyy', BAR: '' }, 'xxyy', ['FOO', 'BAR'], []],
    ['${FOO#}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
    ['${FOO##*x}', { FOO: 'xxyy' }, 'yy', ['FOO'], []],
    ['${FOO##}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
    ['${FOO#?\\?}', { FOO: '???y' }, '?y', ['FOO'], []],
    ['${ABC:-.}${FOO%x}${ABC:-.}', { FOO: 'xxyy' }, '.xxyy.', ['FOO'], ['ABC']],
    ['${FOO%%\\**\\*}', { FOO: 'a***yy*' }, 'a', ['FOO'], []],
    ['${FOO%}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
    ['${FOO%%$BAR}', { FOO: 'xxyy', BAR: '' }, 'xxyy', ['FOO', 'BAR'], []],
    ['${FOO:#}', {}, E],
    ['${FOO:##}', {}, E],
    ['${FOO:%}', {}, E],
    ['${FOO:%%}', {}, E],
    ['${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}', { FOO: '/foo*/*/*.txt', NEEDLE: '\\*/' }, '/foo.*/*.txt - /foo..*.txt', ['FOO', 'NEEDLE'], []],
    ['${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}', { FOO: '/tmp/tmp/bar.txt', NEEDLE: '/tmp' }, '/tmp/bar.txt - /bar.txt', ['FOO', 'NEEDLE'], []],
    ['${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}', { FOO: '/a/foo/b/c.txt', NEEDLE: '/?/', REPLACEMENT: '/' },
      '/foo/b/c.txt - /foo/c.txt', ['FOO', 'NEEDLE', 'REPLACEMENT'], []],
    ['${FOO/$NEEDLE/$REPLACEMENT}', { FOO: 'http://google.de', NEEDLE: 'http://', REPLACEMENT: 'https://' },
      'https://google.de', ['FOO', 'NEEDLE', 'REPLACEMENT'], []],
    ['${FOO//\\//\\/}', { FOO: '/tmp/foo.txt' }, '\\/tmp\\/foo.txt', ['FOO'], []],
    ['${FOO/$BAR/ww}', { FOO: 'xxyy', BAR: '' }, 'wwxxyy', ['FOO', 'BAR'], []],
    ['${FOO//ww}', { FOO: 'xxyy' }, E],
    ['${FOO//}', { FOO: 'xxyy' }, E],
    ['${FOO///}', { FOO: 'xxyy' }, 'xxyy', ['FOO'], []],
    ['${FOO///}', {}, '', [], ['FOO']],
  ];
  for (const [input, env, expected, matched = [], unmatched = []] of cases) {
    if (expected instanceof Error) {
      assert.throws(() => processWordWithMatches(input, env), InvalidParameterError, input);
      continue;
    }
    const r = processWordWithMatches(input, env);
    assert.equal(r.result, expected, input);
    assert.deepEqual([...r.matched].sort(), [...matched].sort(), input);
    assert.deepEqual([...r.unmatched].sort(), [...unmatched].sort(), input);
    assert.deepEqual([...r.used].sort(), [...matched, ...unmatched].sort(), input);
  }
});

test('the release-file name example of TestProcessWithMatchesPlatform expands with and without a variant', () => {
  const release = 'something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz';
  const base = { VERSION: 'v1.2.3', TARGETOS: 'linux' };
  assert.equal(processWord(release, { ...base, TARGETARCH: 'arm', TARGETVARIANT: 'v7' }), 'something-v1.2.3.linux-arm-v7.tar.gz');
  assert.equal(processWord(release, { ...base, TARGETARCH: 'arm64', TARGETVARIANT: '' }), 'something-v1.2.3.linux-arm64.tar.gz');
  assert.equal(processWord(release, { ...base, TARGETARCH: 'arm64' }), 'something-v1.2.3.linux-arm64.tar.gz');
});

test('# and % trims, shortest and longest, match shell patterns', () => {
  const env = { P: '/usr/local/bin/tool.tar.gz' };
  assert.equal(processWord('${P#*/}', env), 'usr/local/bin/tool.tar.gz');
  assert.equal(processWord('${P##*/}', env), 'tool.tar.gz');
  assert.equal(processWord('${P%.*}', env), '/usr/local/bin/tool.tar');
  assert.equal(processWord('${P%%.*}', env), '/usr/local/bin/tool');
  assert.equal(processWord('${P%/*}', env), '/usr/local/bin');
  assert.equal(processWord('${P#/usr}', env), '/local/bin/tool.tar.gz');
  assert.equal(processWord('${P#nomatch}', env), env.P);
  assert.equal(processWord('${UNSET#x}', env), '');
  assert.equal(processWord('${P%%\\}}', { P: 'a}}' }), 'a}');
});

test('${VAR//p/r} replaces like Go\'s ReplaceAllString: $0 is the match, $$ a dollar', () => {
  assert.equal(processWord('${V//o/0}', { V: 'foo boo' }), 'f00 b00');
  assert.equal(processWord('${V/o/0}', { V: 'foo boo' }), 'f0o boo');
  assert.equal(processWord('${V//o/[\\$0]}', { V: 'foo' }), 'f[\\o][\\o]');
  assert.equal(processWord('${V//*/-}', { V: 'abc' }), '-');
  assert.equal(processWord('${V//?/-}', { V: 'héllo' }), '-----');
  assert.equal(processWord('${V/(/[}', { V: 'f(x)' }), 'f[x)');
});

test('a backtick escape token escapes like \\ does, and \\ becomes literal', () => {
  assert.equal(processWord('C:\\path\\$X', { X: 'y' }, '`'), 'C:\\path\\y');
  assert.equal(processWord('a`$X', { X: 'y' }, '`'), 'a$X');
  assert.equal(processWord('"a`"b"', {}, '`'), 'a"b');
  assert.equal(processWord('"a\\"', {}, '`'), 'a\\');
  assert.deepEqual(processWords('a` b c', {}, '`'), ['a b', 'c']);
  assert.throws(() => processWord('x', {}, 'ab'), InvalidParameterError);
});

test('options: rawQuotes and rawEscapes keep the characters, skipUnsetEnv leaves unset references', () => {
  assert.equal(processWord('"a" \'b\'', {}, { rawQuotes: true }), '"a" \'b\'');
  assert.equal(processWord('a\\ b', {}, { rawEscapes: true }), 'a\\ b');
  assert.equal(processWord('$A ${B} ${C:-x} ${D/a/b} $E', { E: 'e' }, { skipUnsetEnv: true }), '$A ${B} ${C:-x} ${D/a/b} e');
  assert.equal(processWord('"$A"', {}, { skipProcessQuotes: true }), '""');
});
