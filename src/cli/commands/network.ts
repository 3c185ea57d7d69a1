// `pier network create|ls|inspect|rm|connect|disconnect` (prune lives with the other
// prunes in prune.ts), as docker 28's cli/command/network does them: the IPAM
// consolidation of create's flags, the ls table, the inspect output and rm's
// per-network errors.

import type { NetworkIpam, NetworkIpamConfig, NetworkSummary } from '../../client/index.js';
import { isNotFound, messageOf } from '../../errdefs/index.js';
import { encodeFilters } from '../../pkg/filters/index.js';
import { parseTemplate, type Template } from '../../pkg/gotemplate/index.js';
import { type CommandContext, type Handler, StatusError, writeErr, writeOut } from '../context.js';
import { type Row, filterMap, goQuote, renderRows } from '../formatting.js';
import { truncateId } from '../image-format.js';
import { kvMap } from '../opts.js';

// ---- flag values -------------------------------------------------------------------------

/** A flag value docker rejects while parsing flags: usage error, exit 125. */
function usageError(ctx: CommandContext, usage: string, flag: string, raw: string, why: string): StatusError {
  return new StatusError(125, `invalid argument ${goQuote(raw)} for "${flag}" flag: ${why}\n\nUsage:  ${ctx.path} ${usage}\n\nRun '${ctx.path} --help' for more information`);
}

/**
 * One StringSlice value the way pflag reads it: a CSV record (encoding/csv,
 * strict quotes). "" is no value. Throws encoding/csv's message.
 */
export function readCsvRecord(val: string): string[] {
  if (val === '') return [];
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (val[i] === '"') {
      i++;
      for (;;) {
        const q = val.indexOf('"', i);
        if (q < 0) throw new Error(`parse error on line 1, column ${val.length + 1}: extraneous or missing " in quoted-field`);
        field += val.slice(i, q);
        i = q + 1;
        if (val[i] === '"') { field += '"'; i++; continue; }
        // encoding/csv points at the closing quote
        if (i < val.length && val[i] !== ',') throw new Error(`parse error on line 1, column ${i}: extraneous or missing " in quoted-field`);
        break;
      }
    } else {
      const comma = val.indexOf(',', i);
      const end = comma < 0 ? val.length : comma;
      field = val.slice(i, end);
      const quote = field.indexOf('"');
      if (quote >= 0) throw new Error(`parse error on line 1, column ${i + quote + 1}: bare " in non-quoted-field`);
      i = end;
    }
    out.push(field);
    if (i >= val.length) return out;
    i++; // the comma
    if (i >= val.length) { out.push(''); return out; }
  }
}

/** Every value of a StringSlice flag, or the usage error naming the bad one. */
function stringSlice(ctx: CommandContext, usage: string, long: string): string[] {
  const out: string[] = [];
  for (const v of ctx.flags.list(long)) {
    try { out.push(...readCsvRecord(v)); } catch (err) { throw usageError(ctx, usage, `--${long}`, v, messageOf(err)); }
  }
  return out;
}

/** docker's opts.ValidateLabel; returns the reason a label is refused. */
export function labelProblem(value: string): string | undefined {
  const eq = value.indexOf('=');
  const key = (eq < 0 ? value : value.slice(0, eq)).replace(/^[ \t]+/, '');
  if (key === '') return `invalid label '${value}': empty name`;
  if (/[ \t]/.test(key)) return `label '${key}' contains whitespaces`;
  return undefined;
}

/** docker's opts.ParseLink check ("container[:alias]"). */
export function linkProblem(value: string): string | undefined {
  if (value === '') return 'empty string specified for links';
  if (value.split(':').length > 2) return `bad format for links: ${value}`;
  return undefined;
}

// ---- IPAM consolidation ------------------------------------------------------------------

/** An address as Go's net.IP holds it: 4 bytes for IPv4 syntax, 16 for IPv6 syntax. */
function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    out.push(Number(p));
  }
  return out;
}

function parseIPv6(s: string): number[] | undefined {
  const words = (part: string, v4Tail: boolean): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const groups = part.split(':');
    for (const [i, g] of groups.entries()) {
      if (v4Tail && i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIPv4(g);
        if (!v4) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) out.push(Number.parseInt(g, 16));
      else return undefined;
    }
    return out;
  };
  const halves = s.split('::');
  let w: number[] | undefined;
  if (halves.length === 1) {
    w = words(s, true);
    if (w?.length !== 8) return undefined;
  } else if (halves.length === 2) {
    const head = words(halves[0] ?? '', false);
    const tail = words(halves[1] ?? '', true);
    // "::" stands for at least one group of zeros
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    w = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else return undefined;
  return w.flatMap((x) => [x >> 8, x & 0xff]);
}

/** Go's net.ParseIP; undefined for anything it would return nil for. */
export function parseIp(s: string): number[] | undefined {
  return s.includes(':') ? parseIPv6(s) : parseIPv4(s);
}

/** net.IP.To4: IPv4 and IPv4-mapped IPv6 as 4 bytes, else undefined. */
function to4(ip: readonly number[]): number[] | undefined {
  if (ip.length === 4) return [...ip];
  if (ip.slice(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff) return ip.slice(12);
  return undefined;
}

interface IpNet { ip: number[]; mask: number[] }

/** Go's net.ParseCIDR, reduced to what Contains needs; throws its "invalid CIDR address: …". */
export function parseCidr(s: string): IpNet {
  const bad = new Error(`invalid CIDR address: ${s}`);
  const slash = s.indexOf('/');
  if (slash < 0) throw bad;
  const ip = parseIp(s.slice(0, slash));
  const bits = s.includes(':') ? 128 : 32;
  const pfx = s.slice(slash + 1);
  if (!ip || !/^\d{1,8}$/.test(pfx) || Number(pfx) > bits) throw bad;
  const n = Number(pfx);
  const mask = Array.from({ length: bits / 8 }, (_, i) => (i * 8 + 8 <= n ? 0xff : i * 8 >= n ? 0 : (0xff << (8 - (n - i * 8))) & 0xff));
  return { ip, mask };
}

/** net.IPNet.Contains, IPv4-mapped IPv6 included. */
function contains(net: IpNet, addr: readonly number[]): boolean {
  let nn = to4(net.ip) ?? net.ip;
  let m = net.mask;
  if (m.length === 16 && nn.length === 4) m = m.slice(12);
  if (m.length === 4 && nn.length !== 4) return false;
  nn = nn.map((b, i) => b & (m[i] ?? 0));
  const ip = to4(addr) ?? [...addr];
  if (ip.length !== nn.length) return false;
  return ip.every((b, i) => (b & (m[i] ?? 0)) === nn[i]);
}

/** docker's subnetMatches: is `data` (an address or CIDR) inside `subnet`? */
function subnetMatches(subnet: string, data: string): boolean {
  let net: IpNet;
  try { net = parseCidr(subnet); } catch (err) { throw new Error(`invalid subnet: ${messageOf(err)}`); }
  const ip = data.includes('/') ? parseCidr(data).ip : parseIp(data);
  return ip !== undefined && contains(net, ip);
}

export interface IpamOptions {
  driver: string;
  subnets: readonly string[];
  ipRanges: readonly string[];
  gateways: readonly string[];
  /** --aux-address name=addr, in the order given. */
  auxAddresses: Readonly<Record<string, string>>;
  options: Readonly<Record<string, string>>;
}

/**
 * docker's createIPAMConfig: pairs every ip-range, gateway and aux-address with
 * the one subnet containing it (pools keep the order of --subnet). Throws the
 * CLI's messages: "no matching subnet for gateway 1.2.3.4", …
 */
export function consolidateIpam(o: IpamOptions): NetworkIpam {
  if (o.subnets.length < o.ipRanges.length || o.subnets.length < o.gateways.length) {
    throw new Error('every ip-range or gateway must have a corresponding subnet');
  }
  const pools = new Map<string, NetworkIpamConfig & { AuxiliaryAddresses: Record<string, string> }>();
  for (const s of o.subnets) {
    for (const k of pools.keys()) {
      if (subnetMatches(s, k) || subnetMatches(k, s)) throw new Error('multiple overlapping subnet configuration is not supported');
    }
    pools.set(s, { Subnet: s, AuxiliaryAddresses: {} });
  }
  const attach = (what: 'range' | 'gateway', value: string): void => {
    let match = false;
    for (const s of o.subnets) {
      if (what === 'range') parseCidr(value);
      if (!subnetMatches(s, value)) continue;
      const pool = pools.get(s);
      if (!pool) continue;
      const cur = what === 'range' ? pool.IPRange : pool.Gateway;
      if (cur !== undefined) {
        throw new Error(what === 'range'
          ? `cannot configure multiple ranges (${value}, ${cur}) on the same subnet (${s})`
          : `cannot configure multiple gateways (${value}, ${cur}) for the same subnet (${s})`);
      }
      if (what === 'range') pool.IPRange = value; else pool.Gateway = value;
      match = true;
    }
    if (!match) throw new Error(`no matching subnet for ${what} ${value}`);
  };
  for (const r of o.ipRanges) attach('range', r);
  for (const g of o.gateways) attach('gateway', g);
  for (const [key, addr] of Object.entries(o.auxAddresses)) {
    let match = false;
    for (const s of o.subnets) {
      if (!subnetMatches(s, addr)) continue;
      const pool = pools.get(s);
      if (pool) pool.AuxiliaryAddresses[key] = addr;
      match = true;
    }
    if (!match) throw new Error(`no matching subnet for aux-address ${addr}`);
  }
  // AuxiliaryAddresses is omitempty on the wire, as IPRange and Gateway are
  const config = [...pools.values()].map(({ AuxiliaryAddresses, ...rest }) => (Object.keys(AuxiliaryAddresses).length > 0 ? { ...rest, AuxiliaryAddresses } : rest));
  return { Driver: o.driver, Options: { ...o.options }, Config: config };
}

// ---- ls formatting -----------------------------------------------------------------------

export const NETWORK_DEFAULT_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
export const NETWORK_HEADERS: Record<string, string> = {
  ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv4: 'IPV4', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT',
};

/** docker's SubHeaderContext.Label: `{{.Label "com.example.my-key"}}` heads its column "my key". */
export function labelHeader(name: string): string {
  return (name.split('.').pop() ?? '').replaceAll('-', ' ').replaceAll('_', ' ');
}

/** The header row's data: the titles, and Label as a method (as docker's header context has it). */
const HEADER_CONTEXT = { ...NETWORK_HEADERS, Label: labelHeader } as unknown as Record<string, string>;

/** docker's network NewFormat: the template a --format/--quiet pair stands for. */
export function networkListFormat(format: string, quiet: boolean): string {
  if (format === '' || format === 'table') return quiet ? '{{.ID}}' : NETWORK_DEFAULT_TABLE;
  if (format === 'raw') return quiet ? 'network_id: {{.ID}}' : 'network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: {{.Scope}}\\n';
  return format;
}

/** fvbommel/sortorder.NaturalLess over UTF-8 bytes: digit runs compare as numbers, and sort before other bytes. */
export function naturalLess(a: string, b: string): boolean {
  const s1 = Buffer.from(a);
  const s2 = Buffer.from(b);
  const digit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
  let i = 0;
  let j = 0;
  while (i < s1.length && j < s2.length) {
    const c1 = s1[i];
    const c2 = s2[j];
    const d1 = digit(c1);
    if (d1 !== digit(c2)) return d1;
    if (!d1) {
      if (c1 !== c2) return (c1 ?? 0) < (c2 ?? 0);
      i++; j++;
      continue;
    }
    while (s1[i] === 0x30) i++;
    while (s2[j] === 0x30) j++;
    const n1 = i;
    const n2 = j;
    while (digit(s1[i])) i++;
    while (digit(s2[j])) j++;
    if (i - n1 !== j - n2) return i - n1 < j - n2;
    const r1 = s1.subarray(n1, i).toString('latin1');
    const r2 = s2.subarray(n2, j).toString('latin1');
    if (r1 !== r2) return r1 < r2;
    if (n1 !== n2) return n1 < n2;
  }
  return s1.length < s2.length;
}

/** An RFC 3339 timestamp as Go's time.Time.String() prints the parsed value ("2025-01-02 03:04:05.5 +0000 UTC"). */
export function goTimeFromRfc3339(s: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i.exec(s);
  if (!m) return s;
  const frac = (m[3] ?? '').slice(0, 9).replace(/0+$/, '');
  const clock = `${m[1] ?? ''} ${m[2] ?? ''}${frac === '' ? '' : `.${frac}`}`;
  const z = m[4] ?? 'Z';
  if (z.toUpperCase() === 'Z') return `${clock} +0000 UTC`;
  const off = (z.startsWith('-') ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(4, 6)));
  const num = `${z[0] ?? '+'}${z.slice(1, 3)}${z.slice(4, 6)}`;
  // Go keeps the local zone's name when the offset is the local one at that instant, else a nameless fixed zone
  const at = new Date(s);
  let name = num;
  if (!Number.isNaN(at.getTime()) && -at.getTimezoneOffset() === off) {
    name = off === 0 ? 'UTC' : (new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(at).find((x) => x.type === 'timeZoneName')?.value ?? num);
  }
  return `${clock} ${num} ${name}`;
}

/** The row a `network ls` template sees (docker's networkContext). */
export function networkRow(n: NetworkSummary, trunc: boolean): Row {
  const labels = n.Labels ?? {};
  return {
    ID: trunc ? truncateId(n.Id) : n.Id,
    Name: n.Name,
    Driver: n.Driver,
    Scope: n.Scope,
    IPv4: String(n.EnableIPv4 === true),
    IPv6: String(n.EnableIPv6 === true),
    Internal: String(n.Internal === true),
    Labels: Object.entries(labels).map(([k, v]) => `${k}=${v}`).sort().join(','),
    CreatedAt: goTimeFromRfc3339(n.Created ?? ''),
    Label: (name: string): string => labels[name] ?? '',
  };
}

// ---- commands ----------------------------------------------------------------------------

const CREATE_USAGE = '[OPTIONS] NETWORK';
const CONNECT_USAGE = '[OPTIONS] NETWORK CONTAINER';

export const networkCreateCommand: Handler = async (ctx) => {
  const f = ctx.flags;
  for (const l of f.list('label')) {
    const why = labelProblem(l);
    if (why !== undefined) throw usageError(ctx, CREATE_USAGE, '--label', l, why);
  }
  const subnets = stringSlice(ctx, CREATE_USAGE, 'subnet');
  const ipRanges = stringSlice(ctx, CREATE_USAGE, 'ip-range');
  const gateways = stringSlice(ctx, CREATE_USAGE, 'gateway');
  let ipam: NetworkIpam;
  try {
    ipam = consolidateIpam({
      driver: f.string('ipam-driver') ?? 'default', subnets, ipRanges, gateways,
      auxAddresses: kvMap(f.list('aux-address')), options: kvMap(f.list('ipam-opt')),
    });
  } catch (err) {
    throw new StatusError(1, messageOf(err));
  }
  const configFrom = f.string('config-from') ?? '';
  // Name last: docker's CreateRequest embeds CreateOptions first
  const res = await ctx.client().networks.create({
    Driver: f.string('driver') ?? 'bridge',
    Scope: f.string('scope') ?? '',
    ...(f.changed('ipv4') ? { EnableIPv4: f.bool('ipv4') } : {}),
    ...(f.changed('ipv6') ? { EnableIPv6: f.bool('ipv6') } : {}),
    IPAM: ipam,
    Internal: f.bool('internal'),
    Attachable: f.bool('attachable'),
    Ingress: f.bool('ingress'),
    ConfigOnly: f.bool('config-only'),
    ConfigFrom: configFrom !== '' ? { Network: configFrom } : null,
    Options: kvMap(f.list('opt')),
    Labels: kvMap(f.list('label')),
    Name: ctx.args[0] ?? '',
  });
  writeOut(`${res.Id}\n`);
};

export const networkListCommand: Handler = async (ctx) => {
  const f = ctx.flags;
  const filters = filterMap(f.list('filter'));
  const list = await ctx.client().networks.list(Object.keys(filters).length > 0 ? { filters: encodeFilters(filters) } : {});
  list.sort((a, b) => (naturalLess(a.Name, b.Name) ? -1 : naturalLess(b.Name, a.Name) ? 1 : 0));
  const trunc = !f.bool('no-trunc');
  const rows = list.map((n) => networkRow(n, trunc));
  writeOut(renderRows(networkListFormat(f.string('format') ?? '', f.bool('quiet')), rows, {
    defaultTable: NETWORK_DEFAULT_TABLE, headers: HEADER_CONTEXT,
    json: (r) => Object.fromEntries(Object.entries(r).filter(([, v]) => typeof v !== 'function')),
  }));
};

/**
 * Go's json.Indent (`indent` per level) or, with `indent` undefined, json.Compact:
 * whitespace outside strings is dropped, everything else (escapes, number
 * spellings) kept byte for byte; empty objects and arrays stay `{}` and `[]`.
 */
export function reformatJson(src: string, indent?: string): string {
  let out = '';
  let depth = 0;
  let open = false; // just after { or [: the newline waits, so that empty ones stay closed
  let inString = false;
  let escaped = false;
  const newline = (): string => (indent === undefined ? '' : `\n${indent.repeat(depth)}`);
  for (const c of src) {
    if (inString) {
      out += c;
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (open && c !== '}' && c !== ']') { open = false; depth++; out += newline(); }
    if (c === '"') { inString = true; out += c; } else if (c === '{' || c === '[') { open = true; out += c; } else if (c === ',') out += `,${newline()}`;
    else if (c === ':') out += indent === undefined ? ':' : ': ';
    else if (c === '}' || c === ']') {
      if (open) open = false; else { depth--; out += newline(); }
      out += c;
    } else out += c;
  }
  return out;
}

/**
 * docker's inspect.Inspect: the daemon's bodies as one array, indented 4 spaces
 * (or compact for "json"), or one template line each; output waits until every
 * name was tried, then the errors follow on stderr.
 */
export const networkInspectCommand: Handler = async (ctx) => {
  const fmt = ctx.flags.string('format') ?? '';
  let tpl: Template | undefined;
  if (fmt !== '' && fmt !== 'json') {
    try { tpl = parseTemplate(fmt); } catch (err) { throw new StatusError(64, messageOf(err)); }
  }
  const raws: string[] = [];
  const errs: string[] = [];
  let lines = '';
  for (const ref of ctx.args) {
    try {
      const { network, raw } = await ctx.client().networks.inspectRaw(ref, { verbose: ctx.flags.bool('verbose') });
      if (tpl) lines += `${tpl.execute(network)}\n`; else raws.push(raw);
    } catch (err) {
      errs.push(messageOf(err));
    }
  }
  if (tpl) writeOut(lines === '' ? '\n' : lines);
  else if (raws.length === 0) writeOut('[]\n');
  else writeOut(`${reformatJson(`[${raws.join(',')}]`, fmt === 'json' ? undefined : '    ')}\n`);
  if (errs.length > 0) throw new StatusError(1, errs.join('\n'));
};

const INGRESS_WARNING = 'WARNING! Before removing the routing-mesh network, make sure all the nodes in your swarm run the same docker engine version. ' +
  'Otherwise, removal may not be effective and functionality of newly create ingress networks will be impaired.\nAre you sure you want to continue? [y/N] ';

/** Each name printed once removed; failures go to stderr as they happen, then "exit status 1" (docker's StatusError). */
export const networkRemoveCommand: Handler = async (ctx) => {
  const client = ctx.client();
  let failed = false;
  for (const name of ctx.args) {
    const n = await client.networks.inspect(name).catch(() => undefined);
    // prune.js imports this module; loading it here keeps the import graph acyclic
    if (n?.Ingress === true && !(await (await import('./prune.js')).confirm(INGRESS_WARNING))) continue;
    try {
      await client.networks.remove(name);
    } catch (err) {
      if (ctx.flags.bool('force') && isNotFound(err)) continue;
      writeErr(`${messageOf(err)}\n`);
      failed = true;
      continue;
    }
    writeOut(`${name}\n`);
  }
  if (failed) throw new StatusError(1, 'exit status 1');
};

export const networkConnectCommand: Handler = async (ctx) => {
  const f = ctx.flags;
  const links = f.list('link');
  for (const l of links) {
    const why = linkProblem(l);
    if (why !== undefined) throw usageError(ctx, CONNECT_USAGE, '--link', l, why);
  }
  const aliases = stringSlice(ctx, CONNECT_USAGE, 'alias');
  const linkLocal = stringSlice(ctx, CONNECT_USAGE, 'link-local-ip');
  const driverOpts: Record<string, string> = {};
  for (const o of stringSlice(ctx, CONNECT_USAGE, 'driver-opt')) {
    const eq = o.indexOf('=');
    const k = eq < 0 ? '' : o.slice(0, eq).trim();
    if (k === '') throw new StatusError(1, 'invalid key/value pair format in driver options');
    driverOpts[k] = o.slice(eq + 1).trim();
  }
  const ip = f.string('ip') ?? '';
  const ip6 = f.string('ip6') ?? '';
  const [network = '', container = ''] = ctx.args;
  // the whole EndpointSettings, zero values included, as docker's client marshals it
  await ctx.client().networks.connect(network, container, {
    IPAMConfig: { ...(ip !== '' ? { IPv4Address: ip } : {}), ...(ip6 !== '' ? { IPv6Address: ip6 } : {}), ...(linkLocal.length > 0 ? { LinkLocalIPs: linkLocal } : {}) },
    Links: links.length > 0 ? links : null,
    Aliases: aliases,
    MacAddress: '',
    DriverOpts: driverOpts,
    GwPriority: f.int('gw-priority') ?? 0,
    NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  });
};

export const networkDisconnectCommand: Handler = async (ctx) => {
  const [network = '', container = ''] = ctx.args;
  await ctx.client().networks.disconnect(network, container, { force: ctx.flags.bool('force') });
};
