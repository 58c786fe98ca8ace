/**
 * The template AST: plain readonly objects tagged by `kind`, with the source offset where each
 * node starts. Node names follow Pebble's `node/expression/*` vocabulary so behaviour can be
 * checked node by node against the reference engine.
 */

export interface Arguments {
  readonly positional: readonly Expression[];
  readonly named: readonly (readonly [name: string, value: Expression])[];
}

export type Expression =
  | { readonly kind: 'Literal'; readonly start: number; readonly value: unknown }
  | { readonly kind: 'Interpolation'; readonly start: number; readonly parts: readonly Expression[] }
  | { readonly kind: 'ListLiteral'; readonly start: number; readonly items: readonly Expression[] }
  | { readonly kind: 'MapLiteral'; readonly start: number; readonly entries: readonly (readonly [key: Expression, value: Expression])[] }
  | { readonly kind: 'ContextVariable'; readonly start: number; readonly name: string }
  | {
      readonly kind: 'GetAttribute';
      readonly start: number;
      readonly object: Expression;
      readonly attribute: Expression;
      /** Method-call arguments (`m.get("a")`), or null for plain access. */
      readonly args: readonly Expression[] | null;
    }
  | { readonly kind: 'Unary'; readonly start: number; readonly operator: 'not' | '-' | '+'; readonly operand: Expression }
  | { readonly kind: 'Binary'; readonly start: number; readonly operator: string; readonly left: Expression; readonly right: Expression }
  | {
      readonly kind: 'Test';
      readonly start: number;
      readonly negated: boolean;
      readonly operand: Expression;
      readonly name: string;
      readonly args: Arguments;
    }
  | { readonly kind: 'Filter'; readonly start: number; readonly input: Expression; readonly name: string; readonly args: Arguments }
  | { readonly kind: 'FunctionCall'; readonly start: number; readonly name: string; readonly args: Arguments }
  | {
      readonly kind: 'Ternary';
      readonly start: number;
      readonly condition: Expression;
      readonly then: Expression;
      readonly otherwise: Expression;
    };

export interface MacroParameter {
  readonly name: string;
  readonly defaultValue: Expression | null;
}

export type Statement =
  | { readonly kind: 'Text'; readonly start: number; readonly text: string }
  | { readonly kind: 'Print'; readonly start: number; readonly expression: Expression }
  | {
      readonly kind: 'If';
      readonly start: number;
      readonly branches: readonly (readonly [condition: Expression, body: readonly Statement[]])[];
      readonly otherwise: readonly Statement[] | null;
    }
  | {
      readonly kind: 'For';
      readonly start: number;
      readonly variable: string;
      readonly iterable: Expression;
      readonly body: readonly Statement[];
      readonly otherwise: readonly Statement[] | null;
    }
  | { readonly kind: 'Set'; readonly start: number; readonly name: string; readonly value: Expression }
  | {
      readonly kind: 'Macro';
      readonly start: number;
      readonly name: string;
      readonly parameters: readonly MacroParameter[];
      readonly body: readonly Statement[];
    }
  | { readonly kind: 'FilterBlock'; readonly start: number; readonly filters: readonly Expression[]; readonly body: readonly Statement[] }
  | { readonly kind: 'Block'; readonly start: number; readonly name: string; readonly body: readonly Statement[] };

export interface TemplateAst {
  readonly body: readonly Statement[];
  readonly macros: ReadonlyMap<string, Extract<Statement, { kind: 'Macro' }>>;
  readonly blocks: ReadonlyMap<string, Extract<Statement, { kind: 'Block' }>>;
  /** Kestra's raw blocks, UUIDs in the tree, put back into the output (see kestra-raw.ts). */
  readonly rawBlocks: readonly (readonly [placeholder: string, block: string])[];
}

/** Calls every expression and statement node once, depth first (static analysis, prefetch). */
export function visitExpressions(statements: readonly Statement[], visit: (e: Expression) => void): void {
  const expr = (e: Expression): void => {
    visit(e);
    switch (e.kind) {
      case 'Interpolation':
        e.parts.forEach(expr);
        break;
      case 'ListLiteral':
        e.items.forEach(expr);
        break;
      case 'MapLiteral':
        for (const [k, v] of e.entries) {
          expr(k);
          expr(v);
        }
        break;
      case 'GetAttribute':
        expr(e.object);
        expr(e.attribute);
        e.args?.forEach(expr);
        break;
      case 'Unary':
        expr(e.operand);
        break;
      case 'Binary':
        expr(e.left);
        expr(e.right);
        break;
      case 'Test':
        expr(e.operand);
        args(e.args);
        break;
      case 'Filter':
        expr(e.input);
        args(e.args);
        break;
      case 'FunctionCall':
        args(e.args);
        break;
      case 'Ternary':
        expr(e.condition);
        expr(e.then);
        expr(e.otherwise);
        break;
      case 'Literal':
      case 'ContextVariable':
        break;
    }
  };
  const args = (a: Arguments): void => {
    a.positional.forEach(expr);
    for (const [, v] of a.named) expr(v);
  };
  const stmts = (list: readonly Statement[]): void => {
    for (const s of list) {
      switch (s.kind) {
        case 'Print':
          expr(s.expression);
          break;
        case 'If':
          for (const [c, b] of s.branches) {
            expr(c);
            stmts(b);
          }
          if (s.otherwise) stmts(s.otherwise);
          break;
        case 'For':
          expr(s.iterable);
          stmts(s.body);
          if (s.otherwise) stmts(s.otherwise);
          break;
        case 'Set':
          expr(s.value);
          break;
        case 'Macro':
          for (const p of s.parameters) if (p.defaultValue) expr(p.defaultValue);
          stmts(s.body);
          break;
        case 'FilterBlock':
          s.filters.forEach(expr);
          stmts(s.body);
          break;
        case 'Block':
          stmts(s.body);
          break;
        case 'Text':
          break;
      }
    }
  };
  stmts(statements);
}
