/**
 * Parse-tree nodes of a Go text/template, and their canonical text
 * (`nodeString`), which execution errors quote as `at <…>` the way Go does.
 */

export interface ListNode { readonly kind: 'list'; readonly pos: number; readonly nodes: Node[] }
export interface TextNode { readonly kind: 'text'; readonly pos: number; readonly text: string }
export interface ActionNode { readonly kind: 'action'; readonly pos: number; readonly pipe: PipeNode }
export interface BranchNode {
  readonly kind: 'if' | 'with' | 'range';
  readonly pos: number;
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | undefined;
}
export interface TemplateNode {
  readonly kind: 'template';
  readonly pos: number;
  readonly name: string;
  readonly pipe: PipeNode | undefined;
}
export interface LoopControlNode { readonly kind: 'break' | 'continue'; readonly pos: number }

export type Node = ListNode | TextNode | ActionNode | BranchNode | TemplateNode | LoopControlNode;

export interface PipeNode {
  readonly kind: 'pipe';
  readonly pos: number;
  readonly isAssign: boolean;
  /** Declared or assigned variables, e.g. `$k, $v :=`. */
  readonly decl: VariableNode[];
  readonly cmds: CommandNode[];
}
export interface CommandNode { readonly kind: 'command'; readonly pos: number; readonly args: ArgNode[] }

export interface FieldNode { readonly kind: 'field'; readonly pos: number; readonly ident: string[] }
/** `$x.A.B` → ident `['$x', 'A', 'B']`. */
export interface VariableNode { readonly kind: 'variable'; readonly pos: number; readonly ident: string[] }
export interface DotNode { readonly kind: 'dot'; readonly pos: number }
export interface NilNode { readonly kind: 'nil'; readonly pos: number }
export interface BoolNode { readonly kind: 'bool'; readonly pos: number; readonly value: boolean }
export interface NumberNode { readonly kind: 'number'; readonly pos: number; readonly value: number; readonly text: string }
export interface StringNode { readonly kind: 'string'; readonly pos: number; readonly value: string; readonly quoted: string }
export interface IdentifierNode { readonly kind: 'identifier'; readonly pos: number; readonly name: string }
/** `(pipeline).A.B` or `fn.A`. */
export interface ChainNode { readonly kind: 'chain'; readonly pos: number; readonly node: ArgNode; readonly fields: string[] }

export type ArgNode =
  | FieldNode | VariableNode | DotNode | NilNode | BoolNode | NumberNode | StringNode
  | IdentifierNode | ChainNode | PipeNode;

/** The text Go's `Node.String()` gives, used in error contexts. */
export function nodeString(n: Node | ArgNode | CommandNode): string {
  switch (n.kind) {
    case 'list': return n.nodes.map(nodeString).join('');
    case 'text': return n.text;
    case 'action': return `{{${nodeString(n.pipe)}}}`;
    case 'if': case 'with': case 'range': {
      const els = n.elseList ? `{{else}}${nodeString(n.elseList)}` : '';
      return `{{${n.kind} ${nodeString(n.pipe)}}}${nodeString(n.list)}${els}{{end}}`;
    }
    case 'template':
      return n.pipe ? `{{template ${JSON.stringify(n.name)} ${nodeString(n.pipe)}}}` : `{{template ${JSON.stringify(n.name)}}}`;
    case 'break': case 'continue': return `{{${n.kind}}}`;
    case 'pipe': {
      const decl = n.decl.length > 0 ? `${n.decl.map(nodeString).join(', ')} ${n.isAssign ? '=' : ':='} ` : '';
      return decl + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.kind === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'field': return n.ident.map((f) => `.${f}`).join('');
    case 'variable': return n.ident.join('.');
    case 'dot': return '.';
    case 'nil': return 'nil';
    case 'bool': return String(n.value);
    case 'number': return n.text;
    case 'string': return n.quoted;
    case 'identifier': return n.name;
    case 'chain': {
      const base = n.node.kind === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return base + n.fields.map((f) => `.${f}`).join('');
    }
  }
}
