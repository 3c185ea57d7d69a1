// Small container commands: top, port, update, diff, export; login/logout stubs.

import { pipeline } from 'node:stream/promises';
import { tabwrite } from '../../pkg/gotemplate/index.js';
import { type Handler, StatusError, writeErr, writeOut } from '../context.js';
import { parseRestartPolicy } from '../opts.js';
import { AtomicFile } from '../output-file.js';
import { parseNanoCpus, parseRamBytes } from '../units.js';
import { messageOf } from '../../errdefs/index.js';

/** sortorder.NaturalLess: digit runs compare as numbers. */
export function naturalCompare(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) { const d = Number(x) - Number(y); if (d !== 0) return d; return x.length - y.length; }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

const joinHostPort = (ip: string, port: string): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

export const topCommand: Handler = async (ctx) => {
  const [name = '', ...psArgs] = ctx.args;
  const top = await ctx.client().containers.top(name, psArgs.join(' '));
  let text = `${top.Titles.join('\t')}\n`;
  for (const p of top.Processes) text += `${p.join('\t')}\n`;
  writeOut(tabwrite(text, { minwidth: 20, tabwidth: 1, padding: 3, padchar: ' ' }));
};

export const portCommand: Handler = async (ctx) => {
  const [name = '', spec] = ctx.args;
  const c = await ctx.client().containers.inspect(name);
  const ports = c.NetworkSettings.Ports ?? {};
  const out: string[] = [];
  if (spec !== undefined) {
    const [port = '', proto = 'tcp'] = spec.split('/', 2);
    if (!/^\d+$/.test(port) || Number(port) > 65535) throw new StatusError(1, `Error: invalid port (${port}): strconv.ParseUint: parsing "${port}": invalid syntax`);
    const fronts = ports[`${port}/${proto || 'tcp'}`];
    if (!fronts || fronts.length === 0) throw new StatusError(1, `Error: No public port '${spec}' published for ${name}`);
    for (const fr of fronts) out.push(joinHostPort(fr.HostIp ?? '', fr.HostPort ?? ''));
  } else {
    for (const [from, fronts] of Object.entries(ports)) for (const fr of fronts ?? []) out.push(`${from} -> ${joinHostPort(fr.HostIp ?? '', fr.HostPort ?? '')}`);
  }
  if (out.length > 0) writeOut(`${out.sort(naturalCompare).join('\n')}\n`);
};

export const updateCommand: Handler = async (ctx) => {
  const f = ctx.flags;
  const names = ['blkio-weight', 'cpu-period', 'cpu-quota', 'cpu-rt-period', 'cpu-rt-runtime', 'cpu-shares', 'cpus', 'cpuset-cpus', 'cpuset-mems', 'memory', 'memory-reservation', 'memory-swap', 'pids-limit', 'restart'];
  if (!names.some((n) => f.changed(n))) throw new StatusError(1, 'you must provide one or more flags when using this command');
  const bytes = (n: string): number => { const v = f.string(n); if (v === undefined || v === '') return 0; return n === 'memory-swap' && v === '-1' ? -1 : parseRamBytes(v); };
  let restart = { Name: '', MaximumRetryCount: 0 };
  try { if (f.string('restart')) restart = parseRestartPolicy(f.string('restart') ?? ''); } catch (err) { throw new StatusError(1, messageOf(err)); }
  const body: Record<string, unknown> = {
    BlkioWeight: f.int('blkio-weight') ?? 0, CpuPeriod: f.int('cpu-period') ?? 0, CpuQuota: f.int('cpu-quota') ?? 0,
    CpuRealtimePeriod: f.int('cpu-rt-period') ?? 0, CpuRealtimeRuntime: f.int('cpu-rt-runtime') ?? 0, CpuShares: f.int('cpu-shares') ?? 0,
    NanoCpus: f.string('cpus') !== undefined ? parseNanoCpus(f.string('cpus') ?? '0') : 0,
    CpusetCpus: f.string('cpuset-cpus') ?? '', CpusetMems: f.string('cpuset-mems') ?? '',
    Memory: bytes('memory'), MemoryReservation: bytes('memory-reservation'), MemorySwap: bytes('memory-swap'),
    RestartPolicy: restart,
  };
  if (f.changed('pids-limit')) body['PidsLimit'] = f.int('pids-limit');
  const warns: string[] = [];
  const errs: string[] = [];
  for (const c of ctx.args) {
    try {
      const r = await ctx.client().containers.update(c, body);
      writeOut(`${c}\n`);
      warns.push(...(r?.Warnings ?? []));
    } catch (err) {
      errs.push(messageOf(err));
    }
  }
  if (warns.length > 0) writeOut(`${warns.join('\n')}\n`);
  if (errs.length > 0) throw new StatusError(1, errs.join('\n'));
};

export const diffCommand: Handler = async (ctx) => {
  const changes = await ctx.client().containers.changes(ctx.args[0] ?? '');
  const kinds = ['C', 'A', 'D'];
  writeOut((changes ?? []).map((c) => `${kinds[c.Kind] ?? '?'} ${c.Path}\n`).join(''));
};

export const exportCommand: Handler = async (ctx) => {
  const out = ctx.flags.string('output') ?? '';
  if (out === '') {
    if (process.stdout.isTTY) throw new StatusError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
    const res = await ctx.client().containers.export(ctx.args[0] ?? '');
    await pipeline(res.body, process.stdout, { end: false });
    return;
  }
  // as docker 28: the output file is checked and opened before the daemon is asked
  let file: AtomicFile;
  try { file = AtomicFile.create(out); } catch (err) { throw new StatusError(1, `failed to export container: ${messageOf(err)}`); }
  try {
    const res = await ctx.client().containers.export(ctx.args[0] ?? '');
    try { await pipeline(res.body, file.stream); } catch (err) { throw file.writeError(err); }
    file.commit();
  } finally {
    file.discard();
  }
};

/** `pier login`: checks the credentials through the daemon, then keeps them in config.json as docker does. */
export const loginCommand: Handler = async (ctx) => {
  const { HUB_SERVER, normaliseServer, storeAuth, configPath } = await import('../registry-auth.js');
  const server = ctx.args[0] ? normaliseServer(ctx.args[0]) : HUB_SERVER;
  const username = ctx.flags.string('username') ?? '';
  let password = ctx.flags.string('password') ?? '';
  if (ctx.flags.bool('password-stdin')) {
    if (password) throw new StatusError(1, '--password and --password-stdin are mutually exclusive');
    if (!username) throw new StatusError(1, 'Must provide --username with --password-stdin');
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  } else if (password) {
    writeErr('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  }
  if (!username || !password) throw new StatusError(1, 'Error: Cannot perform an interactive login from a non TTY device');
  await ctx.client().system.auth({ username, password, serveraddress: server });
  storeAuth(server, { username, password }, ctx.env);
  writeErr(`WARNING! Your credentials are stored unencrypted in '${configPath(ctx.env)}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`);
  writeOut('Login Succeeded\n');
};

/** `pier logout`: forgets the stored credentials for a registry. */
export const logoutCommand: Handler = async (ctx) => {
  const { HUB_SERVER, normaliseServer, storeAuth } = await import('../registry-auth.js');
  const server = ctx.args[0] ? normaliseServer(ctx.args[0]) : HUB_SERVER;
  const had = storeAuth(server, undefined, ctx.env);
  if (!had) { writeOut(`Not logged in to ${server}\n`); return; }
  writeOut(`Removing login credentials for ${server}\n`);
};
