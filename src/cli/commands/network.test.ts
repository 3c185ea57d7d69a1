import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NetworkSummary } from '../../client/index.js';
import { renderRows } from '../formatting.js';
import {
  NETWORK_DEFAULT_TABLE, NETWORK_HEADERS, type IpamOptions, consolidateIpam, goTimeFromRfc3339, labelHeader, labelProblem, linkProblem,
  naturalLess, networkListFormat, networkRow, parseCidr, parseIp, readCsvRecord, reformatJson,
} from './network.js';

const ipam = (o: Partial<IpamOptions>): ReturnType<typeof consolidateIpam> =>
  consolidateIpam({ driver: 'default', subnets: [], ipRanges: [], gateways: [], auxAddresses: {}, options: {}, ...o });
const split = (s: string): string[] => (s === '' ? [] : s.split(','));

test('create pairs ranges, gateways and aux addresses with the subnet containing them, in --subnet order', () => {
  assert.deepEqual(ipam({}), { Driver: 'default', Options: {}, Config: [] });
  assert.deepEqual(ipam({
    driver: 'foo', subnets: ['10.1.0.0/16', 'fd00::/64'], ipRanges: ['10.1.2.0/24'], gateways: ['fd00::1', '10.1.0.1'],
    auxAddresses: { a: '10.1.0.5', b: 'fd00::5' }, options: { x: 'y' },
  }), {
    Driver: 'foo', Options: { x: 'y' },
    Config: [
      { Subnet: '10.1.0.0/16', IPRange: '10.1.2.0/24', Gateway: '10.1.0.1', AuxiliaryAddresses: { a: '10.1.0.5' } },
      { Subnet: 'fd00::/64', Gateway: 'fd00::1', AuxiliaryAddresses: { b: 'fd00::5' } },
    ],
  });
  // docker's TestNetworkCreateWithFlags: a gateway may carry a prefix length
  assert.deepEqual(ipam({ subnets: ['192.168.4.0/24'], ipRanges: ['192.168.4.0/24'], gateways: ['192.168.4.1/24'] }).Config,
    [{ Subnet: '192.168.4.0/24', IPRange: '192.168.4.0/24', Gateway: '192.168.4.1/24' }]);
  // one subnet is never parsed by the CLI: the daemon judges it
  assert.deepEqual(ipam({ subnets: ['foo'] }).Config, [{ Subnet: 'foo' }]);
  // IPv4-mapped IPv6 subnets hold IPv4 addresses, as Go's IPNet.Contains says
  assert.deepEqual(ipam({ subnets: ['::ffff:10.0.0.0/104'], gateways: ['10.0.0.1'] }).Config, [{ Subnet: '::ffff:10.0.0.0/104', Gateway: '10.0.0.1' }]);
});

test('create refuses inconsistent IPAM flags with docker\'s messages', () => {
  // docker/cli cli/command/network/create_test.go TestNetworkCreateErrors, plus the gaps between its cases
  const cases: Array<[Partial<Record<'subnet' | 'ip-range' | 'gateway', string>> & { aux?: Record<string, string> }, string]> = [
    [{ 'ip-range': '255.255.0.0/24', gateway: '255.0.255.0/24', subnet: '10.1.2.0.30.50' }, 'invalid subnet: invalid CIDR address: 10.1.2.0.30.50'],
    [{ 'ip-range': '255.255.0.0.30/24', gateway: '255.0.255.0/24', subnet: '255.0.0.0/24' }, 'invalid CIDR address: 255.255.0.0.30/24'],
    [{ gateway: '255.0.0.0/24' }, 'every ip-range or gateway must have a corresponding subnet'],
    [{ 'ip-range': '255.0.0.0/24' }, 'every ip-range or gateway must have a corresponding subnet'],
    [{ 'ip-range': '255.255.0.0/24', gateway: '255.0.255.0/24', subnet: '10.1.2.0/23,10.1.3.248/30' }, 'multiple overlapping subnet configuration is not supported'],
    [{ subnet: '10.0.0.0/24,10.0.0.0/24' }, 'multiple overlapping subnet configuration is not supported'],
    [{ 'ip-range': '192.168.1.0/24,192.168.1.200/24', gateway: '192.168.1.1,192.168.1.4', subnet: '192.168.2.0/24,192.168.1.250/24' },
      'cannot configure multiple ranges (192.168.1.200/24, 192.168.1.0/24) on the same subnet (192.168.1.250/24)'],
    [{ 'ip-range': '255.255.200.0/24,255.255.120.0/24', gateway: '255.0.255.0/24', subnet: '255.255.255.0/24,255.255.0.255/24' }, 'no matching subnet for range 255.255.200.0/24'],
    [{ 'ip-range': '192.168.1.0/24', gateway: '192.168.1.1,192.168.1.4', subnet: '192.168.2.0/24,192.168.1.250/24' },
      'cannot configure multiple gateways (192.168.1.4, 192.168.1.1) for the same subnet (192.168.1.250/24)'],
    [{ 'ip-range': '192.168.1.0/24', gateway: '192.168.4.1,192.168.5.4', subnet: '192.168.2.0/24,192.168.1.250/24' }, 'no matching subnet for gateway 192.168.4.1'],
    [{ subnet: '10.0.0.0/24', gateway: '1.2.3.4' }, 'no matching subnet for gateway 1.2.3.4'],
    [{ subnet: '10.0.0.0/24', gateway: '10.0.0.300' }, 'no matching subnet for gateway 10.0.0.300'],
    [{ subnet: '10.0.0.0/8', gateway: '10.1.2.3/33' }, 'invalid CIDR address: 10.1.2.3/33'],
    [{ gateway: '255.255.0.0/24', subnet: '255.255.0.0/24', aux: { '255.255.0.30/24': '' } }, 'no matching subnet for aux-address '],
    [{ aux: { a: '10.0.0.9' } }, 'no matching subnet for aux-address 10.0.0.9'],
    [{ 'ip-range': '192.168.83.1-192.168.83.254', gateway: '192.168.80.1', subnet: '192.168.80.0/20' }, 'invalid CIDR address: 192.168.83.1-192.168.83.254'],
    [{ subnet: 'bad,10.0.0.0/24' }, 'invalid subnet: invalid CIDR address: bad'],
  ];
  for (const [f, msg] of cases) {
    assert.throws(() => ipam({ subnets: split(f.subnet ?? ''), ipRanges: split(f['ip-range'] ?? ''), gateways: split(f.gateway ?? ''), auxAddresses: f.aux ?? {} }),
      (err: Error) => err.message === msg, `${JSON.stringify(f)} → ${msg}`);
  }
});

test('addresses and CIDRs parse as Go\'s net package does', () => {
  assert.deepEqual(parseIp('10.0.0.1'), [10, 0, 0, 1]);
  assert.equal(parseIp('010.0.0.1'), undefined);
  assert.equal(parseIp('1.2.3'), undefined);
  assert.equal(parseIp('256.0.0.1'), undefined);
  assert.deepEqual(parseIp('::1'), [...new Array<number>(15).fill(0), 1]);
  assert.deepEqual(parseIp('::ffff:1.2.3.4')?.slice(10), [0xff, 0xff, 1, 2, 3, 4]);
  assert.deepEqual(parseIp('2001:db8::1:2')?.slice(0, 4), [0x20, 0x01, 0x0d, 0xb8]);
  for (const bad of ['1:2:3:4:5:6:7:8::', '1::2::3', ':1::', '1:2:3:4:5:6:7', '12345::', 'fe80::1%eth0', '']) assert.equal(parseIp(bad), undefined, bad);
  assert.deepEqual(parseCidr('10.0.0.0/12').mask, [255, 240, 0, 0]);
  assert.throws(() => parseCidr('10.0.0.0'), /^Error: invalid CIDR address: 10\.0\.0\.0$/);
  assert.throws(() => parseCidr('10.0.0.0/33'), /invalid CIDR address/);
  assert.throws(() => parseCidr('fd00::/129'), /invalid CIDR address/);
});

test('StringSlice values read as one CSV record, with encoding/csv\'s errors', () => {
  assert.deepEqual(readCsvRecord(''), []);
  assert.deepEqual(readCsvRecord('a,b'), ['a', 'b']);
  assert.deepEqual(readCsvRecord('a,'), ['a', '']);
  assert.deepEqual(readCsvRecord(',a'), ['', 'a']);
  assert.deepEqual(readCsvRecord('"a,b",c'), ['a,b', 'c']);
  assert.deepEqual(readCsvRecord('"a"",b"'), ['a",b']);
  // the texts and columns docker 28 prints for these
  assert.throws(() => readCsvRecord('a"b'), { message: 'parse error on line 1, column 2: bare " in non-quoted-field' });
  assert.throws(() => readCsvRecord('x,a"b'), { message: 'parse error on line 1, column 4: bare " in non-quoted-field' });
  assert.throws(() => readCsvRecord('ab,"c"d'), { message: 'parse error on line 1, column 6: extraneous or missing " in quoted-field' });
  assert.throws(() => readCsvRecord('"a'), { message: 'parse error on line 1, column 3: extraneous or missing " in quoted-field' });
});

test('labels and links are checked as docker\'s opts validators do', () => {
  assert.equal(labelProblem('a=b'), undefined);
  assert.equal(labelProblem('a'), undefined);
  assert.equal(labelProblem('  a=b c'), undefined);
  assert.equal(labelProblem('a b=c'), "label 'a b' contains whitespaces");
  assert.equal(labelProblem('=c'), "invalid label '=c': empty name");
  assert.equal(labelProblem(' '), "invalid label ' ': empty name");
  assert.equal(linkProblem('db'), undefined);
  assert.equal(linkProblem('db:alias'), undefined);
  assert.equal(linkProblem('a:b:c'), 'bad format for links: a:b:c');
  assert.equal(linkProblem(''), 'empty string specified for links');
});

test('ls sorts names as sortorder.NaturalLess does', () => {
  const names = ['net10', 'Net2', 'bridge', 'net9', 'host', 'net09', 'none', 'a1', 'ab', 'é'];
  const sorted = [...names].sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
  assert.deepEqual(sorted, ['Net2', 'a1', 'ab', 'bridge', 'host', 'net9', 'net09', 'net10', 'none', 'é']);
});

test('CreatedAt is Go\'s time.Time.String() of the daemon\'s timestamp', () => {
  assert.equal(goTimeFromRfc3339('2025-03-04T05:06:07.123456780Z'), '2025-03-04 05:06:07.12345678 +0000 UTC');
  assert.equal(goTimeFromRfc3339('2025-03-04T05:06:07.000Z'), '2025-03-04 05:06:07 +0000 UTC');
  assert.equal(goTimeFromRfc3339('0001-01-01T00:00:00Z'), '0001-01-01 00:00:00 +0000 UTC');
  const offset = goTimeFromRfc3339('2025-03-04T07:06:07+05:45');
  assert.match(offset, /^2025-03-04 07:06:07 \+0545 /);
});

const net = (over: Partial<NetworkSummary>): NetworkSummary => ({
  Name: 'n', Id: 'f2de39df4171b0dc801e8002d1d999b77256983dfc63041c0f34030aa3977566', Created: '2025-03-04T05:06:07Z', Scope: 'local', Driver: 'bridge',
  EnableIPv4: true, EnableIPv6: false, IPAM: { Driver: 'default', Options: null, Config: [] }, Internal: false, Attachable: false, Ingress: false,
  ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: {}, Options: {}, Labels: {}, ...over,
});

test('a Label column is headed by the key\'s last dot-separated part', () => {
  assert.equal(labelHeader('tier'), 'tier');
  assert.equal(labelHeader('com.example.my-key_x'), 'my key x');
});

test('ls shows docker\'s table, quiet IDs, raw and JSON rows', () => {
  const rows = [networkRow(net({ Name: 'bridge' }), true), networkRow(net({ Name: 'web', Id: 'ab'.repeat(32), Driver: 'macvlan', Labels: { b: '2', a: '1' } }), true)];
  const opts = { defaultTable: NETWORK_DEFAULT_TABLE, headers: NETWORK_HEADERS, json: (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([, v]) => typeof v !== 'function')) };
  assert.equal(renderRows(networkListFormat('', false), rows, opts),
    'NETWORK ID     NAME      DRIVER    SCOPE\nf2de39df4171   bridge    bridge    local\nabababababab   web       macvlan   local\n');
  assert.equal(renderRows(networkListFormat('', true), rows, opts), 'f2de39df4171\nabababababab\n');
  assert.equal(renderRows(networkListFormat('{{.Name}}', true), rows, opts), 'bridge\nweb\n', '-q does not override a template');
  assert.equal(renderRows(networkListFormat('raw', false), rows.slice(0, 1), opts), 'network_id: f2de39df4171\nname: bridge\ndriver: bridge\nscope: local\n\n');
  assert.equal(renderRows(networkListFormat('{{.Labels}}|{{.Label "b"}}|{{.IPv6}}|{{.Internal}}', false), rows.slice(1), opts), 'a=1,b=2|2|false|false\n');
  assert.equal(renderRows('json', rows.slice(0, 1), opts),
    '{"CreatedAt":"2025-03-04 05:06:07 +0000 UTC","Driver":"bridge","ID":"f2de39df4171","IPv4":"true","IPv6":"false","Internal":"false","Labels":"","Name":"bridge","Scope":"local"}\n');
  assert.equal(networkRow(net({}), false)['ID'], net({}).Id);
});

test('inspect re-indents the daemon\'s bytes as json.Indent and json.Compact do', () => {
  const raw = '[{"Name":"a<b","Id":"x","Created":"2025","IPAM":{"Config":[],"Options":null},"Containers":{},"N":1.50,"S":"q\\"u,o:t{e"}\n]';
  assert.equal(reformatJson(raw, '    '),
    '[\n    {\n        "Name": "a<b",\n        "Id": "x",\n        "Created": "2025",\n        "IPAM": {\n            "Config": [],\n            "Options": null\n        },\n' +
    '        "Containers": {},\n        "N": 1.50,\n        "S": "q\\"u,o:t{e"\n    }\n]');
  assert.equal(reformatJson('[ {"a" : [ 1, 2 ], "b":"\\u003c"} ]'), '[{"a":[1,2],"b":"\\u003c"}]');
});
