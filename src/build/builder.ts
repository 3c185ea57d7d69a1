/**
 * One build: the Dockerfile's stages run step by step, each step turning the
 * image it starts from into a new one (docker's legacy builder model: every
 * step's result is an image, the parent of the next), with a cache that maps
 * (parent image, step, the files a COPY reads) to the image a step made before.
 *
 * RUN runs in a real container through the same path as `docker run`; COPY and
 * ADD write into a created (never started) container's rootfs; either way the
 * container's changes are committed as one layer and the container removed,
 * whether the step succeeds, fails or the client goes away.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, rmSync, mkdirSync, createWriteStream, statSync, createReadStream, openSync, readSync, closeSync, writeFileSync, chmodSync, lchownSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { InvalidParameterError, NotFoundError, SystemError, messageOf } from '../errdefs/index.js';
import type { ImageConfigFile, ImageRecord, ImageService } from '../images/index.js';
import type { ContainerService, CreateRequest } from '../containers/index.js';
import { resolveUser, rootfsReader } from '../containers/index.js';
import { createTar, extractTar, detectCompression } from '../pkg/archive/index.js';
import { isMounted, unmount } from '../kernel/index.js';
import { httpGet } from '../pkg/httpget/index.js';
import { chainIds } from '../images/index.js';
import { parseReference, withDefaultTag } from '../pkg/reference/index.js';
import type { Table } from '../store/index.js';
import { parseDockerfile, jsonForm, splitWords, type Instruction, type ParsedDockerfile, type Stage } from './dockerfile.js';
import { processWord } from './shell-word.js';
import { matchSources, checksumSources, copyInto, matchContext, checksumContext, copyFromContext, type SourceMatch, type ContextMatch } from './copy.js';
import type { ContextStore } from './context-store.js';
import { applyMeta } from './meta.js';

type RunConfig = NonNullable<ImageConfigFile['config']>;
const execFileP = promisify(execFile);

/** A message of docker's build stream (`stream`, `aux`, `status`/`progress` while pulling, `error`). */
export type BuildMessage = Record<string, unknown>;

export interface BuildOptions {
  tags: string[];
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  noCache: boolean;
  pull: boolean;
  target: string;
  networkMode: string;
  platform: string;
  extraHosts: string[];
  shmSize: number;
  memory: number;
  memorySwap: number;
  cpuShares: number;
  cpuPeriod: number;
  cpuQuota: number;
  cpusetCpus: string;
  cpusetMems: string;
  ulimits: unknown;
  quiet: boolean;
  /** Images whose history may stand in for steps (docker's --cache-from). */
  cacheFrom?: string[];
}

export interface CacheEntry { image: string; created: string }

export interface BuilderDeps {
  images: ImageService;
  containers: ContainerService;
  cache: Table<CacheEntry>;
  /** The API's container create decoding (defaults for every field). */
  containerRequest: (body: Record<string, unknown>) => CreateRequest;
  /** Where `RUN --mount=type=cache` directories live (kept across builds). */
  cacheMountRoot: string;
  /** This build's scratch directory (removed after it): RUN's anonymous volumes go there. */
  scratch: string;
}

/** What a stage has made so far. */
interface State {
  /** Image ID of the last step ('' before the first step of a `FROM scratch` stage). */
  image: string;
  cfg: ImageConfigFile;
  layerSizes: number[];
  /** ARGs in scope: name → value (undefined: declared without a value). */
  args: Map<string, string | undefined>;
  /** CMD set in this stage (an ENTRYPOINT then keeps it). */
  cmdSet: boolean;
}

const DEFAULT_SHELL = ['/bin/sh', '-c'];
const PREDEFINED_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);
const AUTOMATIC_ARGS: Record<string, string> = { TARGETPLATFORM: 'linux/amd64', TARGETOS: 'linux', TARGETARCH: 'amd64', TARGETVARIANT: '', BUILDPLATFORM: 'linux/amd64', BUILDOS: 'linux', BUILDARCH: 'amd64', BUILDVARIANT: '' };

export class BuildError extends InvalidParameterError {
  /** A failed RUN's exit code (docker's errorDetail.code). */
  readonly exitCode: number | undefined;
  constructor(message: string, exitCode?: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);


export class Builder {
  readonly #d: BuilderDeps;
  /** The owner of directories a step makes: the container's root (remapped under `--userns-remap`). */
  get #rootOwner(): { uid: number; gid: number } | undefined {
    const m = this.#d.images.idMap;
    return m ? { uid: m.rootUid, gid: m.rootGid } : undefined;
  }
  readonly #o: BuildOptions;
  readonly #send: (m: BuildMessage) => void;
  readonly #signal: AbortSignal | undefined;
  readonly #context: ContextStore;
  #escape = '\\';
  #step = 0;
  /** The stage whose step is running (stages run concurrently): its step counter and output. */
  readonly #stageCtx = new AsyncLocalStorage<{ step: number; out: (text: string) => void }>();
  #steps = 0;
  /** Build args a Dockerfile ARG consumed. */
  readonly #usedArgs = new Set<string>();
  readonly #metaArgs = new Map<string, string | undefined>();
  /** Stage results: index → image ID. */
  readonly #stageImages = new Map<number, Promise<string>>();
  /** The first stage failure (the others stop at their next step). */
  #firstError: { err: unknown } | undefined;
  #volumes = 0;
  /** Containers made by this build and not yet removed (cleaned on failure). */
  readonly #live = new Set<string>();

  constructor(d: BuilderDeps, o: BuildOptions, context: ContextStore, send: (m: BuildMessage) => void, signal?: AbortSignal) {
    this.#d = d;
    this.#o = o;
    this.#send = send;
    this.#signal = signal;
    this.#context = context;
  }

  #out(text: string): void {
    if (this.#o.quiet) return;
    const ctx = this.#stageCtx.getStore();
    if (ctx) ctx.out(text);
    else this.#send({ stream: text });
  }

  /** Builds the Dockerfile; returns the final image ID (tags are the caller's). */
  async build(dockerfileText: string): Promise<string> {
    const df = parseDockerfile(dockerfileText);
    this.#escape = df.escape;
    if (this.#o.labels && Object.keys(this.#o.labels).length > 0) {
      // docker's legacy builder appends the --label values as one more LABEL step.
      const last = df.stages[df.stages.length - 1];
      const text = Object.entries(this.#o.labels).map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(' ');
      const targetStage = this.#o.target ? df.stages.find((s) => s.name === this.#o.target.toLowerCase()) : last;
      targetStage?.instructions.push({ keyword: 'LABEL', args: text, flags: new Map(), line: 0, original: `LABEL ${text}`, heredocs: [] });
    }
    // docker counts (and prints) the ARGs before the first FROM as steps too.
    for (const a of df.metaArgs) {
      const vars = new Map<string, string>();
      for (const [k, v] of this.#metaArgs) if (v !== undefined) vars.set(k, v);
      for (const [name, def] of this.#argDecls(a, vars)) {
        const given = this.#o.buildArgs[name];
        this.#metaArgs.set(name, given !== undefined && given !== null ? given : def);
        if (given !== undefined) this.#usedArgs.add(name);
      }
    }
    const needed = this.#neededStages(df);
    this.#steps = df.metaArgs.length + needed.reduce((n, s) => n + 1 + s.instructions.length, 0);
    for (const a of df.metaArgs) this.#stepLine(a.original);
    // Stages run concurrently, each waiting only for the stages it reads from; their
    // output is shown in Dockerfile order (a later stage's is held until it is first).
    const order = new OrderedOutput(needed.length, (text) => this.#send({ stream: text }));
    let first = this.#steps - needed.reduce((n, s) => n + 1 + s.instructions.length, 0);
    needed.forEach((stage, i) => {
      const ctx = { step: first, out: (text: string) => order.write(i, text) };
      first += 1 + stage.instructions.length;
      const p = this.#stageCtx.run(ctx, () => this.#buildStage(df, stage));
      p.then(() => order.end(i), (err: unknown) => { this.#firstError ??= { err }; order.flushAll(); });
      p.catch(() => undefined);
      this.#stageImages.set(stage.index, p);
    });
    let final = '';
    try {
      for (const stage of needed) final = await (this.#stageImages.get(stage.index) ?? Promise.resolve(''));
    } catch (err) {
      // Let the stages still running reach a step boundary before the caller cleans up.
      await Promise.allSettled([...this.#stageImages.values()]);
      throw this.#firstError ? this.#firstError.err : err;
    }
    if (!final) throw new BuildError('No image was generated. Is your Dockerfile empty?');
    const unused = Object.keys(this.#o.buildArgs).filter((k) => !this.#usedArgs.has(k) && !PREDEFINED_ARGS.has(k) && !(k in AUTOMATIC_ARGS)).sort();
    if (unused.length) this.#out(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    return final;
  }

  /** Removes every container this build still holds (after a failure or a disconnect). */
  async cleanup(): Promise<void> {
    for (const id of [...this.#live]) {
      await this.#d.containers.remove(id, { force: true, volumes: true }).catch(() => undefined);
      this.#live.delete(id);
    }
  }

  #checkAbort(): void {
    if (this.#signal?.aborted) throw new BuildError('the build was cancelled: the client went away');
    if (this.#firstError) throw new BuildError('the build was cancelled: another stage failed');
  }

  // ---- stages -------------------------------------------------------------------

  #stageRef(df: ParsedDockerfile, name: string): Stage | undefined {
    const lower = name.toLowerCase();
    const byName = df.stages.find((s) => s.name === lower);
    if (byName) return byName;
    if (/^\d+$/.test(name)) return df.stages[Number(name)];
    return undefined;
  }

  /** The target stage and every stage it reads from (FROM <stage>, COPY --from), in Dockerfile order. */
  #neededStages(df: ParsedDockerfile): Stage[] {
    let target = df.stages[df.stages.length - 1];
    if (this.#o.target) {
      target = df.stages.find((s) => s.name === this.#o.target.toLowerCase());
      if (!target) throw new BuildError(`failed to reach build target ${this.#o.target} in Dockerfile`);
    }
    const need = new Set<number>();
    const visit = (s: Stage): void => {
      if (need.has(s.index)) return;
      need.add(s.index);
      const base = this.#expandMeta(s.base);
      const dep = df.stages.slice(0, s.index).find((x) => x.name === base.toLowerCase());
      if (dep) visit(dep);
      for (const ins of s.instructions) {
        const from = ins.keyword === 'COPY' ? ins.flags.get('from')?.[0] : undefined;
        if (from === undefined) continue;
        const ref = this.#stageRef(df, from);
        if (ref && ref.index < s.index) visit(ref);
        else if (ref && ref.index >= s.index) throw new BuildError(`dockerfile parse error on line ${ins.line}: invalid from flag value ${from}: stage refers to itself or a later stage`);
      }
    };
    if (target) visit(target);
    return df.stages.filter((s) => need.has(s.index) && s.index <= (target?.index ?? 0));
  }

  #expandMeta(word: string): string {
    const env = new Map<string, string>();
    for (const [k, v] of Object.entries(AUTOMATIC_ARGS)) env.set(k, v);
    for (const [k, v] of this.#metaArgs) if (v !== undefined) env.set(k, v);
    return processWord(word, env, this.#escape);
  }

  async #buildStage(df: ParsedDockerfile, stage: Stage): Promise<string> {
    this.#stepLine(stage.from.original);
    const base = this.#expandMeta(stage.base);
    if (!base) throw new BuildError(`dockerfile parse error on line ${stage.from.line}: base name (${stage.base}) should not be blank`);
    const platform = stage.platform ? this.#expandMeta(stage.platform) : this.#o.platform;
    if (platform && !/^linux(\/amd64(\/v\d)?)?$/.test(platform)) {
      throw new BuildError(`failed to resolve platform ${platform}: pier builds linux/amd64 images only`);
    }
    let st: State;
    const prior = df.stages.slice(0, stage.index).find((s) => s.name === base.toLowerCase());
    if (prior) {
      const id = await (this.#stageImages.get(prior.index) ?? Promise.resolve(''));
      st = await this.#stateOf(id);
    } else if (base === 'scratch') {
      st = { image: '', cfg: { architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] }, rootfs: { type: 'layers', diff_ids: [] }, history: [] }, layerSizes: [], args: new Map(), cmdSet: false };
    } else {
      const img = await this.#baseImage(base, platform);
      st = await this.#stateOf(img.id);
    }
    this.#out(st.image ? ` ---> ${short(st.image)}\n` : ' ---> \n');
    // ONBUILD triggers of the base image run first.
    const triggers = st.cfg.config?.OnBuild ?? [];
    if (triggers.length > 0) {
      this.#out(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
      st.cfg = { ...st.cfg, config: { ...st.cfg.config, OnBuild: null } };
      for (const t of triggers) {
        const parsed = parseDockerfile(`FROM scratch\n${t}\n`).stages[0]?.instructions[0];
        if (!parsed) continue;
        if (['ONBUILD', 'FROM', 'MAINTAINER'].includes(parsed.keyword)) throw new BuildError(`${parsed.keyword} isn't allowed as an ONBUILD trigger`);
        st = await this.#dispatch(df, stage, st, parsed);
      }
    }
    for (const ins of stage.instructions) {
      this.#checkAbort();
      this.#stepLine(ins.original);
      st = await this.#dispatch(df, stage, st, ins);
    }
    if (!st.image) st = await this.#commitMeta(st, '#(nop) scratch', (c) => c);
    return st.image;
  }

  #stepLine(original: string): void {
    const ctx = this.#stageCtx.getStore();
    const n = ctx ? ++ctx.step : ++this.#step;
    this.#out(`Step ${n}/${this.#steps} : ${original}\n`);
  }

  async #baseImage(name: string, platform: string): Promise<ImageRecord> {
    let ref;
    try { ref = withDefaultTag(parseReference(name)); } catch (err) { throw new BuildError(`invalid reference format: ${messageOf(err)}`); }
    const local = this.#o.pull ? undefined : this.#d.images.tryResolve(name);
    if (local) return local;
    try {
      const { run } = await this.#d.images.pull(ref, { ...(platform ? { platform } : {}), ...(this.#signal ? { signal: this.#signal } : {}) });
      return await run((m) => { if (!this.#o.quiet) this.#send(m as BuildMessage); });
    } catch (err) {
      const again = this.#d.images.tryResolve(name);
      if (again && this.#o.pull) return again; // --pull with no registry: the local image serves
      throw new BuildError(messageOf(err));
    }
  }

  async #stateOf(imageId: string): Promise<State> {
    const img = this.#d.images.get(imageId);
    if (!img) throw new NotFoundError(`No such image: ${imageId}`);
    const cfg = await this.#d.images.config(imageId);
    return { image: imageId, cfg, layerSizes: [...img.layerSizes], args: new Map(), cmdSet: false };
  }

  // ---- variables ------------------------------------------------------------------

  /** What `$VAR` sees: ARGs in scope, then ENV over them. */
  #vars(st: State): Map<string, string> {
    const env = new Map<string, string>();
    for (const [k, v] of st.args) if (v !== undefined) env.set(k, v);
    for (const e of st.cfg.config?.Env ?? []) {
      const eq = e.indexOf('=');
      if (eq > 0) env.set(e.slice(0, eq), e.slice(eq + 1));
    }
    return env;
  }

  #expand(st: State, word: string): string {
    return processWord(word, this.#vars(st), this.#escape);
  }

  /** `ARG a b=1`: names and (expanded) defaults. */
  #argDecls(ins: Instruction, vars: Map<string, string>): [string, string | undefined][] {
    const out: [string, string | undefined][] = [];
    for (const w of splitWords(ins.args, this.#escape)) {
      const eq = w.indexOf('=');
      const name = eq < 0 ? w : w.slice(0, eq);
      if (!name) throw new BuildError(`dockerfile parse error on line ${ins.line}: ARG names can not be blank`);
      out.push([name, eq < 0 ? undefined : processWord(w.slice(eq + 1), vars, this.#escape)]);
    }
    if (out.length === 0) throw new BuildError(`dockerfile parse error on line ${ins.line}: ARG requires at least one argument`);
    return out;
  }

  /** Build args RUN sees as environment (ARGs in scope that ENV does not override). */
  #runArgEnv(st: State): string[] {
    const envNames = new Set((st.cfg.config?.Env ?? []).map((e) => e.split('=')[0]));
    const out: string[] = [];
    for (const [k, v] of st.args) if (v !== undefined && !envNames.has(k)) out.push(`${k}=${v}`);
    for (const k of PREDEFINED_ARGS) {
      const v = this.#o.buildArgs[k];
      if (v !== undefined && v !== null && !st.args.has(k) && !envNames.has(k)) out.push(`${k}=${v}`);
    }
    return out.sort();
  }

  // ---- instructions -----------------------------------------------------------------

  async #dispatch(df: ParsedDockerfile, stage: Stage, st: State, ins: Instruction): Promise<State> {
    const nop = (text: string): string => this.#nop(st, text);
    switch (ins.keyword) {
      case 'ENV': case 'LABEL': case 'USER': case 'EXPOSE': case 'VOLUME': case 'STOPSIGNAL':
      case 'CMD': case 'ENTRYPOINT': case 'SHELL': case 'HEALTHCHECK': case 'ONBUILD': {
        const { config, createdBy } = applyMeta(st.cfg.config ?? {}, ins, { vars: this.#vars(st), escape: this.#escape, cmdSet: st.cmdSet });
        // The history entry names the shell in force after the step (a SHELL step shows its own).
        const next = await this.#commitMeta(st, `${(config.Shell ?? DEFAULT_SHELL).join(' ')} #(nop) ${createdBy}`, () => config);
        return ins.keyword === 'CMD' ? { ...next, cmdSet: true } : next;
      }
      case 'ARG': {
        const next = new Map(st.args);
        const decls = this.#argDecls(ins, this.#vars(st));
        for (const [name, def] of decls) {
          const given = this.#o.buildArgs[name];
          let value = def;
          if (given !== undefined && given !== null) value = given;
          else if (def === undefined && this.#metaArgs.has(name)) value = this.#metaArgs.get(name);
          else if (def === undefined && name in AUTOMATIC_ARGS) value = AUTOMATIC_ARGS[name];
          if (given !== undefined) this.#usedArgs.add(name);
          next.set(name, value);
        }
        const shown = decls.map(([n, d]) => (d === undefined ? n : `${n}=${d}`)).join(' ');
        return this.#commitMeta({ ...st, args: next }, nop(` ARG ${shown}`), (c) => c);
      }
      case 'MAINTAINER': {
        const next = await this.#commitMeta(st, nop(` MAINTAINER ${ins.args}`), (c) => c, { author: ins.args });
        return next;
      }
      case 'WORKDIR': {
        const w = this.#expand(st, ins.args);
        if (!w) throw new BuildError(`dockerfile parse error on line ${ins.line}: WORKDIR requires exactly one argument`);
        const dir = posix.resolve(st.cfg.config?.WorkingDir || '/', w);
        return this.#workdir(st, dir);
      }
      case 'RUN':
        return this.#run(st, ins);
      case 'COPY':
      case 'ADD':
        return this.#copy(df, stage, st, ins);
      default:
        throw new BuildError(`dockerfile parse error on line ${ins.line}: unknown instruction: ${ins.keyword}`);
    }
  }

  // ---- cache and commits ----------------------------------------------------------------

  #cacheKey(parent: string, parts: unknown): string {
    return createHash('sha256').update(JSON.stringify([parent, parts])).digest('hex');
  }

  /** A cached result of this step on this parent, when there is one still in the store. */
  #lookup(key: string): string | undefined {
    if (this.#o.noCache) return undefined;
    const hit = this.#d.cache.get(key);
    if (!hit) return undefined;
    if (!this.#d.images.get(hit.image)) {
      this.#d.cache.delete(key);
      return undefined;
    }
    return hit.image;
  }

  async #useCache(st: State, key: string, probe: { createdBy: string; config: RunConfig }): Promise<State | undefined> {
    if (this.#o.noCache) return undefined;
    const hit = this.#lookup(key);
    const sources = await this.#cacheSources();
    // With --cache-from, a local step counts only when it leads to one of those images (docker's rule).
    if (hit && (sources.length === 0 || sources.some((src) => this.#isAncestor(hit, src.id)))) {
      this.#out(' ---> Using cache\n');
      this.#out(` ---> ${short(hit)}\n`);
      const next = await this.#stateOf(hit);
      return { ...next, args: st.args, cmdSet: st.cmdSet };
    }
    const restored = await this.#fromCacheSource(st, probe, sources);
    if (!restored) return undefined;
    this.#remember(key, restored.image);
    this.#out(' ---> Using cache\n');
    this.#out(` ---> ${short(restored.image)}\n`);
    return restored;
  }

  #sources: { id: string; cfg: ImageConfigFile; layerSizes: number[] }[] | undefined;

  /** The --cache-from images that exist here (missing ones are skipped, as docker does). */
  async #cacheSources(): Promise<{ id: string; cfg: ImageConfigFile; layerSizes: number[] }[]> {
    if (this.#sources) return this.#sources;
    const out: { id: string; cfg: ImageConfigFile; layerSizes: number[] }[] = [];
    for (const name of this.#o.cacheFrom ?? []) {
      const img = this.#d.images.tryResolve(name);
      if (img) out.push({ id: img.id, cfg: await this.#d.images.config(img.id), layerSizes: img.layerSizes });
    }
    this.#sources = out;
    return out;
  }

  #isAncestor(ancestor: string, of: string): boolean {
    for (let id: string | undefined = of, n = 0; id && n < 10_000; n++) {
      if (id === ancestor) return true;
      id = this.#d.images.get(id)?.parent;
    }
    return false;
  }

  /**
   * --cache-from: a source image whose history starts with this state's history and
   * whose next entry is this very step gives the step's result (its layer reused).
   */
  async #fromCacheSource(st: State, probe: { createdBy: string; config: RunConfig }, sources: { id: string; cfg: ImageConfigFile; layerSizes: number[] }[]): Promise<State | undefined> {
    const hist = st.cfg.history ?? [];
    const diffs = st.cfg.rootfs?.diff_ids ?? [];
    for (const src of sources) {
      const sh = src.cfg.history ?? [];
      const sd = src.cfg.rootfs?.diff_ids ?? [];
      if (sh.length <= hist.length || sd.length < diffs.length) continue;
      if (!hist.every((h, i) => sh[i]?.created_by === h.created_by && Boolean(sh[i]?.empty_layer) === Boolean(h.empty_layer))) continue;
      if (!diffs.every((d, i) => sd[i] === d)) continue;
      const entry = sh[hist.length];
      if (!entry || entry.created_by !== probe.createdBy) continue;
      const layerDiff = entry.empty_layer ? undefined : sd[diffs.length];
      if (!entry.empty_layer && !layerDiff) continue;
      if (sh.length === hist.length + 1) {
        if (st.image && !this.#d.images.get(src.id)?.parent) {
          const rec = this.#d.images.get(src.id);
          if (rec) this.#d.images.update({ ...rec, parent: st.image });
        }
        const next = await this.#stateOf(src.id);
        return { ...next, args: st.args, cmdSet: st.cmdSet };
      }
      const layer = layerDiff ? { diffId: layerDiff, size: src.layerSizes[diffs.length] ?? 0 } : undefined;
      return this.#record(st, probe.config, probe.createdBy, layer, {}, entry.created);
    }
    return undefined;
  }

  #remember(key: string, image: string): void {
    this.#d.cache.put(key, { image, created: new Date().toISOString() });
  }

  /** A step that changes only the config: a new image with the same layers. */
  async #commitMeta(st: State, createdBy: string, change: (c: RunConfig) => RunConfig, extra: { author?: string } = {}): Promise<State> {
    const config = change({ ...(st.cfg.config ?? {}) });
    const key = this.#cacheKey(st.image, ['meta', createdBy, config, extra]);
    const cached = await this.#useCache(st, key, { createdBy, config });
    if (cached) return cached;
    const next = await this.#record(st, config, createdBy, undefined, extra);
    this.#remember(key, next.image);
    this.#out(` ---> ${short(next.image)}\n`);
    return next;
  }

  /** Records the image of a step: the parent's config with `config`, one history entry, maybe one layer. */
  async #record(st: State, config: RunConfig, createdBy: string, layer: { diffId: string; size: number } | undefined, extra: { author?: string } = {}, createdAt?: string): Promise<State> {
    const created = createdAt ?? new Date().toISOString();
    const cfg: ImageConfigFile = {
      ...st.cfg,
      architecture: st.cfg.architecture || 'amd64', os: st.cfg.os || 'linux', created,
      ...(extra.author ? { author: extra.author } : {}),
      config: stripEmpty(config),
      rootfs: { type: 'layers', diff_ids: [...(st.cfg.rootfs?.diff_ids ?? []), ...(layer ? [layer.diffId] : [])] },
      history: [...(st.cfg.history ?? []), { created, created_by: createdBy, ...(layer ? {} : { empty_layer: true }) }],
    };
    const sizes = [...st.layerSizes, ...(layer ? [layer.size] : [])];
    const rec = await this.#d.images.recordImage(Buffer.from(JSON.stringify(cfg)), sizes);
    if (st.image) this.#d.images.update({ ...rec, parent: st.image });
    return { image: rec.id, cfg, layerSizes: sizes, args: st.args, cmdSet: st.cmdSet };
  }

  /** An image to make containers from: the scratch start of a stage is recorded as an empty image. */
  async #ensureImage(st: State): Promise<State> {
    if (st.image) return st;
    const rec = await this.#d.images.recordImage(Buffer.from(JSON.stringify(st.cfg)), []);
    return { ...st, image: rec.id };
  }

  /** Creates a build container on the state's image (never started for COPY). */
  async #container(st: State, cmd: string[], o: { env?: string[]; network?: string; mounts?: RunMount[]; volumes?: { source: string; target: string }[] } = {}): Promise<string> {
    const binds = (o.mounts ?? []).map((m) => {
      const dir = `${this.#d.cacheMountRoot}/${createHash('sha256').update(m.id || m.target).digest('hex').slice(0, 24)}`;
      mkdirSync(dir, { recursive: true });
      const idMap = this.#d.images.idMap;
      if (idMap) { const o = idMap.toHost(m.uid ?? 0, m.gid ?? 0); lchownSync(dir, o.uid, o.gid); }
      else if (m.uid !== undefined || m.gid !== undefined) lchownSync(dir, m.uid ?? 0, m.gid ?? 0);
      if (m.mode !== undefined) chmodSync(dir, m.mode);
      return { Type: 'bind', Source: dir, Target: m.target, ReadOnly: m.readonly };
    });
    const base = await this.#ensureImage(st);
    const req = this.#d.containerRequest({
      Image: base.image, Cmd: cmd, Entrypoint: [''], Env: o.env ?? [], User: st.cfg.config?.User ?? '',
      WorkingDir: st.cfg.config?.WorkingDir ?? '', AttachStdout: true, AttachStderr: true, Labels: {},
      HostConfig: {
        NetworkMode: o.network ?? this.#o.networkMode ?? 'default', ExtraHosts: this.#o.extraHosts, ShmSize: this.#o.shmSize,
        Memory: this.#o.memory, MemorySwap: this.#o.memorySwap, CpuShares: this.#o.cpuShares, CpuPeriod: this.#o.cpuPeriod,
        CpuQuota: this.#o.cpuQuota, CpusetCpus: this.#o.cpusetCpus, CpusetMems: this.#o.cpusetMems, Ulimits: this.#o.ulimits ?? null,
        ...(binds.length || o.volumes?.length ? { Mounts: [...binds, ...(o.volumes ?? []).map((v) => ({ Type: 'bind', Source: v.source, Target: v.target }))] } : {}),
      },
    });
    const { Id } = await this.#d.containers.create({ ...req, buildStep: true });
    this.#live.add(Id);
    return Id;
  }

  async #removeContainer(id: string): Promise<void> {
    await this.#d.containers.remove(id, { force: true, volumes: true }).catch(() => undefined);
    this.#live.delete(id);
  }

  /** The container's changes as one layer on the state's image. */
  async #commitContainer(st: State, id: string, config: RunConfig, createdBy: string): Promise<State> {
    const c = this.#d.containers.get(id);
    const upper = await this.#d.images.snapshots.dir(c.pier.snapshotKey);
    const base = await this.#ensureImage(st);
    const parentImg = this.#d.images.get(base.image);
    const parentChain = parentImg ? this.#d.images.topLayer(parentImg) : '';
    // A step that changed nothing (only the runtime's mount points and their copied-up
    // parents in the upper dir) is an empty layer, as in docker.
    const lowers: string[] = [];
    for (const chain of [...(parentImg?.chainIds ?? [])].reverse()) lowers.push(await this.#d.images.snapshots.dir(chain));
    if (!upperChanged(upper, lowers)) return this.#record(st, config, createdBy, undefined);
    // The upper dir is already a layer in the snapshotter's own format (overlay
    // whiteouts): tar it once for its diff ID (the blob push and save need), then
    // commit the container's snapshot as the layer itself instead of unpacking the
    // tar into a new one. A container's rootfs must not be mounted for that.
    const rootfs = this.#d.containers.rootfsDir(id);
    if (await isMounted(rootfs)) await unmount(rootfs);
    for (const f of ['etc/hosts', 'etc/hostname', 'etc/resolv.conf', '.dockerenv']) {
      try {
        const p = `${upper}/${f}`;
        if (lstatSync(p).isFile() && lstatSync(p).size === 0) rmSync(p);
      } catch { /* not there */ }
    }
    const blob = await this.#d.images.content.ingest(createTar(upper, { overlayWhiteouts: true, excludes: runtimeMountpoint, idMap: this.#d.images.idMap }));
    const chain = parentChain ? chainIds([parentChain, blob.digest])[1] ?? blob.digest : blob.digest;
    const exists = (): Promise<boolean> => this.#d.images.snapshots.stat(chain).then(() => true, () => false);
    if (!(await exists())) {
      try {
        await this.#d.images.snapshots.commit(chain, c.pier.snapshotKey, { parent: parentChain });
      } catch (err) {
        // Another stage committed the same layer meanwhile: share it (this container's snapshot goes with it).
        if (!(await exists())) throw err;
      }
    }
    return this.#record(st, config, createdBy, { diffId: blob.digest, size: blob.size });
  }

  // ---- RUN ---------------------------------------------------------------------------

  async #run(st: State, ins: Instruction): Promise<State> {
    const json = jsonForm(ins.args);
    const shell = st.cfg.config?.Shell ?? DEFAULT_SHELL;
    let cmd: string[];
    if (json) cmd = json;
    else if (ins.heredocs.length > 0 && /^<<-?["']?\w+["']?\s*$/.test(ins.args.trim())) {
      // `RUN <<EOF` alone: the heredoc is the script.
      cmd = [...shell, ins.heredocs[0]?.content ?? ''];
    } else if (ins.heredocs.length > 0) {
      cmd = [...shell, `${ins.args}\n${ins.heredocs.map((h) => `${h.content}${h.name}`).join('\n')}`];
    } else cmd = [...shell, ins.args];
    const network = ins.flags.get('network')?.[0];
    if (network && !['default', 'none', 'host'].includes(network)) throw new BuildError(`dockerfile parse error on line ${ins.line}: invalid network mode "${network}"`);
    const mounts = (ins.flags.get('mount') ?? []).map((m) => parseRunMount(processWord(m, this.#vars(st), this.#escape), ins.line));
    const argEnv = this.#runArgEnv(st);
    const createdBy = `${argEnv.length ? `|${argEnv.length} ${argEnv.join(' ')} ` : ''}${cmd.join(' ')}`;
    const key = this.#cacheKey(st.image, ['run', createdBy, st.cfg.config ?? {}, network ?? '', mounts]);
    const cached = await this.#useCache(st, key, { createdBy, config: { ...(st.cfg.config ?? {}) } });
    if (cached) return cached;
    const env = [...(st.cfg.config?.Env ?? []), ...argEnv];
    // The image's VOLUMEs are anonymous volumes while RUN runs, as in docker: what RUN
    // writes there never reaches the layer (the mount points do), and each starts
    // with a copy of what the image holds at that path.
    const volumes = Object.keys(st.cfg.config?.Volumes ?? {}).map((target, i) => ({ source: `${this.#d.scratch}/volume-${++this.#volumes}-${i}`, target }));
    for (const v of volumes) mkdirSync(v.source, { recursive: true, mode: 0o755 });
    const id = await this.#container(st, cmd, { env, mounts, volumes, ...(network ? { network: network === 'default' ? this.#o.networkMode : network } : {}) });
    this.#out(` ---> Running in ${short(id)}\n`);
    try {
      if (volumes.length || mounts.length) {
        await this.#d.containers.views.withRootfs(id, async (root) => {
          // Mount points made here are 0755, as dockerd makes them (crun would make them 01755).
          for (const m of [...volumes.map((v) => v.target), ...mounts.map((m) => m.target)]) {
            try { mkdirInRoot(root, m, this.#rootOwner); } catch { /* not a directory: the runtime reports it at start */ }
          }
          for (const v of volumes) {
            const src = `${root}${posix.normalize(v.target)}`;
            let isDir = false;
            try { isDir = lstatSync(src).isDirectory(); } catch { isDir = false; }
            if (isDir) await execFileP('cp', ['-a', `${src}/.`, v.source]);
          }
        }, { withMounts: false });
      }
      const code = await this.#runContainer(id);
      if (code !== 0) {
        throw new BuildError(`The command '${cmd.join(' ')}' returned a non-zero code: ${code}`, code);
      }
      const next = await this.#commitContainer(st, id, { ...(st.cfg.config ?? {}) }, createdBy);
      this.#remember(key, next.image);
      this.#out(`Removing intermediate container ${short(id)}\n`);
      this.#out(` ---> ${short(next.image)}\n`);
      return next;
    } finally {
      await this.#removeContainer(id);
    }
  }

  /** Starts a build container with its output streamed to the client; resolves its exit code. */
  async #runContainer(id: string): Promise<number> {
    const attached = new Promise<void>((resolve, reject) => {
      this.#d.containers.attach(id, {
        stdin: false, stdout: true, stderr: true,
        onReady: (h) => {
          let buf = Buffer.alloc(0) as Buffer;
          h.stdout.on('data', (chunk: Buffer) => {
            buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
            while (buf.length >= 8) {
              const size = buf.readUInt32BE(4);
              if (buf.length < 8 + size) break;
              const payload = buf.subarray(8, 8 + size);
              buf = buf.subarray(8 + size);
              this.#out(payload.toString('utf8'));
            }
          });
          h.stdout.on('end', () => resolve());
          h.stdout.on('error', () => resolve());
          h.once('close', () => resolve());
        },
        onError: reject,
      });
    });
    attached.catch(() => undefined); // a start that fails rejects the attach too
    const exited = this.#d.containers.wait(id, 'next-exit');
    const onAbort = (): void => { void this.#d.containers.kill(id, 'KILL').catch(() => undefined); };
    this.#signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.#d.containers.start(id);
      // A kill sent while start was still settling the task fails: send it again now.
      if (this.#signal?.aborted) await this.#d.containers.kill(id, 'KILL').catch(() => undefined);
      const res = await exited;
      await Promise.race([attached.catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
      this.#checkAbort();
      return res.StatusCode;
    } finally {
      this.#signal?.removeEventListener('abort', onAbort);
    }
  }

  // ---- WORKDIR -------------------------------------------------------------------------

  async #workdir(st: State, dir: string): Promise<State> {
    const createdBy = `/bin/sh -c #(nop) WORKDIR ${dir}`;
    const config = { ...(st.cfg.config ?? {}), WorkingDir: dir };
    const key = this.#cacheKey(st.image, ['workdir', createdBy, config]);
    const cached = await this.#useCache(st, key, { createdBy, config });
    if (cached) return cached;
    const id = await this.#container(st, [...DEFAULT_SHELL, `#(nop) WORKDIR ${dir}`]);
    try {
      const made = await this.#d.containers.views.withRootfs(id, async (root) => {
        const target = `${root}${dir}`;
        let exists = false;
        try { exists = lstatSync(target).isDirectory() || statSync(target).isDirectory(); } catch { exists = false; }
        if (exists) return false;
        mkdirInRoot(root, dir, this.#rootOwner);
        return true;
      }, { withMounts: false });
      const next = made ? await this.#commitContainer(st, id, config, createdBy) : await this.#record(st, config, createdBy, undefined);
      this.#remember(key, next.image);
      this.#out(` ---> ${short(next.image)}\n`);
      return next;
    } finally {
      await this.#removeContainer(id);
    }
  }

  // ---- COPY / ADD ------------------------------------------------------------------------

  async #copy(df: ParsedDockerfile, stage: Stage, st: State, ins: Instruction): Promise<State> {
    const what = ins.keyword;
    const vars = this.#vars(st);
    const fromFlag = ins.flags.get('from')?.[0];
    const chownFlag = ins.flags.get('chown')?.[0];
    const chmodFlag = ins.flags.get('chmod')?.[0];
    let mode: number | undefined;
    if (chmodFlag) {
      const c = processWord(chmodFlag, vars, this.#escape);
      if (!/^[0-7]{3,4}$/.test(c)) throw new BuildError(`invalid chmod parameter: ${c}`);
      mode = parseInt(c, 8);
    }
    // Sources and destination.
    let words: string[];
    const json = jsonForm(ins.args);
    if (json) words = json.map((w) => processWord(w, vars, this.#escape));
    else words = splitWords(ins.args, this.#escape).map((w) => processWord(w, vars, this.#escape));
    const heredocSources = ins.heredocs;
    if (words.length < (heredocSources.length ? 1 : 2)) throw new BuildError(`dockerfile parse error on line ${ins.line}: ${what} requires at least two arguments, but only one was provided. Destination could not be determined.`);
    const destRaw = words[words.length - 1] ?? '';
    const srcs = words.slice(0, -1).filter((w) => !/^<<-?["']?\w+["']?$/.test(w));
    const workdir = st.cfg.config?.WorkingDir || '/';
    let dest = destRaw.startsWith('/') ? destRaw : posix.join(workdir, destRaw) + (destRaw.endsWith('/') || destRaw === '.' ? '/' : '');
    if (destRaw === '.' || destRaw === './') dest = workdir.endsWith('/') ? workdir : `${workdir}/`;

    // Where the sources come from: the context, another stage or an image.
    let sourceContainer: string | undefined;
    if (fromFlag !== undefined) {
      if (what === 'ADD') throw new BuildError('ADD does not support --from');
      const from = processWord(fromFlag, this.#vars(st), this.#escape);
      const ref = this.#stageRef(df, from);
      let imageId: string;
      if (ref && ref.index < stage.index) {
        imageId = await (this.#stageImages.get(ref.index) ?? Promise.resolve(''));
        if (!imageId) throw new BuildError(`invalid from flag value ${from}: stage was not built`);
      } else if (ref) {
        throw new BuildError(`invalid from flag value ${from}: refers to the current or a later stage`);
      } else {
        imageId = (await this.#baseImage(from, '')).id;
      }
      sourceContainer = await this.#container(await this.#stateOf(imageId), [...DEFAULT_SHELL, '#(nop) COPY source']);
    }
    const ctx = this.#context;
    try {
      const run = async (root: string | undefined): Promise<State> => {
        const isUrl = (s: string): boolean => /^https?:\/\//.test(s);
        const hostMatches: SourceMatch[] = [];
        const ctxMatches: ContextMatch[] = [];
        const urls: string[] = [];
        for (const s of srcs) {
          if (what === 'ADD' && isUrl(s)) { urls.push(s); continue; }
          if (what === 'ADD' && /^git@|\.git(#|$)/.test(s)) throw new BuildError('ADD of a git repository is not supported by pier yet');
          if (root !== undefined) hostMatches.push(...matchSources(root, s, what));
          else ctxMatches.push(...matchContext(ctx, s, what));
        }
        const count = hostMatches.length + ctxMatches.length;
        if (count + urls.length + heredocSources.length > 1 && !dest.endsWith('/')) {
          throw new BuildError(`When using ${what} with more than one source file, the destination must be a directory and end with a /`);
        }
        const sum = hostMatches.length ? checksumSources(hostMatches) : ctxMatches.length ? checksumContext(ctx, ctxMatches) : '';
        const hereSum = heredocSources.length ? createHash('sha256').update(JSON.stringify(heredocSources)).digest('hex') : '';
        const single = hostMatches[0] ?? ctxMatches[0];
        const kind = count > 1 ? 'multi' : count === 1 ? (single?.isDir ? 'dir' : 'file') : urls.length ? 'url' : 'heredoc';
        // docker's history text: the destination as written, --chown expanded and glued to the source kind.
        const chownShown = chownFlag ? `--chown=${processWord(chownFlag, vars, this.#escape)}` : '';
        const chmodShown = chmodFlag ? `--chmod=${chmodFlag} ` : '';
        const createdBy = this.#nop(st, `${what} ${chmodShown}${chownShown}${kind}:${sum || hereSum || urls.join(',')} in ${destRaw} `);
        const key = this.#cacheKey(st.image, [what.toLowerCase(), createdBy, dest, fromFlag ?? '', urls, st.cfg.config ?? {}]);
        if (urls.length === 0) {
          const cached = await this.#useCache(st, key, { createdBy, config: { ...(st.cfg.config ?? {}) } });
          if (cached) return cached;
        }
        const id = await this.#container(st, [...DEFAULT_SHELL, `#(nop) ${what} ${kind}:${sum} in ${dest}`]);
        try {
          await this.#d.containers.views.withRootfs(id, async (rootfs) => {
            let own = { uid: 0, gid: 0 };
            if (chownFlag) {
              const spec = processWord(chownFlag, vars, this.#escape);
              try {
                const u = resolveUser(spec.includes(':') ? spec : `${spec}:${spec}`, { readFile: rootfsReader(rootfs) });
                own = { uid: u.uid, gid: u.gid };
              } catch {
                try {
                  const u = resolveUser(spec, { readFile: rootfsReader(rootfs) });
                  own = { uid: u.uid, gid: u.gid };
                } catch (err) { throw new BuildError(`unable to convert uid/gid chown string to host mapping: ${messageOf(err)}`); }
              }
            }
            // Under --userns-remap the files get the host ids the container's map to.
            if (this.#d.images.idMap) own = this.#d.images.idMap.toHost(own.uid, own.gid);
            const opts = { ...own, ...(mode !== undefined ? { mode } : {}) };
            const plainHost: SourceMatch[] = [];
            for (const m of hostMatches) {
              if (what === 'ADD' && !m.isDir && isArchive(m.host)) {
                await extractTar(createReadStream(m.host), mkdirInRoot(rootfs, dest, this.#rootOwner), { whiteouts: 'literal', chown: true, idMap: this.#d.images.idMap });
              } else plainHost.push(m);
            }
            if (plainHost.length) copyInto(rootfs, plainHost, dest, opts);
            const plainCtx: ContextMatch[] = [];
            for (const m of ctxMatches) {
              const e = ctx.get(m.entry);
              if (what === 'ADD' && e?.type === 'file' && isArchiveHead(ctx.head(e, 512))) {
                await extractTar(ctx.stream(e), mkdirInRoot(rootfs, dest, this.#rootOwner), { whiteouts: 'literal', chown: true, idMap: this.#d.images.idMap });
              } else plainCtx.push(m);
            }
            if (plainCtx.length) copyFromContext(ctx, rootfs, plainCtx, dest, opts);
            for (const u of urls) await this.#download(rootfs, u, dest, opts);
            for (const h of heredocSources) {
              const file = posix.join(dest.endsWith('/') ? dest : posix.dirname(dest), dest.endsWith('/') ? h.name : posix.basename(dest));
              const dir = mkdirInRoot(rootfs, posix.dirname(file), this.#rootOwner);
              const hostFile = `${dir}/${posix.basename(file)}`;
              writeFileSync(hostFile, h.quoted ? h.content : processWord(h.content, vars, this.#escape));
              lchownSync(hostFile, opts.uid, opts.gid);
              chmodSync(hostFile, mode ?? 0o644);
            }
          }, { withMounts: false });
          const next = await this.#commitContainer(st, id, { ...(st.cfg.config ?? {}) }, createdBy);
          this.#remember(key, next.image);
          this.#out(` ---> ${short(next.image)}\n`);
          return next;
        } finally {
          await this.#removeContainer(id);
        }
      };
      if (sourceContainer) return await this.#d.containers.views.withRootfs(sourceContainer, run, { withMounts: false });
      return await run(undefined);
    } finally {
      if (sourceContainer) await this.#removeContainer(sourceContainer);
    }
  }

  /** docker's history text of a config-only step: the shell in force, `#(nop)`, the instruction. */
  #nop(st: State, text: string): string {
    return `${(st.cfg.config?.Shell ?? DEFAULT_SHELL).join(' ')} #(nop) ${text}`;
  }

  /** ADD <url>: downloaded into the destination (mode 0600, as docker does). */
  async #download(rootfs: string, url: string, dest: string, o: { uid: number; gid: number; mode?: number }): Promise<void> {
    const res = await httpGet(url, this.#signal ? { signal: this.#signal } : {}).catch((err: unknown) => { throw new BuildError(`failed to GET ${url}: ${messageOf(err)}`); });
    if (res.status !== 200) { res.body.resume(); throw new BuildError(`failed to GET ${url} with status ${res.status} ${res.statusText}`); }
    const name = posix.basename(new URL(url).pathname) || 'download';
    const file = dest.endsWith('/') ? posix.join(dest, name) : dest;
    const dir = mkdirInRoot(rootfs, posix.dirname(file), this.#rootOwner);
    const host = `${dir}/${posix.basename(file)}`;
    await pipeline(res.body, createWriteStream(host, { mode: 0o600 }));
    lchownSync(host, o.uid, o.gid);
    chmodSync(host, o.mode ?? 0o600);
  }
}

/** Output of concurrent stages in stage order: the first unfinished stage writes through, later ones are held. */
class OrderedOutput {
  readonly #held: string[][];
  readonly #done: boolean[];
  readonly #write: (text: string) => void;
  #head = 0;

  constructor(n: number, write: (text: string) => void) {
    this.#held = Array.from({ length: n }, () => []);
    this.#done = Array.from({ length: n }, () => false);
    this.#write = write;
  }

  write(i: number, text: string): void {
    if (i === this.#head) this.#write(text);
    else this.#held[i]?.push(text);
  }

  end(i: number): void {
    this.#done[i] = true;
    while (this.#head < this.#held.length && this.#done[this.#head]) {
      this.#head++;
      const next = this.#held[this.#head];
      if (next) for (const t of next.splice(0)) this.#write(t);
    }
  }

  /** After a failure: everything held, in order (the failed step's output included). */
  flushAll(): void {
    for (let i = this.#head + 1; i < this.#held.length; i++) for (const t of this.#held[i]?.splice(0) ?? []) this.#write(t);
  }
}

/**
 * Whether a build container's upper dir holds a change: anything but the runtime's
 * mount points, and directories that are only copied up (same owner and mode in a lower layer).
 */
function upperChanged(upper: string, lowers: readonly string[]): boolean {
  const walk = (rel: string): boolean => {
    let names: string[];
    try { names = readdirSync(rel ? `${upper}/${rel}` : upper); } catch { return false; }
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      if (runtimeMountpoint(r)) continue;
      const st = lstatSync(`${upper}/${r}`);
      if (!st.isDirectory()) return true;
      if (walk(r)) return true;
      const low = lowers.map((l) => { try { return lstatSync(`${l}/${r}`); } catch { return undefined; } }).find((x) => x !== undefined);
      if (!low || !low.isDirectory() || low.mode !== st.mode || low.uid !== st.uid || low.gid !== st.gid) return true;
    }
    return false;
  };
  return walk('');
}

/** Paths the runtime creates as mount points in a build container's rootfs: never part of a layer. */
function runtimeMountpoint(rel: string): boolean {
  return rel === 'etc/hosts' || rel === 'etc/hostname' || rel === 'etc/resolv.conf' || rel === '.dockerenv';
}

/** Makes `dir` (absolute, in the container) inside `root`, following the image's symlinks in the root; returns its host path. */
function mkdirInRoot(root: string, dir: string, owner?: { uid: number; gid: number }): string {
  let cur = root;
  const parts = dir.split('/').filter((p) => p && p !== '.');
  let hops = 0;
  while (parts.length) {
    const p = parts.shift() ?? '';
    if (p === '..') { if (cur !== root) cur = posix.dirname(cur); continue; }
    const next = `${cur}/${p}`;
    let st;
    try { st = lstatSync(next); } catch { st = undefined; }
    if (st?.isSymbolicLink()) {
      if (++hops > 40) throw new SystemError(`too many levels of symbolic links: ${dir}`);
      const t = readlinkSync(next);
      if (t.startsWith('/')) cur = root;
      parts.unshift(...t.split('/').filter((x: string) => x && x !== '.'));
      continue;
    }
    if (!st) {
      mkdirSync(next, { mode: 0o755 });
      if (owner) lchownSync(next, owner.uid, owner.gid);
    } else if (!st.isDirectory()) throw new BuildError(`mkdir ${dir}: not a directory`);
    cur = next;
  }
  return cur;
}

function isArchive(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(512);
    const n = readSync(fd, buf, 0, 512, 0);
    return isArchiveHead(buf.subarray(0, n));
  } finally { closeSync(fd); }
}

function isArchiveHead(head: Buffer): boolean {
  if (detectCompression(head) !== 'none') return /^(gzip|bzip2|xz|zstd)$/.test(detectCompression(head));
  return head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
}

interface RunMount { type: string; target: string; id: string; readonly: boolean; uid?: number; gid?: number; mode?: number }

function parseRunMount(spec: string, line: number): RunMount {
  const m: RunMount = { type: 'bind', target: '', id: '', readonly: false };
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    const k = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const v = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (k === 'type') m.type = v;
    else if (k === 'target' || k === 'dst' || k === 'destination') m.target = v;
    else if (k === 'id') m.id = v;
    else if (k === 'ro' || k === 'readonly') m.readonly = v === '' || v === 'true';
    else if (k === 'uid') m.uid = Number(v);
    else if (k === 'gid') m.gid = Number(v);
    else if (k === 'mode') m.mode = parseInt(v, 8);
    else if (k === 'sharing' || k === 'from' || k === 'source' || k === 'src' || k === 'rw' || k === 'readwrite') { /* accepted */ }
    else throw new BuildError(`dockerfile parse error on line ${line}: unexpected key '${k}' in '${spec}'`);
  }
  if (m.type !== 'cache') throw new BuildError(`dockerfile parse error on line ${line}: RUN --mount=type=${m.type} is not supported (only type=cache)`);
  if (!m.target) throw new BuildError(`dockerfile parse error on line ${line}: mount target is required`);
  return m;
}




function stripEmpty(c: RunConfig): RunConfig {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) if (v !== undefined) out[k] = v;
  return out as RunConfig;
}
