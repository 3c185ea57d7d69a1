// `pier registry serve` and `pier registry gc`: pier's own OCI registry, run in
// the foreground of this process (it never talks to pierd).

import { mkdir, readFile, stat } from 'node:fs/promises';
import { createLogger } from '../../pkg/log/index.js';
import { messageOf } from '../../errdefs/index.js';
import { FilesystemDriver, garbageCollect, Htpasswd, RegistryServer, TokenKey, type TokenOptions } from '../../registry/index.js';
import { type Handler, StatusError, writeErr, writeOut } from '../context.js';

const DEFAULT_ADDR = '127.0.0.1:5000';
const DEFAULT_ROOT = '/var/lib/pier-registry';
const DEFAULT_REALM = 'pier-registry';

/** Splits `host:port`, `[v6]:port` or `:port` (every interface), as Go's net.SplitHostPort. */
export function parseListenAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.%\w]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(addr);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new StatusError(1, `invalid --addr "${addr}": want host:port, e.g. ${DEFAULT_ADDR}`);
  return { host: m[1] ?? m[2] ?? '', port };
}

async function readOrFail(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new StatusError(1, `cannot read ${what} "${path}": ${messageOf(err)}`);
  }
}

export const registryServeCommand: Handler = async (ctx) => {
  const f = ctx.flags;
  const addr = f.string('addr') || DEFAULT_ADDR;
  const root = f.string('root') || DEFAULT_ROOT;
  const { host, port } = parseListenAddr(addr);
  const certPath = f.string('tls-cert') ?? '';
  const keyPath = f.string('tls-key') ?? '';
  if ((certPath === '') !== (keyPath === '')) throw new StatusError(1, '--tls-cert and --tls-key must be given together');
  const tls = certPath !== '' ? { cert: await readOrFail(certPath, 'TLS certificate'), key: await readOrFail(keyPath, 'TLS key') } : undefined;

  let htpasswd: Htpasswd | undefined;
  const htpasswdPath = f.string('htpasswd') ?? '';
  if (htpasswdPath !== '') {
    try {
      htpasswd = await Htpasswd.load(htpasswdPath);
    } catch (err) {
      throw new StatusError(1, messageOf(err));
    }
    if (htpasswd.size === 0) throw new StatusError(1, `htpasswd file "${htpasswdPath}" has no bcrypt entries (create them with htpasswd -B)`);
    for (const user of htpasswd.skipped) writeErr(`warning: htpasswd user "${user}" is not a bcrypt entry and cannot log in\n`);
  }

  const auth = f.string('auth') ?? '';
  if (auth !== '' && auth !== 'htpasswd' && auth !== 'token') throw new StatusError(1, `invalid --auth "${auth}": want htpasswd or token`);
  if (auth === 'htpasswd' && htpasswd === undefined) throw new StatusError(1, '--auth htpasswd needs --htpasswd');
  const anonymousPull = f.bool('anonymous-pull');
  const tokenKeyPath = f.string('auth-token-key') ?? '';
  let token: TokenOptions | undefined;
  if (auth === 'token') {
    if (htpasswd === undefined && !anonymousPull) throw new StatusError(1, '--auth token needs --htpasswd (users who may push) or --anonymous-pull');
    let key: TokenKey | undefined;
    if (tokenKeyPath !== '') {
      try {
        key = TokenKey.fromPem(await readOrFail(tokenKeyPath, 'token signing key'));
      } catch (err) {
        if (err instanceof StatusError) throw err;
        throw new StatusError(1, `--auth-token-key "${tokenKeyPath}": ${messageOf(err)}`);
      }
    }
    token = { anonymousPull, ...(key ? { key } : {}) };
  } else if (anonymousPull || tokenKeyPath !== '') {
    throw new StatusError(1, `${anonymousPull ? '--anonymous-pull' : '--auth-token-key'} needs --auth token`);
  }

  try {
    await mkdir(root, { recursive: true });
  } catch (err) {
    throw new StatusError(1, `cannot create registry root "${root}": ${messageOf(err)}`);
  }

  const server = new RegistryServer({
    storage: new FilesystemDriver(root),
    readOnly: f.bool('read-only'),
    allowDelete: f.bool('delete'),
    realm: f.string('realm') || DEFAULT_REALM,
    logger: createLogger({ level: 'warn' }).child({ component: 'registry' }),
    ...(htpasswd ? { htpasswd } : {}),
    ...(tls ? { tls } : {}),
    ...(token ? { token } : {}),
  });
  let url: string;
  try {
    ({ url } = await server.listen({ host, port }));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'address already in use' : code === 'EACCES' ? 'permission denied' : messageOf(err);
    throw new StatusError(1, `cannot listen on ${addr}: ${why}`);
  }
  writeErr(`pier registry listening on ${url} (root ${root})\n`);
  if (token) writeErr(`token auth: tokens from ${url}/token, service "${server.tokenAuth?.service ?? ''}", ${server.tokenAuth?.key.alg ?? ''}${anonymousPull ? ', anonymous pull allowed' : ''}\n`);

  // The handlers stay for the whole shutdown: a second signal while connections close
  // (Ctrl-C twice, or SIGINT then a supervisor's SIGTERM) must not kill it half-way.
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const on = (sig: NodeJS.Signals): void => resolve(sig);
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
  writeErr(`pier registry: ${signal}, shutting down\n`);
  await server.close();
  return 0;
};

export const registryGcCommand: Handler = async (ctx) => {
  const root = ctx.flags.string('root') || DEFAULT_ROOT;
  const dryRun = ctx.flags.bool('dry-run');
  try {
    if (!(await stat(root)).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new StatusError(1, `registry root "${root}" is not usable: ${messageOf(err)}`);
  }
  try {
    await garbageCollect(new FilesystemDriver(root), { dryRun, onLine: (line) => writeOut(`${line}\n`) });
  } catch (err) {
    throw new StatusError(1, `garbage collection failed: ${messageOf(err)}`);
  }
  return 0;
};
