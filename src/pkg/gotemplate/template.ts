/**
 * The public face of the template engine: parse once, execute many times.
 */
import { InvalidParameterError } from '../../errdefs/index.js';
import { executeTree, TemplateExecError } from './exec.js';
import { dockerFuncs, type TemplateFunc } from './funcs.js';
import { TemplateSyntaxError } from './lexer.js';
import type { ListNode } from './nodes.js';
import { parse } from './parser.js';

export type FuncMap = Readonly<Record<string, TemplateFunc>>;

export interface Template {
  /**
   * Renders the template with `data` as dot and `$`. `fns` add to or replace
   * the functions for this run (e.g. `headerFuncs` for a table header); a name
   * the template uses must have been known at parse time (ParseOptions.funcs).
   * Throws InvalidParameterError with Go's text: `template: :1:2: executing "" at <.A>: …`.
   */
  execute(data: unknown, fns?: FuncMap): string;
}

export interface ParseOptions {
  /** Extra functions, available to every execution; names are checked while parsing. */
  readonly funcs?: FuncMap;
}

class ParsedTemplate implements Template {
  readonly #src: string;
  readonly #root: ListNode;
  readonly #defs: ReadonlyMap<string, ListNode>;
  readonly #funcs: FuncMap;

  constructor(src: string, root: ListNode, defs: ReadonlyMap<string, ListNode>, funcs: FuncMap) {
    this.#src = src;
    this.#root = root;
    this.#defs = defs;
    this.#funcs = funcs;
  }

  execute(data: unknown, fns?: FuncMap): string {
    const funcs = fns ? { ...this.#funcs, ...fns } : this.#funcs;
    try {
      return executeTree({ src: this.#src, root: this.#root, defs: this.#defs, funcs }, data);
    } catch (err) {
      if (err instanceof TemplateExecError) throw new InvalidParameterError(err.message, { cause: err });
      throw err;
    }
  }
}

/**
 * Parses a Go text/template with the docker CLI's functions.
 * Throws InvalidParameterError `template parsing error: template: :1: <reason>`,
 * the text the docker CLI prints for a bad `--format`.
 */
export function parseTemplate(src: string, options: ParseOptions = {}): Template {
  const funcs: FuncMap = options.funcs ? { ...dockerFuncs, ...options.funcs } : dockerFuncs;
  try {
    const { root, defs } = parse(src, (name) => Object.hasOwn(funcs, name));
    return new ParsedTemplate(src, root, defs, funcs);
  } catch (err) {
    if (err instanceof TemplateSyntaxError) {
      throw new InvalidParameterError(`template parsing error: template: :${err.line}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/** Parses and executes in one step. */
export function renderTemplate(src: string, data: unknown): string {
  return parseTemplate(src).execute(data);
}
