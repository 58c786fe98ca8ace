/** `io.kestra.plugin.core.storage.Concat`: one file made of several storage files, with an optional separator. */
import { RunStorage } from '../../storage/run-storage.js';
import { asList } from '../coerce.js';
import { defineTask } from '../definition.js';
import { TaskError } from '../types.js';

export const concatTask = defineTask({
  type: 'io.kestra.plugin.core.storage.Concat',
  aliases: ['io.kestra.core.tasks.storages.Concat'],
  title: 'Concatenate storage files (with an optional separator after each); output `uri`.',
  properties: {
    files: {
      kind: 'any',
      required: true,
      dynamic: false,
      schema: {
        anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }],
        'x-expected': 'a list of kestra:// URIs or a JSON list',
      },
      description: 'kestra:// URIs: a list (each rendered) or an expression giving a JSON list.',
    },
    separator: { kind: 'string', description: 'Written after each file.' },
    extension: { kind: 'string', default: '.tmp' },
  },
  outputs: { uri: { kind: 'string' } },
  async run(ctx) {
    const raw = ctx.task.properties.files;
    let files: string[];
    if (Array.isArray(raw)) files = await Promise.all(raw.map((f) => ctx.render(String(f))));
    else if (typeof raw === 'string') files = asList(await ctx.render(raw), 'files').map(String);
    else throw new TaskError('INVALID_PROPERTY', `Invalid \`files\` properties with type '${raw === null ? 'null' : typeof raw}'`);
    const separator = await ctx.property<string>('separator');
    const extension = (await ctx.property<string>('extension')) ?? '.tmp';
    // Every file is checked before anything is written.
    for (const f of files) ctx.storage.readablePath(f);
    const storage = ctx.storage;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (const f of files) {
        for await (const chunk of await storage.getFile(f)) yield chunk as Uint8Array;
        if (separator !== undefined) yield Buffer.from(separator);
      }
    }
    return { outputs: { uri: await ctx.storage.putData(chunks(), RunStorage.fileName(undefined, extension)) } };
  },
});
