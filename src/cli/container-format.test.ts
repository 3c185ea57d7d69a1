import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerSummary } from '../client/index.js';
import { PS_DEFAULT_TABLE } from './commands/ps.js';
import { containerRow, displayablePorts } from './container-format.js';
import { PS_HEADERS } from './container-format.js';
import { renderRows } from './formatting.js';

const now = Date.UTC(2026, 10, 25, 16, 20, 0);
const base: ContainerSummary = {
  Id: '794b8ee1c7d0a3f1d2e3c4b5a69788796a5b4c3d2e1f00112233445566778899', Names: ['/web'], Image: 'busybox', ImageID: 'sha256:aa',
  Command: 'sh -c \'while true; do sleep 1; done\'', Created: now / 1000 - 5, Ports: [], Labels: { b: '2', a: '1' }, State: 'running', Status: 'Up 5 seconds',
};

test('ps row: short ID, quoted and cut command, humanised age', () => {
  const r = containerRow(base, { trunc: true, now });
  assert.equal(r['ID'], '794b8ee1c7d0');
  assert.equal(r['Command'], '"sh -c \'while true; …"');
  assert.equal(r['RunningFor'], '5 seconds ago');
  assert.equal(r['Names'], 'web');
  assert.equal(r['Labels'], 'a=1,b=2');
  assert.equal(containerRow({ ...base, Created: now / 1000 - 70 }, { trunc: true, now })['RunningFor'], 'About a minute ago');
  assert.equal(containerRow(base, { trunc: false, now })['Command'], '"sh -c \'while true; do sleep 1; done\'"');
});

test('ps image column drops docker.io/library and digests', () => {
  assert.equal(containerRow({ ...base, Image: 'docker.io/library/busybox:1.36' }, { trunc: true, now })['Image'], 'busybox:1.36');
  assert.equal(containerRow({ ...base, Image: 'busybox@sha256:' + 'a'.repeat(64) }, { trunc: true, now })['Image'], 'busybox');
  assert.equal(containerRow({ ...base, Image: 'sha256:' + 'b'.repeat(64), ImageID: 'sha256:' + 'b'.repeat(64) }, { trunc: true, now })['Image'], 'b'.repeat(12));
});

test('ports are grouped as docker displays them', () => {
  assert.equal(displayablePorts([
    { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
    { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
  ]), '0.0.0.0:8080->80/tcp, [::]:8080->80/tcp');
  assert.equal(displayablePorts([{ PrivatePort: 80, Type: 'tcp' }, { PrivatePort: 81, Type: 'tcp' }, { PrivatePort: 90, Type: 'udp' }]), '80-81/tcp, 90/udp');
  assert.equal(displayablePorts([{ IP: '127.0.0.1', PrivatePort: 9000, PublicPort: 9000, Type: 'tcp' }]), '127.0.0.1:9000->9000/tcp');
});

test('the default ps table has docker header spacing', () => {
  const out = renderRows('', [containerRow(base, { trunc: true, now })], { defaultTable: PS_DEFAULT_TABLE, headers: PS_HEADERS });
  const [header, row] = out.split('\n');
  assert.equal(header, 'CONTAINER ID   IMAGE     COMMAND                  CREATED         STATUS         PORTS     NAMES');
  assert.match(row ?? '', /^794b8ee1c7d0   busybox   "sh -c 'while true; …"   5 seconds ago   Up 5 seconds             web$/);
});

test('an empty ps prints only the header', () => {
  assert.equal(renderRows('', [], { defaultTable: PS_DEFAULT_TABLE, headers: PS_HEADERS }), 'CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n');
});

test('custom formats: table TEMPLATE, bare template, json', () => {
  const rows = [containerRow(base, { trunc: true, now })];
  assert.equal(renderRows('{{.Names}}\t{{.State}}', rows, { defaultTable: PS_DEFAULT_TABLE, headers: PS_HEADERS }), 'web\trunning\n');
  assert.equal(renderRows('table {{.Names}}', rows, { defaultTable: PS_DEFAULT_TABLE, headers: PS_HEADERS }), 'NAMES\nweb\n');
  assert.equal(renderRows('{{.Label "a"}}', rows, { defaultTable: PS_DEFAULT_TABLE, headers: PS_HEADERS }), '1\n');
  const j = renderRows('json', rows, { defaultTable: PS_DEFAULT_TABLE, headers: PS_HEADERS, json: (r) => Object.fromEntries(Object.entries(r).filter(([, v]) => typeof v !== 'function')) });
  assert.equal((JSON.parse(j) as Record<string, string>)['Names'], 'web');
});
