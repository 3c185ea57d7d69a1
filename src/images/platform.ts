import { InvalidParameterError, NotFoundError } from '../errdefs/index.js';

export interface Platform { os: string; architecture: string; variant?: string }

/** `linux/amd64`, `linux/arm64/v8`, `amd64` → its parts; the host's when empty. */
export function parsePlatform(text: string | undefined): Platform {
  const t = (text ?? '').trim().toLowerCase();
  if (!t) return { os: 'linux', architecture: 'amd64' };
  const parts = t.split('/');
  if (parts.length === 1) return { os: 'linux', architecture: normaliseArch(parts[0] ?? '') };
  const [os = 'linux', arch = '', variant] = parts;
  if (!/^[a-z0-9_-]+$/.test(os) || !/^[a-z0-9_-]+$/.test(arch)) throw new InvalidParameterError(`"${text}": unknown operating system or architecture: invalid argument`);
  return { os, architecture: normaliseArch(arch), ...(variant ? { variant } : {}) };
}

/**
 * A `platform` query parameter: the `os/arch[/variant]` text (create, pull) or the OCI platform
 * as JSON, which docker's client sends to save and load (API 1.48+).
 */
export function parsePlatformParam(text: string): Platform {
  const t = text.trim();
  if (!t.startsWith('{')) return parsePlatform(t);
  let v: unknown;
  try { v = JSON.parse(t); } catch { throw new InvalidParameterError(`invalid platform: ${t}`); }
  const o = v as { os?: unknown; architecture?: unknown; variant?: unknown };
  if (typeof o !== 'object' || o === null || typeof o.os !== 'string' || typeof o.architecture !== 'string' || (o.variant !== undefined && typeof o.variant !== 'string')) {
    throw new InvalidParameterError(`invalid platform: ${t}`);
  }
  return parsePlatform(`${o.os}/${o.architecture}${o.variant ? `/${o.variant}` : ''}`);
}

function normaliseArch(a: string): string {
  return ({ x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm' } as Record<string, string>)[a] ?? a;
}

export function platformText(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** Whether an image's platform is the one asked for (arm64 without a variant is arm64/v8, as containerd's matcher has it). */
export function platformMatches(have: Partial<Platform>, want: Platform): boolean {
  const h = parsePlatform(`${have.os || 'linux'}/${have.architecture || 'amd64'}${have.variant ? `/${have.variant}` : ''}`);
  if (h.os !== want.os || h.architecture !== want.architecture) return false;
  if (want.variant === undefined) return true;
  const norm = (p: Platform): string => p.variant ?? (p.architecture === 'arm64' ? 'v8' : '');
  return norm(h) === want.variant;
}

/** docker's NotFound for an image present locally for another platform (the client then tries a pull). */
export function platformMismatch(refOrId: string, have: Partial<Platform>, want: Platform): NotFoundError {
  const h = { os: have.os || 'linux', architecture: have.architecture || 'amd64', ...(have.variant ? { variant: have.variant } : {}) };
  return new NotFoundError(`image with reference ${refOrId} was found but does not match the specified platform: wanted ${platformText(want)}, actual: ${platformText(h)}`);
}
