// Where each fact lives in a StorageDriver's tree. Only this file spells paths.
//
//   blobs/sha256/<hh>/<hex>                                  blob bytes: layers, configs and manifests (global)
//   repositories/<name>/_layers/sha256/<hex>                 link: the blob is part of <name> (text: the digest)
//   repositories/<name>/_manifests/revisions/sha256/<hex>    revision: a manifest of <name> (JSON RevisionRecord)
//   repositories/<name>/_manifests/tags/<tag>                tag: the digest it points at (text)
//   repositories/<name>/_referrers/sha256/<subject hex>/sha256/<hex>
//                                                            referrer: descriptor of a manifest whose subject is <subject>
//   uploads/<uuid>/data, uploads/<uuid>/info                 an upload in progress: bytes so far, and its JSON UploadInfo
//
// Repository path components cannot start with `_` (the name grammar), so the
// `_layers`, `_manifests` and `_referrers` directories never collide with a
// nested repository such as `team/x`.

import { digestHex, type Digest } from '../pkg/digest/index.js';

export const BLOBS_DIR = 'blobs/sha256';
export const REPOSITORIES_DIR = 'repositories';
export const UPLOADS_DIR = 'uploads';

/** The directory marking a repository (the catalog lists names that have one). */
export const MANIFESTS_DIR_NAME = '_manifests';

export function blobPath(d: Digest): string {
  const hex = digestHex(d);
  return `${BLOBS_DIR}/${hex.slice(0, 2)}/${hex}`;
}

export function repositoryPath(name: string): string {
  return `${REPOSITORIES_DIR}/${name}`;
}

export function layersDir(name: string): string {
  return `${repositoryPath(name)}/_layers/sha256`;
}

export function layerLinkPath(name: string, d: Digest): string {
  return `${layersDir(name)}/${digestHex(d)}`;
}

export function revisionsDir(name: string): string {
  return `${repositoryPath(name)}/${MANIFESTS_DIR_NAME}/revisions/sha256`;
}

export function revisionPath(name: string, d: Digest): string {
  return `${revisionsDir(name)}/${digestHex(d)}`;
}

export function tagsDir(name: string): string {
  return `${repositoryPath(name)}/${MANIFESTS_DIR_NAME}/tags`;
}

export function tagPath(name: string, tag: string): string {
  return `${tagsDir(name)}/${tag}`;
}

export function referrersDir(name: string, subject: Digest): string {
  return `${repositoryPath(name)}/_referrers/sha256/${digestHex(subject)}/sha256`;
}

export function referrerPath(name: string, subject: Digest, d: Digest): string {
  return `${referrersDir(name, subject)}/${digestHex(d)}`;
}

export function uploadDir(id: string): string {
  return `${UPLOADS_DIR}/${id}`;
}

export function uploadDataPath(id: string): string {
  return `${uploadDir(id)}/data`;
}

export function uploadInfoPath(id: string): string {
  return `${uploadDir(id)}/info`;
}
