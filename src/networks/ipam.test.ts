import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr, formatCidr, overlaps, parseIPv4 } from './cidr.js';
import { checkStaticAddress, nextAddress, parseSubnets, pickDefaultSubnet, planPool } from './ipam.js';

test('CIDR parsing is strict about host bits and dotted quads, as docker is', () => {
  assert.equal(formatCidr(parseCidr('172.18.0.0/16')), '172.18.0.0/16');
  assert.throws(() => parseCidr('10.0.0.1/24', { strict: true }), /invalid subnet 10\.0\.0\.1\/24: it should be 10\.0\.0\.0\/24/);
  assert.throws(() => parseCidr('10.0.0.0/33'), /invalid subnet 10\.0\.0\.0\/33: invalid CIDR block notation/);
  assert.throws(() => parseCidr('10.0.0/24'), /invalid CIDR block notation/);
  assert.equal(parseIPv4('010.0.0.1'), undefined);
  assert.equal(parseIPv4('256.0.0.1'), undefined);
});

test('overlap is containment either way', () => {
  assert.ok(overlaps(parseCidr('10.231.0.0/24'), parseCidr('10.231.0.0/25')));
  assert.ok(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.231.0.0/25')));
  assert.ok(!overlaps(parseCidr('10.231.0.0/25'), parseCidr('10.231.0.128/25')));
  assert.throws(() => parseSubnets([{ Subnet: '10.1.0.0/16' }, { Subnet: '10.1.2.0/24' }]), /Pool overlaps/);
});

test('default pools: 172.17-31/16 first, then 192.168/20s, skipping what is taken', () => {
  assert.equal(formatCidr(pickDefaultSubnet([])), '172.17.0.0/16');
  assert.equal(formatCidr(pickDefaultSubnet([parseCidr('172.17.0.0/16'), parseCidr('172.18.5.0/24')])), '172.19.0.0/16');
  const all172 = Array.from({ length: 15 }, (_, i) => parseCidr(`172.${17 + i}.0.0/16`));
  assert.equal(formatCidr(pickDefaultSubnet([...all172, parseCidr('192.168.0.0/24')])), '192.168.16.0/20');
  assert.throws(() => pickDefaultSubnet([parseCidr('0.0.0.0/1'), parseCidr('128.0.0.0/1')]), /could not find an available/);
});

test('a pool reserves network, broadcast and gateway, and checks the gateway and range', () => {
  const p = planPool({}, parseCidr('10.5.0.0/24'));
  assert.equal(p.gateway, parseIPv4('10.5.0.1'));
  assert.ok(p.reserved.has(parseIPv4('10.5.0.0')!) && p.reserved.has(parseIPv4('10.5.0.255')!));
  assert.throws(() => planPool({ Gateway: '10.6.0.1' }, parseCidr('10.5.0.0/24')), /invalid gateway 10\.6\.0\.1: parent subnet 10\.5\.0\.0\/24 doesn't contain this address/);
  assert.throws(() => planPool({ IPRange: '10.6.0.0/25' }, parseCidr('10.5.0.0/24')), /parent subnet 10\.5\.0\.0\/24 doesn't contain ip-range/);
  const r = planPool({ IPRange: '10.5.0.128/25', Gateway: '10.5.0.254' }, parseCidr('10.5.0.0/24'));
  assert.equal(nextAddress(r, new Set(), undefined), parseIPv4('10.5.0.128'));
});

test('addresses are handed out serially, never one in use, and run out cleanly', () => {
  const p = planPool({}, parseCidr('10.5.0.0/29')); // .1 gateway, .2-.6 usable
  const used = new Set<number>();
  const got: number[] = [];
  let last: number | undefined;
  for (let i = 0; i < 5; i++) {
    const ip = nextAddress(p, used, last);
    assert.ok(ip !== undefined);
    used.add(ip);
    got.push(ip);
    last = ip;
  }
  assert.deepEqual(got.map((n) => n & 255), [2, 3, 4, 5, 6]);
  assert.equal(nextAddress(p, used, last), undefined);
  used.delete(parseIPv4('10.5.0.3')!);
  assert.equal(nextAddress(p, used, last)! & 255, 3, 'a released address comes back once the others are taken');
  // Serial: after .4 the next free is .5, not the lower released .3.
  const used2 = new Set([parseIPv4('10.5.0.2')!, parseIPv4('10.5.0.4')!]);
  assert.equal(nextAddress(p, used2, parseIPv4('10.5.0.4'))! & 255, 5);
});

test('static addresses: outside the subnet, reserved or in use are refused', () => {
  const p = planPool({}, parseCidr('10.5.0.0/24'));
  assert.equal(checkStaticAddress(p, '10.5.0.9', new Set()), parseIPv4('10.5.0.9'));
  assert.throws(() => checkStaticAddress(p, '10.6.0.9', new Set()), /no configured subnet or ip-range contain the IP address 10\.6\.0\.9/);
  assert.throws(() => checkStaticAddress(p, '10.5.0.1', new Set()), /Address already in use/);
  assert.throws(() => checkStaticAddress(p, '10.5.0.9', new Set([parseIPv4('10.5.0.9')!])), /Address already in use/);
  assert.throws(() => checkStaticAddress(p, 'nope', new Set()), /invalid IPv4 address/);
});
