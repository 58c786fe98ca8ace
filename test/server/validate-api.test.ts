/**
 * Kestra's input-validation endpoints against a real `pebbleflow server` (embedded mode):
 * `POST /executions/{namespace}/{id}/validate` (the Execute form) and
 * `POST /executions/{executionId}/resume/validate` (a paused execution's resume form). Both answer
 * 200 with each input's value, enabled flag and errors, create or resume nothing, and never echo a
 * SECRET. Shapes: Kestra's `ExecutionController.validateInputsOnCreate`/`validateInputsOnResume`,
 * `ApiValidateExecutionInputsResponse` and `FlowInputOutput.validateExecutionInputs`; the
 * create-validate `checks` array is pebbleflow's rendering of Kestra 1.2's flow checks.
 */
import { jest } from '@jest/globals';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getJson, postForm } from './support/client.js';
import { project, startServer, until, type ServerChild } from './support/processes.js';
import type { ApiError, ApiExecution, Paged } from './support/api-types.js';

jest.setTimeout(120_000);

const SECRET_VALUE = 'hunter2-validate-canary';

interface Validated {
  readonly id: string;
  readonly namespace: string;
  readonly inputs: {
    readonly input: { readonly id: string; readonly type: string; readonly [k: string]: unknown };
    readonly value: unknown;
    readonly enabled: boolean;
    readonly errors: { readonly message: string }[];
  }[];
  readonly checks?: { readonly message: string; readonly style: string; readonly behavior: string }[];
}

let server: ServerChild;
let dir: ReturnType<typeof project>;

const flow = (name: string, body: string): void => writeFileSync(join(dir.flows, `${name}.yml`), body);

beforeAll(async () => {
  dir = project();
  flow(
    'form',
    `id: form
namespace: company.team
inputs:
  - id: name
    type: STRING
  - id: count
    type: INT
    defaults: 2
  - id: ratio
    type: FLOAT
    required: false
  - id: mode
    type: SELECT
    values: [simple, advanced]
    defaults: simple
  - id: level
    type: INT
    dependsOn:
      inputs: [mode]
      condition: "{{ inputs.mode == 'advanced' }}"
  - id: token
    type: SECRET
    required: false
    validator: "[a-z0-9-]+"
  - id: doc
    type: FILE
    required: false
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.name }}"
`,
  );
  flow(
    'guarded',
    `id: guarded
namespace: company.team
inputs:
  - id: mode
    type: STRING
checks:
  - message: mode must not be block
    condition: "{{ inputs.mode != 'block' }}"
    style: ERROR
  - message: warn mode is risky
    condition: "{{ inputs.mode != 'warn' }}"
    style: WARNING
    behavior: CREATE_EXECUTION
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: ran {{ inputs.mode }}
`,
  );
  flow(
    'off',
    `id: off
namespace: company.team
disabled: true
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: never
`,
  );
  flow(
    'approval',
    `id: approval
namespace: company.team
tasks:
  - id: wait_for_approval
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOLEAN
      - id: comment
        type: STRING
        required: false
      - id: pin
        type: SECRET
        required: false
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: "approved={{ outputs.wait_for_approval.onResume.approved }}"
`,
  );
  server = await startServer([dir.flows, '--port', '0'], { cwd: dir.dir });
});

afterAll(async () => {
  if (process.env.DEBUG_SERVER !== undefined) process.stderr.write(server?.stderr() ?? '');
  await server?.stop();
  dir?.cleanup();
});

const api = (path: string): string => `${server.url}/api/v1/main${path}`;
const validate = (flowId: string, fields: Record<string, string>, query = ''): Promise<{ status: number; body: Validated }> =>
  postForm<Validated>(api(`/executions/company.team/${flowId}/validate${query}`), fields);
const executionCount = async (flowId: string): Promise<number> =>
  (await getJson<Paged<ApiExecution>>(api(`/executions/search?flowId=${flowId}&size=1000`))).body.total;
/** Each input as `[id, value, enabled, error messages]`. */
const rows = (body: Validated): [string, unknown, boolean, string[]][] =>
  body.inputs.map((i) => [i.input.id, i.value, i.enabled, i.errors.map((e) => e.message)]);

describe('POST /executions/{namespace}/{id}/validate', () => {
  test('valid inputs: typed values, defaults applied, every input enabled, no errors; nothing is created', async () => {
    const before = await executionCount('form');
    const res = await validate('form', { name: 'Ada', ratio: '0.5', mode: 'advanced', level: '3', token: SECRET_VALUE });
    expect(res.status).toBe(200);
    // Kestra's ExecutionControllerTest.shouldValidateInputsForCreateGivenSimpleInputs: id, namespace,
    // a non-empty list of inputs, all enabled.
    expect(res.body.id).toBe('form');
    expect(res.body.namespace).toBe('company.team');
    expect(res.body.inputs.length).toBeGreaterThan(0);
    expect(res.body.inputs.every((i) => i.enabled)).toBe(true);
    expect(rows(res.body)).toEqual([
      ['name', 'Ada', true, []],
      ['count', 2, true, []],
      ['ratio', 0.5, true, []],
      ['mode', 'advanced', true, []],
      ['level', 3, true, []],
      ['token', '******', true, []],
      ['doc', null, true, []],
    ]);
    // `input` is the definition, as Kestra serializes the Input.
    expect(res.body.inputs[1]?.input).toMatchObject({ id: 'count', type: 'INT', defaults: 2, required: true });
    expect(res.body.checks).toEqual([]);
    expect(await executionCount('form')).toBe(before);
  });

  test('a bad INT and a missing required input: 200, errors on those inputs only', async () => {
    const res = await validate('form', { count: 'abc' });
    expect(res.status).toBe(200);
    expect(rows(res.body)).toEqual([
      ['name', null, true, ['Invalid input for `name`, missing required input, but received `null`']],
      ['count', 'abc', true, ['Invalid input for `count`, Expected `INT`, but received `abc`']],
      ['ratio', null, true, []],
      ['mode', 'simple', true, []],
      ['level', null, false, []],
      ['token', null, true, []],
      ['doc', null, true, []],
    ]);
    // The same inputs are refused by create (422): the validate answer is what create would say.
    const created = await postForm<ApiError>(api('/executions/company.team/form'), { count: 'abc' });
    expect(created.status).toBe(422);
    expect(created.body._embedded?.errors.map((e) => e.message)).toEqual(
      res.body.inputs.flatMap((i) => i.errors.map((e) => `inputs.${i.input.id}: ${e.message}`)),
    );
  });

  test('dependsOn: a condition that is not true disables the input (its value kept, no error); when true, it is checked', async () => {
    const off = await validate('form', { name: 'Ada', mode: 'simple', level: 'not a number' });
    expect(rows(off.body).find(([id]) => id === 'level')).toEqual(['level', 'not a number', false, []]);
    const on = await validate('form', { name: 'Ada', mode: 'advanced' });
    expect(rows(on.body).find(([id]) => id === 'level')).toEqual([
      'level',
      null,
      true,
      ['Invalid input for `level`, missing required input, but received `null`'],
    ]);
  });

  test('a SECRET input is never echoed, valid or not', async () => {
    const valid = await validate('form', { name: 'Ada', token: SECRET_VALUE });
    const invalid = await validate('form', { name: 'Ada', token: `${SECRET_VALUE} WITH SPACES` });
    for (const res of [valid, invalid]) {
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toContain('canary');
      expect(res.body.inputs.find((i) => i.input.id === 'token')?.value).toBe('******');
    }
    expect(invalid.body.inputs.find((i) => i.input.id === 'token')?.errors).toEqual([
      { message: 'Invalid input for `token`, it must match the pattern `[a-z0-9-]+`, but received `******`' },
    ]);
  });

  test('a FILE input gets the URI it would have, and is not stored (create stores it there)', async () => {
    const files = (): string[] => {
      const out: string[] = [];
      const walk = (d: string): void => {
        for (const name of readdirSync(d)) {
          const p = join(d, name);
          if (statSync(p).isDirectory()) walk(p);
          else if (name === 'validate-upload.txt') out.push(p);
        }
      };
      walk(dir.dir);
      return out;
    };
    const send = async (path: string): Promise<{ status: number; body: unknown }> => {
      const form = new FormData();
      form.append('name', 'Ada');
      form.append('doc', new Blob(['some content']), 'validate-upload.txt');
      const res = await fetch(api(path), { method: 'POST', body: form });
      return { status: res.status, body: await res.json() };
    };
    const res = (await send('/executions/company.team/form/validate')) as { status: number; body: Validated };
    expect(res.status).toBe(200);
    const doc = res.body.inputs.find((i) => i.input.id === 'doc');
    expect(doc?.errors).toEqual([]);
    expect(doc?.value).toMatch(/^kestra:\/\/\/company\/team\/form\/executions\/\w+\/inputs\/doc\/validate-upload\.txt$/);
    expect(files()).toEqual([]);
    // The walk does find a stored input file: create stores it.
    const created = (await send('/executions/company.team/form?wait=true')) as { status: number; body: ApiExecution };
    expect(created.status).toBe(200);
    expect(files()).toHaveLength(1);
  });

  test('flow checks: the failed ones are listed with message, style and behavior; passing inputs give checks: []', async () => {
    const before = await executionCount('guarded');
    const blocked = await validate('guarded', { mode: 'block' });
    expect(blocked.status).toBe(200);
    expect(rows(blocked.body)).toEqual([['mode', 'block', true, []]]);
    expect(blocked.body.checks).toEqual([{ message: 'mode must not be block', style: 'ERROR', behavior: 'BLOCK_EXECUTION' }]);
    const warned = await validate('guarded', { mode: 'warn' });
    expect(warned.body.checks).toEqual([{ message: 'warn mode is risky', style: 'WARNING', behavior: 'CREATE_EXECUTION' }]);
    const fine = await validate('guarded', { mode: 'ok' });
    expect(fine.body.checks).toEqual([]);
    // With an invalid input the checks are not evaluated (here `inputs.mode` would be undefined,
    // and `undefined != 'block'` would pass or fail for the wrong reason).
    const missing = await validate('guarded', {});
    expect(missing.body.inputs[0]?.errors).toHaveLength(1);
    expect(missing.body.checks).toEqual([]);
    expect(await executionCount('guarded')).toBe(before);
  });

  test('labels and revision are accepted as create takes them', async () => {
    const res = await validate('guarded', { mode: 'ok' }, '?labels=team:data&revision=1');
    expect(res.status).toBe(200);
    expect(res.body.checks).toEqual([]);
    expect((await validate('guarded', { mode: 'ok' }, '?revision=99')).status).toBe(404);
  });

  test('a disabled flow: 409; an unknown flow: 404', async () => {
    expect((await validate('off', {})).status).toBe(409);
    expect((await validate('nope', {})).status).toBe(404);
  });
});

describe('POST /executions/{executionId}/resume/validate', () => {
  const get = async (id: string): Promise<ApiExecution> => (await getJson<ApiExecution>(api(`/executions/${id}`))).body;
  const reaches = (id: string, state: string): Promise<ApiExecution> =>
    until(`${id} to be ${state}`, async () => {
      const e = await get(id);
      return e.state.current === state ? e : undefined;
    });

  test("the paused Pause task's onResume inputs are checked, nothing is resumed; 404 unknown, 409 not paused", async () => {
    const created = await postForm<ApiExecution>(api('/executions/company.team/approval'), {});
    expect(created.status).toBe(200);
    const paused = await reaches(created.body.id, 'PAUSED');

    const missing = await postForm<Validated>(api(`/executions/${paused.id}/resume/validate`), { comment: 'not yet' });
    expect(missing.status).toBe(200);
    expect(missing.body.id).toBe('approval');
    expect(missing.body.namespace).toBe('company.team');
    expect(missing.body.checks).toBeUndefined();
    expect(rows(missing.body)).toEqual([
      ['approved', null, true, ['Invalid input for `approved`, missing required input, but received `null`']],
      ['comment', 'not yet', true, []],
      ['pin', null, true, []],
    ]);

    const ok = await postForm<Validated>(api(`/executions/${paused.id}/resume/validate`), {
      approved: 'true',
      comment: 'lgtm',
      pin: SECRET_VALUE,
    });
    expect(rows(ok.body)).toEqual([
      ['approved', true, true, []],
      ['comment', 'lgtm', true, []],
      ['pin', '******', true, []],
    ]);
    expect(JSON.stringify(ok.body)).not.toContain('canary');
    // Still paused: validating does not resume.
    await new Promise((r) => setTimeout(r, 300));
    expect((await get(paused.id)).state.current).toBe('PAUSED');

    expect((await postForm(api('/executions/doesNotExist1234567890/resume/validate'), {})).status).toBe(404);

    // Once resumed and over, it is not paused any more: 409 (Kestra's getExecutionIfPause, IllegalStateException).
    expect((await postForm(api(`/executions/${paused.id}/resume`), { approved: 'true' })).status).toBe(204);
    await reaches(paused.id, 'SUCCESS');
    const notPaused = await postForm<ApiError>(api(`/executions/${paused.id}/resume/validate`), { approved: 'true' });
    expect(notPaused.status).toBe(409);
    expect(notPaused.body.message).toContain("is not paused, can't resume it");
  });
});
