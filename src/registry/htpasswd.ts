// HTTP basic auth against an htpasswd file of bcrypt entries (`htpasswd -B`),
// as distribution's `auth/htpasswd` access controller does.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import bcrypt from 'bcryptjs';
import { InvalidParameterError, SystemError } from '../errdefs/index.js';

const BCRYPT_RE = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

/** How long a verified password is remembered: bcryptjs needs ~450 ms per check at cost 10, far too much per request. */
const CACHE_TTL_MS = 5 * 60_000;
const CACHE_MAX = 1024;
/** A cost-5 hash (`htpasswd -B`'s default cost) of a password nobody sends. */
const UNKNOWN_USER_HASH = '$2b$05$sNqxXFKJ95vkXj0ixHncUeKaqO7rZvg7JRDXryobWtzuReXmqLwhK';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** Decodes an `Authorization: Basic …` header; undefined when absent or malformed. */
export function parseBasicAuth(header: string | undefined): Credentials | undefined {
  if (header === undefined) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m?.[1]) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i < 0) return undefined;
  return { username: text.slice(0, i), password: text.slice(i + 1) };
}

/**
 * The users of an htpasswd file. Only bcrypt entries can log in (distribution
 * supports no other scheme); the others are reported in `skipped` so the CLI
 * can warn. The file is read once: restart the server after editing it.
 */
export class Htpasswd {
  readonly #users: ReadonlyMap<string, string>;
  readonly skipped: readonly string[];
  /** sha256(user, password, hash) → expiry, for credentials already verified. */
  readonly #verified = new Map<string, number>();

  constructor(text: string) {
    const users = new Map<string, string>();
    const skipped: string[] = [];
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const i = line.indexOf(':');
      if (i <= 0) throw new InvalidParameterError(`invalid htpasswd line: "${line.slice(0, 40)}"`);
      const user = line.slice(0, i);
      const hash = line.slice(i + 1);
      if (BCRYPT_RE.test(hash)) users.set(user, hash);
      else skipped.push(user);
    }
    this.#users = users;
    this.skipped = skipped;
  }

  /** Reads an htpasswd file. SystemError when unreadable, InvalidParameterError when malformed. */
  static async load(path: string): Promise<Htpasswd> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new SystemError(`cannot read htpasswd file "${path}": ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return new Htpasswd(text);
  }

  get size(): number { return this.#users.size; }

  /** True when the password matches the user's bcrypt hash. */
  async verify(c: Credentials): Promise<boolean> {
    const hash = this.#users.get(c.username);
    if (hash === undefined) {
      // Spend some bcrypt time on unknown users too (distribution's "timing attack paranoia").
      await bcrypt.compare(c.password, UNKNOWN_USER_HASH);
      return false;
    }
    const key = createHash('sha256').update(c.username).update('\0').update(c.password).update('\0').update(hash).digest('hex');
    const now = Date.now();
    const until = this.#verified.get(key);
    if (until !== undefined && until > now) return true;
    if (!(await bcrypt.compare(c.password, hash))) return false;
    if (this.#verified.size >= CACHE_MAX) this.#verified.clear();
    this.#verified.set(key, now + CACHE_TTL_MS);
    return true;
  }
}
