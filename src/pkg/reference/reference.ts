import { InvalidParameterError } from '../../errdefs/index.js';

/** A normalised image reference: `domain/path[:tag][@digest]`. */
export interface Reference {
  /** Registry host[:port]; `docker.io` for Docker Hub. */
  readonly domain: string;
  /** Repository path inside the registry; official images carry `library/`. */
  readonly path: string;
  readonly tag?: string;
  /** `algorithm:hex`, e.g. `sha256:…`. */
  readonly digest?: string;
}

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const NAME_TOTAL_LENGTH_MAX = 255;
/** Longer input cannot be a valid reference; refusing it early bounds the regex work. */
const INPUT_LENGTH_MAX = 1024;

// The distribution reference grammar (distribution/reference `regexp.go`, oci-notes §3).
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN_AND_PORT = `(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?`;
const NAME = `(?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME}`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const REFERENCE_RE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_NAME_RE = new RegExp(`^(?:(${DOMAIN_AND_PORT})/)?(${REMOTE_NAME})$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const HEX64_RE = /^[a-f0-9]{64}$/;
const FULL_ID_RE = /^(?:sha256:)?[a-f0-9]{64}$/;

const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

function fail(message: string): never {
  throw new InvalidParameterError(message);
}

/** go-digest `Digest.Validate`, with its error texts. */
function validateDigest(d: string): void {
  const i = d.indexOf(':');
  const algorithm = d.slice(0, i);
  const encoded = d.slice(i + 1);
  const size = DIGEST_HEX_LENGTH[algorithm];
  if (size === undefined) fail('unsupported digest algorithm');
  if (encoded.length !== size) fail('invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(encoded)) fail('invalid checksum digest format');
}

/** distribution `splitDockerDomain`: a first component with `.` or `:`, `localhost`, or upper case is a registry. */
function splitDockerDomain(name: string): [string, string] {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i === -1 ? '' : name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  return [domain, remainder];
}

/**
 * Parses and normalises a reference as the docker CLI and dockerd do
 * (distribution `ParseNormalizedNamed`): `busybox` → docker.io/library/busybox,
 * `user/x` → docker.io/user/x. The tag stays undefined when absent (see
 * withDefaultTag). Throws InvalidParameterError with docker's texts:
 * `invalid reference format`, `invalid reference format: repository name (library/Busybox) must be lowercase`,
 * `invalid repository name (<64 hex>), cannot specify 64-byte hexadecimal strings`,
 * and go-digest's messages for a bad digest.
 */
export function parseReference(s: string): Reference {
  if (HEX64_RE.test(s)) fail(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  if (s.length > INPUT_LENGTH_MAX) fail('invalid reference format');
  const [domain, remainder] = splitDockerDomain(s);
  const colon = remainder.indexOf(':');
  const remote = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote) {
    fail(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  const full = `${domain}/${remainder}`;
  const m = REFERENCE_RE.exec(full);
  if (!m) {
    if (REFERENCE_RE.test(full.toLowerCase())) fail('invalid reference format: repository name must be lowercase');
    fail('invalid reference format');
  }
  const [, name = '', tag, digest] = m;
  if (name.length > NAME_TOTAL_LENGTH_MAX) fail(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  const nm = ANCHORED_NAME_RE.exec(name);
  const ref: { domain: string; path: string; tag?: string; digest?: string } = {
    domain: nm?.[1] ?? '',
    path: nm?.[2] ?? name,
  };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) {
    validateDigest(digest);
    ref.digest = digest;
  }
  return ref;
}

/** Adds tag `latest` when the reference has neither tag nor digest (distribution `TagNameOnly`). */
export function withDefaultTag(r: Reference): Reference {
  if (r.tag !== undefined || r.digest !== undefined) return r;
  return { ...r, tag: 'latest' };
}

/** The repository name as `docker images` shows it: `busybox`, `user/x`, `localhost:5000/a/b`. */
export function familiarName(r: Reference): string {
  if (r.domain !== DEFAULT_DOMAIN) return r.domain ? `${r.domain}/${r.path}` : r.path;
  if (r.path.startsWith(OFFICIAL_PREFIX)) {
    const rest = r.path.slice(OFFICIAL_PREFIX.length);
    if (!rest.includes('/')) return rest;
  }
  return r.path;
}

function suffix(r: Reference): string {
  return (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest !== undefined ? `@${r.digest}` : '');
}

/** Short form with tag/digest, as in RepoTags and `docker images`: `busybox:latest`. */
export function familiarString(r: Reference): string {
  return familiarName(r) + suffix(r);
}

/** Fully qualified form: `docker.io/library/busybox:latest`. */
export function fullString(r: Reference): string {
  return `${r.domain}/${r.path}${suffix(r)}`;
}

/** Fully qualified name without tag or digest: `docker.io/library/busybox`. */
export function fullName(r: Reference): string {
  return `${r.domain}/${r.path}`;
}

/** True for an image ID rather than a name: 64 lower-case hex, optionally with `sha256:`. */
export function isFullId(s: string): boolean {
  return FULL_ID_RE.test(s);
}

/** True when `t` is a syntactically valid tag (`[\w][\w.-]{0,127}`). */
export function isValidTag(t: string): boolean {
  return TAG_RE.test(t);
}
