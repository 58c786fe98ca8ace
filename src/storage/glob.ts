/**
 * Java's `glob:` path matching (`FileSystems.getDefault().getPathMatcher("glob:…")`), which Kestra uses
 * for `outputFiles`, namespace-file include/exclude and `LocalFiles`: `*` and `?` stay within one
 * folder, `**` crosses folders, `[a-z]` / `[!a-z]` classes, `{a,b}` alternatives (not nested), `\`
 * escapes. The whole path must match.
 */
import { StorageError } from './errors.js';

const REGEX_META = new Set(['\\', '^', '$', '.', '|', '+', '(', ')', '[', ']', '{', '}', '*', '?']);

function invalid(glob: string, reason: string): StorageError {
  return new StorageError('STORAGE_INVALID_URI', `Invalid glob pattern '${glob}': ${reason}`);
}

/** Compiles a Java glob into an anchored RegExp over `/`-separated paths. */
export function globToRegExp(glob: string): RegExp {
  let out = '^';
  let inGroup = false;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    switch (c) {
      case '\\': {
        const next = glob[i + 1];
        if (next === undefined) throw invalid(glob, 'no character to escape at the end');
        out += REGEX_META.has(next) ? `\\${next}` : next;
        i++;
        break;
      }
      case '/':
        out += '/';
        break;
      case '[': {
        let j = i + 1;
        let negated = false;
        let body = '';
        if (glob[j] === '^') {
          body += '\\^';
          j++;
        } else if (glob[j] === '!') {
          negated = true;
          j++;
        }
        // JavaScript has no class intersection (Java's [[^/]&&[…]]): a lookahead keeps '/' out.
        if (glob[j] === '-') {
          body += '\\-';
          j++;
        }
        let closed = false;
        let last: string | undefined;
        for (; j < glob.length; j++) {
          const ch = glob[j] as string;
          if (ch === ']') {
            closed = true;
            break;
          }
          if (ch === '/') throw invalid(glob, "explicit '/' in a character class");
          if (ch === '\\' || ch === '[' || (ch === '&' && glob[j + 1] === '&')) body += `\\${ch}`;
          else if (ch === '-') {
            if (last === undefined) throw invalid(glob, 'invalid range');
            const next = glob[j + 1];
            if (next === undefined || next === ']') {
              body += '\\-';
              continue;
            }
            if (next < last) throw invalid(glob, 'invalid range');
            body += '-';
            continue;
          } else body += ch;
          last = ch;
        }
        if (!closed) throw invalid(glob, "missing ']'");
        out += negated ? `(?!/)[^${body}]` : `(?!/)[${body}]`;
        i = j;
        break;
      }
      case '{':
        if (inGroup) throw invalid(glob, 'nested groups are not supported');
        out += '(?:(?:';
        inGroup = true;
        break;
      case '}':
        if (inGroup) {
          out += '))';
          inGroup = false;
        } else out += '}';
        break;
      case ',':
        out += inGroup ? ')|(?:' : ',';
        break;
      case '*':
        if (glob[i + 1] === '*') {
          out += '.*';
          i++;
        } else out += '[^/]*';
        break;
      case '?':
        out += '[^/]';
        break;
      default:
        out += REGEX_META.has(c) ? `\\${c}` : c;
    }
  }
  if (inGroup) throw invalid(glob, "missing '}'");
  return new RegExp(`${out}$`, 's');
}

/** A predicate over relative paths (`a/b.txt`, no leading slash) for a list of glob patterns. */
export function globMatcher(patterns: readonly string[]): (relativePath: string) => boolean {
  const regexes = patterns.map(compilePattern);
  return (path) => regexes.some((r) => r.test(path));
}

function compilePattern(pattern: string): RegExp {
  if (pattern.startsWith('regex:')) {
    try {
      return new RegExp(`^(?:${pattern.slice('regex:'.length)})$`, 's');
    } catch (e) {
      throw invalid(pattern, (e as Error).message);
    }
  }
  const glob = pattern.startsWith('glob:') ? pattern.slice('glob:'.length) : pattern;
  // Patterns are relative to the folder; Kestra prefixes them with the folder and a '/'.
  return globToRegExp(glob.startsWith('/') ? glob.slice(1) : glob);
}

/**
 * Kestra's namespace-file include/exclude matching: a pattern starting with a word character gets
 * `**` + `/` in front and is matched against the file's path with a leading slash, so `a.txt` matches
 * `/a.txt` and `/dir/a.txt`, while `/dir/**` anchors at the namespace root.
 */
export function namespaceFileMatcher(
  include: readonly string[] | undefined,
  exclude: readonly string[] | undefined,
): (path: string) => boolean {
  const compile = (patterns: readonly string[]): ((p: string) => boolean) => {
    const regexes = patterns.map((p) => {
      if (p.startsWith('regex:') || p.startsWith('glob:')) return compilePatternRaw(p);
      return globToRegExp(/^\w/.test(p) ? `**/${p}` : p);
    });
    return (p) => regexes.some((r) => r.test(p));
  };
  const inc = include !== undefined && include.length > 0 ? compile(include) : undefined;
  const exc = exclude !== undefined && exclude.length > 0 ? compile(exclude) : undefined;
  return (relative) => {
    const withSlash = relative.startsWith('/') ? relative : `/${relative}`;
    if (inc !== undefined && !inc(withSlash)) return false;
    return exc === undefined || !exc(withSlash);
  };
}

function compilePatternRaw(pattern: string): RegExp {
  if (pattern.startsWith('regex:')) return compilePattern(pattern);
  return globToRegExp(pattern.slice('glob:'.length));
}
