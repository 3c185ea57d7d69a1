import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError } from '../../errdefs/index.js';
import { headerFuncs, parseTemplate, renderTemplate } from './index.js';

const container = {
  Id: '0123456789abcdef',
  Name: '/web',
  Names: ['web'],
  Args: ['-c', 'sleep 1'],
  State: { Running: true, Pid: 42, Status: 'running', Health: null },
  Config: { Labels: { 'com.example.k': 'v', a: '1' }, Env: ['A=1', 'B=2'], Image: 'busybox' },
  Mounts: [{ Destination: '/data', RW: true }, { Destination: '/logs', RW: false }],
  NetworkSettings: { IPAddress: '172.17.0.2', Ports: {} },
  Size: 1000000,
  Ratio: 0.25,
};

const cases: ReadonlyArray<[string, string]> = [
  ['{{.Name}}', '/web'],
  ['{{.State.Running}}', 'true'],
  ['{{.State.Pid}}', '42'],
  ['{{.NetworkSettings.IPAddress}}', '172.17.0.2'],
  ['{{range .Mounts}}{{.Destination}} {{end}}', '/data /logs '],
  ['{{index .Config.Labels "com.example.k"}}', 'v'],
  ['{{if .State.Running}}up{{else}}down{{end}}', 'up'],
  ['{{if not .State.Running}}up{{else}}down{{end}}', 'down'],
  ['{{join .Args ","}}', '-c,sleep 1'],
  ['{{printf "%s" .Name}}', '/web'],
  ['{{printf "%s:%d" .Config.Image .State.Pid}}', 'busybox:42'],
  ['{{len .Mounts}}', '2'],
  ['{{len .Name}}', '4'],
  ['a  {{- .Config.Image -}}  b', 'abusyboxb'],
  ['a\n  {{- .Config.Image}}\n', 'abusybox\n'],
  ['{{.Config.Image | upper}}', 'BUSYBOX'],
  ['{{.Config.Image | printf "%s!"}}', 'busybox!'],
  ['{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}', 'a=1;com.example.k=v;'],
  ['{{range $i, $m := .Mounts}}{{$i}}:{{$m.Destination}} {{end}}', '0:/data 1:/logs '],
  ['{{range $m := .Mounts}}{{$m.RW}},{{end}}', 'true,false,'],
  ['{{eq .State.Status "running"}} {{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}', 'true true true true true false'],
  ['{{eq .State.Status "exited" "running"}}', 'true'],
  ['{{and .State.Running .Name}} {{or "" 0 "x"}} {{and 0 .Nope.Deeper}}', '/web x 0'],
  ['{{println "a" 1}}', 'a 1\n'],
  ['{{print "a" 1 2 "b" true}}', 'a1 2btrue'],
  ['{{print 1 2 true}}', '1 2 true'],
  ['{{.Config.Labels.a}}', '1'],
  ['{{.Config.Labels}}', 'map[a:1 com.example.k:v]'],
  ['{{.Config.Env}}', '[A=1 B=2]'],
  ['{{.Mounts}}', '[map[Destination:/data RW:true] map[Destination:/logs RW:false]]'],
  ['{{.Missing}}', '<no value>'],
  ['{{.Missing.Deeper}}', '<no value>'],
  ['{{.State.Health}}', '<nil>'],
  ['{{.Size}} {{.Ratio}}', '1000000 0.25'],
  ['{{1e6}} {{1.5e6}} {{0x1F}} {{0o17}} {{017}} {{1_000}} {{-3}} {{+4}} {{.5}}', '1000000 1500000 31 15 15 1000 -3 4 0.5'],
  ['{{"a\\tb\\u00e9\\x41"}}|{{`r\\n`}}|{{\'x\'}}', 'a\tbéA|r\\n|120'],
  ['{{/* a comment */}}x{{- /* trimmed */ -}} y', 'xy'],
  ['{{$x := .Config.Image}}{{$x}}{{$x = "other"}}{{$x}}', 'busyboxother'],
  ['{{with .State}}{{.Status}}{{end}}', 'running'],
  ['{{with .Missing}}yes{{else}}no{{end}}', 'no'],
  ['{{with $s := .State.Status}}{{$s}}{{end}}', 'running'],
  ['{{if eq .Name "x"}}X{{else if eq .Name "/web"}}W{{else}}O{{end}}', 'W'],
  ['{{with .Missing}}a{{else with .State}}{{.Pid}}{{end}}', '42'],
  ['{{range .Nope}}x{{else}}empty{{end}}', 'empty'],
  ['{{range .NetworkSettings.Ports}}x{{else}}none{{end}}', 'none'],
  ['{{range 3}}{{.}}{{end}}', '012'],
  ['{{range .Args}}{{if eq . "-c"}}{{continue}}{{end}}{{.}}{{end}}', 'sleep 1'],
  ['{{range .Mounts}}{{.Destination}}{{break}}{{end}}', '/data'],
  ['{{define "m"}}[{{.}}]{{end}}{{template "m" .Config.Image}}', '[busybox]'],
  ['{{block "b" .State.Pid}}<{{.}}>{{end}}', '<42>'],
  ['{{(index .Mounts 1).Destination}}', '/logs'],
  ['{{index .Config.Labels "nope"}}|', '|'],
  ['{{index .Args 1 3}}', '101'],
  ['{{slice .Config.Image 1 3}} {{slice .Args 1}}', 'us [sleep 1]'],
  ['{{$.Config.Image}}{{range .Mounts}}{{$.Name}}{{end}}', 'busybox/web/web'],
  ['{{json .State}}', '{"Running":true,"Pid":42,"Status":"running","Health":null}'],
  ['{{json .Config.Labels}}', '{"a":"1","com.example.k":"v"}'],
  ['{{json "<a&b>"}}', '"<a&b>"'],
  ['{{json .Missing}}', 'null'],
  ['{{title "hello wide-world"}} {{lower "ABC"}} {{upper "abc"}}', 'Hello Wide-World abc ABC'],
  ['{{pad "x" 1 2}}|{{pad "" 1 2}}|', ' x  ||'],
  ['{{truncate .Id 12}} {{truncate "ab" 5}}', '0123456789ab ab'],
  ['{{split "a,b,c" ","}} {{len (split "a,b" ",")}}', '[a b c] 2'],
  ['{{html "<a href=\'x\'>"}} {{urlquery "a b&c"}} {{js "it\'s <b>"}}', "&lt;a href=&#39;x&#39;&gt; a+b%26c it\\'s \\u003Cb\\u003E"],
  ['{{printf "%v %q %5.1f %-4s| %x %03d %t" .Config.Env "q" 3.14159 "ab" 255 7 true}}', '[A=1 B=2] "q"   3.1 ab  | ff 007 true'],
  ['{{.Name}}{{"\\n"}}', '/web\n'],
];

for (const [src, want] of cases) {
  test(`template ${JSON.stringify(src)} renders ${JSON.stringify(want)}`, () => {
    assert.equal(renderTemplate(src, container), want);
  });
}

test('a JS function found as a field is called like a Go method with the arguments given', () => {
  const row = {
    Label(k: unknown): string { return k === 'x' ? 'yes' : ''; },
    get Names(): string { return 'web'; },
  };
  assert.equal(renderTemplate('{{.Label "x"}}-{{.Names}}', row), 'yes-web');
});

test('printing dot of an empty template input prints <no value>', () => {
  assert.equal(renderTemplate('{{.}}', undefined), '<no value>');
  assert.equal(renderTemplate('', { a: 1 }), '');
  assert.equal(renderTemplate('plain text', null), 'plain text');
});

test('a parsed template can be executed many times with different data', () => {
  const t = parseTemplate('{{.A}}');
  assert.equal(t.execute({ A: 1 }), '1');
  assert.equal(t.execute({ A: 'two' }), 'two');
});

test('headerFuncs keep a header cell as written while execute fns override functions', () => {
  const t = parseTemplate('{{upper .Name}}\t{{json .Labels}}');
  assert.equal(t.execute({ Name: 'NAME', Labels: 'LABELS' }, headerFuncs), 'NAME\tLABELS');
  assert.equal(t.execute({ Name: 'web', Labels: { a: 'b' } }), 'WEB\t{"a":"b"}');
});

test('ParseOptions.funcs makes a custom function known at parse time', () => {
  const t = parseTemplate('{{double .N}}', { funcs: { double: (n: unknown) => Number(n) * 2 } });
  assert.equal(t.execute({ N: 21 }), '42');
});

test('and/or short-circuit and never evaluate the arguments after the deciding one', () => {
  let calls = 0;
  const funcs = { boom: (): never => { calls++; throw new Error('evaluated'); } };
  assert.equal(parseTemplate('{{or 1 boom}}{{and 0 boom}}', { funcs }).execute({}), '10');
  assert.equal(calls, 0);
});

const execErrors: ReadonlyArray<[string, string]> = [
  ['{{.State.Health.Status}}', 'template: :1:2: executing "" at <.State.Health.Status>: nil pointer evaluating interface {}.Status'],
  ['{{index .Mounts 5}}', 'template: :1:2: executing "" at <index .Mounts 5>: error calling index: index out of range: 5'],
  ['{{.Name.x}}', 'template: :1:2: executing "" at <.Name.x>: can\'t evaluate field x in type string'],
  ['{{len 3}}', 'template: :1:2: executing "" at <len 3>: error calling len: len of type int'],
  ['{{eq 1 "a"}}', 'template: :1:2: executing "" at <eq 1 "a">: error calling eq: incompatible types for comparison'],
  ['{{lt true false}}', 'template: :1:2: executing "" at <lt true false>: error calling lt: invalid type for comparison'],
  ['{{template "nope"}}', 'template: :1:2: executing "" at <{{template "nope"}}>: template "nope" not defined'],
  ['{{.Name 1}}', 'template: :1:2: executing "" at <.Name>: Name is not a method but has arguments'],
  ['{{range .Name}}{{end}}', 'template: :1:2: executing "" at <{{range .Name}}{{end...>: range can\'t iterate over /web'],
  ['{{nil}}', 'template: :1:2: executing "" at <nil>: nil is not a command'],
  ['{{"x" 1}}', 'template: :1:2: executing "" at <"x">: can\'t give argument to non-function "x"'],
  ['{{join .Name ","}}', 'template: :1:2: executing "" at <join .Name ",">: wrong type for value; expected []string; got string'],
  ['{{upper}}', 'template: :1:2: executing "" at <upper>: wrong number of args for upper: want 1 got 0'],
  ['x\n{{.A.B.C}}', 'template: :2:2: executing "" at <.A.B.C>: nil pointer evaluating interface {}.C'],
];

for (const [src, want] of execErrors) {
  test(`executing ${JSON.stringify(src)} fails with Go's message`, () => {
    assert.throws(() => renderTemplate(src, { ...container, A: { B: null } }), (err: unknown) => {
      assert.ok(err instanceof InvalidParameterError);
      assert.equal(err.message, want);
      return true;
    });
  });
}
