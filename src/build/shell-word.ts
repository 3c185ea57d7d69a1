/**
 * Dockerfile word processing: quote removal, escapes and `$VAR` expansion, with the rules of
 * BuildKit's `frontend/dockerfile/shell/lex.go` (the legacy builder shares them). This is not a
 * shell: there is no command substitution, globbing or field splitting except `processWords`'.
 *
 * - `'...'` is literal (no escapes inside); `"..."` expands `$` and lets the escape token escape
 *   only `"`, `$` and itself; outside quotes the escape token escapes any character and a trailing
 *   one is dropped.
 * - `$NAME`, `${NAME}`; a name is letters, digits and `_`, or a run of digits (`$1x` is `$1` + x),
 *   or one special parameter `@ * # ? - $ ! 0`; `$` before anything else stays literal.
 * - `${N:-w}` `${N-w}` `${N:+w}` `${N+w}` `${N:?w}` `${N?w}` (`:` also treats empty as unset),
 *   `${N#p}` `${N##p}` `${N%p}` `${N%%p}` (shell patterns `*` and `?`), `${N/p/r}` `${N//p/r}`.
 */
import { InvalidParameterError } from '../errdefs/index.js';

/** Variables visible to a word: a plain record or a Map (names are case-sensitive, as on Linux). */
export type ShellEnv = Readonly<Record<string, string>> | ReadonlyMap<string, string>;

export interface ShellWordOptions {
  /** The Dockerfile's escape token: `\` (default) or `` ` `` (`# escape=`` ` ``). */
  readonly escapeToken?: string;
  /** Keep quote characters in the output (lex.go RawQuotes; used for heredoc detection). */
  readonly rawQuotes?: boolean;
  /** Keep escape tokens in the output (lex.go RawEscapes). */
  readonly rawEscapes?: boolean;
  /** Treat quotes as ordinary characters (lex.go SkipProcessQuotes). */
  readonly skipProcessQuotes?: boolean;
  /** Leave references to unset variables as written (lex.go SkipUnsetEnv). */
  readonly skipUnsetEnv?: boolean;
}

export interface ProcessWordResult {
  readonly result: string;
  /** Referenced variables that were set (BuildKit's `Matched`: used to find unused build args). */
  readonly matched: ReadonlySet<string>;
  /** Referenced variables that were not set (BuildKit's `Unmatched`: the UndefinedVar check). */
  readonly unmatched: ReadonlySet<string>;
  /** Every referenced variable name: `matched` ∪ `unmatched`. */
  readonly used: ReadonlySet<string>;
}

/**
 * Expands `word` as one word: quotes removed, escapes applied, variables substituted; spaces stay.
 * @throws InvalidParameterError `failed to process "<word>": <reason>`, BuildKit's text (for
 *   example `failed to process "${X:?}": X: is not allowed to be unset`).
 */
export function processWord(word: string, env: ShellEnv, escape: string | ShellWordOptions = '\\'): string {
  return run(word, env, escape).result;
}

/**
 * Like `processWord`, then split into words on unquoted, unescaped whitespace (what EXPOSE and the
 * heredoc parser use). Whitespace that comes out of a `$VAR` expansion splits too; quoted empty
 * strings produce no word.
 */
export function processWords(word: string, env: ShellEnv, escape: string | ShellWordOptions = '\\'): string[] {
  return run(word, env, escape).words;
}

/** `processWord` that also reports which variables the word referenced. */
export function processWordWithMatches(
  word: string, env: ShellEnv, escape: string | ShellWordOptions = '\\',
): ProcessWordResult {
  const { result, matched, unmatched } = run(word, env, escape);
  return { result, matched, unmatched, used: new Set([...matched, ...unmatched]) };
}

function run(word: string, env: ShellEnv, escape: string | ShellWordOptions) {
  const opts: ShellWordOptions = typeof escape === 'string' ? { escapeToken: escape } : escape;
  const token = opts.escapeToken ?? '\\';
  if (Array.from(token).length !== 1) {
    throw new InvalidParameterError(`invalid escape token ${JSON.stringify(token)}: must be one character`);
  }
  const sw = new ShellWord(word, env, { ...opts, escapeToken: token });
  try {
    const [result, words] = sw.processStopOn(undefined, opts.rawEscapes === true);
    return { result, words, matched: sw.matched, unmatched: sw.unmatched };
  } catch (err) {
    if (!(err instanceof LexError)) throw err;
    throw new InvalidParameterError(`failed to process ${goQuote(word)}: ${err.message}`, { cause: err });
  }
}

class LexError extends Error {}

// Go's unicode.IsSpace is the Unicode White_Space property (JS's \s differs on U+0085 and U+FEFF).
const isSpace = (c: string): boolean => /^\p{White_Space}$/u.test(c);
const isLetter = (c: string): boolean => /^\p{L}$/u.test(c);
const isDigit = (c: string): boolean => /^\p{Nd}$/u.test(c);
const isSpecialParam = (c: string): boolean => '@*#?-$!0'.includes(c);
/** Go's fmt `%c` / string(rune) of the scanner's EOF (-1). */
const EOF_RUNE = '\uFFFD';

/** lex.go's wordsStruct: collects the split words next to the joined result. */
class Words {
  readonly words: string[] = [];
  #buf = '';
  #inWord = false;

  addChar(c: string): void {
    if (isSpace(c)) {
      if (this.#inWord && this.#buf.length !== 0) {
        this.words.push(this.#buf);
        this.#buf = '';
        this.#inWord = false;
      }
    } else {
      this.addRaw(c);
    }
  }

  addString(s: string): void {
    for (const c of s) this.addChar(c);
  }

  addRaw(s: string): void {
    this.#buf += s;
    this.#inWord = true;
  }

  done(): string[] {
    if (this.#buf.length > 0) {
      this.words.push(this.#buf);
      this.#buf = '';
      this.#inWord = false;
    }
    return this.words;
  }
}

class ShellWord {
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  readonly #cs: string[];
  #pos = 0;
  readonly #env: ShellEnv;
  readonly #o: ShellWordOptions & { readonly escapeToken: string };
  #rawEscapes: boolean;

  constructor(word: string, env: ShellEnv, o: ShellWordOptions & { readonly escapeToken: string }) {
    this.#cs = Array.from(word);
    this.#env = env;
    this.#o = o;
    this.#rawEscapes = o.rawEscapes === true;
  }

  #peek(): string | undefined { return this.#cs[this.#pos]; }
  #next(): string | undefined { return this.#cs[this.#pos++]; }

  /**
   * Processes up to `stop` (consumed) or the end. Each call has its own word buffer. (BuildKit
   * since v0.15 shares one buffer with nested `${...}` calls, which drops the start of a word in
   * `processWords('a${X:-b}')`; the earlier, evidently intended, behaviour is kept here.)
   */
  processStopOn(stop: string | undefined, rawEscapes: boolean): [string, string[]] {
    let result = '';
    const words = new Words();
    const saved = this.#rawEscapes;
    this.#rawEscapes = rawEscapes;
    try {
      for (let ch = this.#peek(); ch !== undefined; ch = this.#peek()) {
        if (stop !== undefined && ch === stop) {
          this.#next();
          return [result, words.done()];
        }
        if (ch === '$') {
          const v = this.#processDollar();
          result += v;
          words.addString(v);
        } else if (ch === '<' || (!this.#o.skipProcessQuotes && (ch === "'" || ch === '"'))) {
          const v = ch === '<' ? this.#processPossibleHeredoc() : ch === "'" ? this.#processSingleQuote() : this.#processDoubleQuote();
          result += v;
          words.addRaw(v);
        } else {
          let c = this.#next()!;
          if (c === this.#o.escapeToken) {
            if (this.#rawEscapes) {
              words.addRaw(c);
              result += c;
            }
            const escaped = this.#next();
            if (escaped === undefined) break; // a trailing escape token is dropped
            c = escaped;
            words.addRaw(c);
          } else {
            words.addChar(c);
          }
          result += c;
        }
      }
      if (stop !== undefined) throw new LexError(`unexpected end of statement while looking for matching ${stop}`);
      return [result, words.done()];
    } finally {
      this.#rawEscapes = saved;
    }
  }

  #processSingleQuote(): string {
    let result = '';
    const open = this.#next()!;
    if (this.#o.rawQuotes) result += open;
    for (;;) {
      const c = this.#next();
      if (c === undefined) throw new LexError('unexpected end of statement while looking for matching single-quote');
      if (c === "'") return this.#o.rawQuotes ? result + c : result;
      result += c;
    }
  }

  #processDoubleQuote(): string {
    let result = '';
    const open = this.#next()!;
    if (this.#o.rawQuotes) result += open;
    for (;;) {
      const p = this.#peek();
      if (p === undefined) throw new LexError('unexpected end of statement while looking for matching double-quote');
      if (p === '"') {
        this.#next();
        return this.#o.rawQuotes ? result + p : result;
      }
      if (p === '$') {
        result += this.#processDollar();
        continue;
      }
      let c = this.#next()!;
      if (c === this.#o.escapeToken) {
        if (this.#rawEscapes) result += c;
        const n = this.#peek();
        if (n === undefined) continue; // then fails as unterminated
        // Only `"`, `$` and the escape token itself can be escaped; otherwise it stays literal.
        if (n === '"' || n === '$' || n === this.#o.escapeToken) c = this.#next()!;
      }
      result += c;
    }
  }

  #processDollar(): string {
    this.#next(); // $
    if (this.#peek() !== '{') {
      const name = this.#processName();
      if (name === '') return '$';
      const [value, set] = this.#getEnv(name);
      if (!set && this.#o.skipUnsetEnv) return `$${name}`;
      return value;
    }
    this.#next(); // {
    const first = this.#peek();
    if (first === undefined) throw new LexError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new LexError('syntax error: bad substitution');
    const name = this.#processName();
    let ch = this.#next();
    let chs = ch ?? EOF_RUNE;
    if (ch === '}') {
      const [value, set] = this.#getEnv(name);
      if (!set && this.#o.skipUnsetEnv) return `\${${name}}`;
      return value;
    }
    if (ch === '/') return this.#processReplace(name);
    let nullIsUnset = false;
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.#next();
      chs += ch ?? EOF_RUNE;
    } else if (ch === undefined || !'+-?#%'.includes(ch)) {
      throw new LexError(`unsupported modifier (${chs}) in substitution`);
    }
    // After `:` lex.go falls through here with whatever character came next.
    const trim = ch === '#' || ch === '%';
    if (nullIsUnset && trim) throw new LexError(`unsupported modifier (${chs}) in substitution`);
    let word = this.#nested('}', trim, "syntax error: missing '}'");
    const [value, set] = this.#getEnv(name);
    if (this.#o.skipUnsetEnv && !set) return `\${${name}${chs}${word}}`;
    const unsetOrNull = !set || (nullIsUnset && value === '');
    switch (ch) {
      case '-':
        return unsetOrNull ? word : value;
      case '+':
        return unsetOrNull ? '' : word;
      case '?':
        if (!set) throw new LexError(`${name}: ${word || 'is not allowed to be unset'}`);
        if (nullIsUnset && value === '') throw new LexError(`${name}: ${word || 'is not allowed to be empty'}`);
        return value;
      case '#':
      case '%': {
        // `#`/`%` remove the shortest match, `##`/`%%` the longest
        const greedy = word.startsWith(ch);
        if (greedy) word = word.slice(1);
        return ch === '%' ? trimSuffix(word, value, greedy) : trimPrefix(word, value, greedy);
      }
      default:
        throw new LexError(`unsupported modifier (${chs}) in substitution`);
    }
  }

  /** `${name/pattern/replacement}` and `${name//pattern/replacement}` (after the first `/`). */
  #processReplace(name: string): string {
    const all = this.#peek() === '/';
    if (all) this.#next();
    const pattern = this.#nested('/', true, "syntax error: missing '/' in ${}");
    const replacement = this.#nested('}', true, "syntax error: missing '}'");
    const [value, set] = this.#getEnv(name);
    if (this.#o.skipUnsetEnv && !set) return `\${${name}/${pattern}/${replacement}}`;
    const re = shellPatternToRegExp(pattern, true, false);
    if (all) return goReplaceAll(re, value, replacement);
    re.lastIndex = 0;
    const m = re.exec(value);
    return m ? value.slice(0, m.index) + replacement + value.slice(m.index + m[0].length) : value;
  }

  /** A nested processStopOn whose failure at the end of input reads as `eofMessage`. */
  #nested(stop: string, rawEscapes: boolean, eofMessage: string): string {
    try {
      return this.processStopOn(stop, rawEscapes)[0];
    } catch (err) {
      if (err instanceof LexError && this.#peek() === undefined) throw new LexError(eofMessage);
      throw err;
    }
  }

  #processName(): string {
    let name = '';
    for (let c = this.#peek(); c !== undefined; c = this.#peek()) {
      if (name === '' && isDigit(c)) {
        // positional parameters: all the digits, then stop
        while (this.#peek() !== undefined && isDigit(this.#peek()!)) name += this.#next();
        return name;
      }
      if (name === '' && isSpecialParam(c)) return this.#next()!;
      if (!isLetter(c) && !isDigit(c) && c !== '_') break;
      name += this.#next();
    }
    return name;
  }

  /** `<<` (plus following blanks) is kept together so a heredoc marker is one word. */
  #processPossibleHeredoc(): string {
    this.#next();
    if (this.#peek() !== '<') return '<';
    this.#next();
    let space = '';
    for (let c = this.#peek(); c === '\t' || c === '\r' || c === ' '; c = this.#peek()) space += this.#next();
    return `<<${space}`;
  }

  #getEnv(name: string): [string, boolean] {
    const env = this.#env;
    let value: string | undefined;
    if (env instanceof Map) value = env.get(name);
    else if (Object.hasOwn(env, name)) value = (env as Readonly<Record<string, string>>)[name];
    if (value !== undefined) {
      this.matched.add(name);
      return [value, true];
    }
    this.unmatched.add(name);
    return ['', false];
  }
}

/**
 * lex.go's convertShellPatternToRegex: `*` (greedy or not) and `?`; `\` escapes `*`, `?` and `\`,
 * and is dropped before `}` and `/` (needed to write them inside `${}`); anything else is literal.
 * Bracket expressions are not supported (literal).
 */
function shellPatternToRegExp(pattern: string, greedy: boolean, anchored: boolean): RegExp {
  const cs = Array.from(pattern);
  // Go's `.` does not match a newline
  let out = anchored ? '^' : '';
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    if (c === '*') out += greedy ? '[^\\n]*' : '[^\\n]*?';
    else if (c === '?') out += '[^\\n]';
    else if (c === '\\') {
      const n = cs[i + 1];
      if (n === '}' || n === '/') continue;
      i++;
      if (n !== '*' && n !== '?' && n !== '\\') {
        throw new LexError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${n ?? EOF_RUNE}'`);
      }
      out += `\\${n}`;
    } else out += /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
  }
  return new RegExp(out, 'gu');
}

function reverse(s: string): string {
  return Array.from(s).reverse().join('');
}

/** Reverses a pattern but keeps each `\x` escape in front of its character. */
function reversePattern(pattern: string): string {
  const cs = Array.from(pattern);
  const out: string[] = new Array<string>(cs.length);
  const last = cs.length - 1;
  for (let i = 0; i <= last;) {
    const c = cs[i]!;
    if (c === '\\' && i !== last) {
      out[last - i - 1] = c;
      out[last - i] = cs[i + 1]!;
      i += 2;
    } else {
      out[last - i] = c;
      i++;
    }
  }
  return out.join('');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const re = shellPatternToRegExp(pattern, greedy, true);
  const m = re.exec(value);
  return m ? value.slice(m.index + m[0].length) : value;
}

function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  // A regexp cannot find the shortest rightmost match, so match the reversed string.
  return reverse(trimPrefix(reversePattern(pattern), reverse(value), greedy));
}

/**
 * Go's Regexp.ReplaceAllString: an empty match right after a previous match is not replaced, and
 * the template expands `$0`/`${0}` to the match, `$$` to `$`, any other `$name` to nothing.
 */
function goReplaceAll(re: RegExp, src: string, template: string): string {
  let out = '';
  let lastEnd = 0;
  let search = 0;
  while (search <= src.length) {
    re.lastIndex = search;
    const m = re.exec(src);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    out += src.slice(lastEnd, start);
    if (end > lastEnd || start === 0) out += goExpand(template, m[0]);
    lastEnd = end;
    const width = search < src.length ? String.fromCodePoint(src.codePointAt(search)!).length : 0;
    if (search + width > end) search += width;
    else if (search + 1 > end) search++;
    else search = end;
  }
  return out + src.slice(lastEnd);
}

function goExpand(template: string, match: string): string {
  let out = '';
  let t = template;
  for (;;) {
    const i = t.indexOf('$');
    if (i < 0) return out + t;
    out += t.slice(0, i);
    t = t.slice(i + 1);
    if (t.startsWith('$')) {
      out += '$';
      t = t.slice(1);
      continue;
    }
    const m = /^(?:\{([\p{L}\p{Nd}_]+)\}|([\p{L}\p{Nd}_]+))/u.exec(t);
    if (!m) {
      out += '$'; // malformed: a literal `$`
      continue;
    }
    const name = m[1] ?? m[2]!;
    t = t.slice(m[0].length);
    if (name === '0') out += match; // the only group: the pattern's parentheses are literal
  }
}

/** Go's %q for the error text (printable characters kept, the rest escaped). */
function goQuote(s: string): string {
  let out = '"';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else if (c === '\x07') out += '\\a';
    else if (c === '\b') out += '\\b';
    else if (c === '\f') out += '\\f';
    else if (c === '\v') out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0x80 && cp < 0xa0) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return `${out}"`;
}
