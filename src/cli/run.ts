/**
 * `pebbleflow run FLOW.yaml` and `pebbleflow resume EXECUTION_ID`: run (or continue) an execution,
 * stream its task-run tree and logs (or print the `--json` report), keep it under
 * `.pebbleflow/executions/` so a paused run can be resumed, and stop cleanly on SIGINT/SIGTERM.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { formatMillis } from '../flow/duration.js';
import { checkFlow, checkFlowFile } from '../flow/loader.js';
import { readSourceFile } from '../yaml-check/index.js';
import { DirectoryFlowRepository } from '../flow/repository.js';
import { ExecutionStoreError, FileExecutionStore } from '../runner/store.js';
import { resumeExecution, runExecution, type RunResult } from '../runner/runner.js';
import { FileConcurrencyLimiter } from '../runner/file-concurrency.js';
import type { RunEvent, RunFlowOptions, RunReport, TaskRunReport } from '../runner/types.js';
import type { Flow, TaskNode } from '../flow/model.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, flag, list, parse, str, UsageError, type CliIO, type ParsedArgs } from './io.js';
import { configPath, printProblems, readJsonObject, registryFor } from './shared.js';
import type { Style } from './style.js';

/** Exit codes after a signal, as shells report them (128 + signal number). */
const EXIT_SIGINT = 130;
const EXIT_SIGTERM = 143;

const RUN_OPTIONS = {
  input: { type: 'string', short: 'i', multiple: true },
  inputs: { type: 'string' },
  config: { type: 'string', short: 'c' },
  tenant: { type: 'string', short: 't' },
  flows: { type: 'string' },
  storage: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Where executions are kept: `.pebbleflow/executions/` next to the config, else in the working folder. */
export function executionsDir(io: CliIO, config: string | undefined): string {
  return join(config === undefined ? io.cwd : dirname(config), '.pebbleflow', 'executions');
}

/**
 * Flow `concurrency` slots, in the data folder beside the executions: every run using the folder
 * counts the others, as Kestra's executor counts the executions of a flow.
 */
function concurrencyLimiter(executions: string): FileConcurrencyLimiter {
  return new FileConcurrencyLimiter(join(dirname(executions), 'concurrency'));
}

/** The executions this folder keeps, for tasks that report on one by id (SlackExecution's executionId…). */
function keptExecutions(dir: string): NonNullable<RunFlowOptions['executions']> {
  const read = (executionId: string): ReturnType<typeof FileExecutionStore.read> | undefined => {
    try {
      return FileExecutionStore.read(dir, executionId);
    } catch (e) {
      if (e instanceof ExecutionStoreError) return undefined;
      throw e;
    }
  };
  return {
    find: async (executionId) => read(executionId)?.execution,
    logs: async (executionId) => read(executionId)?.logs,
  };
}

function readInputs(io: CliIO, command: string, parsed: ParsedArgs): Record<string, unknown> {
  const inputsFile = str(parsed, 'inputs');
  const inputs: Record<string, unknown> = inputsFile === undefined ? {} : readJsonObject(io, command, '--inputs', inputsFile);
  for (const pair of list(parsed, 'input')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(command, `--input expects ID=VALUE, got \`${pair}\``);
    inputs[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return inputs;
}

function shownPath(io: CliIO, file: string): string {
  const rel = relative(io.cwd, file);
  return rel.startsWith('..') ? file : rel;
}

export async function runCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parse('run', args, RUN_OPTIONS);
  const positionals = parsed.positionals;
  if (flag(parsed, 'help')) return -1;
  if (positionals.length === 0) throw new UsageError('run', 'missing the flow file (pebbleflow run FLOW.yaml)');
  if (positionals.length > 1) throw new UsageError('run', `one flow file at a time, got ${positionals.length}: ${positionals.join(' ')}`);
  const inputs = readInputs(io, 'run', parsed);

  const file = resolve(io.cwd, positionals[0]!);
  const shown = shownPath(io, file);
  // The stored execution keeps the exact flow it ran, so `resume` continues it even if the file changed.
  let source: string | undefined;
  try {
    // A regular file under the size cap (not /dev/zero nor a FIFO), as every file the CLI reads.
    source = readSourceFile(file);
  } catch {
    source = undefined;
  }
  const config = configPath(io, str(parsed, 'config'));
  // The config's plugins are loaded before the flow is read: their task types are the flow's to use.
  const registry = await registryFor(config);
  const { flow, problems } = source === undefined ? checkFlowFile(file, shown, { registry }) : checkFlow(source, { file: shown, registry });
  if (flow === undefined) {
    printProblems(io, problems);
    return EXIT_USAGE;
  }
  printProblems(io, problems);
  // Kestra ignores a value for an input the flow does not declare; so does the run, but a typo
  // on the command line deserves a word.
  const declared = flow.inputs.map((input) => input.id);
  for (const name of Object.keys(inputs).filter((id) => !declared.includes(id))) {
    const known = declared.length === 0 ? 'the flow declares no inputs' : `the flow declares ${declared.join(', ')}`;
    io.stderr.write(`${io.err.yellow('warning')} input \`${name}\` is ignored: ${known}\n`);
  }
  const flowsDir = resolve(io.cwd, str(parsed, 'flows') ?? dirname(file));
  if (str(parsed, 'flows') !== undefined && !existsSync(flowsDir))
    throw new UsageError('run', `--flows ${str(parsed, 'flows')}: no such folder`);
  const tenant = str(parsed, 'tenant');
  const storage = str(parsed, 'storage') === undefined ? undefined : resolve(io.cwd, str(parsed, 'storage') as string);
  const store = new FileExecutionStore(executionsDir(io, config), {
    meta: {
      flowFile: file,
      flowSource: source,
      flowsDir,
      ...(config === undefined ? {} : { config }),
      ...(tenant === undefined ? {} : { tenant }),
      ...(storage === undefined ? {} : { storage }),
      cwd: io.cwd,
    },
  });
  const json = flag(parsed, 'json');
  if (!json) io.stdout.write(`${io.out.bold('▶')} ${io.out.bold(`${flow.namespace}.${flow.id}`)}  ${io.out.dim(shown)}\n`);
  return execute(io, json, store, flow, (options) =>
    runExecution(flow, {
      ...options,
      inputs,
      env: io.env,
      registry,
      executions: keptExecutions(executionsDir(io, config)),
      concurrencyLimiter: concurrencyLimiter(executionsDir(io, config)),
      flows: new DirectoryFlowRepository(flowsDir, { registry }),
      ...(config === undefined ? {} : { config }),
      ...(tenant === undefined ? {} : { tenant }),
      ...(storage === undefined ? {} : { storage }),
      cwd: io.cwd,
    }),
  );
}

export async function resumeCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parse('resume', args, { ...RUN_OPTIONS });
  const positionals = parsed.positionals;
  if (flag(parsed, 'help')) return -1;
  if (positionals.length !== 1) throw new UsageError('resume', 'expects one execution id (pebbleflow resume EXECUTION_ID)');
  const id = positionals[0]!;
  const inputs = readInputs(io, 'resume', parsed);
  const givenConfig = configPath(io, str(parsed, 'config'));
  const dir = executionsDir(io, givenConfig);
  let stored;
  try {
    stored = FileExecutionStore.read(dir, id);
  } catch (e) {
    if (e instanceof ExecutionStoreError)
      throw new UsageError(
        'resume',
        `${e.message}${e.code === 'EXECUTION_NOT_FOUND' ? ' (run pebbleflow resume from the folder you ran the flow in)' : ''}`,
      );
    throw e;
  }
  const meta = stored.meta;
  const source = typeof meta.flowSource === 'string' ? meta.flowSource : undefined;
  const flowFile = typeof meta.flowFile === 'string' ? meta.flowFile : undefined;
  if (source === undefined) throw new UsageError('resume', `execution ${id} was not stored by pebbleflow run (no flow source)`);
  const config = givenConfig ?? (typeof meta.config === 'string' ? meta.config : undefined);
  const registry = await registryFor(config);
  const { flow, problems } = checkFlow(source, { registry, ...(flowFile === undefined ? {} : { file: shownPath(io, flowFile) }) });
  if (flow === undefined) {
    printProblems(io, problems);
    return EXIT_USAGE;
  }
  const tenant = str(parsed, 'tenant') ?? (typeof meta.tenant === 'string' ? meta.tenant : undefined);
  const flowsDir = str(parsed, 'flows') ?? (typeof meta.flowsDir === 'string' ? meta.flowsDir : undefined);
  // The files of the execution are where the run put them.
  const storage =
    str(parsed, 'storage') !== undefined
      ? resolve(io.cwd, str(parsed, 'storage') as string)
      : typeof meta.storage === 'string'
        ? meta.storage
        : undefined;
  const cwd = typeof meta.cwd === 'string' ? meta.cwd : io.cwd;
  const store = new FileExecutionStore(dir, { meta });
  const json = flag(parsed, 'json');
  if (!json)
    io.stdout.write(`${io.out.bold('▶')} ${io.out.bold(`${flow.namespace}.${flow.id}`)}  ${io.out.dim(`resuming execution ${id}`)}\n`);
  return execute(io, json, store, flow, (options) =>
    resumeExecution(flow, stored.execution, {
      ...options,
      resumeInputs: inputs,
      previousLogs: stored.logs,
      env: io.env,
      registry,
      executions: keptExecutions(dir),
      concurrencyLimiter: concurrencyLimiter(dir),
      ...(flowsDir === undefined ? {} : { flows: new DirectoryFlowRepository(resolve(io.cwd, flowsDir), { registry }) }),
      ...(config === undefined ? {} : { config }),
      ...(tenant === undefined ? {} : { tenant }),
      ...(storage === undefined ? {} : { storage }),
      cwd,
    }),
  );
}

/** Runs with live output (or `--json`), SIGINT/SIGTERM handling, and the closing line; returns the exit code. */
async function execute(
  io: CliIO,
  json: boolean,
  store: FileExecutionStore,
  flow: Flow,
  start: (options: Pick<RunFlowOptions, 'store' | 'signal' | 'onEvent'>) => Promise<RunResult>,
): Promise<number> {
  const controller = new AbortController();
  let signalled: 'SIGINT' | 'SIGTERM' | undefined;
  const unsubscribe = io.signals?.on((name) => {
    if (signalled === undefined) {
      signalled = name;
      if (!json)
        io.stderr.write(`\n${io.err.yellow('■')} ${name}: stopping the run (finally tasks still run); send it again to exit at once\n`);
      controller.abort();
      return;
    }
    // The second signal: keep what we have and leave now.
    store.flushSync();
    io.stderr.write(`${io.err.red('■')} ${name} again: exiting now\n`);
    io.signals?.exit(name === 'SIGINT' ? EXIT_SIGINT : EXIT_SIGTERM);
  });
  const printer = json ? undefined : livePrinter(io);
  let result: RunResult;
  try {
    result = await start({ store, signal: controller.signal, ...(printer === undefined ? {} : { onEvent: printer.onEvent }) });
  } finally {
    unsubscribe?.();
  }
  const report = result.report;
  if (json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    // A CREATE_NEW_EXECUTION retry chain: each retried execution, then the last one's summary.
    for (const earlier of result.retried ?? []) printRetried(io, earlier.report);
    printSummary(io, report, flow);
  }
  if (signalled !== undefined) return signalled === 'SIGINT' ? EXIT_SIGINT : EXIT_SIGTERM;
  switch (report.state) {
    case 'SUCCESS':
    case 'WARNING':
    case 'PAUSED':
      return EXIT_OK;
    default:
      return EXIT_FAILED;
  }
}

function printRetried(io: CliIO, report: RunReport): void {
  const s = io.out;
  io.stdout.write(
    `\n${s.yellow('↻')} ${stateText(s, report.state)}  ${s.bold(`${report.namespace}.${report.id}`)}  ${s.dim(`execution ${report.executionId} · retried in a new execution`)}\n`,
  );
}

function printSummary(io: CliIO, report: RunReport, flow: Flow): void {
  const s = io.out;
  const counted = report.taskRuns.length;
  const mark =
    report.state === 'SUCCESS'
      ? s.green('✔')
      : report.state === 'WARNING'
        ? s.yellow('▲')
        : report.state === 'PAUSED'
          ? s.cyan('⏸')
          : s.red('✘');
  io.stdout.write(
    `\n${mark} ${stateText(s, report.state)}  ${s.bold(`${report.namespace}.${report.id}`)}  ${s.dim(`execution ${report.executionId} · ${counted} task run${counted === 1 ? '' : 's'} · ${formatMillis(report.durationMs)}`)}\n`,
  );
  if (report.state === 'PAUSED') {
    const paused = report.taskRuns.filter((t) => t.state === 'PAUSED').map((t) => t.taskId);
    io.stdout.write(
      `${s.dim(`  paused at ${paused.join(', ')}; the execution is saved. Continue it with:`)}\n    pebbleflow resume ${report.executionId}${pausedHint(flow, report)}\n`,
    );
  }
}

/** `-i NAME=VALUE` for each input a paused task asks for on resume (its `onResume`). */
function pausedHint(flow: Flow, report: RunReport): string {
  const names: string[] = [];
  const paused = new Set(report.taskRuns.filter((t) => t.state === 'PAUSED').map((t) => t.taskId));
  const visit = (nodes: readonly TaskNode[]): void => {
    for (const node of nodes) {
      if (paused.has(node.id) && Array.isArray(node.properties.onResume)) {
        for (const input of node.properties.onResume as { id?: unknown; name?: unknown }[]) names.push(String(input.id ?? input.name));
      }
      visit(Object.values(node.children).flat());
    }
  };
  visit(flow.tasks);
  return names.map((n) => ` -i ${n}=…`).join('');
}

function stateText(s: Style, state: string): string {
  const padded = state.padEnd(7);
  switch (state) {
    case 'SUCCESS':
      return s.green(padded);
    case 'WARNING':
    case 'PAUSED':
      return s.yellow(padded);
    case 'FAILED':
    case 'KILLED':
      return s.red(padded);
    default:
      return s.dim(padded);
  }
}

const LEVEL_WIDTH = 5;

/** Streams the task-run tree as it runs: starts, states, ends (indented under their flowable, loop values shown) and log lines. */
function livePrinter(io: CliIO): { onEvent: (event: RunEvent) => void } {
  const s = io.out;
  const depthOf = new Map<string, number>();
  const indent = (depth: number): string => '  '.repeat(depth + 1);
  const short = (type: string): string => type.slice(type.lastIndexOf('.') + 1);
  const value = (t: Readonly<TaskRunReport>): string => (t.value === undefined ? '' : ` ${s.cyan(`[${t.value}]`)}`);
  return {
    onEvent(event) {
      switch (event.type) {
        case 'task-start': {
          const t = event.taskRun;
          depthOf.set(t.id, t.depth);
          const branch = t.branch !== 'tasks' ? s.dim(` [${t.branch}]`) : '';
          io.stdout.write(`${indent(t.depth)}${s.cyan('▸')} ${s.bold(t.taskId)}${value(t)} ${s.dim(short(t.type))}${branch}\n`);
          break;
        }
        case 'task-state': {
          const t = event.taskRun;
          if (t.state === 'PAUSED' || t.state === 'RETRYING')
            io.stdout.write(`${indent(t.depth)}${s.yellow('…')} ${t.taskId}${value(t)} ${stateText(s, t.state)}\n`);
          break;
        }
        case 'task-end': {
          const t = event.taskRun;
          const mark =
            t.state === 'SUCCESS'
              ? s.green('✔')
              : t.state === 'WARNING'
                ? s.yellow('▲')
                : t.state === 'FAILED' || t.state === 'KILLED'
                  ? s.red('✘')
                  : s.dim('–');
          const extra = t.attempts.length > 1 ? s.dim(` · ${t.attempts.length} attempts`) : '';
          io.stdout.write(
            `${indent(t.depth)}${mark} ${t.taskId}${value(t)} ${stateText(s, t.state)} ${s.dim(formatMillis(t.durationMs ?? 0))}${extra}\n`,
          );
          break;
        }
        case 'log': {
          const log = event.log;
          const depth = (log.taskRunId === undefined ? -1 : (depthOf.get(log.taskRunId) ?? 0)) + 1;
          const level = log.level.padEnd(LEVEL_WIDTH);
          const coloured =
            log.level === 'ERROR' ? s.red(level) : log.level === 'WARN' ? s.yellow(level) : log.level === 'INFO' ? level : s.dim(level);
          const lines = log.message.replace(/\n$/, '').split('\n');
          const pad = `${indent(depth)}${' '.repeat(LEVEL_WIDTH + 1)}`;
          io.stdout.write(`${indent(depth)}${coloured} ${lines.join(`\n${pad}`)}\n`);
          break;
        }
        case 'execution-state':
          break;
      }
    },
  };
}
