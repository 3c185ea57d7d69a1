// Registry credentials as the docker CLI keeps them: `auths` in
// $DOCKER_CONFIG/config.json (default ~/.docker), `auth` = base64("user:pass"),
// keyed by host[:port] (Docker Hub: https://index.docker.io/v1/). Sent to the
// daemon as X-Registry-Auth: base64url of docker's AuthConfig JSON.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { EMPTY_AUTH } from '../client/index.js';

export const HUB_SERVER = 'https://index.docker.io/v1/';

export interface AuthConfig { username?: string; password?: string; serveraddress?: string; identitytoken?: string }

export function configPath(env: NodeJS.ProcessEnv): string {
  return join(env['DOCKER_CONFIG'] || join(homedir(), '.docker'), 'config.json');
}

function readConfig(env: NodeJS.ProcessEnv): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(readFileSync(configPath(env), 'utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : {};
  } catch {
    return {};
  }
}

/** `docker.io/x/y` or `127.0.0.1:5000/x` → the credentials key. */
export function serverOf(repository: string): string {
  const host = repository.split('/')[0] ?? '';
  return host === 'docker.io' || host === 'index.docker.io' || host === 'registry-1.docker.io' ? HUB_SERVER : host;
}

export function normaliseServer(s: string): string {
  if (!s) return HUB_SERVER;
  const h = s.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return h === 'docker.io' || h === 'index.docker.io' || h === 'registry-1.docker.io' ? HUB_SERVER : h;
}

export function loadAuth(server: string, env: NodeJS.ProcessEnv): AuthConfig | undefined {
  const auths = readConfig(env)['auths'] as Record<string, { auth?: string; identitytoken?: string }> | undefined;
  const e = auths?.[server] ?? auths?.[`https://${server}`] ?? auths?.[`http://${server}`];
  if (!e?.auth) return e?.identitytoken ? { identitytoken: e.identitytoken, serveraddress: server } : undefined;
  const text = Buffer.from(e.auth, 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i < 0) return undefined;
  return { username: text.slice(0, i), password: text.slice(i + 1), serveraddress: server };
}

export function encodeAuth(a: AuthConfig | undefined): string {
  if (!a) return EMPTY_AUTH;
  return Buffer.from(JSON.stringify(a)).toString('base64url');
}

/** X-Registry-Auth for a repository, from the stored credentials (`e30=` when none). */
export function authHeaderFor(repository: string, env: NodeJS.ProcessEnv): string {
  return encodeAuth(loadAuth(serverOf(repository), env));
}

/** Stores (or with `a` undefined removes) credentials, keeping the rest of config.json. */
export function storeAuth(server: string, a: AuthConfig | undefined, env: NodeJS.ProcessEnv): boolean {
  const cfg = readConfig(env);
  const auths = { ...((cfg['auths'] as Record<string, unknown> | undefined) ?? {}) };
  const had = server in auths;
  if (a) auths[server] = { auth: Buffer.from(`${a.username ?? ''}:${a.password ?? ''}`).toString('base64') };
  else delete auths[server];
  const path = configPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify({ ...cfg, auths }, null, '\t')}\n`, { mode: 0o600 });
  renameSync(tmp, path);
  return had;
}
