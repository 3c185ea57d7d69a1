// Test fixture (used by the *.test.ts files here only): a RegistryServer on
// 127.0.0.1:0 over a temp directory, removed when the test ends, plus helpers
// that push blobs and manifests the way a client does.

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { digestOf, type Digest } from '../pkg/digest/index.js';
import { FilesystemDriver } from './filesystem-driver.js';
import { OCI_MANIFEST } from './parse-manifest.js';
import { RegistryServer, type RegistryServerOptions } from './registry-server.js';

export interface TestRegistry {
  /** The storage root (inside `parent`). */
  readonly root: string;
  /** A temp directory holding only `root`: nothing else may appear in it. */
  readonly parent: string;
  readonly url: string;
  readonly server: RegistryServer;
  /** fetch() relative to the registry. */
  req(path: string, init?: RequestInit): Promise<Response>;
  /** Pushes bytes into `name` with a monolithic POST; resolves with their digest. */
  pushBlob(name: string, bytes: Uint8Array | string): Promise<Digest>;
  /** Pushes a config and one layer, then a manifest tagged `tag`. */
  pushImage(name: string, tag: string, seed?: string): Promise<PushedImage>;
  /** PUTs a manifest; resolves with the response. */
  putManifest(name: string, ref: string, body: Uint8Array | string, mediaType?: string): Promise<Response>;
}

export interface PushedImage {
  readonly manifest: Digest;
  readonly manifestBytes: Buffer;
  readonly config: Digest;
  readonly layer: Digest;
}

export interface ManifestSpec {
  readonly config: { digest: Digest; size: number; mediaType?: string };
  readonly layers: readonly { digest: Digest; size: number }[];
  readonly subject?: { digest: Digest; size: number; mediaType?: string };
  readonly artifactType?: string;
  readonly mediaType?: string;
}

/** The bytes of an OCI image manifest. */
export function imageManifest(s: ManifestSpec): Buffer {
  return Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: s.mediaType ?? OCI_MANIFEST,
    ...(s.artifactType !== undefined ? { artifactType: s.artifactType } : {}),
    config: { mediaType: s.config.mediaType ?? 'application/vnd.oci.image.config.v1+json', digest: s.config.digest, size: s.config.size },
    layers: s.layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
    ...(s.subject !== undefined ? { subject: { mediaType: s.subject.mediaType ?? OCI_MANIFEST, digest: s.subject.digest, size: s.subject.size } } : {}),
  }));
}

/** Every file under `dir`, relative, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

/** A request with the path sent exactly as given (fetch would resolve `..`). */
export function rawRequest(url: string, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, method, path, headers: { ...headers, connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Starts a registry for one test; `t.after` closes it and removes its directory. */
export async function startTestRegistry(t: TestContext, opts: Partial<RegistryServerOptions> & { root?: string } = {}): Promise<TestRegistry> {
  const parent = opts.root === undefined ? await mkdtemp(join(tmpdir(), 'pier-registry-test-')) : join(opts.root, '..');
  const root = opts.root ?? join(parent, 'root');
  const server = new RegistryServer({ storage: new FilesystemDriver(root), ...opts });
  const { url } = await server.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await server.close();
    if (opts.root === undefined) await rm(parent, { recursive: true, force: true });
  });
  const req = (path: string, init?: RequestInit): Promise<Response> => fetch(url + path, init);
  const pushBlob = async (name: string, bytes: Uint8Array | string): Promise<Digest> => {
    const digest = digestOf(bytes);
    const res = await req(`/v2/${name}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: bytes });
    if (res.status !== 201) throw new Error(`push blob: ${res.status} ${await res.text()}`);
    return digest;
  };
  const putManifest = (name: string, ref: string, body: Uint8Array | string, mediaType = OCI_MANIFEST): Promise<Response> =>
    req(`/v2/${name}/manifests/${ref}`, { method: 'PUT', headers: { 'Content-Type': mediaType }, body });
  const pushImage = async (name: string, tag: string, seed = tag): Promise<PushedImage> => {
    const configBytes = JSON.stringify({ architecture: 'amd64', os: 'linux', seed });
    const layerBytes = `layer of ${seed}`;
    const config = await pushBlob(name, configBytes);
    const layer = await pushBlob(name, layerBytes);
    const manifestBytes = imageManifest({ config: { digest: config, size: configBytes.length }, layers: [{ digest: layer, size: layerBytes.length }] });
    const res = await putManifest(name, tag, manifestBytes);
    if (res.status !== 201) throw new Error(`push manifest: ${res.status} ${await res.text()}`);
    return { manifest: digestOf(manifestBytes), manifestBytes, config, layer };
  };
  return { root, parent, url, server, req, pushBlob, pushImage, putManifest };
}
