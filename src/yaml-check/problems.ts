/**
 * "Every problem at once": a list that checks add to instead of throwing, each problem carrying a
 * code, a message a user can act on, the property path, and the file, line and column when the
 * input came from a file.
 */
import { formatPath, type Path, type PositionIndex } from './positions.js';

export interface Problem<C extends string = string> {
  readonly code: C;
  readonly message: string;
  /** Property path, e.g. `tasks[1].uri` (empty for the whole document). */
  readonly path: string;
  readonly file?: string;
  /** 1-based. */
  readonly line?: number;
  /** 1-based. */
  readonly column?: number;
}

/** Fields a problem type adds to `Problem` (a config issue's `expected`, for instance). */
type Extra<P extends Problem> = Omit<P, keyof Problem>;

export class ProblemList<P extends Problem> {
  readonly problems: P[] = [];
  /** Positions of the checked document; `undefined` for data given in code. */
  readonly index: PositionIndex | undefined;
  private readonly onePerPath: boolean;
  private readonly paths = new Set<string>();

  /**
   * `onePerPath`: one problem per field. The first (most specific) problem for a path wins; later
   * ones for the same path, or for a path inside it, are dropped.
   */
  constructor(index: PositionIndex | undefined, options: { onePerPath?: boolean } = {}) {
    this.index = index;
    this.onePerPath = options.onePerPath === true;
  }

  get size(): number {
    return this.problems.length;
  }

  has(path: Path): boolean {
    return this.paths.has(formatPath(path));
  }

  /** A problem at a path: at its key (`which: 'key'`) or its value, else at the nearest parent. */
  add(code: P['code'], message: string, path: Path, which: 'key' | 'value' = 'value', extra?: Extra<P>): void {
    this.push(code, message, path, this.index?.at(path, which), extra);
  }

  /** A problem at a source offset (a YAML error, a match inside a value). */
  addAt(code: P['code'], message: string, path: Path, offset: number, extra?: Extra<P>): void {
    this.push(code, message, path, this.index?.offset(offset), extra);
  }

  /** In source order (line, then column); problems without a position keep their order, first. */
  sorted(): P[] {
    return [...this.problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  }

  private push(
    code: P['code'],
    message: string,
    path: Path,
    position: { file?: string; line: number; column: number } | undefined,
    extra: Extra<P> | undefined,
  ): void {
    const shown = formatPath(path);
    if (this.onePerPath) {
      for (let n = path.length; n > 0; n--) if (this.paths.has(n === path.length ? shown : formatPath(path.slice(0, n)))) return;
    }
    this.paths.add(shown);
    this.problems.push({ code, message, path: shown, ...(position ?? {}), ...(extra ?? {}) } as unknown as P);
  }
}
