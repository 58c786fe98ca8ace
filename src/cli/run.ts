/** `pebbleflow run FLOW.yaml`: loads, runs and streams a flow; `--json` prints the report instead. */
import { relative, resolve } from 'node:path';
import { formatMillis } from '../flow/duration.js';
import { checkFlowFile } from '../flow/loader.js';
import { runFlow } from '../runner/runner.js';
import type { RunEvent, TaskRunReport } from '../runner/types.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, flag, list, parse, str, UsageError, type CliIO } from './io.js';
import { configPath, printProblems, readJsonObject } from './shared.js';
import type { Style } from './style.js';

export async function runCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parse('run', args, {
    input: { type: 'string', short: 'i', multiple: true },
    inputs: { type: 'string' },
    config: { type: 'string', short: 'c' },
    tenant: { type: 'string', short: 't' },
    json: { type: 'boolean' },
  });
  const positionals = parsed.positionals;
  if (flag(parsed, 'help')) return -1;
  if (positionals.length === 0) throw new UsageError('run', 'missing the flow file (pebbleflow run FLOW.yaml)');
  if (positionals.length > 1) throw new UsageError('run', `one flow file at a time, got ${positionals.length}: ${positionals.join(' ')}`);

  const inputsFile = str(parsed, 'inputs');
  const inputs: Record<string, unknown> = inputsFile === undefined ? {} : readJsonObject(io, 'run', '--inputs', inputsFile);
  for (const pair of list(parsed, 'input')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError('run', `--input expects ID=VALUE, got \`${pair}\``);
    inputs[pair.slice(0, eq)] = pair.slice(eq + 1);
  }

  const file = resolve(io.cwd, positionals[0]!);
  const shown = relative(io.cwd, file).startsWith('..') ? file : relative(io.cwd, file);
  const { flow, problems } = checkFlowFile(file, shown);
  if (flow === undefined) {
    printProblems(io, problems);
    return EXIT_USAGE;
  }
  const config = configPath(io, str(parsed, 'config'));
  const printer = flag(parsed, 'json') ? undefined : livePrinter(io);
  if (printer !== undefined) io.stdout.write(`${io.out.bold('▶')} ${io.out.bold(`${flow.namespace}.${flow.id}`)}  ${io.out.dim(shown)}\n`);
  const report = await runFlow(flow, {
    inputs,
    env: io.env,
    ...(config === undefined ? {} : { config }),
    ...(str(parsed, 'tenant') === undefined ? {} : { tenant: str(parsed, 'tenant') }),
    ...(printer === undefined ? {} : { onEvent: printer.onEvent }),
  });
  if (flag(parsed, 'json')) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const s = io.out;
    const counted = report.taskRuns.length;
    const mark = report.state === 'SUCCESS' ? s.green('✔') : report.state === 'WARNING' ? s.yellow('▲') : s.red('✘');
    io.stdout.write(
      `\n${mark} ${stateText(s, report.state)}  ${s.bold(`${report.namespace}.${report.id}`)}  ${s.dim(`execution ${report.executionId} · ${counted} task run${counted === 1 ? '' : 's'} · ${formatMillis(report.durationMs)}`)}\n`,
    );
  }
  return report.state === 'FAILED' ? EXIT_FAILED : EXIT_OK;
}

function stateText(s: Style, state: string): string {
  const padded = state.padEnd(7);
  switch (state) {
    case 'SUCCESS':
      return s.green(padded);
    case 'WARNING':
      return s.yellow(padded);
    case 'FAILED':
      return s.red(padded);
    default:
      return s.dim(padded);
  }
}

const LEVEL_WIDTH = 5;

/** Streams task starts, log lines and task ends as they happen. */
function livePrinter(io: CliIO): { onEvent: (event: RunEvent) => void } {
  const s = io.out;
  const depthOf = new Map<string, number>();
  const indent = (depth: number): string => '  '.repeat(depth + 1);
  const short = (type: string): string => type.slice(type.lastIndexOf('.') + 1);
  return {
    onEvent(event) {
      if (event.type === 'task-start') {
        const t: Readonly<TaskRunReport> = event.taskRun;
        depthOf.set(t.id, t.depth);
        const branch = t.depth === 0 && t.branch !== 'tasks' ? s.dim(` [${t.branch}]`) : '';
        io.stdout.write(`${indent(t.depth)}${s.cyan('▸')} ${s.bold(t.taskId)} ${s.dim(short(t.type))}${branch}\n`);
      } else if (event.type === 'task-end') {
        const t = event.taskRun;
        const mark =
          t.state === 'SUCCESS' ? s.green('✔') : t.state === 'WARNING' ? s.yellow('▲') : t.state === 'FAILED' ? s.red('✘') : s.dim('–');
        const extra = t.attempts > 1 ? s.dim(` · ${t.attempts} attempts`) : '';
        io.stdout.write(
          `${indent(t.depth)}${mark} ${t.taskId} ${stateText(s, t.state)} ${s.dim(formatMillis(t.durationMs ?? 0))}${extra}\n`,
        );
      } else {
        const log = event.log;
        const depth = (log.taskRunId === undefined ? -1 : (depthOf.get(log.taskRunId) ?? 0)) + 1;
        const level = log.level.padEnd(LEVEL_WIDTH);
        const coloured =
          log.level === 'ERROR' ? s.red(level) : log.level === 'WARN' ? s.yellow(level) : log.level === 'INFO' ? level : s.dim(level);
        const lines = log.message.replace(/\n$/, '').split('\n');
        const pad = `${indent(depth)}${' '.repeat(LEVEL_WIDTH + 1)}`;
        io.stdout.write(`${indent(depth)}${coloured} ${lines.join(`\n${pad}`)}\n`);
      }
    },
  };
}
