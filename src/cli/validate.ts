/** `pebbleflow validate PATH...`: one ✓/✘ line per flow file, every problem listed under it. */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { checkFlowFile } from '../flow/loader.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, flag, parse, str, UsageError, type CliIO } from './io.js';
import { configPath, registryFor } from './shared.js';

const CONFIG_NAMES = new Set(['pebbleflow.yaml', 'pebbleflow.yml']);

function flowFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...flowFiles(path));
    else if (/\.ya?ml$/i.test(entry.name) && !CONFIG_NAMES.has(entry.name)) out.push(path);
  }
  return out;
}

export async function validateCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parse('validate', args, { config: { type: 'string', short: 'c' } });
  const positionals = parsed.positionals;
  if (flag(parsed, 'help')) return -1;
  if (positionals.length === 0) throw new UsageError('validate', 'missing the files or folders to check (pebbleflow validate PATH...)');
  const registry = await registryFor(configPath(io, str(parsed, 'config')));
  const s = io.out;
  let failed = 0;
  let checked = 0;
  // A path that is not a regular file, or is over the size cap, is bad input: exit 2 once all are checked.
  let refused = 0;
  const show = (file: string): string => {
    const rel = relative(io.cwd, file);
    return rel.startsWith('..') ? file : rel;
  };
  for (const given of positionals) {
    const path = resolve(io.cwd, given);
    let files: string[];
    try {
      files = statSync(path).isDirectory() ? flowFiles(path) : [path];
    } catch {
      io.stdout.write(`${s.red('✘')} ${given}\n    no such file or folder\n`);
      failed++;
      continue;
    }
    if (files.length === 0) {
      io.stdout.write(`${s.red('✘')} ${given}\n    no *.yml or *.yaml flow files in this folder\n`);
      failed++;
      continue;
    }
    for (const file of files) {
      checked++;
      const { flow, problems } = checkFlowFile(file, show(file), { registry });
      if (flow !== undefined) {
        io.stdout.write(`${s.green('✓')} ${flow.namespace} / ${flow.id}  ${s.dim(show(file))}\n`);
        // Warnings: Kestra accepts the flow, but something in it will likely fail when it runs.
        for (const p of problems) {
          const where = p.line === undefined ? '' : `${p.line}:${p.column ?? 1}`.padEnd(8);
          io.stdout.write(`    ${s.dim(where)}${s.yellow('warning')} ${p.message}\n`);
        }
        continue;
      }
      failed++;
      if (problems.some((p) => p.code === 'NOT_A_FILE' || p.code === 'FILE_TOO_LARGE')) refused++;
      io.stdout.write(`${s.red('✘')} ${show(file)}\n`);
      for (const p of problems) {
        const where = p.line === undefined ? '' : `${p.line}:${p.column ?? 1}`.padEnd(8);
        io.stdout.write(`    ${s.dim(where)}${p.message}\n`);
      }
    }
  }
  if (checked > 1 || failed > 0) io.stdout.write(`${s.dim(`${checked} checked, ${failed} invalid`)}\n`);
  return refused > 0 ? EXIT_USAGE : failed > 0 ? EXIT_FAILED : EXIT_OK;
}
