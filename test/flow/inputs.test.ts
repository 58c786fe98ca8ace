import { JDouble } from '../../src/engine/values.js';
import { InputValidationError } from '../../src/flow/errors.js';
import { reportInputs, resolveInputs } from '../../src/flow/inputs.js';
import { Masker } from '../../src/masking/masker.js';
import type { InputDefinition } from '../../src/flow/model.js';

const def = (d: Partial<InputDefinition> & Pick<InputDefinition, 'id' | 'type'>): InputDefinition => ({ required: true, ...d });

async function messages(defs: InputDefinition[], provided: Record<string, unknown>): Promise<string[]> {
  try {
    await resolveInputs(defs, provided);
  } catch (e) {
    expect(e).toBeInstanceOf(InputValidationError);
    return (e as InputValidationError).problems.map((p) => p.message);
  }
  throw new Error('expected an InputValidationError');
}

describe('resolveInputs', () => {
  test('coerces every type from strings', async () => {
    const { values } = await resolveInputs(
      [
        def({ id: 's', type: 'STRING' }),
        def({ id: 'i', type: 'INT' }),
        def({ id: 'f', type: 'FLOAT' }),
        def({ id: 'b', type: 'BOOLEAN' }),
        def({ id: 'dt', type: 'DATETIME' }),
        def({ id: 'd', type: 'DATE' }),
        def({ id: 't', type: 'TIME' }),
        def({ id: 'du', type: 'DURATION' }),
        def({ id: 'j', type: 'JSON' }),
        def({ id: 'y', type: 'YAML' }),
        def({ id: 'u', type: 'URI' }),
        def({ id: 'e', type: 'EMAIL' }),
        def({ id: 'sel', type: 'SELECT', values: ['a', 'b'] }),
        def({ id: 'ms', type: 'MULTISELECT', values: ['a', 'b'] }),
        def({ id: 'arr', type: 'ARRAY', itemType: 'INT' }),
        def({ id: 'nested.x', type: 'STRING' }),
      ],
      {
        s: 'hello',
        i: '42',
        f: '2',
        b: 'TRUE',
        dt: '2042-04-02T06:20:42+02:00',
        d: '2042-04-02',
        t: '04:20:42',
        du: 'P1DT5M',
        j: '{"a":[1,2]}',
        y: 'a: [1, 2]',
        u: 'https://kestra.io/docs',
        e: 'me@example.com',
        sel: 'b',
        ms: '["a"]',
        arr: '[1, "2"]',
        'nested.x': 'n',
      },
    );
    expect(values).toEqual({
      s: 'hello',
      i: 42,
      f: new JDouble(2),
      b: true,
      dt: '2042-04-02T04:20:42Z',
      d: '2042-04-02',
      t: '04:20:42',
      du: 'PT24H5M',
      j: { a: [1, 2] },
      y: { a: [1, 2] },
      u: 'https://kestra.io/docs',
      e: 'me@example.com',
      sel: 'b',
      ms: ['a'],
      arr: [1, 2],
      nested: { x: 'n' },
    });
  });

  test("Kestra's error texts, every bad input at once", async () => {
    expect(
      await messages(
        [
          def({ id: 'missing', type: 'STRING' }),
          def({ id: 'code', type: 'STRING', validator: '[A-Z]{3}' }),
          def({ id: 'n', type: 'INT', min: 1, max: 10 }),
          def({ id: 'm', type: 'INT', min: 1, max: 10 }),
          def({ id: 'day', type: 'DATE', after: '2020-01-01' }),
          def({ id: 'u', type: 'URI' }),
          def({ id: 'sel', type: 'SELECT', values: ['a', 'b'] }),
          def({ id: 'arr', type: 'ARRAY', itemType: 'INT' }),
          def({ id: 'x', type: 'INT' }),
        ],
        { code: 'ABCD', n: '0', m: '11', day: '2020-01-01', u: 'not a uri', sel: 'c', arr: '[1,"z"]', x: 'abc', typo: '1' },
      ),
    ).toEqual([
      'Invalid input for `missing`, missing required input, but received `null`',
      'Invalid input for `code`, it must match the pattern `[A-Z]{3}`, but received `ABCD`',
      'Invalid input for `n`, it must be more than `1`, but received `0`',
      'Invalid input for `m`, it must be less than `10`, but received `11`',
      'Invalid input for `day`, it must be after `2020-01-01`, but received `2020-01-01`',
      'Invalid input for `u`, Expected `URI`, but received `not a uri`',
      'Invalid input for `sel`, it must match the values `[a, b]`, but received `c`',
      'Invalid input for `arr`, Unable to parse array element as `INT` on `z`, but received `[1,"z"]`',
      'Invalid input for `x`, Expected `INT`, but received `abc`',
    ]);
  });

  // FlowInputOutput (develop @58c1ca2d): `Boolean.valueOf((String) current)`.
  test('BOOLEAN reads text as Kestra does: `true` in any case is true, any other text false', async () => {
    const flag = [def({ id: 'flag', type: 'BOOLEAN' })];
    const read = async (raw: unknown): Promise<unknown> => (await resolveInputs(flag, { flag: raw })).values['flag'];
    expect(await read('TRUE')).toBe(true);
    expect(await read('True')).toBe(true);
    expect(await read('yes')).toBe(false);
    expect(await read(' true')).toBe(false);
    expect(await read('False')).toBe(false);
    expect(await read(true)).toBe(true);
    expect(await messages(flag, { flag: 1 })).toEqual([
      'Invalid input for `flag`, class java.lang.Integer cannot be cast to class java.lang.String, but received `1`',
    ]);
  });

  test('a value for an input the flow does not declare is ignored, as Kestra ignores it', async () => {
    const resolved = await resolveInputs([def({ id: 'name', type: 'STRING' })], { name: 'x', typo: '1' });
    expect(resolved.values).toEqual({ name: 'x' });
    expect(resolved.ignored).toEqual(['typo']);
  });

  test('defaults go through the same parsing; optional inputs without a value are null', async () => {
    const { values } = await resolveInputs(
      [def({ id: 'n', type: 'INT', defaults: '7' }), def({ id: 'o', type: 'STRING', required: false })],
      {},
    );
    expect(values).toEqual({ n: 7, o: null });
  });

  test('SECRET values are returned for masking and never shown in errors', async () => {
    const ok = await resolveInputs([def({ id: 'pw', type: 'SECRET' })], { pw: 'hunter2-canary' });
    expect(ok.sensitive).toEqual(['hunter2-canary']);
    const msgs = await messages([def({ id: 'pw', type: 'SECRET', validator: '\\d+' })], { pw: 'hunter2-canary' });
    expect(msgs).toEqual(['Invalid input for `pw`, it must match the pattern `\\d+`, but received `******`']);
  });

  test('dependsOn.condition is rendered and disables the input when not true', async () => {
    const render = async (template: string, inputs: Record<string, unknown>): Promise<string> =>
      template === "{{ inputs.mode == 'advanced' }}" ? String(inputs.mode === 'advanced') : 'error';
    const defs = [
      def({ id: 'mode', type: 'STRING' }),
      def({ id: 'level', type: 'INT', dependsOn: { inputs: ['mode'], condition: "{{ inputs.mode == 'advanced' }}" } }),
    ];
    expect((await resolveInputs(defs, { mode: 'simple' }, { render })).values).toEqual({ mode: 'simple' });
    expect((await resolveInputs(defs, { mode: 'advanced', level: '3' }, { render })).values).toEqual({ mode: 'advanced', level: 3 });
    await expect(resolveInputs(defs, { mode: 'advanced' }, { render })).rejects.toThrow(
      'Invalid input for `level`, missing required input',
    );
  });
});

describe('resolveInputs: SELECT expression, prefill, autoSelectFirst', () => {
  const render = async (template: string): Promise<string> =>
    template === "{{ ['eu', 'us'] }}" ? '["eu","us"]' : template === 'bad' ? 'eu' : 'unexpected';

  test('the choices of a SELECT can come from an expression', async () => {
    const defs = [def({ id: 'region', type: 'SELECT', expression: "{{ ['eu', 'us'] }}" })];
    // With the run's masker, which knows what is sensitive, the rendered choices can be quoted.
    const masker = new Masker();
    expect((await resolveInputs(defs, { region: 'us' }, { render, masker })).values).toEqual({ region: 'us' });
    await expect(resolveInputs(defs, { region: 'ap' }, { render, masker })).rejects.toThrow(
      'Invalid input for `region`, it must match the values `[eu, us]`, but received `ap`',
    );
    await expect(resolveInputs([def({ id: 'r', type: 'SELECT', expression: 'bad' })], { r: 'eu' }, { render, masker })).rejects.toThrow(
      'Invalid input for `r`, its expression must give a list of values, but received `eu`',
    );
  });

  test('prefill stands in for a missing value, and autoSelectFirst picks the first choice', async () => {
    const defs = [
      def({ id: 'p', type: 'INT', prefill: '5' }),
      def({ id: 's', type: 'SELECT', values: ['a', 'b'], autoSelectFirst: true }),
      def({ id: 'm', type: 'MULTISELECT', values: ['x', 'y'], autoSelectFirst: true }),
    ];
    expect((await resolveInputs(defs, {})).values).toEqual({ p: 5, s: 'a', m: ['x'] });
  });
});

describe('JSON and YAML inputs keep Java number types', () => {
  test('2.0 stays a double and big integers stay exact, as Jackson reads them', async () => {
    const { values } = await resolveInputs([def({ id: 'j', type: 'JSON' }), def({ id: 'y', type: 'YAML' })], {
      j: '{"d": 2.0, "big": 12345678901234567890123, "l": 3000000000}',
      y: 'd: 2.0\nflag: yes\n',
    });
    const { createEngine } = await import('../../src/index.js');
    const out = await createEngine().render(
      '{{ inputs.j.d }} {{ inputs.j.big }} {{ inputs.j.l + 1 }} {{ inputs.y.d }} {{ inputs.y.flag }}',
      { inputs: values },
    );
    expect(out).toBe('2.0 12345678901234567890123 3000000001 2.0 true');
  });
});

describe('input errors never show a sensitive value', () => {
  const canary = 'sel3ct-CANARY-0a1b2c3d';

  test('a SELECT whose expression renders a secret: the run refuses the input without quoting it, in any form', async () => {
    const { parseFlow } = await import('../../src/flow/loader.js');
    const { runFlow } = await import('../../src/runner/runner.js');
    const flow = parseFlow(`id: leak
namespace: company.team
inputs:
  - id: choice
    type: SELECT
    expression: "{{ [secret('CHOICES'), 'other'] }}"
tasks:
  - { id: log, type: io.kestra.plugin.core.log.Log, message: "{{ inputs.choice }}" }
`);
    const config = { secrets: [{ type: 'memory', values: { CHOICES: canary } }] };
    const error = await runFlow(flow, { inputs: { choice: 'nope' }, config, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputValidationError);
    const { errorTexts } = await import('../support/leaks.js');
    const forms = [canary, canary.toUpperCase(), canary.slice(3, 15), Buffer.from(canary).toString('base64')];
    for (const text of errorTexts(error)) for (const form of forms) expect(text).not.toContain(form);
    expect((error as InputValidationError).message).toBe(
      'Invalid input for `choice`, it must match the values `[******, other]`, but received `nope`',
    );
  });

  test('an expression that fails on a secret (a filter quoting its operand) is an input problem, masked', async () => {
    const { parseFlow } = await import('../../src/flow/loader.js');
    const { runFlow } = await import('../../src/runner/runner.js');
    const flow = parseFlow(`id: leak
namespace: company.team
inputs:
  - id: when
    type: SELECT
    expression: "{{ [secret('CHOICES') | date] }}"
tasks:
  - { id: log, type: io.kestra.plugin.core.log.Log, message: hi }
`);
    const config = { secrets: [{ type: 'memory', values: { CHOICES: canary } }] };
    const error = await runFlow(flow, { inputs: { when: 'x' }, config, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputValidationError);
    expect((error as InputValidationError).message).toMatch(
      /^Invalid input for `when`, its expression failed: Text '\*{6}' could not be parsed/,
    );
    const { errorTexts } = await import('../support/leaks.js');
    for (const text of errorTexts(error)) expect(text).not.toContain(canary.slice(2, 12));
  });

  test('without the run’s masker, a failed expression shows only the kind of error', async () => {
    const render = async (): Promise<string> => {
      throw Object.assign(new Error(`cannot parse ${canary}`), { code: 'FUNCTION_ERROR' });
    };
    const msgs = await resolveInputs([def({ id: 's', type: 'SELECT', expression: '{{ x }}' })], { s: 'a' }, { render }).catch(
      (e: InputValidationError) => e.problems.map((p) => p.message),
    );
    expect(msgs).toEqual(['Invalid input for `s`, its expression failed: Error FUNCTION_ERROR (the message is not shown)']);
  });

  test('without the run’s masker, what an expression rendered is not quoted at all', async () => {
    const render = async (): Promise<string> => JSON.stringify([canary]);
    const msgs = await resolveInputs([def({ id: 's', type: 'SELECT', expression: '{{ x }}' })], { s: 'nope' }, { render }).catch(
      (e: InputValidationError) => e.problems.map((p) => p.message),
    );
    expect(msgs).toEqual(['Invalid input for `s`, it must match the values `[******]`, but received `nope`']);
  });

  test('a SECRET input is masked in the messages of the inputs that depend on it', async () => {
    const masker = new Masker();
    const render = async (_template: string, inputs: Record<string, unknown>): Promise<string> => JSON.stringify([inputs.pw]);
    const defs = [
      def({ id: 'pw', type: 'SECRET' }),
      def({ id: 's', type: 'SELECT', expression: '{{ [inputs.pw] }}', dependsOn: { inputs: ['pw'] } }),
    ];
    const msgs = await resolveInputs(defs, { pw: canary, s: 'nope' }, { render, masker }).catch((e: InputValidationError) =>
      e.problems.map((p) => p.message),
    );
    expect(msgs).toEqual(['Invalid input for `s`, it must match the values `[******]`, but received `nope`']);
  });
});

/** Kestra's FlowInputOutputTest (core/src/test/java/io/kestra/core/runners/FlowInputOutputTest.java), on `reportInputs`. */
describe('reportInputs', () => {
  // A stand-in for the template engine: `{{ inputs.X equals 'V' }}` only.
  const render = async (template: string, inputs: Record<string, unknown>): Promise<string> => {
    const m = /^\{\{ inputs\.(\w+) equals '([^']*)' \}\}$/.exec(template);
    if (m === null) throw new Error(`unexpected template ${template}`);
    if (!Object.hasOwn(inputs, m[1]!)) throw new Error(`Missing variable: '${m[1]!}'`);
    return String(inputs[m[1]!] === m[2]);
  };
  const brief = (r: Awaited<ReturnType<typeof reportInputs>>): unknown[] =>
    r.inputs.map((i) => ({ id: i.definition.id, value: i.value, enabled: i.enabled, errors: i.errors }));
  const str = (id: string, dependsOn?: InputDefinition['dependsOn']): InputDefinition =>
    def({ id, type: 'STRING', required: false, ...(dependsOn === undefined ? {} : { dependsOn }) });

  test('shouldResolveEnabledInputsGivenInputWithConditionalInputTrue: a chain of enabled inputs', async () => {
    const defs = [
      str('input1'),
      str('input2', { inputs: ['input1'], condition: "{{ inputs.input1 equals 'v1' }}" }),
      str('input3', { inputs: ['input2'] }),
    ];
    const report = await reportInputs(defs, { input1: 'v1', input2: 'v2', input3: 'v3' }, { render });
    expect(brief(report)).toEqual([
      { id: 'input1', value: 'v1', enabled: true, errors: [] },
      { id: 'input2', value: 'v2', enabled: true, errors: [] },
      { id: 'input3', value: 'v3', enabled: true, errors: [] },
    ]);
  });

  test('shouldResolveDisabledInputsGivenInputWithConditionalInputFalse: an input depending on a disabled one is disabled', async () => {
    const defs = [
      str('input1'),
      str('input2', { inputs: ['input1'], condition: "{{ inputs.input1 equals '???' }}" }),
      str('input3', { inputs: ['input2'] }),
    ];
    const report = await reportInputs(defs, { input1: 'v1', input2: 'v2', input3: 'v3' }, { render });
    // Disabled inputs keep the value they were given, as Kestra's InputAndValue does.
    expect(brief(report)).toEqual([
      { id: 'input1', value: 'v1', enabled: true, errors: [] },
      { id: 'input2', value: 'v2', enabled: false, errors: [] },
      { id: 'input3', value: 'v3', enabled: false, errors: [] },
    ]);
    // …and they are not among the execution's inputs.
    expect(report.values).toEqual({ input1: 'v1' });
    expect((await resolveInputs(defs, { input1: 'v1', input3: 'v3' }, { render })).values).toEqual({ input1: 'v1' });
  });

  test('shouldResolveDisabledInputsGivenInputWithErroneousConditionalExpression: disabled, with an error', async () => {
    const defs = [str('input1'), str('input2', { inputs: ['input1'], condition: "{{ inputs.dummy equals 'dummy' }}" })];
    const report = await reportInputs(defs, { input1: 'value1', input2: 'value2' }, { render, masker: new Masker() });
    expect(report.inputs).toHaveLength(2);
    expect(report.inputs[1]?.enabled).toBe(false);
    expect(report.inputs[1]?.errors).toEqual(["Invalid input for `input2`, its condition failed: Missing variable: 'dummy'"]);
  });

  test('each input carries its own errors, in declared order; resolveInputs throws the same problems', async () => {
    const defs = [def({ id: 'n', type: 'INT' }), def({ id: 'req', type: 'STRING' }), def({ id: 'd', type: 'STRING', defaults: 'x' })];
    const report = await reportInputs(defs, { n: 'abc' });
    expect(brief(report)).toEqual([
      { id: 'n', value: 'abc', enabled: true, errors: ['Invalid input for `n`, Expected `INT`, but received `abc`'] },
      { id: 'req', value: null, enabled: true, errors: ['Invalid input for `req`, missing required input, but received `null`'] },
      { id: 'd', value: 'x', enabled: true, errors: [] },
    ]);
    await expect(resolveInputs(defs, { n: 'abc' })).rejects.toMatchObject({ problems: report.problems });
  });
});
