/**
 * Recursive-descent parser for Go's text/template, following the structure
 * and error texts of Go's `text/template/parse/parse.go`: actions, pipelines,
 * `if`/`with`/`range` (with `else`, `else if`, `else with`), `define`,
 * `template`, `block`, `break`, `continue`, and lexically scoped variables.
 */
import { lex, TemplateSyntaxError, type Token, type TokenType } from './lexer.js';
import { parseNumber, unquoteChar, unquoteString } from './literals.js';
import type {
  ArgNode, BranchNode, CommandNode, ListNode, Node, PipeNode, TemplateNode, VariableNode,
} from './nodes.js';

export interface ParsedTemplate {
  readonly root: ListNode;
  /** `{{define}}` and `{{block}}` bodies by name. */
  readonly defs: ReadonlyMap<string, ListNode>;
}

type EndNode = { readonly kind: 'end'; readonly pos: number };
type ElseNode = { readonly kind: 'else'; readonly pos: number };
type ListItem = Node | EndNode | ElseNode;

/**
 * Parses `src`. `hasFunc` says whether a function name is known (Go checks
 * this at parse time: `function "x" not defined`).
 * Throws TemplateSyntaxError carrying the line of the failing token.
 */
export function parse(src: string, hasFunc: (name: string) => boolean): ParsedTemplate {
  return new Parser(lex(src), hasFunc).parseAll();
}

class Parser {
  readonly #tokens: Token[];
  readonly #hasFunc: (name: string) => boolean;
  readonly #defs = new Map<string, ListNode>();
  #i = 0;
  #vars: string[] = ['$'];
  #rangeDepth = 0;

  constructor(tokens: Token[], hasFunc: (name: string) => boolean) {
    this.#tokens = tokens;
    this.#hasFunc = hasFunc;
  }

  parseAll(): ParsedTemplate {
    const root: ListNode = { kind: 'list', pos: 0, nodes: [] };
    while (this.#peek().type !== 'eof') {
      if (this.#peek().type === 'leftDelim') {
        const save = this.#i;
        this.#next();
        const t = this.#nextNonSpace();
        if (t.type === 'keyword' && t.val === 'define') {
          this.#parseDefinition();
          continue;
        }
        this.#i = save;
      }
      const n = this.#textOrAction();
      if (n.kind === 'end' || n.kind === 'else') this.#fail(`unexpected {{${n.kind}}}`);
      root.nodes.push(n);
    }
    return { root, defs: this.#defs };
  }

  // ---- token helpers ----

  #peek(): Token {
    return this.#tokens[Math.min(this.#i, this.#tokens.length - 1)] as Token;
  }

  #next(): Token {
    const t = this.#peek();
    this.#i++;
    return t;
  }

  #backup(n = 1): void {
    this.#i -= n;
  }

  #nextNonSpace(): Token {
    let t = this.#next();
    while (t.type === 'space') t = this.#next();
    return t;
  }

  #peekNonSpace(): Token {
    const t = this.#nextNonSpace();
    this.#backup();
    return t;
  }

  #fail(msg: string): never {
    const last = Math.min(Math.max(0, this.#i - 1), this.#tokens.length - 1);
    throw new TemplateSyntaxError(msg, this.#tokens[last]?.line ?? 1);
  }

  #expect(type: TokenType, context: string): Token {
    const t = this.#nextNonSpace();
    if (t.type !== type) this.#unexpected(t, context);
    return t;
  }

  #unexpected(t: Token, context: string): never {
    this.#fail(`unexpected ${describe(t)} in ${context}`);
  }

  // ---- structure ----

  #parseDefinition(): void {
    const context = 'define clause';
    const nameTok = this.#nextNonSpace();
    if (nameTok.type !== 'string' && nameTok.type !== 'rawString') this.#unexpected(nameTok, context);
    const name = this.#unquote(nameTok);
    this.#expect('rightDelim', context);
    const savedVars = this.#vars;
    this.#vars = ['$'];
    const [list, end] = this.#itemList();
    this.#vars = savedVars;
    if (end.kind !== 'end') this.#fail(`unexpected {{${end.kind}}} in ${context}`);
    this.#defs.set(name, list);
  }

  #itemList(): [ListNode, EndNode | ElseNode] {
    const list: ListNode = { kind: 'list', pos: this.#peekNonSpace().pos, nodes: [] };
    while (this.#peekNonSpace().type !== 'eof') {
      const n = this.#textOrAction();
      if (n.kind === 'end' || n.kind === 'else') return [list, n];
      list.nodes.push(n);
    }
    this.#fail('unexpected EOF');
  }

  #textOrAction(): ListItem {
    const t = this.#nextNonSpace();
    if (t.type === 'text') return { kind: 'text', pos: t.pos, text: t.val };
    if (t.type === 'leftDelim') return this.#action();
    this.#unexpected(t, 'input');
  }

  #action(): ListItem {
    const t = this.#nextNonSpace();
    if (t.type === 'keyword') {
      switch (t.val) {
        case 'block': return this.#blockControl();
        case 'break': case 'continue': return this.#loopControl(t);
        case 'else': return this.#elseControl();
        case 'end': this.#expect('rightDelim', 'end'); return { kind: 'end', pos: t.pos };
        case 'if': case 'range': case 'with': return this.#branch(t.val, t.pos);
        case 'template': return this.#templateControl(t.pos);
        default: this.#unexpected(t, 'command');
      }
    }
    this.#backup();
    const pos = this.#peekNonSpace().pos;
    return { kind: 'action', pos, pipe: this.#pipeline('command', 'rightDelim') };
  }

  #loopControl(t: Token): ListItem {
    const tok = this.#nextNonSpace();
    if (tok.type !== 'rightDelim') this.#unexpected(tok, `{{${t.val}}}`);
    if (this.#rangeDepth === 0) this.#fail(`{{${t.val}}} outside {{range}}`);
    return { kind: t.val === 'break' ? 'break' : 'continue', pos: t.pos };
  }

  #elseControl(): ElseNode {
    const peek = this.#peekNonSpace();
    // "{{else if …" / "{{else with …": leave the keyword pending for #branch.
    if (peek.type === 'keyword' && (peek.val === 'if' || peek.val === 'with')) return { kind: 'else', pos: peek.pos };
    const t = this.#expect('rightDelim', 'else');
    return { kind: 'else', pos: t.pos };
  }

  #branch(kind: 'if' | 'range' | 'with', pos: number): BranchNode {
    const mark = this.#vars.length;
    const pipe = this.#pipeline(kind, 'rightDelim');
    if (kind === 'range') this.#rangeDepth++;
    const [list, next] = this.#itemList();
    if (kind === 'range') this.#rangeDepth--;
    let elseList: ListNode | undefined;
    if (next.kind === 'else') {
      const peek = this.#peek();
      if ((kind === 'if' || kind === 'with') && peek.type === 'keyword' && peek.val === kind) {
        // {{if a}}x{{else if b}}y{{end}} is {{if a}}x{{else}}{{if b}}y{{end}}{{end}}.
        this.#next();
        elseList = { kind: 'list', pos: next.pos, nodes: [this.#branch(kind, peek.pos)] };
      } else {
        const [els, end] = this.#itemList();
        if (end.kind !== 'end') this.#fail(`expected end; found {{${end.kind}}}`);
        elseList = els;
      }
    }
    this.#vars.length = mark;
    return { kind, pos, pipe, list, elseList };
  }

  #templateControl(pos: number): TemplateNode {
    const context = 'template clause';
    const t = this.#nextNonSpace();
    if (t.type !== 'string' && t.type !== 'rawString') this.#unexpected(t, context);
    const name = this.#unquote(t);
    let pipe: PipeNode | undefined;
    if (this.#nextNonSpace().type !== 'rightDelim') {
      this.#backup();
      pipe = this.#pipeline(context, 'rightDelim');
    }
    return { kind: 'template', pos, name, pipe };
  }

  #blockControl(): TemplateNode {
    const context = 'block clause';
    const t = this.#nextNonSpace();
    if (t.type !== 'string' && t.type !== 'rawString') this.#unexpected(t, context);
    const name = this.#unquote(t);
    const pipe = this.#pipeline(context, 'rightDelim');
    const savedVars = this.#vars;
    this.#vars = ['$'];
    const [list, end] = this.#itemList();
    this.#vars = savedVars;
    if (end.kind !== 'end') this.#fail(`unexpected {{${end.kind}}} in ${context}`);
    this.#defs.set(name, list);
    return { kind: 'template', pos: t.pos, name, pipe };
  }

  // ---- pipelines ----

  #pipeline(context: string, end: TokenType): PipeNode {
    const start = this.#peekNonSpace();
    const decl: VariableNode[] = [];
    let isAssign = false;
    decl: for (;;) {
      const save = this.#i;
      const v = this.#nextNonSpace();
      if (v.type !== 'variable') {
        this.#i = save;
        break;
      }
      const next = this.#peekNonSpace();
      if (next.type === 'assign' || next.type === 'declare') {
        isAssign = next.type === 'assign';
        this.#nextNonSpace();
        decl.push({ kind: 'variable', pos: v.pos, ident: [v.val] });
        if (!isAssign) this.#vars.push(v.val);
        else if (!this.#vars.includes(v.val)) this.#fail(`undefined variable "${v.val}"`);
        break;
      }
      if (next.type === 'char' && next.val === ',') {
        this.#nextNonSpace();
        decl.push({ kind: 'variable', pos: v.pos, ident: [v.val] });
        this.#vars.push(v.val);
        if (context === 'range' && decl.length < 2) {
          const p = this.#peekNonSpace().type;
          if (p === 'variable' || p === 'rightDelim' || p === 'rightParen') continue decl;
          this.#fail('range can only initialize variables');
        }
        this.#fail(`too many declarations in ${context}`);
      }
      // Not a declaration: put the variable back and parse it as an operand.
      this.#i = save;
      break;
    }
    const pipe: PipeNode = { kind: 'pipe', pos: start.pos, isAssign, decl, cmds: [] };
    for (;;) {
      const t = this.#nextNonSpace();
      if (t.type === end) {
        this.#checkPipeline(pipe, context);
        return pipe;
      }
      switch (t.type) {
        case 'bool': case 'charConstant': case 'dot': case 'field': case 'identifier':
        case 'number': case 'nil': case 'rawString': case 'string': case 'variable': case 'leftParen':
          this.#backup();
          pipe.cmds.push(this.#command());
          break;
        default:
          this.#unexpected(t, context);
      }
    }
  }

  #checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.#fail(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const k = c.args[0]?.kind;
      if (k === 'bool' || k === 'dot' || k === 'nil' || k === 'number' || k === 'string') {
        this.#fail(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  #command(): CommandNode {
    const cmd: CommandNode = { kind: 'command', pos: this.#peekNonSpace().pos, args: [] };
    for (;;) {
      this.#peekNonSpace();
      const operand = this.#operand();
      if (operand !== undefined) cmd.args.push(operand);
      const t = this.#next();
      if (t.type === 'space') continue;
      if (t.type === 'rightDelim' || t.type === 'rightParen') this.#backup();
      else if (t.type !== 'pipe') this.#unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.#fail('empty command');
    return cmd;
  }

  #operand(): ArgNode | undefined {
    const node = this.#term();
    if (node === undefined) return undefined;
    if (this.#peek().type !== 'field') return node;
    const pos = this.#peek().pos;
    const fields: string[] = [];
    while (this.#peek().type === 'field') fields.push(this.#next().val.slice(1));
    switch (node.kind) {
      case 'field': return { kind: 'field', pos: node.pos, ident: [...node.ident, ...fields] };
      case 'variable': return { kind: 'variable', pos: node.pos, ident: [...node.ident, ...fields] };
      case 'bool': case 'string': case 'number': case 'nil': case 'dot':
        this.#fail(`unexpected . after term ${JSON.stringify(termText(node))}`);
      default: return { kind: 'chain', pos, node, fields };
    }
  }

  #term(): ArgNode | undefined {
    const t = this.#nextNonSpace();
    switch (t.type) {
      case 'identifier':
        if (!this.#hasFunc(t.val)) this.#fail(`function "${t.val}" not defined`);
        return { kind: 'identifier', pos: t.pos, name: t.val };
      case 'dot': return { kind: 'dot', pos: t.pos };
      case 'nil': return { kind: 'nil', pos: t.pos };
      case 'variable': return this.#useVar(t);
      case 'field': return { kind: 'field', pos: t.pos, ident: [t.val.slice(1)] };
      case 'bool': return { kind: 'bool', pos: t.pos, value: t.val === 'true' };
      case 'charConstant': {
        const v = unquoteChar(t.val);
        if (v === undefined) this.#fail(`malformed character constant: ${t.val}`);
        return { kind: 'number', pos: t.pos, value: v, text: t.val };
      }
      case 'number': {
        const v = parseNumber(t.val);
        if (v === undefined) this.#fail(`illegal number syntax: "${t.val}"`);
        return { kind: 'number', pos: t.pos, value: v, text: t.val };
      }
      case 'leftParen': return this.#pipeline('parenthesized pipeline', 'rightParen');
      case 'string': case 'rawString':
        return { kind: 'string', pos: t.pos, value: this.#unquote(t), quoted: t.val };
      default:
        this.#backup();
        return undefined;
    }
  }

  #useVar(t: Token): VariableNode {
    const name = t.val;
    if (!this.#vars.includes(name)) this.#fail(`undefined variable "${name}"`);
    return { kind: 'variable', pos: t.pos, ident: [name] };
  }

  #unquote(t: Token): string {
    const s = unquoteString(t.val);
    if (s === undefined) this.#fail('invalid syntax');
    return s;
  }
}

function termText(n: ArgNode): string {
  switch (n.kind) {
    case 'bool': return String(n.value);
    case 'string': return n.quoted;
    case 'number': return n.text;
    case 'nil': return 'nil';
    default: return '.';
  }
}

/** Go's `item.String()`: how a token is quoted in "unexpected … in …". */
function describe(t: Token): string {
  if (t.type === 'eof') return 'EOF';
  if (t.type === 'keyword') return `<${t.val}>`;
  if (t.val.length > 10) return `${JSON.stringify(t.val.slice(0, 10))}...`;
  return JSON.stringify(t.val);
}
