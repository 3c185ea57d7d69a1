// The distribution-spec grammar for what a URL may name: repositories, tags,
// digests and upload IDs. Everything that becomes a storage path passes here
// first, so no request can name a path outside the registry's tree.

import { InvalidParameterError } from '../errdefs/index.js';
import { parseDigest, type Digest } from '../pkg/digest/index.js';
import { isValidTag } from '../pkg/reference/index.js';
import { RegistryError, type RegistryErrorCode } from './registry-error.js';

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;

/** The repository name grammar (distribution-spec "Pulling manifests": `<name>`), unanchored, for route patterns. */
export const REPOSITORY_NAME_PATTERN = `${COMPONENT}(?:/${COMPONENT})*`;

/** distribution's limit on a whole repository name (`reference.NameTotalLengthMax`). */
export const NAME_MAX_LENGTH = 255;

const NAME_RE = new RegExp(`^${REPOSITORY_NAME_PATTERN}$`);
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True for a valid repository name such as `team/busybox`. */
export function isRepositoryName(s: string): boolean {
  return s.length <= NAME_MAX_LENGTH && NAME_RE.test(s);
}

/** Returns `s` when it is a valid repository name; NAME_INVALID otherwise. */
export function checkRepositoryName(s: string): string {
  if (!isRepositoryName(s)) throw new RegistryError('NAME_INVALID', { detail: { name: s } });
  return s;
}

/** True for a valid tag (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`). */
export function isTag(s: string): boolean {
  return isValidTag(s);
}

/** True for an upload ID this registry hands out (a v4 UUID, lower case). */
export function isUploadId(s: string): boolean {
  return UUID_RE.test(s);
}

/**
 * Parses a digest from a URL or a query: a sha256 digest, or `code`
 * (DIGEST_INVALID by default) saying why not. Other algorithms (sha512…) are
 * valid OCI digests this registry does not store: they get DIGEST_INVALID with
 * "unsupported digest algorithm", as distribution answers.
 */
export function checkDigest(s: string, code: RegistryErrorCode = 'DIGEST_INVALID'): Digest {
  try {
    return parseDigest(s);
  } catch (err) {
    if (!(err instanceof InvalidParameterError)) throw err;
    throw new RegistryError(code, { message: err.message.replace(/: ".*"$/s, ''), detail: { digest: s }, cause: err });
  }
}
