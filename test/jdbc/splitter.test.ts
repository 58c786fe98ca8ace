/**
 * The statement splitter of the Queries tasks: cases ported from plugin-jdbc's
 * plugin-jdbc/src/test/java/io/kestra/plugin/jdbc/SqlSplitterTest.java.
 */
import { splitSql } from '../../src/tasks/jdbc/splitter.js';

const DO_BLOCK = `DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_name = 'categories') THEN
        CREATE TABLE categories (id SERIAL PRIMARY KEY, name VARCHAR(40));
        INSERT INTO categories (name) VALUES ('Games');
        INSERT INTO categories (name) VALUES ('Other');
    END IF;
END
$$;`;

const PLSQL = `BEGIN
  FOR record IN (SELECT ROWNUM n FROM dual WHERE ROWNUM <= 20)
    LOOP
      dbms_output.put_line(record.n);
    END LOOP;
END;`;

const DECLARE = `declare
  v_number number;
BEGIN
  NULL;
END;`;

const ENDIF = `BEGIN
  IF 1 = 1 THEN
    NULL;
  END IF;
  NULL;
END;`;

describe('splitSql (SqlSplitterTest)', () => {
  test.each<[string, string, string[]]>([
    ['simpleSelect', 'SELECT 1;', ['SELECT 1']],
    ['multipleSelects', 'SELECT 1; SELECT 2; SELECT 3;', ['SELECT 1', 'SELECT 2', 'SELECT 3']],
    [
      'multipleDdlAndDml',
      "DROP TABLE IF EXISTS employee;\nCREATE TABLE employee(id INT, name VARCHAR(100));\nINSERT INTO employee(id, name) VALUES (1, 'John');\n",
      [
        'DROP TABLE IF EXISTS employee',
        'CREATE TABLE employee(id INT, name VARCHAR(100))',
        "INSERT INTO employee(id, name) VALUES (1, 'John')",
      ],
    ],
    ['doubleDollarQuerySimple', '$$SELECT 1$$;', ['$$SELECT 1$$']],
    ['postgresDoDollarBlock', `${DO_BLOCK}\n`, [DO_BLOCK]],
    ['plsqlBlockSingleStatement', `${PLSQL}\n`, [PLSQL]],
    [
      'transactionLikeBeginEndWithOperations',
      'BEGIN\n    INSERT INTO t (id) VALUES (1);\n    INSERT INTO t (id) VALUES (2);\nEND;\nSELECT COUNT(*) AS CNT FROM t;\n',
      ['BEGIN\n    INSERT INTO t (id) VALUES (1);\n    INSERT INTO t (id) VALUES (2);\nEND;', 'SELECT COUNT(*) AS CNT FROM t'],
    ],
    [
      'commentsWithSemicolonsAreIgnoredForSplitting',
      'SELECT 1; -- this comment has a fake ; here ;\n/* block comment with ; inside */\nSELECT 2;\n',
      ['SELECT 1', '-- this comment has a fake ; here ;\n/* block comment with ; inside */\nSELECT 2'],
    ],
    [
      'stringLiteralsWithSemicolons',
      "INSERT INTO t(msg) VALUES('hello;world'); SELECT 1;",
      ["INSERT INTO t(msg) VALUES('hello;world')", 'SELECT 1'],
    ],
    ['lastStatementWithoutTrailingSemicolon', 'SELECT 1; SELECT 2', ['SELECT 1', 'SELECT 2']],
    [
      'postgresJsonDollarQuoteContainingSemicolonMustNotSplit',
      `SELECT jsonb_array_elements_text($${'$'}{"data":["ITEM; WITH SEMICOLON"]}$${'$'}::jsonb -> 'data') AS value;\n`,
      [`SELECT jsonb_array_elements_text($${'$'}{"data":["ITEM; WITH SEMICOLON"]}$${'$'}::jsonb -> 'data') AS value`],
    ],
    [
      'postgresTaggedDollarQuoteContainingSemicolonMustNotSplit',
      `SELECT $json${'$'}{"data":["ITEM; WITH SEMICOLON"]}$json$::json -> 'data' AS value;`,
      [`SELECT $json${'$'}{"data":["ITEM; WITH SEMICOLON"]}$json$::json -> 'data' AS value`],
    ],
    [
      'backtickQuotedIdentifiersWithSemicolonsShouldNotSplit',
      'SELECT `id;hello` FROM t; SELECT 2;',
      ['SELECT `id;hello` FROM t', 'SELECT 2'],
    ],
    [
      'sqlServerBracketQuotedIdentifiersWithSemicolonsShouldNotSplit',
      'SELECT [id;hello] FROM t; SELECT 2;',
      ['SELECT [id;hello] FROM t', 'SELECT 2'],
    ],
    [
      'postgresDoubleQuotedIdentifierWithSemicolonMustNotSplit',
      '-- 1) Setup\nCREATE SCHEMA IF NOT EXISTS public;\n\nALTER TABLE public.events_demo\n  ADD COLUMN IF NOT EXISTS "note;with:semicolon" TEXT;\n',
      [
        '-- 1) Setup\nCREATE SCHEMA IF NOT EXISTS public',
        'ALTER TABLE public.events_demo\n  ADD COLUMN IF NOT EXISTS "note;with:semicolon" TEXT',
      ],
    ],
    ['oracleDeclareBeginEndAnonymousBlockSingleStatement', `${DECLARE}\n`, [DECLARE]],
    ['plsqlEndWithLabelShouldCloseBlock', 'BEGIN\n  NULL;\nEND my_block;\nSELECT 1;\n', ['BEGIN\n  NULL;\nEND my_block;', 'SELECT 1']],
    ['plsqlEndIfMustNotCloseBeginBlock', `${ENDIF}\n`, [ENDIF]],
  ])('%s', (_name, sql, expected) => {
    expect(splitSql(sql)).toEqual(expected);
  });
});
