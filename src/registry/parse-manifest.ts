// Decodes an uploaded manifest (untrusted JSON) into what the registry needs:
// the blobs and manifests it references, its subject and artifact type.
// image-spec `manifest.md`, `image-index.md`, `descriptor.md`; distribution
// `docs/spec/manifest-v2-2.md`.

import sjson from 'secure-json-parse';
import { isDigest, type Digest } from '../pkg/digest/index.js';
import { RegistryError } from './registry-error.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/** The manifest media types this registry stores (schema 1 is refused, as distribution ≥ 3 does). */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST];

const INDEX_TYPES = new Set([OCI_INDEX, DOCKER_MANIFEST_LIST]);
/** Docker's schema 2 types always carry `mediaType`; OCI's may leave it out (image-spec v1.0). */
const DOCKER_TYPES = new Set([DOCKER_MANIFEST, DOCKER_MANIFEST_LIST]);

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly urls?: readonly string[];
}

export interface ParsedManifest {
  /** The media type it is stored and served with. */
  readonly mediaType: string;
  readonly kind: 'manifest' | 'index';
  /** Image manifests: the config blob. */
  readonly config?: Descriptor;
  /** Image manifests: the layer blobs. */
  readonly layers: readonly Descriptor[];
  /** Indexes: the child manifests. */
  readonly manifests: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

function invalid(message: string, detail?: unknown): RegistryError {
  return new RegistryError('MANIFEST_INVALID', { message: `manifest invalid: ${message}`, detail });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringMap(v: unknown, where: string): Readonly<Record<string, string>> | undefined {
  if (v === undefined) return undefined;
  if (!isRecord(v) || Object.values(v).some((x) => typeof x !== 'string')) throw invalid(`${where} must map strings to strings`);
  return v as Record<string, string>;
}

function descriptor(v: unknown, where: string): Descriptor {
  if (!isRecord(v)) throw invalid(`${where} must be a descriptor object`);
  const { mediaType, digest, size, artifactType, annotations, urls } = v;
  if (typeof mediaType !== 'string' || mediaType === '') throw invalid(`${where}.mediaType must be a string`);
  if (typeof digest !== 'string') throw invalid(`${where}.digest must be a string`);
  if (!isDigest(digest)) throw invalid(`${where}.digest "${digest}" is not a sha256 digest this registry supports`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid(`${where}.size must be a non-negative integer`);
  if (artifactType !== undefined && typeof artifactType !== 'string') throw invalid(`${where}.artifactType must be a string`);
  if (urls !== undefined && (!Array.isArray(urls) || urls.some((u) => typeof u !== 'string'))) throw invalid(`${where}.urls must be strings`);
  const out: { -readonly [K in keyof Descriptor]: Descriptor[K] } = { mediaType, digest, size };
  if (artifactType !== undefined) out.artifactType = artifactType;
  const ann = stringMap(annotations, `${where}.annotations`);
  if (ann !== undefined) out.annotations = ann;
  if (urls !== undefined) out.urls = urls as string[];
  return out;
}

function descriptors(v: unknown, where: string): Descriptor[] {
  if (!Array.isArray(v)) throw invalid(`${where} must be an array`);
  return v.map((d, i) => descriptor(d, `${where}[${i}]`));
}

/** The media type a request's Content-Type names, without parameters (`; charset=…`). */
export function bareMediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

/**
 * Parses `bytes` sent with `contentType`. MANIFEST_INVALID when it is not JSON,
 * not a schema-2 manifest or index, names a media type other than the
 * Content-Type, or has malformed descriptors. A missing or generic
 * Content-Type (`application/json`) falls back to the document's `mediaType`.
 */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined): ParsedManifest {
  let doc: unknown;
  try {
    doc = sjson.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), undefined,
      { protoAction: 'remove', constructorAction: 'remove' });
  } catch (err) {
    throw new RegistryError('MANIFEST_INVALID', { message: 'manifest invalid: not valid JSON', detail: { error: err instanceof Error ? err.message : String(err) } });
  }
  if (!isRecord(doc)) throw invalid('not a JSON object');
  const declared = doc['mediaType'];
  if (declared !== undefined && typeof declared !== 'string') throw invalid('mediaType must be a string');
  const ct = bareMediaType(contentType);
  let mediaType: string;
  if (MANIFEST_MEDIA_TYPES.includes(ct)) {
    if (declared !== undefined && declared !== ct) throw invalid(`mediaType "${declared}" does not match Content-Type "${ct}"`);
    if (declared === undefined && DOCKER_TYPES.has(ct)) throw invalid(`mediaType must be "${ct}"`);
    mediaType = ct;
  } else if ((ct === '' || ct === 'application/json') && declared !== undefined && MANIFEST_MEDIA_TYPES.includes(declared)) {
    mediaType = declared;
  } else {
    throw invalid(`unsupported manifest media type "${ct || declared || ''}"`, { supported: MANIFEST_MEDIA_TYPES });
  }
  if (doc['schemaVersion'] !== 2) throw invalid('schemaVersion must be 2');
  const artifactType = doc['artifactType'];
  if (artifactType !== undefined && typeof artifactType !== 'string') throw invalid('artifactType must be a string');
  const base = {
    mediaType,
    ...(doc['subject'] !== undefined ? { subject: descriptor(doc['subject'], 'subject') } : {}),
    ...(artifactType !== undefined ? { artifactType } : {}),
    ...(doc['annotations'] !== undefined ? { annotations: stringMap(doc['annotations'], 'annotations') ?? {} } : {}),
  };
  if (INDEX_TYPES.has(mediaType)) {
    return { ...base, kind: 'index', layers: [], manifests: descriptors(doc['manifests'], 'manifests') };
  }
  if (doc['config'] === undefined) throw invalid('config is required');
  return { ...base, kind: 'manifest', config: descriptor(doc['config'], 'config'), layers: descriptors(doc['layers'], 'layers'), manifests: [] };
}

/**
 * The descriptor the referrers API lists for a manifest (distribution-spec
 * "Listing Referrers"): artifactType falls back to the config's media type.
 */
export function referrerDescriptor(m: ParsedManifest, digest: Digest, size: number): Descriptor {
  const artifactType = m.artifactType ?? m.config?.mediaType;
  return {
    mediaType: m.mediaType, digest, size,
    ...(artifactType !== undefined ? { artifactType } : {}),
    ...(m.annotations !== undefined ? { annotations: m.annotations } : {}),
  };
}
