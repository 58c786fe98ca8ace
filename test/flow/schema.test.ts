import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { buildFlowJsonSchema, EXPECTED } from '../../src/flow/schema.js';
import { CORE_TASKS } from '../../src/tasks/core.js';

const file = new URL('../../schema/flow.schema.json', import.meta.url);

function editorValidator() {
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  ajv.addKeyword(EXPECTED);
  return ajv.compile(JSON.parse(readFileSync(file, 'utf8')) as object);
}

describe('schema/flow.schema.json', () => {
  test('is generated from the definitions the loader uses (regenerate: npx tsx src/cli/main.ts schema > schema/flow.schema.json)', () => {
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(JSON.stringify(buildFlowJsonSchema(CORE_TASKS))));
  });

  test('accepts a flow using every core type and refuses unknown types and properties', () => {
    const validate = editorValidator();
    const good = parse(`
id: all
namespace: company.team
inputs:
  - { id: n, type: INT, min: 1 }
  - { id: list, type: ARRAY, itemType: STRING }
tasks:
  - { id: log, type: io.kestra.core.tasks.log.Log, message: [a, b], level: WARN }
  - { id: ret, type: io.kestra.plugin.core.debug.Return, format: x }
  - { id: out, type: io.kestra.plugin.core.output.OutputValues, values: { a: 1 } }
  - id: req
    type: io.kestra.plugin.core.http.Request
    uri: http://127.0.0.1/x
    options: { auth: { type: BEARER, token: t }, timeout: { connectTimeout: PT5S }, allowedResponseCodes: [200, 404] }
  - id: if
    type: io.kestra.plugin.core.flow.If
    condition: "{{ true }}"
    then:
      - id: seq
        type: io.kestra.plugin.core.flow.Sequential
        tasks: [{ id: fail, type: io.kestra.plugin.core.execution.Fail, allowFailure: true }]
`);
    expect(validate(good)).toBe(true);
    const bad = parse(`
id: all
namespace: n
tasks:
  - { id: a, type: io.kestra.plugin.core.nope.Nope }
  - { id: b, type: io.kestra.plugin.core.log.Log, message: x, mesage: y }
`);
    expect(validate(bad)).toBe(false);
    const paths = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`);
    expect(paths).toEqual(expect.arrayContaining(['/tasks/0/type enum', '/tasks/1 additionalProperties']));
  });
});
