/**
 * A small path router: templates such as `/api/v1/{tenant}/flows/{namespace}/{id}`, static
 * segments winning over parameters at each level (so `/flows/search` is not read as a namespace),
 * 405 with the allowed methods when a path matches but its method does not. A trie walk per
 * request: no regular expressions, no dependency, nothing to load at start-up.
 */

interface Node<H> {
  readonly statics: Map<string, Node<H>>;
  /** One parameter child per level; each route names its parameters itself. */
  param?: Node<H>;
  /** Method → handler and the names of the route's parameters, in path order. */
  readonly handlers: Map<string, { readonly handler: H; readonly names: readonly string[] }>;
}

const newNode = <H>(): Node<H> => ({ statics: new Map(), handlers: new Map() });

export interface RouteMatch<H> {
  readonly handler: H;
  readonly params: Readonly<Record<string, string>>;
}

export type RouteLookup<H> =
  | { readonly kind: 'found'; readonly match: RouteMatch<H> }
  | { readonly kind: 'method'; readonly allowed: readonly string[] }
  | { readonly kind: 'none' };

export class Router<H> {
  private readonly root: Node<H> = newNode();

  /** Adds a route; `{name}` segments are parameters. */
  add(method: string, template: string, handler: H): this {
    let node = this.root;
    const names: string[] = [];
    for (const segment of template.split('/').filter((s) => s !== '')) {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param !== null) {
        names.push(param[1]!);
        node.param ??= newNode();
        node = node.param;
      } else {
        let next = node.statics.get(segment);
        if (next === undefined) node.statics.set(segment, (next = newNode()));
        node = next;
      }
    }
    const verb = method.toUpperCase();
    if (node.handlers.has(verb)) throw new TypeError(`Route ${verb} ${template} is defined twice`);
    node.handlers.set(verb, { handler, names });
    return this;
  }

  /** Finds the handler for a decoded path (segments are percent-decoded here). */
  find(method: string, pathname: string): RouteLookup<H> {
    const segments = pathname.split('/').filter((s) => s !== '');
    const decoded: string[] = [];
    for (const s of segments) {
      try {
        decoded.push(decodeURIComponent(s));
      } catch {
        return { kind: 'none' };
      }
    }
    const verb = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
    let allowed: Set<string> | undefined;
    const values: string[] = [];
    const walk = (node: Node<H>, i: number): RouteMatch<H> | undefined => {
      if (i === decoded.length) {
        const route = node.handlers.get(verb);
        if (route !== undefined) return { handler: route.handler, params: Object.fromEntries(route.names.map((n, k) => [n, values[k]!])) };
        if (node.handlers.size > 0) for (const m of node.handlers.keys()) (allowed ??= new Set()).add(m);
        return undefined;
      }
      const segment = decoded[i]!;
      const next = node.statics.get(segment);
      if (next !== undefined) {
        const found = walk(next, i + 1);
        if (found !== undefined) return found;
      }
      if (node.param !== undefined && segment !== '') {
        values.push(segment);
        const found = walk(node.param, i + 1);
        if (found !== undefined) return found;
        values.pop();
      }
      return undefined;
    };
    const match = walk(this.root, 0);
    if (match !== undefined) return { kind: 'found', match };
    if (allowed !== undefined) return { kind: 'method', allowed: [...allowed].sort() };
    return { kind: 'none' };
  }
}
