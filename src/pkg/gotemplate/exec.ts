/**
 * Executes a parsed template against JSON-shaped data with Go's semantics
 * (`text/template/exec.go`, missingkey=default): a missing key is "no value",
 * a JS function found as a field is called like a Go method, `range` walks
 * objects in sorted-key order, variables are lexically scoped, `and`/`or`
 * short-circuit. Errors read `template: :1:2: executing "" at <.A.B>: …`.
 */
import { builtinFuncs, TemplateArgError, truth, type TemplateFunc } from './funcs.js';
import { compareStrings, formatValue, goTypeName, isPlainObject, sortedKeys } from './format.js';
import { nodeString, type ArgNode, type BranchNode, type CommandNode, type FieldNode, type ChainNode, type IdentifierNode, type ListNode, type Node, type PipeNode, type TemplateNode, type VariableNode } from './nodes.js';

/** The executor's failure; its message is already the full Go-style text. */
export class TemplateExecError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TemplateExecError';
  }
}

const MISSING: unique symbol = Symbol('missing');
type Final = unknown;

class BreakSignal {}
class ContinueSignal {}

const MAX_DEPTH = 1000;

export interface ExecInput {
  readonly src: string;
  readonly root: ListNode;
  readonly defs: ReadonlyMap<string, ListNode>;
  readonly funcs: Readonly<Record<string, TemplateFunc>>;
}

/** Runs the template and returns its output. Throws TemplateExecError. */
export function executeTree(input: ExecInput, data: unknown): string {
  const s = new State(input, '', [{ name: '$', value: data }], 0);
  s.walk(data, input.root);
  return s.output;
}

interface Variable { name: string; value: unknown }

class State {
  readonly #in: ExecInput;
  readonly #name: string;
  readonly #vars: Variable[];
  readonly #depth: number;
  #node: Node | ArgNode | CommandNode | undefined;
  #out: string[];

  constructor(input: ExecInput, name: string, vars: Variable[], depth: number, out: string[] = []) {
    this.#in = input;
    this.#name = name;
    this.#vars = vars;
    this.#depth = depth;
    this.#out = out;
  }

  get output(): string {
    return this.#out.join('');
  }

  #at(n: Node | ArgNode | CommandNode): void {
    this.#node = n;
  }

  #errorf(msg: string, cause?: unknown): never {
    const n = this.#node;
    if (n === undefined) throw new TemplateExecError(`template: ${this.#name}: ${msg}`);
    const src = this.#in.src.slice(0, n.pos);
    const nl = src.lastIndexOf('\n');
    const line = src.split('\n').length;
    const col = Buffer.byteLength(nl === -1 ? src : src.slice(nl + 1), 'utf8');
    let context = nodeString(n);
    if (context.length > 20) context = `${context.slice(0, 20)}...`;
    const where = `:${line}:${col}`;
    throw new TemplateExecError(`template: ${where}: executing ${JSON.stringify(this.#name)} at <${context}>: ${msg}`, { cause });
  }

  // ---- variables ----

  #push(name: string, value: unknown): void {
    this.#vars.push({ name, value });
  }

  #mark(): number {
    return this.#vars.length;
  }

  #pop(mark: number): void {
    this.#vars.length = mark;
  }

  #setVar(name: string, value: unknown): void {
    for (let i = this.#vars.length - 1; i >= 0; i--) {
      const v = this.#vars[i] as Variable;
      if (v.name === name) {
        v.value = value;
        return;
      }
    }
    this.#errorf(`undefined variable: ${name}`);
  }

  #setTopVar(n: number, value: unknown): void {
    const v = this.#vars[this.#vars.length - n];
    if (v) v.value = value;
  }

  #varValue(name: string): unknown {
    for (let i = this.#vars.length - 1; i >= 0; i--) {
      const v = this.#vars[i] as Variable;
      if (v.name === name) return v.value;
    }
    this.#errorf(`undefined variable: ${name}`);
  }

  // ---- statements ----

  walk(dot: unknown, node: Node): void {
    this.#at(node);
    switch (node.kind) {
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'text':
        this.#out.push(node.text);
        return;
      case 'action': {
        const val = this.#evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.#printValue(node, val);
        return;
      }
      case 'if': case 'with':
        this.#walkIfOrWith(dot, node);
        return;
      case 'range':
        this.#walkRange(dot, node);
        return;
      case 'template':
        this.#walkTemplate(dot, node);
        return;
      case 'break': throw new BreakSignal();
      case 'continue': throw new ContinueSignal();
    }
  }

  #printValue(node: Node, v: unknown): void {
    this.#at(node);
    if (typeof v === 'function') this.#errorf(`can't print ${nodeString(node)} of type func`);
    this.#out.push(typeof v === 'string' ? v : formatValue(v));
  }

  #walkIfOrWith(dot: unknown, node: BranchNode): void {
    const mark = this.#mark();
    try {
      const val = this.#evalPipeline(dot, node.pipe);
      if (truth(val)) this.walk(node.kind === 'with' ? val : dot, node.list);
      else if (node.elseList) this.walk(dot, node.elseList);
    } finally {
      this.#pop(mark);
    }
  }

  #walkRange(dot: unknown, r: BranchNode): void {
    this.#at(r);
    const outer = this.#mark();
    try {
      const val = this.#evalPipeline(dot, r.pipe);
      const mark = this.#mark();
      const decl = r.pipe.decl;
      const one = (index: unknown, elem: unknown): void => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) this.#setVar(decl[0]?.ident[0] ?? '', decl.length > 1 ? index : elem);
          else this.#setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.#setVar(decl[1]?.ident[0] ?? '', elem);
          else this.#setTopVar(2, index);
        }
        try {
          this.walk(elem, r.list);
        } catch (err) {
          if (!(err instanceof ContinueSignal)) throw err;
        } finally {
          this.#pop(mark);
        }
      };
      let n = 0;
      try {
        if (Array.isArray(val)) {
          for (; n < val.length; n++) one(n, val[n]);
        } else if (val instanceof Map) {
          for (const k of [...val.keys()].sort(compareStrings)) { n++; one(k, val.get(k)); }
        } else if (isPlainObject(val)) {
          for (const k of sortedKeys(val)) { n++; one(k, val[k]); }
        } else if (typeof val === 'number' && Number.isInteger(val)) {
          if (decl.length > 1) this.#errorf(`can't use ${formatValue(val)} to iterate over more than one variable`);
          for (; n < val; n++) one(n, n);
        } else if (val !== undefined && val !== null) {
          this.#at(r);
          this.#errorf(`range can't iterate over ${formatValue(val)}`);
        }
      } catch (err) {
        if (!(err instanceof BreakSignal)) throw err;
        n = Math.max(n, 1);
      }
      if (n === 0 && r.elseList) this.walk(dot, r.elseList);
    } finally {
      this.#pop(outer);
    }
  }

  #walkTemplate(dot: unknown, t: TemplateNode): void {
    this.#at(t);
    const body = this.#in.defs.get(t.name);
    if (body === undefined) this.#errorf(`template ${JSON.stringify(t.name)} not defined`);
    if (this.#depth >= MAX_DEPTH) this.#errorf(`exceeded maximum template depth (${MAX_DEPTH})`);
    const newDot = t.pipe ? this.#evalPipeline(dot, t.pipe) : undefined;
    // No dynamic scoping: the invoked template sees only `$`.
    const s = new State(this.#in, t.name, [{ name: '$', value: newDot }], this.#depth + 1, this.#out);
    s.walk(newDot, body);
  }

  // ---- expressions ----

  #evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.#at(pipe);
    let value: unknown = MISSING;
    for (const cmd of pipe.cmds) value = this.#evalCommand(dot, cmd, value);
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.#setVar(v.ident[0] ?? '', value);
      else this.#push(v.ident[0] ?? '', value);
    }
    return value;
  }

  #notAFunction(args: readonly ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING) {
      this.#errorf(`can't give argument to non-function ${args[0] ? nodeString(args[0]) : ''}`);
    }
  }

  #evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0];
    if (first === undefined) this.#errorf('empty command');
    switch (first.kind) {
      case 'field': return this.#evalFieldNode(dot, first, cmd.args, final);
      case 'chain': return this.#evalChainNode(dot, first, cmd.args, final);
      case 'identifier': return this.#evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.#notAFunction(cmd.args, final);
        return this.#evalPipeline(dot, first);
      case 'variable': return this.#evalVariableNode(dot, first, cmd.args, final);
      default: break;
    }
    this.#at(first);
    this.#notAFunction(cmd.args, final);
    switch (first.kind) {
      case 'bool': case 'number': case 'string': return first.value;
      case 'dot': return dot;
      case 'nil': this.#errorf('nil is not a command');
    }
  }

  #evalFieldNode(dot: unknown, field: FieldNode, args: readonly ArgNode[], final: Final): unknown {
    this.#at(field);
    return this.#evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  #evalChainNode(dot: unknown, chain: ChainNode, args: readonly ArgNode[], final: Final): unknown {
    if (chain.node.kind === 'nil') this.#errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.#evalArg(dot, chain.node);
    return this.#evalFieldChain(dot, pipe, chain, chain.fields, args, final);
  }

  #evalVariableNode(dot: unknown, v: VariableNode, args: readonly ArgNode[], final: Final): unknown {
    this.#at(v);
    const value = this.#varValue(v.ident[0] ?? '');
    if (v.ident.length === 1) {
      this.#notAFunction(args, final);
      return value;
    }
    return this.#evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  #evalFieldChain(dot: unknown, receiver: unknown, node: ArgNode, ident: readonly string[], args: readonly ArgNode[], final: Final): unknown {
    let r = receiver;
    for (let i = 0; i < ident.length - 1; i++) r = this.#evalField(dot, ident[i] ?? '', node, [], MISSING, r);
    return this.#evalField(dot, ident[ident.length - 1] ?? '', node, args, final, r);
  }

  #evalField(dot: unknown, name: string, node: ArgNode, args: readonly ArgNode[], final: Final, receiver: unknown): unknown {
    if (receiver === undefined) return undefined;
    if (receiver === null) this.#errorf(`nil pointer evaluating interface {}.${name}`);
    if (typeof receiver === 'object' && !Array.isArray(receiver)) {
      const hasArgs = args.length > 1 || final !== MISSING;
      if (receiver instanceof Map) {
        if (hasArgs) this.#errorf(`${name} is not a method but has arguments`);
        return receiver.get(name);
      }
      const obj = receiver as Record<string, unknown>;
      const found = Object.hasOwn(obj, name) || (name in obj && !(name in Object.prototype));
      const value = found ? obj[name] : undefined;
      if (typeof value === 'function') {
        return this.#evalCall(dot, (...a: unknown[]) => (value as TemplateFunc).apply(obj, a), false, node, name, args, final);
      }
      if (hasArgs) this.#errorf(`${name} is not a method but has arguments`);
      return value;
    }
    this.#errorf(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
  }

  #evalFunction(dot: unknown, node: IdentifierNode, cmd: ArgNode | CommandNode, args: readonly ArgNode[], final: Final): unknown {
    this.#at(node);
    const name = node.name;
    const fn = Object.hasOwn(this.#in.funcs, name) ? this.#in.funcs[name] : undefined;
    if (fn === undefined) this.#errorf(`${JSON.stringify(name)} is not a defined function`);
    const shortCircuit = (name === 'and' && fn === builtinFuncs['and']) || (name === 'or' && fn === builtinFuncs['or']);
    return this.#evalCall(dot, fn, shortCircuit, cmd, name, args, final);
  }

  #evalCall(dot: unknown, fn: TemplateFunc, shortCircuit: boolean, node: ArgNode | CommandNode, name: string, args: readonly ArgNode[], final: Final): unknown {
    const argNodes = args.length > 0 ? args.slice(1) : [];
    if (shortCircuit) {
      if (argNodes.length === 0 && final === MISSING) {
        this.#at(node);
        this.#errorf(`wrong number of args for ${name}: want at least 1 got 0`);
      }
      let v: unknown;
      for (const a of argNodes) {
        v = this.#evalArg(dot, a);
        if (truth(v) === (name === 'or')) return v;
      }
      return final !== MISSING ? final : v;
    }
    const argv = argNodes.map((a) => this.#evalArg(dot, a));
    if (final !== MISSING) argv.push(final);
    // A missing value passed to a function arrives as nil (Go's validateType).
    const values = argv.map((a) => (a === undefined ? null : a));
    try {
      return fn(...values);
    } catch (err) {
      if (err instanceof TemplateExecError) throw err;
      this.#at(node);
      if (err instanceof TemplateArgError) this.#errorf(err.message, err);
      this.#errorf(`error calling ${name}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }

  #evalArg(dot: unknown, n: ArgNode): unknown {
    this.#at(n);
    switch (n.kind) {
      case 'dot': return dot;
      case 'nil': return null;
      case 'field': return this.#evalFieldNode(dot, n, [n], MISSING);
      case 'variable': return this.#evalVariableNode(dot, n, [], MISSING);
      case 'pipe': return this.#evalPipeline(dot, n);
      case 'identifier': return this.#evalFunction(dot, n, n, [], MISSING);
      case 'chain': return this.#evalChainNode(dot, n, [], MISSING);
      case 'bool': case 'number': case 'string': return n.value;
    }
  }
}
