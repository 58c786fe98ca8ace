/**
 * Error messages of filters and functions never quote a value secret() produced (issue 9): the
 * texts of a failed render that saw sensitive values are cleaned of them, whole, quoted in part,
 * repeated, case-folded or as long fragments; the kind of problem and its position stay. Renders
 * that saw no sensitive value keep Kestra's messages exactly.
 */
import { inspect } from 'node:util';
import { createEngine } from '../../src/index.js';
import { TemplateError } from '../../src/engine/errors.js';

const SECRET = 'Zx9-hunter2-Kq7!long';
const JSONISH = '{"a": tok3n-ABCDEFGHIJ}';
/** Quotes and backslashes every few characters: JSON-escaped, it shares no 8-character run with itself. */
const QUOTY = 'q"7\\x"Lm\\pQ"zR\\';
const TINY = 'k9';
const engine = createEngine({
  env: {
    SECRET_TOKEN: Buffer.from(SECRET).toString('base64'),
    SECRET_JSONISH: Buffer.from(JSONISH).toString('base64'),
    SECRET_QUOTY: Buffer.from(QUOTY).toString('base64'),
    SECRET_TINY: Buffer.from(TINY).toString('base64'),
  },
});

async function failure(template: string, context: Record<string, unknown> = {}): Promise<TemplateError> {
  const result = await engine.render(template, context).then(
    (out) => new Error(`rendered ${JSON.stringify(out)}`),
    (e: unknown) => e,
  );
  if (!(result instanceof TemplateError)) throw result;
  return result;
}

/** Every 6-character piece of `value`: none may appear anywhere in what the error shows. */
function pieces(value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 6 <= value.length; i++) out.push(value.slice(i, i + 6));
  return out;
}

/** The value, its case-folded and encoded forms (as filters produce them). */
function forms(secret: string): string[] {
  const base64 = Buffer.from(secret).toString('base64');
  return [secret, secret.toUpperCase(), secret.toLowerCase(), JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), base64];
}

function expectClean(e: TemplateError, secret: string): void {
  const shown = [
    e.message,
    e.rawMessage,
    JSON.stringify(e),
    JSON.stringify(e.toJSON()),
    e.stack ?? '',
    inspect(e),
    e.formatFrame(),
    String(e.templateName),
  ].join('\n');
  for (const form of forms(secret)) {
    for (const piece of pieces(form)) expect(shown).not.toContain(piece);
  }
  expect(e.cause).toBeUndefined();
}

describe('error texts never quote a sensitive value', () => {
  it.each([
    ['fromJson', "{{ fromJson(secret('TOKEN')) }}", 'Invalid json: Unrecognized token'],
    ['jq on a string', "{{ secret('TOKEN') | jq('.') }}", 'Unable to parse jq value'],
    ['date', "{{ secret('TOKEN') | date }}", 'could not be parsed'],
    ['date on a slice', "{{ secret('TOKEN') | slice(0, 6) | date }}", 'could not be parsed'],
    ['date on the upper-cased value', "{{ secret('TOKEN') | upper | date }}", 'could not be parsed'],
    ['number', "{{ secret('TOKEN') | number }}", 'is not a valid number'],
    ['a for loop over it', "{% for x in secret('TOKEN') %}{% endfor %}", 'Not an iterable object'],
    ['an attribute named by it', "{{ m[secret('TOKEN')] }}", 'Unable to find'],
    ['render() of it', "{{ render(secret('TOKEN') ~ '{{') }}", 'Unexpected end of template'],
    ['a nested render() that reads it', `{{ render("{{ secret('TOKEN') | date }}") }}`, 'could not be parsed'],
    ['date on its base64 form', "{{ secret('TOKEN') | base64encode | date }}", 'could not be parsed'],
    ['date on its URL-encoded form', "{{ secret('TOKEN') | urlencode | date }}", 'could not be parsed'],
    ['dateAdd', "{{ secret('TOKEN') | dateAdd(1, 'DAYS') }}", 'could not be parsed'],
    ['timestampMicro', "{{ secret('TOKEN') | timestampMicro }}", 'could not be parsed'],
    ['jq on a value inside a map', "{{ {'a': secret('TOKEN')} | jq('.a | tonumber') }}", 'Invalid numeric literal'],
    ['a jq error raised with it', "{{ {'a': secret('TOKEN')} | jq('.a | error') }}", 'Failed to resolve JQ expression'],
    ['a jq program made of it', "{{ {'a': 1} | jq(secret('TOKEN')) }}", 'syntax error'],
    ['a regular expression made of it', "{{ 'x' | split(secret('TOKEN') ~ '(') }}", 'Invalid regular expression'],
  ])('%s', async (_name, template, kind) => {
    const e = await failure(template, { m: {} });
    expect(e.message).toContain(kind);
    expect(e.message).toContain('******');
    expect(e.line).toBe(1);
    expectClean(e, SECRET);
  });

  it('also when only a part of the value is quoted (the token a JSON parser stopped at)', async () => {
    for (const template of ["{{ fromJson(secret('JSONISH')) }}", "{{ secret('JSONISH') | jq('.') }}"]) {
      const e = await failure(template);
      expect(e.message).toContain("Unrecognized token '******'");
      expect(e.message).toContain('column: 7');
      expectClean(e, 'tok3n-ABCDEFGHIJ');
    }
  });

  it('also a value full of quotes and backslashes, which jq and JSON show escaped', async () => {
    for (const template of [
      "{{ secret('QUOTY') | date }}",
      "{{ {'a': secret('QUOTY')} | jq('.a | error') }}",
      "{{ {'a': secret('QUOTY')} | jq('.a | tonumber') }}",
      "{{ fromJson('[' ~ secret('QUOTY')) }}",
    ]) {
      const e = await failure(template);
      expect(e.message).toContain('******');
      expectClean(e, QUOTY);
    }
  });

  it('also a value of two characters, quoted or standing alone, without touching the template text', async () => {
    const e = await failure("{{ secret('TINY') | date }}");
    expect(e.rawMessage).toBe("Text '******' could not be parsed: Text '******' could not be parsed at index 0: ******, at index: 0");
    expect(e.templateName).toBe("{{ secret('TINY') | date }}");
    expect(e.message).toContain("({{ secret('TINY') | date }}:1)");
    expect(JSON.stringify(e.toJSON())).not.toMatch(/\bk9\b/);
  });

  it('leaves the literals of the template text alone, even one that is a part of a value', async () => {
    const e = await failure("{{ secret('TOKEN') | number('x') }}");
    expect(e.rawMessage).toBe('****** is not a valid number.');
    expect(e.message).toBe("****** is not a valid number. ({{ secret('TOKEN') | number('x') }}:1)");
  });

  it('keeps Kestra’s message for ordinary values, even in a render that used a secret', async () => {
    const plain = await failure("{{ fromJson('nope') }}");
    expect(plain.rawMessage).toBe(
      "Invalid json: Unrecognized token 'nope': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false') at line: 1, column: 1",
    );
    expect(plain.cause).toBeDefined();
    const mixed = await failure("{% set t = secret('TOKEN') %}{{ fromJson('nope') }}");
    expect(mixed.rawMessage).toBe(plain.rawMessage);
  });
});
