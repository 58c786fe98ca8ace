/**
 * Pebble's operator table (CoreExtension.getBinaryOperators / getUnaryOperators) plus
 * Kestra's `??` and `???`, as data. The parser climbs precedences over this table.
 */
export type BinaryOperatorKind = 'normal' | 'test' | 'filter';

export interface BinaryOperator {
  readonly symbol: string;
  readonly precedence: number;
  readonly kind: BinaryOperatorKind;
}

export const BINARY_OPERATORS: readonly BinaryOperator[] = [
  { symbol: 'or', precedence: 10, kind: 'normal' },
  { symbol: 'and', precedence: 15, kind: 'normal' },
  { symbol: 'is', precedence: 20, kind: 'test' },
  { symbol: 'is not', precedence: 20, kind: 'test' },
  { symbol: 'contains', precedence: 20, kind: 'normal' },
  { symbol: '==', precedence: 30, kind: 'normal' },
  { symbol: 'equals', precedence: 30, kind: 'normal' },
  { symbol: '!=', precedence: 30, kind: 'normal' },
  { symbol: '<', precedence: 30, kind: 'normal' },
  { symbol: '>', precedence: 30, kind: 'normal' },
  { symbol: '<=', precedence: 30, kind: 'normal' },
  { symbol: '>=', precedence: 30, kind: 'normal' },
  { symbol: '+', precedence: 40, kind: 'normal' },
  { symbol: '-', precedence: 40, kind: 'normal' },
  { symbol: '*', precedence: 60, kind: 'normal' },
  { symbol: '/', precedence: 60, kind: 'normal' },
  { symbol: '%', precedence: 60, kind: 'normal' },
  { symbol: '|', precedence: 100, kind: 'filter' },
  { symbol: '~', precedence: 110, kind: 'normal' },
  { symbol: '..', precedence: 120, kind: 'normal' },
  // Kestra's null-coalescing operators (io.kestra.core.runners.pebble.Extension)
  { symbol: '??', precedence: 120, kind: 'normal' },
  { symbol: '???', precedence: 120, kind: 'normal' },
];

export const UNARY_OPERATORS: Readonly<Record<string, number>> = { not: 500, '-': 500, '+': 500 };

export const BINARY_BY_SYMBOL: ReadonlyMap<string, BinaryOperator> = new Map(BINARY_OPERATORS.map((op) => [op.symbol, op]));

/** Operator spellings the lexer recognises, longest first so `???` wins over `??`. */
export const OPERATOR_SYMBOLS: readonly string[] = [
  ...new Set([...BINARY_OPERATORS.map((op) => op.symbol).filter((s) => s !== 'is not'), ...Object.keys(UNARY_OPERATORS)]),
].sort((a, b) => b.length - a.length);
