// A pflag-compatible command-line parser: `--flag=value`, `--flag value`,
// combined shorts (`-it`, `-dit`), attached short values (`-eA=1`, `-p8080:80`),
// `--bool=false`, repeatable list flags, `--` ends flags, and (for commands that
// take a command, like run/exec) parsing stops at the first positional.

import { parseMount, parseUlimit } from './opts.js';
import { parseGoDuration, parseNanoCpus, parseRamBytes } from './units.js';

/** The value kinds docker's flags have; the name is what `--help` shows. */
export type FlagType =
  | 'bool' | 'string' | 'list' | 'int' | 'uint' | 'uint16' | 'bytes' | 'duration' | 'decimal'
  | 'map' | 'filter' | 'ulimit' | 'mount' | 'network' | 'strings' | 'gpu-request';

export interface FlagSpec {
  readonly long: string;
  readonly short?: string;
  readonly type: FlagType;
  readonly desc: string;
  /** Default shown by `--help` (docker's "(default x)"). */
  readonly def?: string;
  readonly hidden?: boolean;
}

/** A usage error (exit 125 in docker, with the command's usage after it). */
export class FlagError extends Error {
  constructor(message: string) { super(message); this.name = 'FlagError'; }
}

export class ParsedFlags {
  readonly #values = new Map<string, string[]>();

  /** @internal */
  add(long: string, value: string): void {
    const cur = this.#values.get(long);
    if (cur) cur.push(value); else this.#values.set(long, [value]);
  }

  /** True when the flag appeared on the command line (pflag's Changed). */
  changed(long: string): boolean { return this.#values.has(long); }

  /** The last value given, or undefined. */
  string(long: string): string | undefined {
    const v = this.#values.get(long);
    return v === undefined ? undefined : v[v.length - 1];
  }

  /** Every value given, in order. */
  list(long: string): string[] { return [...(this.#values.get(long) ?? [])]; }

  bool(long: string, def = false): boolean {
    const v = this.string(long);
    return v === undefined ? def : v === 'true';
  }

  int(long: string): number | undefined {
    const v = this.string(long);
    return v === undefined ? undefined : parseGoInt(v);
  }
}

export interface ParseResult { flags: ParsedFlags; args: string[]; help: boolean }

export interface ParseOptions {
  /** false: the first positional ends flag parsing (run, exec, create). */
  interspersed: boolean;
}

function parseGoInt(v: string): number {
  const t = v.trim();
  if (/^[-+]?0[xX][0-9a-fA-F]+$/.test(t)) return Number.parseInt(t, 16);
  return Number(t);
}

/** Checks a value against its type; returns the normalized text or throws docker's message. */
export function checkValue(spec: FlagSpec, raw: string): string {
  const name = spec.short !== undefined ? `-${spec.short}, --${spec.long}` : `--${spec.long}`;
  const bad = (why: string): never => { throw new FlagError(`invalid argument "${raw}" for "${name}" flag: ${why}`); };
  switch (spec.type) {
    case 'bool': {
      const b = parseBoolText(raw);
      if (b === undefined) bad(`strconv.ParseBool: parsing "${raw}": invalid syntax`);
      return String(b);
    }
    case 'int': case 'uint': case 'uint16':
      if (!/^[-+]?(\d+|0[xX][0-9a-fA-F]+)$/.test(raw.trim())) bad(`strconv.Parse${spec.type === 'int' ? 'Int' : 'Uint'}: parsing "${raw}": invalid syntax`);
      if (spec.type !== 'int' && raw.trim().startsWith('-')) bad(`strconv.ParseUint: parsing "${raw}": invalid syntax`);
      return raw.trim();
    case 'bytes':
      if (spec.long === 'memory-swap' && raw === '-1') return raw;
      try { parseRamBytes(raw); } catch (e) { bad((e as Error).message); }
      return raw;
    case 'duration':
      try { parseGoDuration(raw); } catch (e) { bad((e as Error).message); }
      return raw;
    case 'decimal':
      try { parseNanoCpus(raw); } catch (e) { bad((e as Error).message); }
      return raw;
    case 'ulimit':
      try { parseUlimit(raw); } catch (e) { bad((e as Error).message); }
      return raw;
    case 'filter':
      if (!raw.includes('=')) bad('bad format of filter (expected name=value)');
      return raw;
    case 'mount':
      try { parseMount(raw); } catch (e) { bad((e as Error).message); }
      return raw;
    default:
      return raw;
  }
}

/** Go's strconv.ParseBool. */
export function parseBoolText(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/**
 * Parses `argv` against `specs`. `--help` (and `-h` when no flag owns it)
 * sets `help`. Throws FlagError with pflag's wording on bad input.
 */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[], opts: ParseOptions): ParseResult {
  const byLong = new Map<string, FlagSpec>();
  const byShort = new Map<string, FlagSpec>();
  for (const s of specs) {
    byLong.set(s.long, s);
    if (s.short !== undefined) byShort.set(s.short, s);
  }
  const flags = new ParsedFlags();
  const args: string[] = [];
  let help = false;
  // scalar flags keep every value too; ParsedFlags.string() reads the last one (pflag's "last wins")
  const set = (spec: FlagSpec, value: string): void => { flags.add(spec.long, checkValue(spec, value)); };

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--') { args.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const spec = byLong.get(name);
      if (spec === undefined) {
        if (name === 'help') { help = true; continue; }
        throw new FlagError(`unknown flag: --${name}`);
      }
      if (eq >= 0) set(spec, a.slice(eq + 1));
      else if (spec.type === 'bool') set(spec, 'true');
      else {
        if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: --${name}`);
        set(spec, argv[++i] ?? '');
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      // a run of shorthands: bools until one takes a value (the rest, or the next arg)
      for (let j = 1; j < a.length; j++) {
        const c = a[j] ?? '';
        const spec = byShort.get(c);
        if (spec === undefined) {
          if (c === 'h') { help = true; continue; }
          throw new FlagError(`unknown shorthand flag: '${c}' in ${a}`);
        }
        if (spec.type === 'bool') {
          if (a[j + 1] === '=') { set(spec, a.slice(j + 2)); break; }
          set(spec, 'true');
          continue;
        }
        const rest = a.slice(j + 1);
        if (rest !== '') set(spec, rest.startsWith('=') ? rest.slice(1) : rest);
        else {
          if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: '${c}' in -${c}`);
          set(spec, argv[++i] ?? '');
        }
        break;
      }
      continue;
    }
    if (!opts.interspersed) { args.push(...argv.slice(i)); break; }
    args.push(a);
  }
  return { flags, args, help };
}

/** `--help` text for a list of flags, aligned like cobra's. */
export function formatFlagHelp(specs: readonly FlagSpec[]): string {
  const rows = specs.filter((s) => !s.hidden).sort((a, b) => a.long.localeCompare(b.long)).map((s) => {
    const short = s.short !== undefined ? `-${s.short}, ` : '    ';
    const type = s.type === 'bool' ? '' : ` ${s.type}`;
    const def = s.def !== undefined ? ` (default ${s.def})` : '';
    return { left: `  ${short}--${s.long}${type}`, right: `${s.desc}${def}` };
  });
  rows.push({ left: '      --help', right: 'Print usage' });
  rows.sort((a, b) => a.left.replace(/^\s*(-\w, )?--/, '').localeCompare(b.left.replace(/^\s*(-\w, )?--/, '')));
  const width = Math.max(...rows.map((r) => r.left.length)) + 3;
  return rows.map((r) => `${r.left.padEnd(width)}${r.right}\n`).join('');
}
