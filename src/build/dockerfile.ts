/**
 * Dockerfile → stages of instructions. `dockerfile-ast` finds the instructions
 * (escape directive, continuation lines, comments inside them, heredocs) and
 * their flags; the per-instruction rules docker applies (which flags exist,
 * JSON vs shell form, key=value lists) live here.
 */
import { DockerfileParser } from 'dockerfile-ast';
import { InvalidParameterError } from '../errdefs/index.js';

export interface Heredoc {
  name: string;
  /** `<<-`: leading tabs are stripped from each line. */
  chomp: boolean;
  /** Quoted delimiter (`<<"EOF"`): no expansion inside. */
  quoted: boolean;
  content: string;
}

export interface Instruction {
  /** Upper-case keyword: RUN, COPY … */
  keyword: string;
  /** Arguments after the flags, continuation lines joined (heredoc bodies removed). */
  args: string;
  /** Flags as given (`--from=base` → from: ['base']); a flag without value has ''. */
  flags: Map<string, string[]>;
  /** 1-based line of the instruction. */
  line: number;
  /** The instruction as docker prints it in `Step N/M : …`. */
  original: string;
  heredocs: Heredoc[];
}

export interface Stage {
  index: number;
  /** Lower-cased `AS name`, '' when unnamed. */
  name: string;
  /** The FROM argument, not yet expanded. */
  base: string;
  platform: string;
  from: Instruction;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  escape: string;
  /** ARGs before the first FROM. */
  metaArgs: Instruction[];
  stages: Stage[];
}

const KNOWN = new Set(['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);

const ALLOWED_FLAGS: Record<string, readonly string[]> = {
  FROM: ['platform'],
  COPY: ['from', 'chown', 'chmod', 'link', 'exclude', 'parents'],
  ADD: ['chown', 'chmod', 'link', 'exclude', 'keep-git-dir', 'checksum'],
  RUN: ['mount', 'network', 'security'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};

export class DockerfileError extends InvalidParameterError {}

function parseError(line: number, msg: string): DockerfileError {
  return new DockerfileError(`dockerfile parse error on line ${line}: ${msg}`);
}

const HEREDOC_RE = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;

/** Splits `<<EOF` heredocs off an instruction's argument text: the first line keeps the command. */
function splitHeredocs(text: string, allowed: boolean): { args: string; heredocs: Heredoc[] } {
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  if (!allowed || nl < 0) return { args: text.replace(/\n/g, ' '), heredocs: [] };
  const marks = [...first.matchAll(HEREDOC_RE)];
  if (marks.length === 0) return { args: text.replace(/\n/g, ' '), heredocs: [] };
  const lines = text.slice(nl + 1).split('\n');
  const heredocs: Heredoc[] = [];
  let i = 0;
  for (const m of marks) {
    const chomp = m[1] === '-';
    const name = m[3] ?? '';
    const body: string[] = [];
    for (; i < lines.length; i++) {
      const l = lines[i] ?? '';
      if ((chomp ? l.replace(/^\t+/, '') : l) === name) { i++; break; }
      body.push(chomp ? l.replace(/^\t+/, '') : l);
    }
    heredocs.push({ name, chomp, quoted: m[2] !== '', content: body.length ? `${body.join('\n')}\n` : '' });
  }
  return { args: first, heredocs };
}

/**
 * docker's continuation rule on the raw argument text: an escape at the end of a
 * line joins the next one; empty lines and comment lines (`#` after any
 * indentation) inside a continuation are dropped. Heredoc bodies (text after the
 * first line that does not end in an escape) are left as they are.
 */
function joinContinuations(raw: string, escape: string, fallback: string): string {
  if (!raw.includes('\n')) return fallback;
  const lines = raw.split('\n');
  let out = '';
  let i = 0;
  for (; i < lines.length; i++) {
    const l = (lines[i] ?? '').replace(/\r$/, '');
    if (i > 0 && (l.trim() === '' || l.trimStart().startsWith('#'))) continue;
    const t = l.replace(/[ \t]+$/, '');
    if (t.endsWith(escape)) { out += t.slice(0, -escape.length); continue; }
    out += l;
    i++;
    break;
  }
  return i < lines.length ? `${out}\n${lines.slice(i).join('\n')}` : out;
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const df = DockerfileParser.parse(text);
  const escape = df.getEscapeCharacter();
  const metaArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of df.getInstructions()) {
    const keyword = ins.getKeyword().toUpperCase();
    const line = ins.getRange().start.line + 1;
    if (!KNOWN.has(keyword)) throw parseError(line, `unknown instruction: ${ins.getInstruction()}`);
    const flags = new Map<string, string[]>();
    const flagList = 'getFlags' in ins && typeof ins.getFlags === 'function' ? (ins.getFlags() as { getName(): string; getValue(): string | null }[]) : [];
    for (const f of flagList) {
      const name = f.getName();
      const allowed = ALLOWED_FLAGS[keyword] ?? [];
      if (!allowed.includes(name)) throw parseError(line, `unknown flag: ${name}`);
      flags.set(name, [...(flags.get(name) ?? []), f.getValue() ?? '']);
    }
    const raw = joinContinuations(ins.getRawArgumentsContent() ?? '', escape, ins.getArgumentsContent() ?? '');
    const { args, heredocs } = splitHeredocs(raw, keyword === 'RUN' || keyword === 'COPY' || keyword === 'ADD');
    const flagText = flagList.map((f) => (f.getValue() === null ? `--${f.getName()}` : `--${f.getName()}=${f.getValue() ?? ''}`)).join(' ');
    const original = [ins.getInstruction(), flagText, args].filter((s) => s !== '').join(' ');
    const it: Instruction = { keyword, args: args.trim(), flags, line, original, heredocs };
    if (keyword === 'FROM') {
      const words = it.args.split(/\s+/).filter(Boolean);
      let name = '';
      if (words.length === 3 && words[1]?.toLowerCase() === 'as') {
        name = (words[2] ?? '').toLowerCase();
        if (!/^[a-z][a-z0-9-_.]*$/.test(name)) throw parseError(line, `invalid name for build stage: "${words[2] ?? ''}", name can't start with a number or contain symbols`);
      } else if (words.length !== 1) {
        throw parseError(line, 'FROM requires either one or three arguments');
      }
      stages.push({ index: stages.length, name, base: words[0] ?? '', platform: flags.get('platform')?.[0] ?? '', from: it, instructions: [] });
      continue;
    }
    const cur = stages[stages.length - 1];
    if (!cur) {
      if (keyword !== 'ARG') throw parseError(line, `no build stage in current context`);
      metaArgs.push(it);
      continue;
    }
    cur.instructions.push(it);
  }
  if (stages.length === 0) throw new DockerfileError('the Dockerfile (Dockerfile) cannot be empty');
  return { escape, metaArgs, stages };
}

/** JSON (exec) form when the argument is a JSON array of strings, else undefined. */
export function jsonForm(args: string): string[] | undefined {
  const t = args.trim();
  if (!t.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch { /* shell form */ }
  return undefined;
}

/**
 * Splits on unquoted whitespace, keeping quotes and escapes in the words (docker's
 * parseWords), for ENV/LABEL/ARG key=value lists.
 */
export function splitWords(s: string, escape: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] ?? '';
    if (!quote && /\s/.test(ch)) {
      if (inWord) { words.push(cur); cur = ''; inWord = false; }
      continue;
    }
    inWord = true;
    if (ch === escape && i + 1 < s.length && quote !== "'") {
      cur += ch + (s[i + 1] ?? '');
      i++;
      continue;
    }
    if (!quote && (ch === '"' || ch === "'")) quote = ch;
    else if (quote === ch) quote = '';
    cur += ch;
  }
  if (inWord) words.push(cur);
  return words;
}

/**
 * ENV / LABEL arguments: `k=v k2="v 2"` pairs, or the legacy `ENV key value words`
 * (one pair, the rest of the line as the value). Values are returned unprocessed.
 */
export function keyValuePairs(ins: Instruction, escape: string): [string, string][] {
  const words = splitWords(ins.args, escape);
  if (words.length === 0) throw parseError(ins.line, `${ins.keyword} requires at least one argument`);
  if (!(words[0] ?? '').includes('=')) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(ins.args);
    if (!m) throw parseError(ins.line, `${ins.keyword} must have two arguments`);
    return [[m[1] ?? '', m[2] ?? '']];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw parseError(ins.line, `${ins.keyword} names can not be blank`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}
