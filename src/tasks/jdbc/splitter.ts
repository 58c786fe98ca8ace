/**
 * Splits a script into statements as plugin-jdbc's `SqlSplitter.getQueries` does: on `;` outside
 * quotes ('…', "…", `…`, […]), comments (-- and /* *\/), PostgreSQL dollar quotes ($$…$$,
 * $tag$…$tag$) and BEGIN … END blocks (also DECLARE … BEGIN … END and CREATE [OR REPLACE]
 * PACKAGE/PROCEDURE/FUNCTION/TRIGGER/TYPE units, closed by their final END;). Comments stay in
 * the statement text; the terminating `;` is dropped (kept for a DO $$…$$ block); blanks are
 * dropped.
 */

const PLSQL_UNITS = new Set(['PACKAGE', 'PROCEDURE', 'FUNCTION', 'TRIGGER', 'TYPE']);

export function splitSql(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let inSingle = false;
  let inDouble = false;
  let inLine = false;
  let inBlock = false;
  let dollarTag: string | undefined;
  let inBacktick = false;
  let inBracket = false;
  let beginDepth = 0;
  let sawEnd = false;
  let token = '';
  let doDollarBlock = false;
  let lastToken: string | undefined;
  let inDeclare = false;
  let plsqlDepth = 0;
  let sawCreate = false;
  let sawOr = false;

  const flush = (): void => {
    if (token === '') return;
    const t = token.toUpperCase();
    token = '';
    lastToken = t;
    if (t === 'CREATE') {
      sawCreate = true;
      sawOr = false;
    } else if (sawCreate && t === 'OR') sawOr = true;
    else if (sawCreate && sawOr && t === 'REPLACE') {
      // CREATE OR REPLACE <unit>
    } else if (sawCreate) {
      if (PLSQL_UNITS.has(t)) plsqlDepth++;
      sawCreate = false;
      sawOr = false;
    }
    if (t === 'DECLARE') {
      beginDepth++;
      inDeclare = true;
      sawEnd = false;
    } else if (t === 'BEGIN') {
      if (inDeclare) inDeclare = false;
      else beginDepth++;
      sawEnd = false;
    } else if (t === 'END') sawEnd = true;
    else if (sawEnd) sawEnd = !(t === 'IF' || t === 'LOOP' || t === 'CASE');
  };
  const isWord = (c: string): boolean => /[A-Za-z0-9_]/.test(c);

  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    const next = sql[i + 1] ?? '\0';
    if (inLine) {
      current += c;
      if (c === '\n') inLine = false;
      continue;
    }
    if (inBlock) {
      current += c;
      if (c === '*' && next === '/') {
        current += '/';
        i++;
        inBlock = false;
      }
      continue;
    }
    if (dollarTag !== undefined) {
      if (c === '$' && sql.startsWith(dollarTag, i)) {
        current += dollarTag;
        i += dollarTag.length - 1;
        dollarTag = undefined;
      } else current += c;
      continue;
    }
    if (inBacktick) {
      current += c;
      if (c === '`') {
        if (next === '`') {
          current += next;
          i++;
        } else inBacktick = false;
      }
      continue;
    }
    if (inBracket) {
      current += c;
      if (c === ']') {
        if (next === ']') {
          current += next;
          i++;
        } else inBracket = false;
      }
      continue;
    }
    if (!inSingle && c === '"') {
      flush();
      current += c;
      if (inDouble) {
        if (next === '"') {
          current += next;
          i++;
        } else inDouble = false;
      } else inDouble = true;
      continue;
    }
    if (!inSingle && !inDouble && c === '-' && next === '-') {
      flush();
      inLine = true;
      current += c;
      continue;
    }
    if (!inSingle && !inDouble && c === '/' && next === '*') {
      flush();
      inBlock = true;
      current += c;
      continue;
    }
    if (c === "'") {
      flush();
      current += c;
      if (inSingle) {
        if (next === "'") {
          current += next;
          i++;
        } else inSingle = false;
      } else inSingle = true;
      continue;
    }
    if (!inSingle && !inDouble && c === '`') {
      flush();
      inBacktick = true;
      current += c;
      continue;
    }
    if (!inSingle && !inDouble && c === '[') {
      flush();
      inBracket = true;
      current += c;
      continue;
    }
    if (!inSingle && !inDouble && c === '$') {
      const closing = sql.indexOf('$', i + 1);
      if (closing !== -1) {
        const candidate = sql.slice(i, closing + 1);
        if (/^\$[A-Za-z0-9_]*\$$/.test(candidate)) {
          flush();
          if (lastToken === 'DO') doDollarBlock = true;
          dollarTag = candidate;
          current += candidate;
          i = closing;
          continue;
        }
      }
    }
    current += c;
    if (!inSingle && !inDouble) {
      if (isWord(c)) token += c;
      else {
        flush();
        if (c === ';') {
          if (plsqlDepth > 0 && sawEnd) {
            plsqlDepth--;
            sawEnd = false;
            if (plsqlDepth === 0 && beginDepth === 0) {
              statements.push(current.trim());
              current = '';
              doDollarBlock = false;
              inDeclare = false;
              continue;
            }
          }
          if (beginDepth > 0 && sawEnd) {
            beginDepth--;
            sawEnd = false;
            if (beginDepth === 0) {
              statements.push(current.trim());
              current = '';
              doDollarBlock = false;
              inDeclare = false;
              continue;
            }
          } else sawEnd = false;
        } else if (!/\s/.test(c)) sawEnd = false;
      }
    }
    if (beginDepth === 0 && plsqlDepth === 0 && c === ';' && !inSingle && !inDouble) {
      const s = current.trim();
      if (s !== '') statements.push(doDollarBlock ? s : s.slice(0, -1));
      current = '';
      doDollarBlock = false;
    }
  }
  const leftover = current.trim();
  if (leftover !== '') statements.push(leftover);
  return statements;
}

/** Whether a statement holds nothing but comments and blanks (drivers refuse to prepare one). */
export function onlyComments(statement: string): boolean {
  return (
    statement
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/--[^\n]*/g, '')
      .trim() === ''
  );
}
