/**
 * One error family: every class extends PebbleflowError, is named after itself, keeps its cause,
 * and serialises to name, code, message and its own fields — never the cause.
 */
import { inspect } from 'node:util';
import { errors } from '../../src/index.js';
import * as subpath from '../../src/errors/index.js';
import { UsageError } from '../../src/cli/io.js';

const canary = 'CANARY-cause-secret-4242';
const cause = Object.assign(new Error(`inner ${canary}`), { headers: { authorization: `Bearer ${canary}` } });

/** One instance of each public class, built as the library builds them. */
const samples: [string, errors.PebbleflowError][] = [
  ['TemplateError', new errors.TemplateError('TYPE_ERROR', 'bad', { cause })],
  ['TemplateSyntaxError', new errors.TemplateSyntaxError('Unexpected token', { line: 1, column: 2 })],
  ['UndefinedVariableError', new errors.UndefinedVariableError('UNDEFINED_VARIABLE', 'missing', 'x')],
  ['FlowValidationError', new errors.FlowValidationError([{ code: 'INVALID_TYPE', message: 'Invalid type: X', path: 'tasks[0].type' }])],
  ['InputValidationError', new errors.InputValidationError([{ inputId: 'n', message: 'Invalid input for `n`' }])],
  [
    'ConfigError',
    new errors.ConfigError('CONFIG_INVALID', [
      { code: 'CONFIG_INVALID', path: 'tenant', expected: 'a tenant id', message: 'expected a tenant id' },
    ]),
  ],
  ['SecretError', new errors.SecretError('SECRET_PROVIDER_ERROR', 'provider failed', { key: 'K', cause })],
  ['SecretNotFoundError', new errors.SecretNotFoundError('K')],
  ['CredentialError', new errors.CredentialError('NETWORK_ERROR', 'cannot reach', { credentialId: 'c', cause })],
  ['TaskError', new errors.TaskError('TIMEOUT', 'Timeout after PT1S', { cause })],
  ['FlowDisabledError', new errors.FlowDisabledError('company.team', 'f')],
  [
    'ExecutionBlockedError',
    new errors.ExecutionBlockedError([{ message: 'Only on weekdays', style: 'ERROR', behavior: 'BLOCK_EXECUTION' }]),
  ],
  ['StorageError', new errors.StorageError('STORAGE_NOT_FOUND', 'File not found: kestra:///a/b/x.txt', { cause })],
  ['KVStoreError', new errors.KVStoreError('KV_INVALID_KEY', 'Key cannot be null or empty')],
  ['DownloadError', new errors.DownloadError('HTTP_ERROR', 'Failed http request to http://127.0.0.1:1/: ECONNREFUSED', { cause })],
  ['SerdesError', new errors.SerdesError('SERDES_BAD_INPUT', 'Invalid JSON on line 2', { cause })],
  ['CronError', new errors.CronError('Failed to parse cron expression. Value 61 not in range [0, 59]')],
  ['ServerStartError', new errors.ServerStartError('SERVER_CONFIG', 'server settings: secret not found', { cause })],
  ['DataFolderBusyError', new errors.DataFolderBusyError('/tmp/data', 4242)],
  [
    'ConcurrencyError',
    new errors.ConcurrencyError('/tmp/data/concurrency/main/ns/f', "Cannot count the flow's concurrency slots", { cause }),
  ],
  ['SecretInputError', new errors.SecretInputError('An encrypted SECRET input is damaged')],
  ['FlowRepositoryError', new errors.FlowRepositoryError('FLOW_NOT_FOUND', 'Flow company.team.f not found')],
  ['PluginError', new errors.PluginError('PLUGIN_LOAD_FAILED', './plugin', 'importing failed', { cause })],
];

describe('the error family', () => {
  test.each(samples)('%s extends PebbleflowError and Error, is named after its class and has a code', (name, error) => {
    expect(error).toBeInstanceOf(errors.PebbleflowError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.constructor.name).toBe(name);
    expect(typeof error.code).toBe('string');
    expect(error.code).toMatch(/^[A-Z][A-Z_]+$/);
    expect(errors.isPebbleflowError(error)).toBe(true);
    expect(String(error)).toMatch(new RegExp(`^${name}: `));
  });

  test.each(samples)('%s serialises to name, code, message and its own fields, never the cause', (name, error) => {
    const json = JSON.parse(JSON.stringify(error)) as Record<string, unknown>;
    expect(json).toMatchObject({ name, code: error.code, message: error.message });
    expect(json).not.toHaveProperty('cause');
    expect(JSON.stringify(error)).not.toContain(canary);
  });

  test('the cause is kept for debugging (Error.cause), sanitised where it may carry secrets', () => {
    expect((samples[0]![1] as Error).cause).toBe(cause);
    const credential = samples.find(([n]) => n === 'CredentialError')![1];
    // A credential error's cause is a sanitised copy: headers and other attached fields are gone.
    expect(credential.cause).not.toBe(cause);
    expect(inspect(credential, { depth: 10 })).not.toContain('authorization');
  });

  test('codes are narrowed per class', () => {
    const notFound = new errors.SecretNotFoundError('K');
    const code: 'SECRET_NOT_FOUND' = notFound.code;
    expect(code).toBe('SECRET_NOT_FOUND');
    expect(new errors.TemplateSyntaxError('x').code).toBe('PARSE_ERROR');
  });

  test('the CLI usage error belongs to the family too', () => {
    const usage = new UsageError('run', 'missing the flow file');
    expect(usage).toBeInstanceOf(errors.PebbleflowError);
    expect(usage.toJSON()).toEqual({ name: 'UsageError', code: 'USAGE', message: 'missing the flow file', command: 'run' });
  });

  test('`pebbleflow/errors` and the `errors` namespace are the same module', () => {
    expect(Object.keys(subpath).sort()).toEqual(Object.keys(errors).sort());
    expect(Object.keys(errors).sort()).toEqual([
      'ConcurrencyError',
      'ConfigError',
      'CredentialError',
      'CronError',
      'DataFolderBusyError',
      'DownloadError',
      'ExecutionBlockedError',
      'ExecutionStateError',
      'ExecutionStoreError',
      'FlowDisabledError',
      'FlowRepositoryError',
      'FlowValidationError',
      'InputValidationError',
      'KVStoreError',
      'LimitExceededError',
      'PebbleflowError',
      'PluginError',
      'SecretError',
      'SecretInputError',
      'SecretNotFoundError',
      'SerdesError',
      'ServerStartError',
      'StorageError',
      'TaskError',
      'TemplateError',
      'TemplateSyntaxError',
      'UndefinedVariableError',
      'isPebbleflowError',
    ]);
  });
});
