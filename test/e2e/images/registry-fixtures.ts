/**
 * Registries for the image end-to-end tests: Debian's docker-registry (CNCF
 * distribution) or pier's own, each on a free loopback port with a private
 * storage root, and an OCI image layout made here (two gzip layers with a
 * whiteout, an opaque dir and a hard link) to copy into them with skopeo.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { freePort, waitExit } from '../../harness/clients.js';
import { pierBin, poll } from '../../harness/pierd.js';

export interface TestRegistry { kind: 'distribution' | 'pier'; host: string; stop(): Promise<void> }

export const distributionBin = ['/usr/bin/docker-registry'].find((p) => existsSync(p));

async function waitUp(host: string, p: ChildProcess, log: () => string): Promise<void> {
  await poll(async () => {
    if (p.exitCode !== null) throw new Error(`registry exited: ${log()}`);
    try { return (await fetch(`http://${host}/v2/`)).status > 0 || undefined; } catch { return undefined; }
  }, 15_000, `registry at ${host}`);
}

/** Debian's docker-registry with `root` as storage; `htpasswd` turns on basic auth. */
export async function startDistribution(root: string, opts: { htpasswd?: string } = {}): Promise<TestRegistry> {
  if (!distributionBin) throw new Error('docker-registry is not installed');
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  mkdirSync(root, { recursive: true });
  const auth = opts.htpasswd ? `auth:\n  htpasswd:\n    realm: pier-test\n    path: ${opts.htpasswd}\n` : '';
  writeFileSync(join(root, 'config.yml'), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(root, 'data')}\n  delete:\n    enabled: true\n${auth}http:\n  addr: ${host}\n`);
  let out = '';
  const p = spawn(distributionBin, ['serve', join(root, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  p.stdout?.on('data', (b: Buffer) => { out += b.toString(); });
  p.stderr?.on('data', (b: Buffer) => { out += b.toString(); });
  await waitUp(host, p, () => out);
  return { kind: 'distribution', host, stop: async () => { p.kill('SIGTERM'); await waitExit(p).catch(() => p.kill('SIGKILL')); } };
}

/** `pier registry serve` with `root` as storage. */
export async function startPierRegistry(root: string, extra: string[] = []): Promise<TestRegistry> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  let out = '';
  const p = spawn(pierBin, ['registry', 'serve', '--addr', host, '--root', root, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  p.stdout?.on('data', (b: Buffer) => { out += b.toString(); });
  p.stderr?.on('data', (b: Buffer) => { out += b.toString(); });
  await waitUp(host, p, () => out);
  return { kind: 'pier', host, stop: async () => { p.kill('SIGTERM'); await waitExit(p).catch(() => p.kill('SIGKILL')); } };
}

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; body?: string | Buffer; mode?: number; linkname?: string };

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const done = new Promise<void>((r) => p.on('end', () => r()));
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = typeof e.body === 'string' ? Buffer.from(e.body) : e.body;
    await new Promise<void>((res, rej) => {
      const header = { name: e.name, type, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), ...(e.linkname ? { linkname: e.linkname } : {}), mtime: new Date(0) };
      const cb = (err?: Error | null): void => { if (err) rej(err); else res(); };
      if (type === 'file') p.entry(header, body ?? Buffer.alloc(0), cb);
      else p.entry(header, cb);
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/**
 * Writes an OCI image layout at `dir` with tag `tag`: layer 1 has busybox (as
 * /bin/busybox and /bin/sh), /etc/a.txt, /etc/b.txt, /dir/old and a hard link
 * /etc/hl → /etc/a.txt; layer 2 rewrites /etc/a.txt, whites out /etc/b.txt
 * and makes /dir opaque with /dir/new. A `salt` makes the layers unique.
 * Returns the manifest digest and the diff IDs.
 */
export async function writeLayeredLayout(dir: string, tag: string, salt = '', o: { big?: Buffer; hostile?: boolean } = {}): Promise<{ manifestDigest: string; diffIds: string[] }> {
  const busybox = readFileSync('/bin/busybox');
  const l1 = await tarOf([
    { name: 'bin/', type: 'directory' }, { name: 'bin/busybox', body: busybox, mode: 0o755 },
    { name: 'bin/sh', type: 'symlink', linkname: 'busybox' }, { name: 'bin/cat', type: 'symlink', linkname: 'busybox' }, { name: 'bin/ls', type: 'symlink', linkname: 'busybox' },
    { name: 'etc/', type: 'directory' }, { name: 'etc/a.txt', body: 'one\n' }, { name: 'etc/b.txt', body: 'two\n' },
    { name: 'etc/hl', type: 'link', linkname: 'etc/a.txt' },
    { name: 'dir/', type: 'directory' }, { name: 'dir/old', body: 'old\n' },
    ...(salt ? [{ name: 'salt', body: salt }] : []),
    // `big`: layers past the size that unpacks on pierd's worker thread.
    ...(o.big ? [{ name: 'big.bin', body: o.big }] : []),
  ]);
  const l2 = await tarOf([
    { name: 'etc/', type: 'directory' }, { name: 'etc/a.txt', body: 'one-v2\n' }, { name: 'etc/.wh.b.txt' },
    { name: 'dir/', type: 'directory' }, { name: 'dir/.wh..wh..opq' }, { name: 'dir/new', body: 'new\n' },
    ...(salt ? [{ name: 'salt2', body: salt }] : []),
    ...(o.big ? [{ name: 'big2.bin', body: o.big.subarray(0, o.big.length >> 1) }] : []),
    ...(o.hostile ? [{ name: '../escape', body: 'pwned' }] : []),
  ]);
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (b: Buffer): string => { const d = sha(b); writeFileSync(join(blobs, d.slice(7)), b); return d; };
  const layers = [l1, l2].map((t) => { const gz = gzipSync(t); return { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: put(gz), size: gz.length }; });
  const diffIds = [sha(l1), sha(l2)];
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2026-01-01T00:00:00Z',
    config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [{ created: '2026-01-01T00:00:00Z', created_by: 'layer one' }, { created: '2026-01-01T00:00:00Z', created_by: 'layer two' }],
  }));
  const cfg = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: put(config), size: config.length };
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: cfg, layers }));
  const md = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: md, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
  return { manifestDigest: md, diffIds };
}
