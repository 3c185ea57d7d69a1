// `pier` entry: global flags, command lookup, argument checks, help, and the
// mapping of failures to docker's messages and exit codes.

import type { Client } from '../client/index.js';
import { classify, messageOf } from '../errdefs/index.js';
import { type ArgRule, type CommandSpec, commands, groups, lookup } from './commands.js';
import { type CommandContext, StatusError, writeErr, writeOut } from './context.js';
import { FlagError, type FlagSpec, formatFlagHelp, parseFlags } from './flags.js';

export const PIER_VERSION = '0.1.0';
/** Same as client's DEFAULT_HOST; repeated so `--version`/`--help` need not load node:http. */
const DEFAULT_HOST = 'unix:///run/pier/pier.sock';
const BIN = 'pier';

const globalFlags: readonly FlagSpec[] = [
  { long: 'config', type: 'string', desc: 'Location of client config files', def: '"/root/.docker"' },
  { long: 'context', short: 'c', type: 'string', desc: 'Name of the context to use to connect to the daemon (overrides DOCKER_HOST env var and default context set with "docker context use")' },
  { long: 'debug', short: 'D', type: 'bool', desc: 'Enable debug mode' },
  { long: 'host', short: 'H', type: 'list', desc: 'Daemon socket to connect to' },
  { long: 'log-level', short: 'l', type: 'string', desc: 'Set the logging level ("debug", "info", "warn", "error", "fatal")', def: '"info"' },
  { long: 'tls', type: 'bool', desc: 'Use TLS; implied by --tlsverify' },
  { long: 'tlscacert', type: 'string', desc: 'Trust certs signed only by this CA' },
  { long: 'tlscert', type: 'string', desc: 'Path to TLS certificate file' },
  { long: 'tlskey', type: 'string', desc: 'Path to TLS key file' },
  { long: 'tlsverify', type: 'bool', desc: 'Use TLS and verify the remote' },
  { long: 'version', short: 'v', type: 'bool', desc: 'Print version information and quit' },
];

/** The daemon address: -H (first wins), else PIER_HOST, else DOCKER_HOST, else the default socket. */
export function resolveHost(hosts: readonly string[], env: NodeJS.ProcessEnv): string {
  const h = hosts[0] ?? env['PIER_HOST'] ?? env['DOCKER_HOST'];
  return h === undefined || h === '' ? DEFAULT_HOST : h;
}

/**
 * docker's client TLS: --tlsverify or DOCKER_TLS_VERIFY verifies the daemon against the CA; --tls
 * alone encrypts without checking it. Files come from --tlscacert/--tlscert/--tlskey, else
 * DOCKER_CERT_PATH (or ~/.docker) /ca.pem, cert.pem, key.pem; a client certificate is sent when there is one.
 */
export function clientTls(flags: { bool(k: string): boolean; string(k: string): string | undefined }, env: NodeJS.ProcessEnv): { tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; verify: boolean } } {
  const verify = flags.bool('tlsverify') || (env['DOCKER_TLS_VERIFY'] ?? '') !== '';
  if (!verify && !flags.bool('tls')) return {};
  const dir = env['DOCKER_CERT_PATH'] || `${env['HOME'] || '/root'}/.docker`;
  const fs = process.getBuiltinModule('node:fs');
  const read = (flag: string, file: string, needed: boolean): Buffer | undefined => {
    const path = flags.string(flag) ?? `${dir}/${file}`;
    try { return fs.readFileSync(path); } catch (err) {
      if (!needed && flags.string(flag) === undefined) return undefined;
      throw new Error(`could not read ${flag.replace('tls', 'TLS ')} file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
  };
  const ca = read('tlscacert', 'ca.pem', verify);
  const cert = read('tlscert', 'cert.pem', false);
  const key = read('tlskey', 'key.pem', cert !== undefined);
  return { tls: { verify, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) } };
}

export function versionLine(env: NodeJS.ProcessEnv = process.env): string {
  return `${BIN} version ${PIER_VERSION}, build ${env['PIER_BUILD'] || 'dev'}\n`;
}

function usageLine(path: string, spec: CommandSpec): string {
  return `${path} ${spec.usage}`;
}

function argError(path: string, spec: CommandSpec, n: number): string | undefined {
  const r: ArgRule = spec.args;
  const usage = usageLine(path, spec);
  const plural = (k: number): string => (k === 1 ? 'argument' : 'arguments');
  if (r.max === 0 && n > 0) return `${BIN}: '${path}' accepts no arguments\n\nUsage:  ${usage}\n\nRun '${path} --help' for more information`;
  if (r.min !== undefined && r.max !== undefined && r.min === r.max && n !== r.min) {
    return `${BIN}: '${path}' requires ${r.min} ${plural(r.min)}\n\nUsage:  ${usage}\n\nRun '${path} --help' for more information`;
  }
  if (r.min !== undefined && n < r.min) {
    if (r.max !== undefined) return `${BIN}: '${path}' requires at least ${r.min} and at most ${r.max} ${plural(r.max)}\n\nUsage:  ${usage}\n\nRun '${path} --help' for more information`;
    return `${BIN}: '${path}' requires at least ${r.min} ${plural(r.min)}\n\nUsage:  ${usage}\n\nSee '${path} --help' for more information`;
  }
  if (r.max !== undefined && n > r.max) {
    if (r.min !== undefined && r.min > 0) return `${BIN}: '${path}' requires at least ${r.min} and at most ${r.max} ${plural(r.max)}\n\nUsage:  ${usage}\n\nRun '${path} --help' for more information`;
    return `${BIN}: '${path}' requires at most ${r.max} ${plural(r.max)}\n\nUsage:  ${usage}\n\nRun '${path} --help' for more information`;
  }
  return undefined;
}

function commandHelp(path: string, spec: CommandSpec): string {
  const aliases = spec.names.length > 1 ? `\nAliases:\n  ${spec.names.map((n) => `${BIN} ${n}`).join(', ')}\n` : '';
  const opts = spec.flags.length > 0 ? `\nOptions:\n${formatFlagHelp(spec.flags)}` : '';
  return `Usage:  ${usageLine(path, spec).replaceAll('docker ', `${BIN} `)}\n\n${spec.desc}\n${aliases}${opts}`;
}

function listing(filter: (name: string) => boolean, strip = ''): string {
  const rows: [string, string][] = [];
  for (const c of commands) {
    const n = c.names.find(filter); // aliases are not listed, as in docker
    if (n !== undefined) rows.push([n.slice(strip.length), c.desc]);
  }
  rows.sort((a, b) => a[0].localeCompare(b[0]));
  return rows.map(([n, d]) => `  ${n.padEnd(11)} ${d}\n`).join('');
}

function rootHelp(): string {
  const mgmt = Object.entries(groups).map(([n, d]) => `  ${n.padEnd(11)} ${d}\n`).join('');
  return `Usage:  ${BIN} [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n\n` +
    `Management Commands:\n${mgmt}\nCommands:\n${listing((n) => !n.includes(' '))}\n` +
    `Global Options:\n${formatFlagHelp(globalFlags)}\nRun '${BIN} COMMAND --help' for more information on a command.\n`;
}

function groupHelp(group: string): string {
  return `Usage:  ${BIN} ${group} COMMAND\n\n${groups[group] ?? ''}\n\nCommands:\n${listing((n) => n.startsWith(`${group} `), `${group} `)}\n` +
    `Run '${BIN} ${group} COMMAND --help' for more information on a command.\n`;
}

/** Prints an error the way docker's main does and returns the exit code. */
export function reportError(err: unknown): number {
  if (err instanceof StatusError) {
    if (err.message !== '') writeErr(`${err.message}\n`);
    return err.code === 0 ? 1 : err.code;
  }
  const known = classify(err);
  writeErr(`${known ? known.message : messageOf(err)}\n`);
  return 1;
}

/** Runs `pier` with argv (without node and script); resolves with the exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // A closed pipe (`pier events | head`) ends the CLI quietly, as SIGPIPE ends docker.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(141);
    throw err;
  });
  let g;
  try {
    g = parseFlags(argv, globalFlags, { interspersed: false });
  } catch (err) {
    if (err instanceof FlagError) {
      writeErr(`${err.message}\n\nUsage:  ${BIN} [OPTIONS] COMMAND\n\nRun '${BIN} --help' for more information\n`);
      return 125;
    }
    throw err;
  }
  if (g.flags.bool('version')) { writeOut(versionLine(env)); return 0; }
  const words = g.args;
  if (g.help || words.length === 0) { writeOut(rootHelp()); return 0; }
  if (words[0] === 'help') {
    const found = lookup(words.slice(1));
    if (found) writeOut(commandHelp(`${BIN} ${found.name}`, found.spec));
    else if (words[1] !== undefined && words[1] in groups) writeOut(groupHelp(words[1]));
    else writeOut(rootHelp());
    return 0;
  }
  const found = lookup(words);
  if (!found) {
    const w0 = words[0] ?? '';
    if (w0 in groups) {
      if (words.length === 1 || words[1] === '--help' || words[1] === '-h') { writeOut(groupHelp(w0)); return 0; }
      writeErr(`${BIN}: unknown command: ${BIN} ${w0} ${words[1] ?? ''}\n\nUsage:  ${BIN} ${w0} COMMAND\n\nRun '${BIN} ${w0} --help' for more information\n`);
      return 1;
    }
    writeErr(`${BIN}: unknown command: ${BIN} ${w0}\n\nRun '${BIN} --help' for more information\n`);
    return 1;
  }
  const path = `${BIN} ${found.name}`;
  const spec = found.spec;
  let parsed;
  try {
    parsed = parseFlags(words.slice(found.used), spec.flags, { interspersed: spec.interspersed !== false });
  } catch (err) {
    if (err instanceof FlagError) {
      writeErr(`${err.message}\n\nUsage:  ${usageLine(path, spec)}\n\nRun '${path} --help' for more information\n`);
      return 125;
    }
    throw err;
  }
  if (parsed.help) { writeOut(commandHelp(path, spec)); return 0; }
  const bad = argError(path, spec, parsed.args.length);
  if (bad !== undefined) { writeErr(`${bad}\n`); return 1; }

  const host = resolveHost(g.flags.list('host'), env);
  const { Client: ClientClass } = await import('../client/index.js');
  let client: Client | undefined;
  const ctx: CommandContext = {
    path, args: parsed.args, flags: parsed.flags, env, host,
    client: () => {
      const v = env['DOCKER_API_VERSION'];
      client ??= new ClientClass(host, { ...(v ? { version: v } : {}), ...clientTls(g.flags, env) });
      return client;
    },
  };
  try {
    const handler = await spec.load();
    const code = await handler(ctx);
    return typeof code === 'number' ? code : 0;
  } catch (err) {
    return reportError(err);
  } finally {
    client?.close();
  }
}
