/**
 * corpus-engines: the two engines the Dockerfile corpus builds on, driven by
 * the same docker CLI with DOCKER_BUILDKIT=0: a private pierd (test/harness)
 * and, where Debian's dockerd is installed, a private dockerd as the reference
 * (own socket, data root, exec root, pidfile, config file and cgroup parent;
 * no bridge, no iptables; it launches its own containerd). Also what is read
 * back from a built image: `docker save` unpacked in memory into its config,
 * its history and the file tree its layers make (whiteouts applied).
 */
import { spawn } from 'node:child_process';
import { request, type IncomingMessage } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import { dockerBin, poll, sweep, type PrivateDaemon } from '../../harness/pierd.js';

export const docker = dockerBin() ?? 'docker';
export const dockerdBin = ['/usr/sbin/dockerd'].find((p) => existsSync(p));

export interface CmdResult { code: number; stdout: string; stderr: string }

/** One daemon the docker CLI talks to. */
export interface Engine {
  readonly name: 'pier' | 'dockerd';
  readonly env: NodeJS.ProcessEnv;
  /** Its API socket, for reading images back without a CLI process each time. */
  readonly socket: string;
}

export function pierEngine(d: PrivateDaemon): Engine {
  return { name: 'pier', env: { ...d.env, DOCKER_BUILDKIT: '0' }, socket: d.socket };
}

/** GET on an engine's API: the response, once its status is 200 (else an error with the body). */
export function apiGet(e: Engine, path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: e.socket, path, timeout: 60_000 }, (res) => {
      if (res.statusCode === 200) { resolve(res); return; }
      let body = '';
      res.on('data', (b: Buffer) => { body += b.toString(); });
      res.on('end', () => reject(new Error(`${e.name}: GET ${path}: ${res.statusCode ?? 0} ${body.trim()}`)));
    });
    req.on('timeout', () => req.destroy(new Error(`${e.name}: GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export async function apiJson(e: Engine, path: string): Promise<unknown> {
  const res = await apiGet(e, path);
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** Runs the docker CLI against an engine; stdin is closed at once. */
export function dockerCmd(e: Engine, args: readonly string[], timeoutMs = 120_000): Promise<CmdResult> {
  return new Promise((resolve) => {
    const p = spawn(docker, [...args], { env: e.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr }); });
  });
}

/** A private dockerd; `stop()` leaves no process, mount, cgroup or directory behind (it throws if a cgroup stays). */
export interface PrivateDockerd extends Engine {
  readonly root: string;
  /** unix://…/docker.sock */
  readonly host: string;
  logText(): string;
  stop(): Promise<void>;
}

const CGROUP_ROOT = '/sys/fs/cgroup';

/** The cgroup directories named `name` in every hierarchy (v1 controllers and the v2 root). */
function cgroupDirs(name: string): string[] {
  const out = [join(CGROUP_ROOT, name)];
  try {
    for (const c of readdirSync(CGROUP_ROOT)) out.push(join(CGROUP_ROOT, c, name));
  } catch { /* no cgroup fs: nothing to clean */ }
  return out.filter((p) => existsSync(p));
}

function rmdirTree(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmdirTree(join(dir, e.name));
  rmdirSync(dir);
}

export async function startDockerd(): Promise<PrivateDockerd> {
  if (!dockerdBin) throw new Error('dockerd is not installed');
  const root = mkdtempSync('/tmp/pier-e2e-dockerd-');
  const socket = join(root, 'docker.sock');
  const cgroupParent = posix.basename(root);
  const keyJson = '/etc/docker/key.json';
  const hadKey = existsSync(keyJson);
  writeFileSync(join(root, 'daemon.json'), '{}\n');
  const log = join(root, 'dockerd.log');
  const fd = openSync(log, 'a');
  const proc = spawn(dockerdBin, [
    '-H', `unix://${socket}`, '--data-root', join(root, 'data'), '--exec-root', join(root, 'x'),
    '--pidfile', join(root, 'dockerd.pid'), '--config-file', join(root, 'daemon.json'),
    '--bridge=none', '--iptables=false', '--ip-masq=false', '--ip6tables=false',
    '--cgroup-parent', `/${cgroupParent}`, '--storage-driver', 'overlay2', '--log-level', 'warn',
  ], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_BUILDKIT: '0' };
  const e: PrivateDockerd = {
    name: 'dockerd', env, root, socket, host: `unix://${socket}`,
    logText: () => (existsSync(log) ? readFileSync(log, 'utf8') : ''),
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
      // containerd and its shims name the roots on their command lines.
      await sweep(root);
      rmSync(root, { recursive: true, force: true });
      if (!hadKey && existsSync(keyJson)) rmSync(keyJson);
      const busy: string[] = [];
      for (const dir of cgroupDirs(cgroupParent)) {
        try { rmdirTree(dir); } catch { busy.push(dir); }
      }
      if (busy.length) throw new Error(`dockerd's cgroups are left behind: ${busy.join(' ')}`);
    },
  };
  try {
    await poll(async () => {
      if (proc.exitCode !== null) throw new Error(`dockerd exited (${proc.exitCode}): ${e.logText().slice(-2000)}`);
      return (await dockerCmd(e, ['version', '--format', '{{.Server.Version}}'], 5_000)).code === 0 || undefined;
    }, 30_000, 'dockerd to answer');
  } catch (err) {
    await e.stop();
    throw err;
  }
  return e;
}

/** Mount points under `root` still in this mount namespace. */
export function mountsUnder(root: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(`${root}/`) || m === root);
}

// ---- what a saved image holds ----------------------------------------------------

export interface HistoryEntry { created_by?: string; empty_layer?: boolean; author?: string; comment?: string }

export interface SavedImage {
  config: { config?: Record<string, unknown>; author?: string; history?: HistoryEntry[]; rootfs?: { diff_ids?: string[] } };
  /** path → `type mode uid:gid size -> link`, the layers applied in order. */
  tree: Map<string, string>;
}

async function tarHeaders(buf: Buffer): Promise<Header[]> {
  const body = buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf) : buf;
  const ex = extract();
  const out: Header[] = [];
  const reading = (async () => {
    for await (const entry of ex) {
      out.push(entry.header);
      entry.resume();
    }
  })();
  ex.end(body);
  await reading;
  return out;
}

const TYPE_CHAR: Record<string, string> = { file: 'f', 'contiguous-file': 'f', directory: 'd', symlink: 'l', link: 'h', 'character-device': 'c', 'block-device': 'b', fifo: 'p' };

/** `./a/b/` → `/a/b` */
function normPath(name: string): string {
  const p = posix.normalize(`/${name}`).replace(/\/+$/, '');
  return p === '' ? '/' : p;
}

function describe(h: Header): string {
  const type = TYPE_CHAR[h.type ?? 'file'] ?? h.type ?? '?';
  const mode = ((h.mode ?? 0) & 0o7777).toString(8).padStart(4, '0');
  const size = type === 'f' ? String(h.size ?? 0) : '-';
  const link = type === 'l' ? ` -> ${h.linkname ?? ''}` : type === 'h' ? ` => ${normPath(h.linkname ?? '')}` : '';
  return `${type} ${mode} ${h.uid ?? 0}:${h.gid ?? 0} ${size}${link}`;
}

function removeTree(tree: Map<string, string>, path: string, keepSelf: boolean): void {
  const prefix = path === '/' ? '/' : `${path}/`;
  for (const k of [...tree.keys()]) if (k.startsWith(prefix) || (!keepSelf && k === path)) tree.delete(k);
}

/** Applies one layer: its whiteouts hide what lower layers had, then its entries land. */
function applyLayer(tree: Map<string, string>, headers: Header[]): void {
  for (const h of headers) {
    const p = normPath(h.name);
    const base = posix.basename(p);
    if (base === '.wh..wh..opq') removeTree(tree, posix.dirname(p), true);
    else if (base.startsWith('.wh.')) removeTree(tree, posix.join(posix.dirname(p), base.slice(4)), false);
  }
  for (const h of headers) {
    const p = normPath(h.name);
    if (posix.basename(p).startsWith('.wh.')) continue;
    if (h.type !== 'directory') removeTree(tree, p, true);
    tree.set(p, describe(h));
  }
}

/** The image archive of `ref` (what `docker save` writes) read into its config and the file tree of its layers. */
export async function saveImage(e: Engine, ref: string): Promise<SavedImage> {
  const res = await apiGet(e, `/images/${encodeURIComponent(ref)}/get`);
  const files = new Map<string, Buffer>();
  const ex = extract();
  const reading = (async () => {
    for await (const entry of ex) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      files.set(normPath(entry.header.name), Buffer.concat(chunks));
    }
  })();
  await Promise.all([pipeline(res, ex), reading]);
  const manifest = JSON.parse(files.get('/manifest.json')?.toString() ?? '[]') as { Config: string; RepoTags?: string[]; Layers: string[] }[];
  const m = manifest.find((x) => x.RepoTags?.includes(ref)) ?? (manifest.length === 1 ? manifest[0] : undefined);
  if (!m) throw new Error(`docker save ${ref}: no manifest.json entry for it: ${JSON.stringify(manifest.map((x) => x.RepoTags))}`);
  const config = JSON.parse(files.get(normPath(m.Config))?.toString() ?? '{}') as SavedImage['config'];
  const tree = new Map<string, string>();
  for (const l of m.Layers) {
    const buf = files.get(normPath(l));
    if (!buf) throw new Error(`docker save ${ref}: layer ${l} is not in the archive`);
    applyLayer(tree, await tarHeaders(buf));
  }
  return { config, tree };
}
