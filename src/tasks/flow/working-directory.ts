/**
 * `io.kestra.plugin.core.flow.WorkingDirectory`: runs its `tasks` one after the other in one shared
 * folder — namespace files and `inputFiles` are put there first, `outputFiles` are stored after — and
 * removes the folder at the end. Children find the folder through the task services. With `cache`,
 * the files matching its patterns are kept in the storage between executions (working-directory-cache.ts).
 */
import { DURATION_PATTERN, EXPECTED } from '../../flow/schema.js';
import { defineTask } from '../definition.js';

export const workingDirectoryTask = defineTask({
  type: 'io.kestra.plugin.core.flow.WorkingDirectory',
  aliases: ['io.kestra.core.tasks.flows.WorkingDirectory', 'io.kestra.core.tasks.flows.Worker'],
  title: 'Run `tasks` in order in one shared working directory (inputFiles, namespaceFiles, outputFiles).',
  properties: {
    inputFiles: {
      kind: 'any',
      dynamic: false,
      schema: { anyOf: [{ type: 'object' }, { type: 'string' }], 'x-expected': 'a map of file names to contents, or a JSON object' },
      description: 'File name → content (a kestra:// URI is copied from the storage).',
    },
    outputFiles: {
      kind: 'list',
      schema: { type: 'array', items: { type: 'string' } },
      description: 'Globs of files stored when the tasks are done.',
    },
    namespaceFiles: {
      kind: 'any',
      dynamic: false,
      schema: { type: 'object', properties: { enabled: {}, include: {}, exclude: {} } },
      description: 'Copy namespace files into the folder first: { enabled, include, exclude }.',
    },
    cache: {
      kind: 'any',
      dynamic: false,
      schema: {
        type: 'object',
        required: ['patterns'],
        additionalProperties: false,
        properties: {
          patterns: { type: 'array', items: { type: 'string' } },
          ttl: { anyOf: [{ type: 'string', pattern: DURATION_PATTERN }], [EXPECTED]: 'an ISO-8601 duration such as PT1H' },
        },
      },
      description:
        'Keep files between executions: { patterns: [globs], ttl: ISO-8601 duration }. The matching files are zipped into the storage after the tasks and unpacked before them on the next run.',
    },
  },
  outputs: { outputFiles: { kind: 'map' } },
  children: { tasks: { required: true } },
  async run(ctx) {
    return (await import('./working-directory-run.js')).runWorkingDirectory(ctx);
  },
});
