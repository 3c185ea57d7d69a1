import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Stats } from 'node:fs';
import { InvalidParameterError } from '../../errdefs/index.js';

// Go's filepath.ErrBadPattern text, which docker prints for a malformed pattern.
const BAD_PATTERN = 'syntax error in pattern';

/** Go's strings.TrimSpace: Unicode White_Space (U+0085 yes, U+FEFF no, unlike String#trim). */
function goTrimSpace(s: string): string {
  return s.replace(/^\p{White_Space}+|\p{White_Space}+$/gu, '');
}

/** Go's path.Clean (= filepath.Clean on Linux): lexical `.`, `..` and `//` removal. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** Go's filepath.Dir. */
function goDir(p: string): string {
  return cleanPath(p.slice(0, p.lastIndexOf('/') + 1));
}

/**
 * The patterns of a .dockerignore file, as moby's `ignorefile.ReadAll` reads them: a UTF-8 BOM is
 * dropped; a line whose very first character is `#` is a comment (an indented `#` is a pattern);
 * whitespace is trimmed at both ends; the part after a leading `!` is trimmed again, then cleaned
 * like Go's filepath.Clean with a leading `/` removed, so `/foo`, `./foo` and `foo/` all mean `foo`.
 * @throws InvalidParameterError for a lone `!` (moby rejects it when building the matcher).
 */
export function parseDockerignore(text: string): string[] {
  const patterns: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1); // bufio.ScanLines drops the CR of CRLF
    if (i === 0 && line.startsWith('\uFEFF')) line = line.slice(1);
    if (line.startsWith('#')) continue;
    let pattern = goTrimSpace(line);
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = goTrimSpace(pattern.slice(1));
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    if (invert && pattern === '') throw new InvalidParameterError('illegal exclusion pattern: "!"');
    patterns.push(invert ? `!${pattern}` : pattern);
  }
  return patterns;
}

/**
 * Checks `p` the way moby's patternmatcher does, by calling Go's filepath.Match for its error:
 * a trailing `\`, an unterminated `[`, an empty class, or a class range missing an end is bad.
 */
function validateGlob(cs: readonly string[]): void {
  let i = 0;
  // getEsc: one class character, `\`-escaped or not; `-` and `]` must be escaped.
  const classChar = (): string => {
    let c = cs[i];
    if (c === undefined || c === '-' || c === ']') throw new InvalidParameterError(BAD_PATTERN);
    if (c === '\\') {
      c = cs[++i];
      if (c === undefined) throw new InvalidParameterError(BAD_PATTERN);
    }
    i++;
    if (i >= cs.length) throw new InvalidParameterError(BAD_PATTERN);
    return c;
  };
  while (i < cs.length) {
    const c = cs[i++]!;
    if (c === '\\') {
      if (i >= cs.length) throw new InvalidParameterError(BAD_PATTERN);
      i++;
    } else if (c === '[') {
      if (cs[i] === '^') i++;
      for (let n = 0; ; n++) {
        if (cs[i] === ']' && n > 0) { i++; break; }
        classChar();
        if (cs[i] === '-') { i++; classChar(); }
      }
    }
  }
}

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

interface CompiledGlob {
  readonly type: MatchType;
  readonly re?: RegExp;
  /** Set when Go's regexp would not compile what moby generates; thrown on first use, as moby does. */
  readonly bad?: boolean;
}

// Go's `.` does not match `\n` (no `s` flag); JS's `.` also skips `\r` and U+2028/9.
const GO_ANY = '[^\\n]*';

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

function escapeClassChar(c: string): string {
  return /[\\\]\[^-]/.test(c) ? `\\${c}` : c;
}

/**
 * moby patternmatcher's `compile`: a literal pattern is an exact match, `lit/**` a prefix match,
 * `**lit` a suffix match (quirk kept: `**foo` matches `barfoo`), anything else a regexp where `*`
 * is `[^/]*`, `?` is `[^/]`, `**` is `(.*\/)?` (or `.*` at the end), `[...]` a class.
 * Known divergences: an escaped letter or digit is that literal character (Go's regexp would read
 * `\d` as a digit class); `*`/`?` inside a class are literal (moby pastes `[^/]*` into the class).
 */
function compileGlob(pattern: string): CompiledGlob {
  const cs = Array.from(pattern);
  let re = '^';
  let type: MatchType = 'exact';
  let bad = false;
  let pos = 0;
  for (let i = 0; pos < cs.length; i++) {
    const ch = cs[pos++]!;
    if (ch === '*') {
      if (cs[pos] === '*') {
        pos++;
        if (cs[pos] === '/') pos++; // `**/` is `**`
        if (pos >= cs.length) {
          if (type === 'exact') type = 'prefix';
          else { re += GO_ANY; type = 'regexp'; }
        } else {
          re += `(?:${GO_ANY}/)?`;
          type = 'regexp';
        }
        if (i === 0) type = 'suffix';
      } else {
        re += '[^/]*';
        type = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      type = 'regexp';
    } else if (ch === '\\') {
      if (pos < cs.length) {
        re += escapeRegExp(cs[pos++]!);
        type = 'regexp';
      } else {
        re += '\\\\';
      }
    } else if (ch === '[') {
      let negated = false;
      if (cs[pos] === '^') { negated = true; pos++; }
      let body = '';
      for (let n = 0; ; n++) {
        if (cs[pos] === ']' && n > 0) { pos++; break; }
        if (cs[pos] === '\\') pos++;
        const lo = cs[pos++]!;
        let hi = lo;
        if (cs[pos] === '-') {
          pos++;
          if (cs[pos] === '\\') pos++;
          hi = cs[pos++]!;
        }
        // Go's regexp refuses a reversed range such as `[Local-Only]` (moby/moby#52203).
        if (lo.codePointAt(0)! > hi.codePointAt(0)!) bad = true;
        else body += lo === hi ? escapeClassChar(lo) : `${escapeClassChar(lo)}-${escapeClassChar(hi)}`;
      }
      re += `[${negated ? '^' : ''}${body}]`;
      type = 'regexp';
    } else if (ch === ']') {
      re += '\\]';
      type = 'regexp';
    } else if (ch === '^') {
      re += '^'; // moby leaves `^` unescaped: mid-pattern it is an anchor that cannot match
    } else {
      re += escapeRegExp(ch);
    }
  }
  if (bad) return { type: 'regexp', bad: true };
  if (type !== 'regexp') return { type };
  return { type, re: new RegExp(`${re}$`, 'u') };
}

function globMatches(g: CompiledGlob, pattern: string, path: string): boolean {
  switch (g.type) {
    case 'exact':
      return path === pattern;
    case 'prefix':
      return path.startsWith(pattern.slice(0, -2));
    case 'suffix': {
      const suffix = pattern.slice(2);
      if (path.endsWith(suffix)) return true;
      return suffix.startsWith('/') && path === suffix.slice(1); // `**/foo` matches `foo`
    }
    case 'regexp':
      if (g.bad === true || g.re === undefined) throw new InvalidParameterError(BAD_PATTERN);
      return g.re.test(path);
  }
}

/** One cleaned pattern of a matcher: `pattern` is without its `!`. */
export interface Pattern {
  readonly pattern: string;
  readonly exclusion: boolean;
}

interface CompiledPattern extends Pattern {
  readonly glob: CompiledGlob;
  /** For `!` patterns without `**`, `[`, `\` or `^`: one matcher per path segment (see mayMatchInside). */
  readonly segments?: ReadonlyArray<{ readonly pattern: string; readonly glob: CompiledGlob }>;
}

const GLOB_CHARS = /[*[\]?^\\]/;

/**
 * .dockerignore matching with moby patternmatcher's semantics: patterns apply in order and the last
 * one that matches decides (`!` patterns re-include); a pattern matches a path when it matches the
 * path itself or any parent directory of it (`MatchesOrParentMatches`), so `foo` excludes `foo/a/b`.
 */
export class PatternMatcher {
  readonly #patterns: CompiledPattern[] = [];
  readonly #exclusions: boolean = false;

  /**
   * @param patterns as `parseDockerignore` returns them; each is trimmed and cleaned again, as
   *   moby's `patternmatcher.New` does, and empty ones are dropped.
   * @throws InvalidParameterError for a lone `!` or a malformed glob ("syntax error in pattern").
   */
  constructor(patterns: Iterable<string>) {
    for (const raw of patterns) {
      let p = goTrimSpace(raw);
      if (p === '') continue;
      p = cleanPath(p);
      let exclusion = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw new InvalidParameterError('illegal exclusion pattern: "!"');
        exclusion = true;
        p = p.slice(1);
        this.#exclusions = true;
      }
      validateGlob(Array.from(p));
      let segments: CompiledPattern['segments'];
      if (exclusion && !p.includes('**') && !/[[\]\\^]/.test(p)) {
        segments = p.split('/').map((s) => ({ pattern: s, glob: compileGlob(s) }));
      }
      this.#patterns.push({ pattern: p, exclusion, glob: compileGlob(p), ...(segments ? { segments } : {}) });
    }
  }

  /** The cleaned patterns, in order. */
  get patterns(): readonly Pattern[] {
    return this.#patterns.map(({ pattern, exclusion }) => ({ pattern, exclusion }));
  }

  /** Whether any `!` (exception) pattern is present. */
  exclusions(): boolean {
    return this.#exclusions;
  }

  /**
   * Whether `relPath` (slash-separated, relative to the context root, already clean) is excluded.
   * @throws InvalidParameterError "syntax error in pattern" when a pattern Go's regexp rejects is
   *   reached (moby compiles lazily and fails the same way).
   */
  matches(relPath: string): boolean {
    let matched = false;
    const parent = goDir(relPath);
    const parentDirs = parent === '.' ? [] : parent.split('/');
    for (const p of this.#patterns) {
      // An inclusion cannot change an already-excluded path, nor an exception an included one.
      if (p.exclusion !== matched) continue;
      let match = globMatches(p.glob, p.pattern, relPath);
      for (let i = 0; !match && i < parentDirs.length; i++) {
        match = globMatches(p.glob, p.pattern, parentDirs.slice(0, i + 1).join('/'));
      }
      if (match) matched = !p.exclusion;
    }
    return matched;
  }

  /**
   * Whether an excluded directory must still be walked because an exception pattern might
   * re-include something inside it. False when there are no exceptions, so the whole directory
   * can be skipped (docker's walkers do the same). Conservative: true means "maybe".
   */
  mayMatchInside(dirRelPath: string): boolean {
    if (!this.#exclusions) return false;
    const dirSlash = `${dirRelPath}/`;
    const dirSegs = dirRelPath.split('/');
    for (const p of this.#patterns) {
      if (!p.exclusion) continue;
      // fsutil (BuildKit): a literal exception, ignoring a trailing `/**` or `/*`, only matters
      // inside directories on its own path.
      const trimmed = p.pattern.replace(/\/\*\*$/, '').replace(/\/\*$/, '');
      if (!GLOB_CHARS.test(trimmed)) {
        if (`${trimmed}/`.startsWith(dirSlash)) return true;
        continue;
      }
      if (p.segments === undefined || p.glob.bad === true) return true;
      // Without `**`, `*` and `?` never cross `/`: the pattern only matches paths with exactly as
      // many segments, so it can reach inside the directory only if it is deeper and its leading
      // segments match the directory's.
      if (p.segments.length <= dirSegs.length) continue;
      if (dirSegs.every((d, i) => globMatches(p.segments![i]!.glob, p.segments![i]!.pattern, d))) return true;
    }
    return false;
  }
}

/** One entry of a build context to send, as `walkContext` yields it. */
export interface ContextEntry {
  /** Slash-separated path relative to the context root. */
  readonly rel: string;
  readonly kind: 'file' | 'dir' | 'symlink' | 'other';
  /** lstat of the entry (symlinks are not followed). */
  readonly stat: Stats;
}

function kindOf(st: Stats): ContextEntry['kind'] {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Go compares strings by UTF-8 bytes, i.e. by code point; JS's default sort uses UTF-16 units. */
function byCodePoint(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Walks a build context depth-first in lexical order (Go's WalkDir order), yielding the entries
 * that `matcher` does not exclude; symlinks are yielded, never followed. An excluded directory is
 * skipped whole unless `mayMatchInside` says an exception could re-include something in it; then
 * it is walked, and yielded just before the first re-included entry inside it (as BuildKit's
 * fsutil sends the parents of what it keeps), so every yielded path's parent is yielded first.
 * Entries that vanish during the walk are skipped.
 */
export async function* walkContext(
  root: string,
  matcher?: PatternMatcher,
  op: { signal?: AbortSignal } = {},
): AsyncGenerator<ContextEntry> {
  const pending: ContextEntry[] = []; // excluded directories being walked, not yet yielded

  async function* walk(relDir: string, excluded: boolean): AsyncGenerator<ContextEntry> {
    let names: string[];
    try {
      names = await readdir(relDir === '' ? root : join(root, relDir));
    } catch (err) {
      const code = errnoCode(err);
      if (relDir !== '' && (code === 'ENOENT' || code === 'ENOTDIR')) return;
      // fsutil ignores permission errors inside what it is excluding anyway
      if (excluded && (code === 'EACCES' || code === 'EPERM')) return;
      throw err;
    }
    names.sort(byCodePoint);
    for (const name of names) {
      op.signal?.throwIfAborted();
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      let stat: Stats;
      try {
        stat = await lstat(join(root, rel));
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') continue;
        throw err;
      }
      const entry: ContextEntry = { rel, kind: kindOf(stat), stat };
      if (matcher?.matches(rel) === true) {
        if (entry.kind === 'dir' && matcher.mayMatchInside(rel)) {
          pending.push(entry);
          yield* walk(rel, true);
          if (pending[pending.length - 1] === entry) pending.pop();
        }
        continue;
      }
      yield* pending;
      pending.length = 0;
      yield entry;
      if (entry.kind === 'dir') yield* walk(rel, false);
    }
  }

  yield* walk('', false);
}
