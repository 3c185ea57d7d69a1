import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bridgeCreateLines, containerSideLines, macFor, macvlanJoinLines, vethJoinLines } from './links.js';
import { tableScript, networkElements, portElements } from './firewall.js';
import { memberSlice, overlayNetworkId, overlayVni, floodLines } from './overlay/overlay-plan.js';
import { parseCidr, formatCidr, formatIPv4, parseIPv4 } from './cidr.js';
import { portRequests } from './ports/port-bindings.js';

test('iproute2 lines: mtu before the link type, the peer made straight in the netns', () => {
  assert.deepEqual(bridgeCreateLines('pier-abc', '172.18.0.1/16', 1450), ['link add pier-abc mtu 1450 type bridge', 'addr replace 172.18.0.1/16 dev pier-abc', 'link set pier-abc up']);
  assert.deepEqual(vethJoinLines({ hostIf: 'pierv1', ifname: 'eth0', mac: '02:42:ac:12:00:02', pid: 42, bridge: 'pier-abc' }),
    ['link add pierv1 type veth peer name eth0 address 02:42:ac:12:00:02 netns 42', 'link set pierv1 master pier-abc up']);
  assert.deepEqual(macvlanJoinLines({ parent: 'eth9', ifname: 'eth1', mac: '02:42:0a:00:00:05', pid: 7, mode: 'bridge' }),
    ['link add link eth9 name eth1 address 02:42:0a:00:00:05 netns 7 type macvlan mode bridge']);
  assert.deepEqual(containerSideLines({ ifname: 'eth1', cidr: '10.0.0.5/24' }), ['addr add 10.0.0.5/24 dev eth1', 'link set eth1 up']);
  assert.equal(containerSideLines({ ifname: 'eth0', cidr: '10.0.0.5/24', gateway: '10.0.0.1' })[2], 'route replace default via 10.0.0.1 dev eth0');
  assert.equal(macFor(parseIPv4('172.17.0.2')!), '02:42:ac:11:00:02');
});

test('the nft table: one atomic script, networks and ports as elements', () => {
  const script = tableScript('pier-x', [{ ifname: 'pier-a', subnet: '172.18.0.0/16', internal: false }, { ifname: 'pier-b', subnet: '172.19.0.0/16', internal: true }],
    [{ proto: 'tcp', hostIp: '', hostPort: 8080, targetIp: '172.18.0.2', targetPort: 80 }]);
  assert.match(script, /^table ip pier-x \{/);
  assert.match(script, /add element ip pier-x masq \{ 172\.18\.0\.0\/16 \}/);
  assert.doesNotMatch(script, /masq \{ 172\.19/, 'an internal network is not masqueraded');
  assert.match(script, /add element ip pier-x internal \{ "pier-b" \}/);
  assert.match(script, /add element ip pier-x ports-any \{ tcp \. 8080 : 172\.18\.0\.2 \. 80 \}/);
  assert.match(script, /iifname @bridges oifname @bridges drop/, 'isolation names only this daemon\'s bridges');
  assert.deepEqual(networkElements('delete', 't', { ifname: 'pier-a', subnet: '10.0.0.0/24', internal: false }),
    ['delete element ip t same { "pier-a" . "pier-a" }', 'delete element ip t bridges { "pier-a" }', 'delete element ip t masq { 10.0.0.0/24 }']);
  // Loopback bindings are the proxy's: no kernel rule for them.
  assert.deepEqual(portElements('add', 't', [{ proto: 'udp', hostIp: '127.0.0.1', hostPort: 53, targetIp: '1.2.3.4', targetPort: 53 }]), []);
  assert.deepEqual(portElements('delete', 't', [{ proto: 'udp', hostIp: '192.0.2.2', hostPort: 5353, targetIp: '1.2.3.4', targetPort: 53 }]),
    ['delete element ip t ports { 192.0.2.2 . udp . 5353 }']);
});

test('overlay members derive the same ID and VNI, and disjoint shares of the subnet', () => {
  assert.equal(overlayNetworkId('ov'), overlayNetworkId('ov'));
  assert.notEqual(overlayNetworkId('ov'), overlayNetworkId('ov2'));
  assert.equal(overlayVni('ov'), overlayVni('ov'));
  assert.equal(overlayVni('ov', '4242'), 4242);
  assert.throws(() => overlayVni('ov', '0'), /invalid VXLAN ID/);
  const subnet = parseCidr('10.248.3.0/24');
  const members = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
  const slices = members.map((m) => memberSlice(subnet, members, m));
  assert.deepEqual(slices.map((s) => formatCidr(s.range)), ['10.248.3.0/26', '10.248.3.64/26', '10.248.3.128/26']);
  assert.deepEqual(slices.map((s) => formatIPv4(s.gateway)), ['10.248.3.1', '10.248.3.64', '10.248.3.128']);
  assert.deepEqual(floodLines('piervx000001', ['10.0.0.2']), ['fdb append 00:00:00:00:00:00 dev piervx000001 dst 10.0.0.2']);
});

test('port bindings: ranges, ephemeral ports, -P over EXPOSE, bad specs refused', () => {
  const r = portRequests({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '53/udp': [{ HostPort: '5300-5310' }], '9000/tcp': [{}] }, { '7000/tcp': {}, '80/tcp': {} }, true);
  assert.deepEqual(r, [
    { proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPortStart: 8080, hostPortEnd: 8080 },
    { proto: 'udp', containerPort: 53, hostIp: '', hostPortStart: 5300, hostPortEnd: 5310 },
    { proto: 'tcp', containerPort: 9000, hostIp: '', hostPortStart: 0, hostPortEnd: 0 },
    { proto: 'tcp', containerPort: 7000, hostIp: '', hostPortStart: 0, hostPortEnd: 0 },
  ]);
  assert.throws(() => portRequests({ '0/tcp': [{}] }, null, false), /invalid port specification/);
  assert.throws(() => portRequests({ '80/icmp': [{}] }, null, false), /invalid proto/);
  assert.throws(() => portRequests({ '80/tcp': [{ HostPort: '9-1' }] }, null, false), /invalid port specification/);
});

test('a bridge made with an alias carries it, so its daemon knows it after a crash', () => {
  assert.deepEqual(bridgeCreateLines('pier-abc', '10.1.0.1/24', undefined, 'pier:9f00aa'),
    ['link add pier-abc type bridge', 'link set pier-abc alias pier:9f00aa', 'addr replace 10.1.0.1/24 dev pier-abc', 'link set pier-abc up']);
});
