import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError } from '../../errdefs/index.js';
import { parseTemplate } from './index.js';

const parseErrors: ReadonlyArray<[string, string]> = [
  ['{{.Foo', 'unclosed action'],
  ['{{end}}', 'unexpected {{end}}'],
  ['{{else}}', 'unexpected {{else}}'],
  ['{{if .X}}', 'unexpected EOF'],
  ['{{range .X}}a{{else}}b{{else}}c{{end}}', 'expected end; found {{else}}'],
  ['{{foo}}', 'function "foo" not defined'],
  ['{{.A | foo}}', 'function "foo" not defined'],
  ['{{$x}}', 'undefined variable "$x"'],
  ['{{$x = 1}}', 'undefined variable "$x"'],
  ['{{if true}}{{$y := 1}}{{end}}{{$y}}', 'undefined variable "$y"'],
  ['{{"abc}}', 'unterminated quoted string'],
  ['{{`abc}}', 'unterminated raw quoted string'],
  ["{{'ab'}}", 'malformed character constant: \'ab\''],
  ['{{"\\q"}}', 'invalid syntax'],
  ['{{}}', 'missing value for command'],
  ['{{if}}{{end}}', 'missing value for if'],
  ['{{range}}{{end}}', 'missing value for range'],
  ['{{break}}', '{{break}} outside {{range}}'],
  ['{{continue}}', '{{continue}} outside {{range}}'],
  ['{{!}}', 'unexpected "!" in command'],
  ['{{3x}}', 'bad number syntax: "3x"'],
  ['{{1 | 2}}', 'non executable command in pipeline stage 2'],
  ['{{(.A}}', 'unclosed left paren'],
  ['{{.A)}}', 'unexpected right paren'],
  ['{{/* x }}', 'unclosed comment'],
  ['{{/* x */ .A}}', 'comment ends before closing delimiter'],
  ['{{"a".B}}', 'unexpected . after term "\\"a\\""'],
  ['{{range $a, $b, $c := .}}{{end}}', 'too many declarations in range'],
  ['{{$a, $b := 1}}', 'too many declarations in command'],
  ['{{template .X}}', 'unexpected ".X" in template clause'],
  ['a\nb\n{{.X', 'unclosed action'],
];

for (const [src, reason] of parseErrors) {
  test(`parsing ${JSON.stringify(src)} fails with "${reason}"`, () => {
    assert.throws(() => parseTemplate(src), (err: unknown) => {
      assert.ok(err instanceof InvalidParameterError);
      assert.match(err.message, /^template parsing error: template: :\d+: /);
      assert.equal(err.message.replace(/^template parsing error: template: :\d+: /, ''), reason);
      return true;
    });
  });
}

test('a parse error names the line of the failing token', () => {
  assert.throws(() => parseTemplate('line1\nline2 {{.A}}\n{{foo}}'), {
    message: 'template parsing error: template: :3: function "foo" not defined',
  });
});

test('trim markers need a space: {{-3}} is the number minus three', () => {
  assert.equal(parseTemplate('a {{-3}} b').execute({}), 'a -3 b');
  assert.equal(parseTemplate('a {{- 3 -}} b').execute({}), 'a3b');
});

test('actions may span lines and variables persist to the end of their block', () => {
  const t = parseTemplate('{{$n := 0}}{{range .}}{{$n = .}}{{end}}{{\n  $n\n}}');
  assert.equal(t.execute([1, 2, 3]), '3');
});
