/**
 * The instructions that change only an image's config (ENV, LABEL, USER, EXPOSE,
 * VOLUME, STOPSIGNAL, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD, WORKDIR), as
 * pure functions: the builder's steps and `docker commit/import --change` share them.
 */
import { InvalidParameterError } from '../errdefs/index.js';
import type { ImageConfigFile } from '../images/index.js';
import { parseSignal } from '../containers/index.js';
import { parseDockerfile, jsonForm, keyValuePairs, type Instruction } from './dockerfile.js';
import { processWord, processWords } from './shell-word.js';

export type RunConfig = NonNullable<ImageConfigFile['config']>;

const DEFAULT_SHELL = ['/bin/sh', '-c'];

export interface MetaContext {
  /** What `$VAR` sees. */
  vars: Map<string, string>;
  escape: string;
  /** CMD was set earlier in this stage (an ENTRYPOINT then keeps it). */
  cmdSet: boolean;
}

class MetaError extends InvalidParameterError {}

/** Go's time.ParseDuration → nanoseconds. */
export function parseGoDuration(s: string): number {
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  const units: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let pos = 0;
  re.lastIndex = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * (units[m[2] ?? 's'] ?? 0);
    pos = re.lastIndex;
  }
  if (pos !== s.length || s === '') throw new MetaError(`time: invalid duration "${s}"`);
  return Math.round(total);
}

export function expandPorts(p: string): string[] {
  const [ports = '', proto = 'tcp'] = p.split('/');
  const m = /^(\d+)(?:-(\d+))?$/.exec(ports);
  if (!m) throw new MetaError(`Invalid containerPort: ${p}`);
  const a = Number(m[1]);
  const b = m[2] ? Number(m[2]) : a;
  if (b < a || a > 65535 || b > 65535) throw new MetaError(`Invalid containerPort: ${p}`);
  if (!['tcp', 'udp', 'sctp'].includes(proto.toLowerCase())) throw new MetaError(`Invalid proto: ${proto}`);
  const out: string[] = [];
  for (let i = a; i <= b; i++) out.push(`${i}/${proto.toLowerCase()}`);
  return out;
}

/** Go's %v of a []string: `[a b c]` with each element quoted. */
export function goList(l: readonly string[]): string {
  return `[${l.map((s) => JSON.stringify(s)).join(' ')}]`;
}

/** Go's time.Duration.String(). */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let n = Math.abs(ns);
  let out: string;
  if (n < 1e3) out = `${n}ns`;
  else if (n < 1e6) out = `${trimZeros(n / 1e3)}µs`;
  else if (n < 1e9) out = `${trimZeros(n / 1e6)}ms`;
  else {
    const h = Math.floor(n / 3600e9);
    n -= h * 3600e9;
    const m = Math.floor(n / 60e9);
    n -= m * 60e9;
    const sec = `${trimZeros(n / 1e9)}s`;
    out = h ? `${h}h${m}m${sec}` : m ? `${m}m${sec}` : sec;
  }
  return neg ? `-${out}` : out;
}

function trimZeros(x: number): string {
  return String(Number(x.toFixed(9)));
}

/** Go's %q of an integer: a quoted rune literal. */
function goQuoteRune(n: number): string {
  if (n >= 0x20 && n < 0x7f) return n === 0x27 ? "'\\''" : n === 0x5c ? "'\\\\'" : `'${String.fromCharCode(n)}'`;
  if (n < 0x100) return `'\\x${n.toString(16).padStart(2, '0')}'`;
  return `'\\u${n.toString(16).padStart(4, '0')}'`;
}

function commandOf(cfg: RunConfig, ins: Instruction): string[] {
  return jsonForm(ins.args) ?? [...(cfg.Shell ?? DEFAULT_SHELL), ins.args];
}

type Health = { Test: string[]; Interval: number; Timeout: number; StartPeriod: number; StartInterval: number; Retries: number };

function healthcheck(ins: Instruction): Health {
  const words = ins.args.trim();
  const flag = (n: string): string | undefined => ins.flags.get(n)?.[0];
  if (/^none$/i.test(words)) {
    if (ins.flags.size > 0) throw new MetaError('HEALTHCHECK NONE takes no arguments');
    return { Test: ['NONE'], Interval: 0, Timeout: 0, StartPeriod: 0, StartInterval: 0, Retries: 0 };
  }
  const m = /^cmd\s+([\s\S]*)$/i.exec(words);
  if (!m) throw new MetaError(`dockerfile parse error on line ${ins.line}: Unknown type "${words.split(/\s+/)[0] ?? ''}" in HEALTHCHECK (try CMD)`);
  const rest = m[1] ?? '';
  const json = jsonForm(rest);
  const test = json ? ['CMD', ...json] : ['CMD-SHELL', rest];
  const names: Record<string, string> = { interval: 'Interval', timeout: 'Timeout', 'start-period': 'StartPeriod', 'start-interval': 'StartInterval' };
  const dur = (n: string): number => {
    const v = flag(n);
    if (v === undefined || v === '') return 0;
    const d = parseGoDuration(v);
    if (d !== 0 && d < 1e6) throw new MetaError(`${names[n] ?? n} in HEALTHCHECK cannot be less than 1ms`);
    return d;
  };
  const retries = flag('retries');
  const r = retries === undefined || retries === '' ? 0 : Number(retries);
  if (!Number.isInteger(r)) throw new MetaError(`strconv.ParseInt: parsing "${retries ?? ''}": invalid syntax`);
  if (r < 0) throw new MetaError('--retries cannot be negative');
  return { Test: test, Interval: dur('interval'), Timeout: dur('timeout'), StartPeriod: dur('start-period'), StartInterval: dur('start-interval'), Retries: r };
}

/**
 * Applies one config-only instruction: the new config and docker's history text
 * for it (`ENV A=1`, `CMD ["sh"]` …, without the `/bin/sh -c #(nop)` prefix).
 */
export function applyMeta(cfg: RunConfig, ins: Instruction, ctx: MetaContext): { config: RunConfig; createdBy: string } {
  const expand = (w: string): string => processWord(w, ctx.vars, ctx.escape);
  const c: RunConfig = { ...cfg };
  switch (ins.keyword) {
    case 'ENV': {
      // Every value sees the variables as they were before this instruction (docker's rule).
      const pairs = keyValuePairs(ins, ctx.escape).map(([k, v]) => [expand(k), expand(v)] as const);
      const env = [...(cfg.Env ?? [])];
      for (const [k, v] of pairs) {
        if (!k) throw new MetaError('ENV names can not be blank');
        const i = env.findIndex((e) => e.split('=')[0] === k);
        if (i >= 0) env[i] = `${k}=${v}`;
        else env.push(`${k}=${v}`);
      }
      return { config: { ...c, Env: env }, createdBy: ` ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}` };
    }
    case 'LABEL': {
      const pairs = keyValuePairs(ins, ctx.escape).map(([k, v]) => [expand(k), expand(v)] as const);
      return { config: { ...c, Labels: { ...(cfg.Labels ?? {}), ...Object.fromEntries(pairs) } }, createdBy: ` LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}` };
    }
    case 'USER': {
      const u = expand(ins.args);
      if (!u) throw new MetaError(`dockerfile parse error on line ${ins.line}: USER requires exactly one argument`);
      return { config: { ...c, User: u }, createdBy: ` USER ${u}` };
    }
    case 'WORKDIR': {
      const w = expand(ins.args);
      if (!w) throw new MetaError(`dockerfile parse error on line ${ins.line}: WORKDIR requires exactly one argument`);
      const dir = w.startsWith('/') ? normalize(w) : normalize(`${cfg.WorkingDir || '/'}/${w}`);
      return { config: { ...c, WorkingDir: dir }, createdBy: ` WORKDIR ${dir}` };
    }
    case 'EXPOSE': {
      const ports: Record<string, object> = { ...(cfg.ExposedPorts ?? {}) };
      // docker sorts the words as written, then expands them (so `${PORT}/tcp` sorts first).
      const raw = ins.args.split(/\s+/).filter(Boolean).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const words = raw.flatMap((w) => processWords(w, ctx.vars, ctx.escape));
      if (words.length === 0) throw new MetaError(`dockerfile parse error on line ${ins.line}: EXPOSE requires at least one argument`);
      for (const p of words) for (const k of expandPorts(p)) ports[k] = {};
      return { config: { ...c, ExposedPorts: ports }, createdBy: ` EXPOSE ${words.join(' ')}` };
    }
    case 'VOLUME': {
      const list = jsonForm(ins.args)?.map(expand) ?? processWords(ins.args, ctx.vars, ctx.escape);
      const vols: Record<string, object> = { ...(cfg.Volumes ?? {}) };
      if (list.length === 0) throw new MetaError(`dockerfile parse error on line ${ins.line}: VOLUME requires at least one argument`);
      for (const v of list) {
        const p = v.trim();
        if (!p) throw new MetaError('VOLUME specified can not be an empty string');
        vols[p] = {};
      }
      return { config: { ...c, Volumes: vols }, createdBy: ` VOLUME [${list.join(' ')}]` };
    }
    case 'STOPSIGNAL': {
      const sig = expand(ins.args);
      try { parseSignal(sig); } catch { throw new MetaError(`Invalid signal: ${sig}`); }
      return { config: { ...c, StopSignal: sig }, createdBy: ` STOPSIGNAL ${sig}` };
    }
    case 'CMD': {
      const cmd = commandOf(cfg, ins);
      return { config: { ...c, Cmd: cmd }, createdBy: ` CMD ${goList(cmd)}` };
    }
    case 'ENTRYPOINT': {
      const ep = commandOf(cfg, ins);
      // An ENTRYPOINT resets a CMD inherited from the base image.
      return { config: { ...c, Entrypoint: ep, ...(ctx.cmdSet ? {} : { Cmd: null }) }, createdBy: ` ENTRYPOINT ${goList(ep)}` };
    }
    case 'SHELL': {
      const sh = jsonForm(ins.args);
      if (!sh || sh.length === 0) throw new MetaError(`dockerfile parse error on line ${ins.line}: SHELL requires the arguments to be in JSON form`);
      return { config: { ...c, Shell: sh }, createdBy: ` SHELL [${sh.join(' ')}]` };
    }
    case 'HEALTHCHECK': {
      const hc = healthcheck(ins);
      // Fields the instruction leaves at zero come from the parent image's healthcheck (docker's rule).
      const parent = (cfg.Healthcheck ?? {}) as Partial<Health>;
      for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
        if (hc[k] === 0 && typeof parent[k] === 'number') hc[k] = parent[k];
      }
      // docker writes fmt's %q of its HealthConfig struct.
      const shown = `&{${goList(hc.Test)} "${goDuration(hc.Interval)}" "${goDuration(hc.Timeout)}" "${goDuration(hc.StartPeriod)}" "${goDuration(hc.StartInterval)}" ${goQuoteRune(hc.Retries)}}`;
      // As docker stores it: zero durations and retries are left out (omitempty).
      const stored: Record<string, unknown> = { Test: hc.Test };
      for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) if (hc[k]) stored[k] = hc[k];
      return { config: { ...c, Healthcheck: stored }, createdBy: ` HEALTHCHECK ${shown}` };
    }
    case 'ONBUILD': {
      const inner = ins.args.trim();
      const kw = inner.split(/\s+/)[0]?.toUpperCase() ?? '';
      if (kw === 'ONBUILD') throw new MetaError('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (kw === 'FROM' || kw === 'MAINTAINER') throw new MetaError(`${kw} isn't allowed as an ONBUILD trigger`);
      const trig = inner.replace(/^\S+/, kw);
      return { config: { ...c, OnBuild: [...(cfg.OnBuild ?? []), trig] }, createdBy: ` ONBUILD ${trig}` };
    }
    default:
      throw new MetaError(`${ins.keyword} is not a config instruction`);
  }
}

function normalize(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

const CHANGE_COMMANDS = new Set(['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);

/**
 * `docker commit --change` / `docker import --change`: Dockerfile instructions
 * applied to `base` as a build would apply them (variables from its Env).
 */
export function applyChanges(base: RunConfig, changes: readonly string[]): RunConfig {
  let cfg: RunConfig = { ...base };
  let cmdSet = false;
  for (const change of changes) {
    if (!change.trim()) continue;
    let ins: Instruction | undefined;
    try {
      ins = parseDockerfile(`FROM scratch\n${change}\n`).stages[0]?.instructions[0];
    } catch (err) {
      const m = /unknown instruction: (\S+)/.exec(String((err as Error).message));
      if (m) throw new MetaError(`${m[1] ?? ''} is not a valid change command`);
      throw err;
    }
    if (!ins) continue;
    if (!CHANGE_COMMANDS.has(ins.keyword)) throw new MetaError(`${ins.keyword.toLowerCase()} is not a valid change command`);
    const vars = new Map<string, string>();
    for (const e of cfg.Env ?? []) {
      const eq = e.indexOf('=');
      if (eq > 0) vars.set(e.slice(0, eq), e.slice(eq + 1));
    }
    cfg = applyMeta(cfg, ins, { vars, escape: '\\', cmdSet }).config;
    if (ins.keyword === 'CMD') cmdSet = true;
  }
  return cfg;
}
