/**
 * Tokeniser for Go's text/template syntax: text runs and `{{ … }}` actions,
 * with `{{- ` / ` -}}` trim markers and `{{/* … *\/}}` comments. Token kinds
 * and error texts follow Go's `text/template/parse/lex.go` so the parser can
 * report the messages docker users already know ("unclosed action").
 */

export type TokenType =
  | 'text' | 'leftDelim' | 'rightDelim' | 'space' | 'field' | 'dot' | 'variable'
  | 'identifier' | 'keyword' | 'bool' | 'nil' | 'string' | 'rawString' | 'char'
  | 'charConstant' | 'number' | 'pipe' | 'leftParen' | 'rightParen' | 'declare'
  | 'assign' | 'eof';

export interface Token {
  readonly type: TokenType;
  /** Source text of the token (quotes included for strings). */
  readonly val: string;
  /** Byte-ish offset (UTF-16 index) of the token in the source. */
  readonly pos: number;
  readonly line: number;
}

/** A syntax error found while lexing or parsing, before the `template: :N:` prefix is added. */
export class TemplateSyntaxError extends Error {
  readonly line: number;
  constructor(message: string, line: number) {
    super(message);
    this.name = 'TemplateSyntaxError';
    this.line = line;
  }
}

const KEYWORDS = new Set([
  'block', 'break', 'continue', 'define', 'else', 'end', 'if', 'range', 'template', 'with',
]);

const LEFT = '{{';
const RIGHT = '}}';

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isAlnum(c: string | undefined): boolean {
  return c !== undefined && c !== '' && /^[\p{L}\p{N}_]$/u.test(c);
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** Splits `src` into tokens; throws TemplateSyntaxError on a lexical error. */
export function lex(src: string): Token[] {
  return new Lexer(src).run();
}

class Lexer {
  readonly #src: string;
  #pos = 0;
  #line = 1;
  #parenDepth = 0;
  readonly #tokens: Token[] = [];

  constructor(src: string) {
    this.#src = src;
  }

  run(): Token[] {
    for (let next = this.#lexText(); next !== 'eof'; next = this.#lexText()) {
      if (next === 'action') this.#lexAction();
    }
    this.#tokens.push({ type: 'eof', val: '', pos: this.#src.length, line: this.#line });
    return this.#tokens;
  }

  #fail(msg: string): never {
    throw new TemplateSyntaxError(msg, this.#line);
  }

  #emit(type: TokenType, start: number, line = this.#line): void {
    this.#tokens.push({ type, val: this.#src.slice(start, this.#pos), pos: start, line });
  }

  /** Emits the text up to the next action; says what follows it. */
  #lexText(): 'eof' | 'action' | 'comment' {
    const src = this.#src;
    const idx = src.indexOf(LEFT, this.#pos);
    const end = idx === -1 ? src.length : idx;
    let text = src.slice(this.#pos, end);
    const trimLeft = idx !== -1 && src[idx + 2] === '-' && isSpace(src[idx + 3]);
    if (trimLeft) text = text.replace(/[ \t\r\n]+$/, '');
    if (text.length > 0) {
      this.#tokens.push({ type: 'text', val: text, pos: this.#pos, line: this.#line });
    }
    this.#line += countNewlines(src.slice(this.#pos, end));
    if (idx === -1) {
      this.#pos = src.length;
      return 'eof';
    }
    const delimStart = idx;
    this.#pos = idx + LEFT.length + (trimLeft ? 2 : 0);
    if (src.startsWith('/*', this.#pos)) {
      this.#lexComment();
      return 'comment';
    }
    this.#tokens.push({ type: 'leftDelim', val: LEFT, pos: delimStart, line: this.#line });
    return 'action';
  }

  #lexComment(): void {
    const src = this.#src;
    const close = src.indexOf('*/', this.#pos + 2);
    if (close === -1) this.#fail('unclosed comment');
    this.#line += countNewlines(src.slice(this.#pos, close));
    this.#pos = close + 2;
    const [atDelim, trim] = this.#atRightDelim();
    if (!atDelim) this.#fail('comment ends before closing delimiter');
    this.#pos += trim ? 2 + RIGHT.length : RIGHT.length;
    if (trim) this.#skipSpace();
  }

  #skipSpace(): void {
    while (isSpace(this.#src[this.#pos])) {
      if (this.#src[this.#pos] === '\n') this.#line++;
      this.#pos++;
    }
  }

  /** [at a right delimiter, with trim marker]. */
  #atRightDelim(): [boolean, boolean] {
    const src = this.#src;
    const p = this.#pos;
    if (isSpace(src[p]) && src[p + 1] === '-' && src.startsWith(RIGHT, p + 2)) return [true, true];
    if (src.startsWith(RIGHT, p)) return [true, false];
    return [false, false];
  }

  #lexAction(): void {
    const src = this.#src;
    for (;;) {
      const [atDelim, trim] = this.#atRightDelim();
      if (atDelim) {
        if (this.#parenDepth > 0) this.#fail('unclosed left paren');
        const start = this.#pos;
        this.#pos += trim ? 2 + RIGHT.length : RIGHT.length;
        this.#tokens.push({ type: 'rightDelim', val: RIGHT, pos: start + (trim ? 2 : 0), line: this.#line });
        if (trim) this.#skipSpace();
        return;
      }
      const c = src[this.#pos];
      const start = this.#pos;
      if (c === undefined) this.#fail('unclosed action');
      if (isSpace(c)) {
        this.#lexSpace();
        continue;
      }
      this.#pos++;
      switch (c) {
        case '=': this.#emit('assign', start); continue;
        case ':':
          if (src[this.#pos] !== '=') this.#fail('expected :=');
          this.#pos++;
          this.#emit('declare', start);
          continue;
        case '|': this.#emit('pipe', start); continue;
        case '"': this.#lexQuote(start); continue;
        case '`': this.#lexRawQuote(start); continue;
        case '\'': this.#lexChar(start); continue;
        case '$': this.#lexVariable(start); continue;
        case '(': this.#parenDepth++; this.#emit('leftParen', start); continue;
        case ')':
          this.#parenDepth--;
          if (this.#parenDepth < 0) this.#fail('unexpected right paren');
          this.#emit('rightParen', start);
          continue;
        case '.':
          if (this.#pos < src.length && /[0-9]/.test(src[this.#pos] ?? '')) {
            this.#pos = start;
            this.#lexNumber(start);
          } else {
            this.#lexField(start);
          }
          continue;
        default:
          break;
      }
      if (c === '+' || c === '-' || /[0-9]/.test(c)) {
        this.#pos = start;
        this.#lexNumber(start);
      } else if (isAlnum(c)) {
        this.#lexIdentifier(start);
      } else if (c.charCodeAt(0) < 0x7f && c.charCodeAt(0) >= 0x20) {
        this.#emit('char', start);
      } else {
        const cp = src.codePointAt(start) ?? 0;
        this.#fail(`unrecognized character in action: U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
      }
    }
  }

  #lexSpace(): void {
    const src = this.#src;
    const start = this.#pos;
    const line = this.#line;
    while (isSpace(src[this.#pos])) {
      // A space followed by "-}}" belongs to the trim-marked right delimiter.
      if (src[this.#pos + 1] === '-' && src.startsWith(RIGHT, this.#pos + 2)) break;
      if (src[this.#pos] === '\n') this.#line++;
      this.#pos++;
    }
    if (this.#pos > start) this.#emit('space', start, line);
  }

  #lexQuote(start: number): void {
    const src = this.#src;
    for (;;) {
      const c = src[this.#pos++];
      if (c === '\\') {
        const n = src[this.#pos];
        if (n !== undefined && n !== '\n') {
          this.#pos++;
          continue;
        }
        this.#fail('unterminated quoted string');
      }
      if (c === undefined || c === '\n') this.#fail('unterminated quoted string');
      if (c === '"') break;
    }
    this.#emit('string', start);
  }

  #lexRawQuote(start: number): void {
    const close = this.#src.indexOf('`', this.#pos);
    if (close === -1) this.#fail('unterminated raw quoted string');
    const line = this.#line;
    this.#line += countNewlines(this.#src.slice(this.#pos, close));
    this.#pos = close + 1;
    this.#emit('rawString', start, line);
  }

  #lexChar(start: number): void {
    const src = this.#src;
    for (;;) {
      const c = src[this.#pos++];
      if (c === '\\') {
        const n = src[this.#pos];
        if (n !== undefined && n !== '\n') {
          this.#pos++;
          continue;
        }
        this.#fail('unterminated character constant');
      }
      if (c === undefined || c === '\n') this.#fail('unterminated character constant');
      if (c === '\'') break;
    }
    this.#emit('charConstant', start);
  }

  #scanAlnum(): void {
    while (isAlnum(this.#src[this.#pos])) this.#pos++;
  }

  #lexVariable(start: number): void {
    this.#scanAlnum();
    this.#checkTerminator();
    this.#emit('variable', start);
  }

  #lexField(start: number): void {
    this.#scanAlnum();
    if (this.#pos === start + 1) {
      this.#emit('dot', start);
      return;
    }
    this.#checkTerminator();
    this.#emit('field', start);
  }

  #lexIdentifier(start: number): void {
    this.#scanAlnum();
    this.#checkTerminator();
    const word = this.#src.slice(start, this.#pos);
    if (KEYWORDS.has(word)) this.#emit('keyword', start);
    else if (word === 'true' || word === 'false') this.#emit('bool', start);
    else if (word === 'nil') this.#emit('nil', start);
    else this.#emit('identifier', start);
  }

  /** Go requires a word to end at a space, delimiter, or punctuation that can follow it. */
  #checkTerminator(): void {
    const c = this.#src[this.#pos];
    if (c === undefined || isSpace(c) || '.,|:)('.includes(c) || this.#src.startsWith(RIGHT, this.#pos)) return;
    const cp = this.#src.codePointAt(this.#pos) ?? 0;
    this.#fail(`bad character U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${String.fromCodePoint(cp)}'`);
  }

  #lexNumber(start: number): void {
    const src = this.#src;
    const accept = (set: string): boolean => {
      const c = src[this.#pos];
      if (c !== undefined && set.includes(c)) {
        this.#pos++;
        return true;
      }
      return false;
    };
    const acceptRun = (set: string): void => {
      while (accept(set)) { /* consume */ }
    };
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (isAlnum(src[this.#pos])) {
      this.#pos++;
      this.#fail(`bad number syntax: "${src.slice(start, this.#pos)}"`);
    }
    this.#emit('number', start);
  }
}
