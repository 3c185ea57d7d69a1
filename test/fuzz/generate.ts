/**
 * Request generator: picks an endpoint, fills it from the fixtures or with
 * garbage, and applies the mutations of issue 10 ("Garbage in, errors out"):
 * broken JSON, wrong types, huge/negative/NaN-ish numbers, unknown fields,
 * invalid names and references, `../` paths, hostile tars, invalid UTF-8,
 * non-JSON content types, HTTP smuggling, huge headers and raw garbage.
 */
import type { Rng } from './rng.js';
import { ENDPOINTS, type Endpoint, type Fixtures, type ParamKind } from './endpoints.js';
import { brokenEntries, escapeEntries, tar, truncate, type TarEntry } from './tar.js';

export interface FuzzRequest {
  index: number;
  /** which mutation made it: for the report */
  kind: string;
  /** `METHOD /path` of the endpoint (or `raw`) */
  target: string;
  /** the bytes on the wire */
  data: Buffer;
  head: boolean;
  /** an answer is owed (false: the request is cut off or not HTTP at all, so a closed connection is fine) */
  answerOwed: boolean;
  /** the HTTP parser must refuse it: only a 4xx is right, never a 2xx */
  mustRefuse: boolean;
  mayBlock: boolean;
  /** the endpoint reaches a registry (see Endpoint.upstream) */
  upstream: boolean;
  abortAfterBytes?: number;
  dribbleMs?: number;
  halfClose?: boolean;
}

/** What the generator may use beyond the fixtures: a saved image archive to load. */
export interface Material { fixtures: Fixtures; imageTar: Buffer }

const HOSTILE_STRINGS = [
  '', ' ', '..', '../..', '../../../../etc/passwd', '/etc/shadow', '%2e%2e%2f', '\u0000', 'a\u0000b', 'x'.repeat(300), 'x'.repeat(70_000),
  'UPPER', 'Foo:Bar', 'foo:bar:baz', 'sha256:zz', 'sha256:' + 'a'.repeat(64), 'busybox@sha256:123', 'localhost:99999/x', ':latest', '@', '-', '.', '*',
  '\u202e\u0000evil', '😀', 'a b', 'a\nb', 'a\r\nX-Injected: 1', '$(reboot)', '`id`', '${HOME}', '\\\\server\\share', 'C:\\x', 'con', '/', '//', '\ud800',
  '{"a":1}', 'null', 'true', '-1', '1e309', 'NaN',
];
const HOSTILE_NUMBERS: readonly unknown[] = [
  -1, -2147483649, 2147483648, 4294967296, 9007199254740993, 1.5, -0.0, 1e308, -1e308, 2 ** 63, -(2 ** 63), 18446744073709551616, 0,
];
const NUMBERY_STRINGS = ['-1', '1e309', 'NaN', 'Infinity', '-Infinity', '0x10', '1.5', '99999999999999999999999', '-9223372036854775809', '', ' 1', '1_000', '+1', '007', 'true'];

/** encodeURIComponent that never throws (a lone surrogate becomes U+FFFD's bytes). */
function enc(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += /[A-Za-z0-9\-_.!~*'()]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  return out;
}

function invalidRef(rng: Rng): string {
  return rng.pick(HOSTILE_STRINGS);
}

/** A path parameter: mostly a fixture (to go deep), sometimes garbage. */
function param(rng: Rng, kind: ParamKind, fx: Fixtures): string {
  if (rng.chance(0.35)) return invalidRef(rng);
  switch (kind) {
    case 'container': return rng.pick([fx.container, fx.container, fx.created, fx.container.slice(0, 0) + 'fz-new', 'fz-nope']);
    case 'image': return rng.pick([fx.image, 'busybox', 'busybox:latest', fx.imageId, fx.imageId.slice(7, 19), 'fz-nope:1', 'docker.io/library/busybox']);
    case 'exec': return rng.pick([fx.execId, fx.execId.slice(0, 12), 'fz-nope']);
    case 'volume': return rng.pick([fx.volume, 'fz-vol', 'fz-nope']);
    case 'network': return rng.pick([fx.network, 'bridge', 'none', 'host', 'fz-net2', 'fz-nope']);
    case 'plugin': return rng.pick(['fz/plugin', 'fz', 'fz/plugin:latest']);
    case 'swarm': return rng.pick(['fz', 'abc123']);
  }
}

function encodePathSegment(rng: Rng, v: string): string {
  if (rng.chance(0.08)) {
    // raw, unescaped: spaces, CR/LF and high bytes reach the request line
    return v;
  }
  if (rng.chance(0.05)) return v.replace(/[^/]/g, (c) => enc(c)).replace(/\//g, '%2F');
  if (rng.chance(0.05)) return '%ff%fe%c0%af' + enc(v); // invalid UTF-8
  return enc(v).replace(/%2F/g, rng.chance(0.5) ? '/' : '%2F');
}

function mutateQueryValue(rng: Rng, v: string): string {
  switch (rng.int(6)) {
    case 0: return rng.pick(NUMBERY_STRINGS);
    case 1: return invalidRef(rng);
    case 2: return rng.pick(['{', '{"a":', '[]', '{"label":"notalist"}', '{"label":[1,2]}', '{"unknown":["x"]}', '{"status":["bogus"]}', '{"before":["nope"]}', '{"until":["yesterday"]}', 'null', '"str"', '{"dangling":["maybe"]}']);
    case 3: return v + rng.pick(['\u0000', '%', '\u00ff', '../']);
    case 4: return v.repeat(1 + rng.int(200));
    default: return '';
  }
}

function buildQuery(rng: Rng, ep: Endpoint, mutate: boolean): string {
  const parts: string[] = [];
  for (const [k, vals] of Object.entries(ep.query ?? {})) {
    if (!rng.chance(0.6)) continue;
    let v = rng.pick(vals);
    if (mutate && rng.chance(0.35)) v = mutateQueryValue(rng, v);
    parts.push(`${enc(k)}=${rng.chance(0.03) ? v : enc(v)}`);
  }
  if (mutate && rng.chance(0.2)) parts.push(`${rng.pick(['bogus', 'filters', 'all', 't', 'name', '__proto__'])}=${enc(invalidRef(rng))}`);
  if (mutate && rng.chance(0.05)) parts.push(rng.pick(['%zz', '=', '&&&', 'a=%ff%fe', 'a=%00', '%', 'x=' + 'a'.repeat(20_000)]));
  return parts.length ? '?' + parts.join('&') : '';
}

// ---- JSON bodies ----

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Sets an own, enumerable property (a "__proto__" key stays data, as JSON.parse makes it). */
function put(o: object, k: string | number, value: unknown): object {
  try { Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true }); } catch { /* frozen or odd: leave it */ }
  return o;
}

function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 6 : 9)) {
    case 0: return rng.pick(HOSTILE_STRINGS);
    case 1: return rng.pick(HOSTILE_NUMBERS);
    case 2: return rng.chance(0.5);
    case 3: return null;
    case 4: return rng.pick(NUMBERY_STRINGS);
    case 5: return rng.int(100);
    case 6: return [randomValue(rng, depth + 1), randomValue(rng, depth + 1)];
    case 7: return put({}, rng.pick(['a', 'Name', '__proto__', 'constructor', '']), randomValue(rng, depth + 1));
    default: return [];
  }
}

/** Paths to every value inside `v` (objects and arrays). */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const p = [...prefix, Array.isArray(v) ? Number(k) : k];
      out.push(p);
      paths(x, p, out);
    }
  }
  return out;
}

function setAt(root: unknown, p: (string | number)[], value: unknown, del = false): void {
  let o = root as Record<string | number, unknown> | undefined;
  for (const k of p.slice(0, -1)) o = o?.[k] as Record<string | number, unknown> | undefined;
  const last = p[p.length - 1];
  if (last === undefined || !o || typeof o !== 'object') return;
  // defineProperty: a "__proto__" key stays an own property, as JSON.parse makes it
  if (del) delete o[last]; else put(o, last, value);
}

function mutateJson(rng: Rng, body: unknown): unknown {
  let v: unknown = JSON.parse(JSON.stringify(body ?? {}));
  const n = 1 + rng.int(3);
  for (let i = 0; i < n; i++) {
    const ps = paths(v);
    const p = ps.length ? rng.pick(ps) : undefined;
    switch (rng.int(7)) {
      case 0: case 1: if (p) setAt(v, p, randomValue(rng)); break; // wrong types, hostile strings, huge numbers
      case 2: if (p) setAt(v, p, undefined, true); break;
      case 3: { // unknown field, at the top or inside an object
        const objs = [v, ...ps.map((q) => q.reduce<unknown>((o, k) => (o as Record<string | number, unknown> | null | undefined)?.[k], v))].filter((x) => x && typeof x === 'object' && !Array.isArray(x));
        const o = (objs.length ? rng.pick(objs) : v) as Record<string, unknown>;
        if (o && typeof o === 'object') put(o, rng.pick(['Bogus', 'x'.repeat(1000), '__proto__', 'constructor', 'HostConfig', 'Image', '']), randomValue(rng));
        break;
      }
      case 4: v = rng.pick<unknown>([[], 'string', 42, null, true, [v], { '': v }]); break;
      case 5: if (p) setAt(v, p, rng.pick(HOSTILE_NUMBERS)); break;
      default: if (p) setAt(v, p, rng.pick([{}, [], [[]], { a: { b: { c: {} } } }])); break;
    }
  }
  return v;
}

/** Serializes a body and sometimes breaks the text itself. */
function jsonText(rng: Rng, v: unknown, breakIt: boolean): Buffer {
  const text = JSON.stringify(v as Json) ?? 'null';
  if (!breakIt) return Buffer.from(text);
  switch (rng.int(11)) {
    case 0: return Buffer.from(text.slice(0, rng.int(text.length)));
    case 1: return Buffer.from(text + rng.pick([',', '}', ']', 'garbage', '\u0000', ' {}']));
    case 2: return Buffer.from(text.replace(/"/, "'"));
    case 3: return Buffer.concat([Buffer.from(text.slice(0, text.length >> 1)), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(text.slice(text.length >> 1))]);
    case 4: return Buffer.from('\ufeff' + text);
    case 5: { const d = 1000 + rng.int(200_000); return Buffer.from('['.repeat(d) + ']'.repeat(rng.chance(0.5) ? d : 0)); }
    case 6: return Buffer.from(text.replace(/\{/, '{"a":1,"a":2,'));
    case 7: return Buffer.from(`{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"Image":"busybox"}`);
    case 8: return Buffer.from(text.replace(/:(\d+)/, ':1e999999').replace(/:true/, ':tru'));
    case 9: return rng.bytes(1 + rng.int(2000));
    default: return Buffer.from('/* c */' + text + '// c');
  }
}

// ---- tar bodies ----

function dockerfile(rng: Rng): string {
  return rng.pick([
    'FROM busybox\nCOPY . /ctx/\n', 'FROM busybox\nRUN true\n', 'FROM scratch\nCOPY f /f\n', 'FROM busybox\nADD ../../../../etc/passwd /p\n',
    'FROM busybox\nCOPY ../ /x\n', 'FROM\n', 'RUN true\n', 'FROM busybox\nBOGUS x\n', 'FROM busybox AS a\nFROM a AS a\n', 'FROM ${NOPE}\n',
    'FROM busybox\nWORKDIR ../../..\nCOPY f .\n', 'FROM busybox\nENV A=${A:?missing}\n', 'FROM busybox\nHEALTHCHECK --interval=-1s CMD true\n',
    'FROM busybox\nEXPOSE 99999999\n', 'FROM busybox\nUSER 99999999999\n', 'FROM busybox\nCOPY --from=nope / /\n', 'FROM busybox\nCOPY --chown=x:y f /f\n',
    '\u0000\u00ff', 'FROM busybox\n' + 'LABEL a=b\n'.repeat(500), 'FROM busybox\nONBUILD ONBUILD RUN x\n', 'FROM busybox\nSHELL not-json\n',
    'FROM busybox\nVOLUME ["/x", 1]\n', 'FROM busybox\nSTOPSIGNAL NOPE\n', 'FROM busybox:UPPER\n', 'FROM busybox\nARG\n',
  ]);
}

function buildContext(rng: Rng, fx: Fixtures): Buffer {
  const entries: TarEntry[] = [{ name: 'Dockerfile', data: dockerfile(rng) }, { name: 'f', data: 'file' }];
  if (rng.chance(0.2)) entries.push({ name: 'sub/Dockerfile', data: dockerfile(rng) });
  if (rng.chance(0.5)) entries.push(...escapeEntries(rng, fx.canary));
  if (rng.chance(0.3)) entries.push(...brokenEntries(rng));
  if (rng.chance(0.2)) entries.push({ name: '.dockerignore', data: rng.pick(['**', '!../x', '[', 'Dockerfile']) });
  const t = tar(entries, { noEnd: rng.chance(0.2) });
  return rng.chance(0.2) ? truncate(rng, t) : t;
}

function archiveBody(rng: Rng, fx: Fixtures): Buffer {
  const entries: TarEntry[] = [{ name: `fz${rng.int(10)}`, data: 'x'.repeat(rng.int(2000)) }];
  if (rng.chance(0.6)) entries.push(...escapeEntries(rng, fx.canary));
  if (rng.chance(0.3)) entries.push(...brokenEntries(rng));
  if (rng.chance(0.1)) entries.push({ name: 'proc', type: '5' }, { name: 'etc', type: '0', data: 'replace a dir by a file' });
  if (rng.chance(0.1)) entries.push({ name: 'fifo', type: '6' }, { name: 'dev', type: '3' });
  const t = tar(entries, { noEnd: rng.chance(0.2) });
  return rng.chance(0.25) ? truncate(rng, t) : t;
}

function loadBody(rng: Rng, m: Material): Buffer {
  const fx = m.fixtures;
  switch (rng.int(9)) {
    case 0: return m.imageTar;
    case 1: return truncate(rng, m.imageTar);
    case 2: return tar([{ name: 'manifest.json', data: JSON.stringify([{ Config: '../../../../etc/passwd', RepoTags: ['fz-loaded:1'], Layers: ['../../../../etc/shadow'] }]) }]);
    case 3: return tar([{ name: 'manifest.json', data: rng.pick(['{', '[]', '[{}]', 'null', '[{"Config":1,"Layers":"x"}]', '[{"Config":"c.json","Layers":[],"RepoTags":["UPPER:x"]}]']) }, { name: 'c.json', data: '{}' }]);
    case 4: return tar([{ name: 'manifest.json', data: JSON.stringify([{ Config: 'c.json', RepoTags: ['fz-loaded:2'], Layers: ['l.tar'] }]) }, { name: 'c.json', data: '{"rootfs":{"type":"layers","diff_ids":["sha256:' + 'a'.repeat(64) + '"]},"os":"linux","architecture":"amd64"}' }, { name: 'l.tar', data: tar(escapeEntries(rng, fx.canary)) }]);
    case 5: return tar([{ name: 'index.json', data: JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:../../../etc/passwd', size: 10 }] }) }, { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' }]);
    case 6: return tar(brokenEntries(rng));
    case 7: return rng.bytes(rng.int(4096));
    default: return tar([...escapeEntries(rng, fx.canary)]);
  }
}

function importBody(rng: Rng, fx: Fixtures): Buffer {
  const t = tar([{ name: 'bin/x', data: 'x' }, ...(rng.chance(0.5) ? escapeEntries(rng, fx.canary) : []), ...(rng.chance(0.3) ? brokenEntries(rng) : [])]);
  return rng.chance(0.3) ? truncate(rng, t) : t;
}

// ---- the wire ----

interface Parts { method: string; path: string; headers: [string, string][]; body?: Buffer; chunked?: boolean }

function wire(p: Parts): Buffer {
  const lines = [`${p.method} ${p.path} HTTP/1.1`, 'Host: pier', ...p.headers.map(([k, v]) => `${k}: ${v}`)];
  const body = p.body ?? Buffer.alloc(0);
  if (p.chunked) {
    lines.push('Transfer-Encoding: chunked');
    const chunks = body.length ? [Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')] : [];
    return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), ...chunks, Buffer.from('0\r\n\r\n')]);
  }
  if (p.body !== undefined && !p.headers.some(([k]) => k.toLowerCase() === 'content-length')) lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body]);
}

const SMUGGLING: readonly ((path: string) => string)[] = [
  (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /_ping HTTP/1.1\r\nHost: x\r\n\r\n`,
  (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\nGET /v1.50/info HTTP/1.1\r\nHost: x\r\n\r\n`,
  (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\nhello`,
  (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`,
  (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nhello\r\n0\r\n\r\n`,
  (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nhello\r\n0\r\n\r\n`,
  (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n`,
  (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\nhello`,
  (p) => `POST ${p} HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\nhello`,
  (p) => `GET ${p}\r\nX-Injected: 1 HTTP/1.1\r\nHost: x\r\n\r\n`,
  (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nX-A: a\rX-B: b\r\n\r\n`,
  (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nX-A: a\nX-B: b\n\n`,
  (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n X-Folded: continued\r\n\r\n`,
  (p) => `GET ${p} HTTP/1.1\r\nHo st: x\r\n\r\n`,
  (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nX-Nul: a\u0000b\r\n\r\n`,
  (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 1\r\n\r\nx`,
  (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n`,
];

const GARBAGE: readonly ((rng: Rng) => Buffer)[] = [
  (rng) => rng.bytes(1 + rng.int(3000)),
  () => Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
  () => Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, ...new Array<number>(40).fill(7)]),
  () => Buffer.from('GET /_ping HTTP/9.9\r\nHost: x\r\n\r\n'),
  () => Buffer.from('GET http://evil.example/_ping HTTP/1.1\r\nHost: x\r\n\r\n'),
  () => Buffer.from('CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n'),
  () => Buffer.from('FOO /_ping HTTP/1.1\r\nHost: x\r\n\r\n'),
  () => Buffer.from('get /_ping HTTP/1.1\r\nHost: x\r\n\r\n'),
  () => Buffer.from('\r\n\r\n\r\n'),
  () => Buffer.from('GET  /_ping  HTTP/1.1\r\nHost: x\r\n\r\n'),
  (rng) => Buffer.from(`GET /${'a'.repeat(20_000 + rng.int(100_000))} HTTP/1.1\r\nHost: x\r\n\r\n`),
  () => Buffer.from('GET /_ping HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'),
  () => Buffer.from('OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n'),
  () => Buffer.from('TRACE /_ping HTTP/1.1\r\nHost: x\r\n\r\n'),
];

function pickEndpoint(rng: Rng): Endpoint {
  const total = ENDPOINTS.reduce((a, e) => a + (e.weight ?? 1), 0);
  let r = rng.next() * total;
  for (const e of ENDPOINTS) { r -= e.weight ?? 1; if (r < 0) return e; }
  return ENDPOINTS[0] as Endpoint;
}

/** Request `index` of the run: the same seed and index always give the same bytes. */
export function generate(rng: Rng, index: number, m: Material): FuzzRequest {
  const fx = m.fixtures;
  const ep = pickEndpoint(rng);
  const target = `${ep.method} ${ep.path}`;
  const version = rng.pick(['/v1.50', '/v1.50', '/v1.41', '/v1.24', '', '/v1.99', '/v0.1', '/v1.x', '/v1.50/../v1.50']);
  const pathOf = (): string => {
    const p = ep.param ? ep.path.replace(/\{(id|name)\}/, encodePathSegment(rng, param(rng, ep.param, fx))) : ep.path;
    return version + p;
  };
  const base = { index, target, head: ep.method === 'HEAD', mayBlock: !!ep.mayBlock, upstream: !!ep.upstream, answerOwed: true, mustRefuse: false };
  const roll = rng.next();

  // 1. Raw socket garbage (≈3%)
  if (roll < 0.03) {
    return { ...base, kind: 'raw-garbage', target: 'raw', data: rng.pick(GARBAGE)(rng), answerOwed: false, head: false };
  }
  // 2. HTTP smuggling and header injection (≈6%)
  if (roll < 0.09) {
    return { ...base, kind: 'smuggling', data: Buffer.from(rng.pick(SMUGGLING)(pathOf()), 'latin1'), mustRefuse: true, head: false, halfClose: rng.chance(0.5) };
  }
  // 3. Huge headers (≈3%)
  if (roll < 0.12) {
    const headers: [string, string][] = rng.chance(0.5)
      // Past pierd's 64 KiB default by up to 40 KiB: more would only test the client's EPIPE race.
      ? [['X-Huge', 'a'.repeat(70_000 + rng.int(40_000))]]
      : Array.from({ length: 1000 + rng.int(400) }, (_v, i): [string, string] => [`X-H${i}`, 'v'.repeat(70 + rng.int(10))]);
    return { ...base, kind: 'huge-headers', data: wire({ method: ep.method, path: pathOf(), headers }), mustRefuse: true, head: false };
  }

  // Everything else is an HTTP request to the endpoint, valid or mutated.
  const mutate = roll >= 0.22; // ≈10% valid requests, to reach deep paths
  const path = pathOf() + buildQuery(rng, ep, mutate);
  const headers: [string, string][] = [];
  let body: Buffer | undefined;
  let kind = mutate ? 'mutated' : 'valid';
  switch (ep.body) {
    case 'json': {
      const valid = ep.json?.(fx, rng) ?? {};
      const broken = mutate && rng.chance(0.3);
      const v = mutate && rng.chance(0.7) ? mutateJson(rng, valid) : valid;
      body = jsonText(rng, v, broken);
      if (broken) kind = 'broken-json';
      headers.push(['Content-Type', 'application/json']);
      break;
    }
    case 'build': body = mutate ? buildContext(rng, fx) : tar([{ name: 'Dockerfile', data: 'FROM busybox\nCOPY f /f\n' }, { name: 'f', data: 'x' }]); headers.push(['Content-Type', 'application/x-tar']); kind = mutate ? 'tar-build' : kind; break;
    case 'archive': body = mutate ? archiveBody(rng, fx) : tar([{ name: `fz${rng.int(10)}`, data: 'x' }]); headers.push(['Content-Type', 'application/x-tar']); kind = mutate ? 'tar-archive' : kind; break;
    case 'load': body = mutate ? loadBody(rng, m) : m.imageTar; headers.push(['Content-Type', 'application/x-tar']); kind = mutate ? 'tar-load' : kind; break;
    case 'import': body = mutate ? importBody(rng, fx) : tar([{ name: 'bin/x', data: 'x' }]); headers.push(['Content-Type', 'application/x-tar']); kind = mutate ? 'tar-import' : kind; break;
    default: if (mutate && rng.chance(0.1)) { body = jsonText(rng, randomValue(rng), rng.chance(0.5)); headers.push(['Content-Type', 'application/json']); }
  }
  if (ep.hijack && rng.chance(0.6)) headers.push(['Connection', 'Upgrade'], ['Upgrade', 'tcp']);
  if (mutate && rng.chance(0.12)) {
    // non-JSON or odd content types
    const i = headers.findIndex(([k]) => k === 'Content-Type');
    const ct = rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/jsonx', '', 'application/json, text/plain', '\u00ff', 'application/x-tar']);
    if (i >= 0) headers.splice(i, 1);
    if (ct) headers.push(['Content-Type', ct]);
    kind = 'content-type';
  }
  if (mutate && rng.chance(0.05)) headers.push(['X-Registry-Auth', rng.pick(['!!!', 'e30=', Buffer.from('{"username":1}').toString('base64'), 'x'.repeat(8000), '%ff'])]);
  if (mutate && rng.chance(0.04)) headers.push([rng.pick(['Content-Encoding', 'Expect', 'Accept-Encoding', 'Authorization', 'X-Pier-Context-Key']), rng.pick(['gzip', '100-continue', 'br', 'Basic !!', 'a'.repeat(64), 'zz'])]);
  const chunked = body !== undefined && rng.chance(0.15);
  const req: FuzzRequest = { ...base, kind, data: wire({ method: ep.method, path, headers, ...(body !== undefined ? { body } : {}), chunked }) };
  // CloseWrite after the request, as the docker CLI does on an upgraded stream at stdin EOF. A plain
  // request that half-closes is a client gone (Node and Go both cancel it): not sent here.
  if (ep.hijack && headers.some(([k]) => k === 'Upgrade')) req.halfClose = rng.chance(0.4);
  // A client that leaves mid-request (≈4%): nothing is owed to it, and nothing it started may linger.
  if (mutate && rng.chance(0.04) && req.data.length > 10) { req.abortAfterBytes = 1 + rng.int(req.data.length - 1); req.answerOwed = false; req.kind = 'client-abort'; }
  // A slow client (≈1%)
  if (rng.chance(0.01)) req.dribbleMs = 30;
  return req;
}

/** Requests whose bytes may legitimately get no answer: incomplete on the wire. */
export function incomplete(req: FuzzRequest): boolean { return !req.answerOwed; }
