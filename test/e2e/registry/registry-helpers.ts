/**
 * registry-helpers: what the `pier registry` end-to-end suites share: start
 * `bin/pier registry serve` as a child process on a free loopback port with a
 * private root, run skopeo against it, and build a small OCI image layout
 * (real gzip'd tar layer) to push.
 */
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { freePort, waitExit } from '../../harness/clients.js';
import { pierBin, poll } from '../../harness/pierd.js';

export const skopeoBin = ['/usr/bin/skopeo', '/usr/local/bin/skopeo'].find((p) => existsSync(p));
/** The `skip` option for tests that drive the registry with skopeo. */
export const needsSkopeo: string | false = skopeoBin ? false : 'skopeo is not installed';

export interface RunResult { code: number; stdout: string; stderr: string }

export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** Runs a program to completion (never through a shell). */
export function runProg(bin: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(bin, [...args], { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A private temp directory, removed after the test. */
export async function tempDir(t: TestContext, prefix = 'pier-registry-e2e-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface ServeProcess {
  proc: ChildProcess;
  /** `127.0.0.1:PORT`, as skopeo's docker:// references want it. */
  hostPort: string;
  url: string;
  root: string;
  stderr(): string;
  /** SIGTERM and wait: resolves the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `pier registry serve` with `args`; resolves once it prints its listening line. */
export async function startServe(t: TestContext, root: string, args: readonly string[] = []): Promise<ServeProcess> {
  const port = await freePort();
  const hostPort = `127.0.0.1:${port}`;
  const proc = spawn(pierBin, ['registry', 'serve', '--addr', hostPort, '--root', root, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr?.on('data', (b: Buffer) => { err += b.toString(); });
  let stopped: Promise<number | null> | undefined;
  const stop = (): Promise<number | null> => {
    stopped ??= (async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return (await waitExit(proc)).code;
    })();
    return stopped;
  };
  t.after(async () => {
    await stop().catch(() => proc.kill('SIGKILL'));
    if (process.exitCode) t.diagnostic(`pier registry serve stderr:\n${err.slice(-4000)}`);
  });
  await poll(() => err.includes('listening on') || proc.exitCode !== null || undefined, 15_000, 'pier registry serve to listen');
  if (proc.exitCode !== null) throw new Error(`pier registry serve exited ${proc.exitCode}: ${err}`);
  return { proc, hostPort, url: `http://${hostPort}`, root, stderr: () => err, stop };
}

/** skopeo with a private auth file and no signature policy lookups. */
export function skopeo(dir: string, ...args: string[]): Promise<RunResult> {
  const env = { ...process.env, REGISTRY_AUTH_FILE: join(dir, 'auth.json'), TMPDIR: dir };
  return runProg(skopeoBin ?? 'skopeo', ['--insecure-policy', ...args], { env });
}

export interface Layout {
  /** `oci:<dir>` with the image tagged `tag`. */
  dir: string;
  manifest: string;
  manifestDigest: string;
  config: string;
  layer: string;
}

/** Writes an OCI image layout holding one image: a config and a gzip'd tar layer with `bigBytes` of random data. */
export async function buildLayout(parent: string, tag: string, bigBytes: number): Promise<Layout> {
  const dir = join(parent, `layout-${tag}`);
  const files = join(parent, `files-${tag}`);
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await mkdir(files, { recursive: true });
  await writeFile(join(files, 'hello.txt'), `hello from ${tag}\n`);
  await writeFile(join(files, 'random.bin'), randomBytes(bigBytes));
  const layerPath = join(parent, `layer-${tag}.tgz`);
  execFileSync('tar', ['-czf', layerPath, '-C', files, '.']);
  const layerBytes = await readFile(layerPath);
  const diffId = sha256(execFileSync('gzip', ['-dc', layerPath], { maxBuffer: 1 << 30 }));
  const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [diffId] } }));
  const put = async (b: Buffer): Promise<string> => {
    const d = sha256(b);
    await writeFile(join(dir, 'blobs', 'sha256', d.slice(7)), b);
    return d;
  };
  const layer = await put(layerBytes);
  const config = await put(configBytes);
  const manifestBytes = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: configBytes.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size: layerBytes.length }],
  }));
  const manifestDigest = await put(manifestBytes);
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{
    mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifestBytes.length,
    annotations: { 'org.opencontainers.image.ref.name': tag } }] }));
  return { dir, manifest: manifestBytes.toString(), manifestDigest, config, layer };
}
