/**
 * The public API is deliberate: this list changes only on purpose (and then CHANGELOG says so).
 * Internals (the Java value helpers, the masker, the parser…) are reached by relative imports.
 */
import { readFileSync } from 'node:fs';
import * as api from '../src/index.js';

test('the root exports exactly what an embedder needs', () => {
  expect(Object.keys(api).sort()).toEqual([
    'CORE_TASKS',
    'DirectoryFlowRepository',
    'FileConcurrencyLimiter',
    'FileExecutionStore',
    'InProcessConcurrencyLimiter',
    'JDouble',
    'MemoryExecutionStore',
    'MemoryFlowRepository',
    'TaskRegistry',
    'checkFlow',
    'createEngine',
    'createFlowEngine',
    'createTaskRegistry',
    'defaultTaskRegistry',
    'definePlugin',
    'defineTask',
    'errors',
    'flowJsonSchema',
    'importOptional',
    'jqReady',
    'kestraExtension',
    'listTaskTypes',
    'loadConfig',
    'loadFlow',
    'loadPlugins',
    'pluginRegistry',
    'registerTaskType',
    'replayExecution',
    'resolveTaskType',
    'restartExecution',
    'resumeExecution',
    'runExecution',
    'runFlow',
  ]);
});

test('package.json exposes the root and the errors, config, secrets and credentials subpaths, each with types', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    exports: Record<string, { types?: string; default?: string } | string>;
  };
  expect(Object.keys(pkg.exports)).toEqual(['.', './errors', './credentials', './secrets', './config', './package.json']);
  for (const [name, target] of Object.entries(pkg.exports)) {
    if (name === './package.json') continue;
    expect(target).toEqual({ types: expect.stringMatching(/^\.\/dist\/.*\.d\.ts$/), default: expect.stringMatching(/^\.\/dist\/.*\.js$/) });
  }
});
