/**
 * vol-helpers: what the volume end-to-end suites share: a record of what the
 * daemon holds (containers, volumes, volume directories under the data root),
 * a collector that reports every wrong message of a test at once, an image
 * build through the docker CLI's legacy builder, `inspect` Mounts and the mode
 * and owner of a host path, and cleanup that ignores what is already gone.
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, type PrivateDaemon, type RunResult } from '../../harness/pierd.js';
import { docker, type BoundCli } from '../cli/cli-helpers.js';

/** One entry of `docker inspect -f '{{json .Mounts}}'`. */
export interface MountJson {
  readonly Type: string;
  readonly Name?: string;
  readonly Source: string;
  readonly Destination: string;
  readonly Driver?: string;
  readonly Mode: string;
  readonly RW: boolean;
}

/** `docker volume inspect` of one volume (the fields these suites read). */
export interface VolumeJson {
  readonly Name: string;
  readonly Driver: string;
  readonly Mountpoint: string;
  readonly CreatedAt: string;
  readonly Labels: Record<string, string> | null;
  readonly Scope: string;
  readonly Options: Record<string, string> | null;
}

/** `<data-root>/volumes` of a private daemon. */
export function volumesRoot(d: PrivateDaemon): string {
  return join(d.root, 'data', 'volumes');
}

/** What the daemon holds that a refused request must not add to. */
export interface Holdings { containers: string[]; volumes: string[]; dirs: string[] }

export async function holdings(dk: BoundCli, d: PrivateDaemon): Promise<Holdings> {
  const containers = (await dk.ok('ps', '-a', '--format', '{{.Names}}')).split('\n').filter(Boolean).sort();
  const volumes = (await dk.ok('volume', 'ls', '-q')).split('\n').filter(Boolean).sort();
  const root = volumesRoot(d);
  const dirs = existsSync(root) ? readdirSync(root).filter((n) => n !== 'metadata.db').sort() : [];
  return { containers, volumes, dirs };
}

/** The names `volume ls -q` prints, sorted. */
export async function volumeNames(dk: BoundCli, ...filters: string[]): Promise<string[]> {
  const args = ['volume', 'ls', '-q', ...filters.flatMap((f) => ['--filter', f])];
  return (await dk.ok(...args)).split('\n').filter(Boolean).sort();
}

export async function inspectVolume(dk: BoundCli, name: string): Promise<VolumeJson> {
  const out = JSON.parse(await dk.ok('volume', 'inspect', name)) as VolumeJson[];
  assert.equal(out.length, 1, `volume inspect ${name} returns one volume`);
  return out[0] as VolumeJson;
}

export async function mountsOf(dk: BoundCli, container: string): Promise<MountJson[]> {
  return JSON.parse(await dk.fmt('{{json .Mounts}}', container)) as MountJson[];
}

/** Mode bits (permissions, setuid/setgid/sticky), owner and group of a host path, as `stat -c '%a %u %g'` prints them. */
export function hostStat(path: string): string {
  const st = lstatSync(path);
  return `${(st.mode & 0o7777).toString(8)} ${st.uid} ${st.gid}`;
}

/** Collects mismatches so one run reports every wrong message at once. */
export class Problems {
  readonly list: string[] = [];
  expect(what: string, r: RunResult, code: number, message: RegExp): void {
    if (r.code !== code) this.list.push(`${what}: exit ${r.code}, want ${code} (${r.stderr.trim()})`);
    if (!message.test(r.stderr)) this.list.push(`${what}: stderr ${JSON.stringify(r.stderr.trim())} does not match ${String(message)}`);
  }
  equal<T>(what: string, got: T, want: T): void {
    try { assert.deepEqual(got, want); } catch { this.list.push(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`); }
  }
  check(): void { assert.deepEqual(this.list, [], this.list.join('\n')); }
}

/** Escapes a literal for a RegExp. */
export const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Builds `tag` from a Dockerfile text with the docker CLI's legacy builder (no BuildKit). */
export async function buildImage(d: PrivateDaemon, tag: string, dockerfile: string): Promise<void> {
  const ctx = mkdtempSync('/tmp/pier-e2e-volctx-');
  try {
    writeFileSync(join(ctx, 'Dockerfile'), dockerfile);
    const r = await run(docker, ['build', '-q', '-t', tag, ctx], { ...d, env: { ...d.env, DOCKER_BUILDKIT: '0' } }, { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `docker build -t ${tag} failed:\n${r.stderr}`);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

/** Removes containers (forced), then volumes, then images; anything already gone is fine. */
export async function cleanup(dk: BoundCli, o: { containers?: string[]; volumes?: string[]; images?: string[] }): Promise<void> {
  if (o.containers?.length) await dk.run(['rm', '-f', '-v', ...o.containers]);
  if (o.volumes?.length) await dk.run(['volume', 'rm', '-f', ...o.volumes]);
  if (o.images?.length) await dk.run(['rmi', '-f', ...o.images]);
}

/** A pid 1 that exits at once on SIGTERM, so `docker stop` needs no kill timeout. */
export const STOPPABLE = ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'];
