/** `pebbleflow plugins`: the task types flows may use — core, the bundled plugin families, the config's plugins. */
import { relative } from 'node:path';
import { pluginRegistry, type LoadedPlugin } from '../plugins/load-plugins.js';
import { BUNDLED_FAMILIES } from '../tasks/bundled.js';
import type { TaskDefinition } from '../tasks/definition.js';
import { defaultTaskRegistry } from '../tasks/registry.js';
import { EXIT_OK, flag, parse, str, UsageError, type CliIO } from './io.js';
import { configPath } from './shared.js';

interface Group {
  readonly name: string;
  readonly kind: 'core' | 'bundled' | 'plugin';
  readonly description?: string;
  readonly version?: string;
  readonly path?: string;
  readonly types: readonly { readonly type: string; readonly aliases: readonly string[] }[];
}

function typesOf(definitions: readonly TaskDefinition[]): Group['types'] {
  return definitions.map((d) => ({ type: d.type, aliases: [...(d.aliases ?? [])] }));
}

export async function pluginsCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parse('plugins', args, {
    config: { type: 'string', short: 'c' },
    json: { type: 'boolean' },
    types: { type: 'boolean' },
  });
  if (flag(parsed, 'help')) return -1;
  if (parsed.positionals.length > 0) throw new UsageError('plugins', `takes no arguments, got ${parsed.positionals.join(' ')}`);
  const config = configPath(io, str(parsed, 'config'));
  const { registry, plugins: loaded } =
    config === undefined ? { registry: defaultTaskRegistry, plugins: [] as LoadedPlugin[] } : await pluginRegistry(config);

  const bundled = new Set(BUNDLED_FAMILIES.flatMap((f) => f.tasks));
  const byType = new Map(registry.list().map((d) => [d.type, d]));
  const groups: Group[] = [
    { name: 'core', kind: 'core', types: typesOf(defaultTaskRegistry.list().filter((d) => !bundled.has(d))) },
    ...BUNDLED_FAMILIES.map((f): Group => ({ name: f.name, kind: 'bundled', description: f.description, types: typesOf(f.tasks) })),
    ...loaded.map((p): Group => ({
      name: p.name,
      kind: 'plugin',
      path: p.path,
      ...(p.version === undefined ? {} : { version: p.version }),
      types: p.types.map((type) => ({ type, aliases: [...(byType.get(type)?.aliases ?? [])] })),
    })),
  ];
  if (flag(parsed, 'json')) {
    io.stdout.write(`${JSON.stringify({ config: config ?? null, groups }, null, 2)}\n`);
    return EXIT_OK;
  }
  const s = io.out;
  for (const group of groups) {
    const where =
      group.path === undefined
        ? ''
        : `  ${s.dim(relative(io.cwd, group.path).startsWith('..') ? group.path : relative(io.cwd, group.path))}`;
    const version = group.version === undefined ? '' : ` ${s.dim(group.version)}`;
    const what = group.description === undefined ? '' : `  ${s.dim(group.description)}`;
    io.stdout.write(
      `${s.bold(group.name)}${version} ${s.dim(`(${group.kind}, ${group.types.length} type${group.types.length === 1 ? '' : 's'})`)}${what}${where}\n`,
    );
    if (flag(parsed, 'types') || group.kind !== 'core')
      for (const t of group.types)
        io.stdout.write(`  ${t.type}${t.aliases.length === 0 ? '' : s.dim(`  (also ${t.aliases.join(', ')})`)}\n`);
  }
  if (config === undefined) io.stdout.write(`${s.dim('No config: add plugins: [package-or-path] to pebbleflow.yaml to load plugins.')}\n`);
  return EXIT_OK;
}
