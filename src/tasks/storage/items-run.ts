/** FilterItems' and DeduplicateItems' run, imported on first use (the definitions are in items.ts). */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { isTruthy } from '../coerce.js';
import { isMap } from '../../engine/values.js';
import { javaLines } from '../../storage/lines.js';
import { parseIon } from '../../serdes/ion.js';
import type { TaskRunContext, TaskResult } from '../definition.js';
import { TaskError } from '../types.js';
import { enumProperty, requiredProperty, withWorkingDir } from './common.js';

/** Kestra converts each line to a map: a line that is not an Ion struct cannot be read as an item. */
function itemOf(line: string): Record<string, unknown> {
  const [value] = parseIon(line);
  if (!isMap(value)) throw new TaskError('INVALID_ITEM', `Cannot read the item \`${line.slice(0, 200)}\` as a map of fields`);
  return value;
}

async function writeLine(out: WriteStream, line: string): Promise<void> {
  if (!out.write(`${line}\n`)) await once(out, 'drain');
}

async function endStream(out: WriteStream): Promise<void> {
  await new Promise<void>((resolve) => out.end(resolve));
}

/**
 * Copies the lines `keep` accepts (in order; `index` counts every line read) into a new internal
 * file: its URI, and how many lines were read and dropped.
 */
async function keepLines(
  ctx: TaskRunContext,
  lines: AsyncIterable<string>,
  keep: (line: string, index: number) => Promise<boolean>,
): Promise<{ uri: string; processedItemsTotal: number; droppedItemsTotal: number }> {
  return withWorkingDir(ctx, async (wd) => {
    const file = await wd.createTempFile('.ion');
    const out = createWriteStream(file);
    let processed = 0;
    let dropped = 0;
    try {
      for await (const line of lines) {
        if (await keep(line, processed)) await writeLine(out, line);
        else dropped++;
        processed++;
      }
    } finally {
      await endStream(out);
    }
    const uri = await ctx.storage.putFile(file, undefined, { move: true });
    return { uri, processedItemsTotal: processed, droppedItemsTotal: dropped };
  });
}

export async function runFilterItems(ctx: TaskRunContext): Promise<TaskResult> {
  const from = (await requiredProperty<string>(ctx, 'from')).trim();
  const condition = await requiredProperty<string>(ctx, 'filterCondition');
  const filterType = await enumProperty(ctx, 'filterType', ['INCLUDE', 'EXCLUDE'] as const, 'INCLUDE');
  const onError = await enumProperty(ctx, 'errorOrNullBehavior', ['FAIL', 'INCLUDE', 'EXCLUDE'] as const, 'FAIL');
  const input = await ctx.storage.getFile(from);
  const outputs = await keepLines(ctx, javaLines(input), async (line) => {
    let action = filterType;
    try {
      const match = isTruthy((await ctx.render(condition, itemOf(line))).trim());
      if (!match) action = action === 'INCLUDE' ? 'EXCLUDE' : 'INCLUDE';
    } catch (e) {
      if (onError === 'FAIL') throw e;
      action = onError;
    }
    return action === 'INCLUDE';
  });
  return { outputs };
}

export async function runDeduplicateItems(ctx: TaskRunContext): Promise<TaskResult> {
  const from = (await requiredProperty<string>(ctx, 'from')).trim();
  const expr = await requiredProperty<string>(ctx, 'expr');
  // First pass: the offset of the last item of each key (the file is read twice, not held in memory).
  const last = new Map<string, number>();
  let offset = 0;
  for await (const line of javaLines(await ctx.storage.getFile(from))) last.set(await ctx.render(expr, itemOf(line)), offset++);
  const kept = await keepLines(ctx, javaLines(await ctx.storage.getFile(from)), async (line, index) => {
    return last.get(await ctx.render(expr, itemOf(line))) === index;
  });
  return {
    outputs: {
      uri: kept.uri,
      numKeys: last.size,
      processedItemsTotal: kept.processedItemsTotal,
      droppedItemsTotal: kept.droppedItemsTotal,
    },
  };
}
