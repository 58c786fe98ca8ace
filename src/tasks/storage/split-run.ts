/** Split's run, imported on first use (the definition is in split.ts). */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseStorageUri } from '../../storage/uri.js';
import { javaLines } from '../../storage/lines.js';
import { TaskError } from '../types.js';
import { requiredProperty, withWorkingDir } from './common.js';
import type { TaskRunContext, TaskResult } from '../definition.js';

const UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** Micronaut's readable bytes: `10MB`, `200KB`, or a number of bytes. */
export function parseBytes(text: string): number {
  const m = /^\s*(\d+)\s*([KMGT]?B)?\s*$/i.exec(text);
  if (m === null) throw new TaskError('INVALID_PROPERTY', `Invalid size with value '${text}'`);
  return Number(m[1]) * (UNITS[(m[2] ?? 'B').toUpperCase()] ?? 1);
}

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function close(stream: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.end(resolve);
  });
}

export async function runSplit(ctx: TaskRunContext): Promise<TaskResult> {
  const from = (await requiredProperty<string>(ctx, 'from')).trim();
  const bytes = await ctx.property<string>('bytes');
  const partitions = await ctx.property<number>('partitions');
  const rows = await ctx.property<number>('rows');
  const separator = (await ctx.property<string>('separator')) ?? '\n';
  const uris = await splitStorageFile(ctx, from, {
    ...(bytes === undefined ? {} : { bytes }),
    ...(partitions === undefined ? {} : { partitions }),
    ...(rows === undefined ? {} : { rows }),
    separator,
  });
  return { outputs: { uris } };
}

/** How to cut a file (Kestra's `StorageSplitInterface`): the first of `bytes`, `partitions`, `rows` that is set. */
export interface SplitOptions {
  readonly bytes?: string;
  readonly partitions?: number;
  readonly rows?: number;
  /** Written after each row. */
  readonly separator: string;
}

/**
 * Kestra's `StorageService.split`: reads `from` line by line (any line end; `separator` is written
 * after each row, the last one too) into parts closed once they hold `bytes` bytes (a row is never cut), into
 * `partitions` parts dealt round-robin (empty ones dropped), or into parts of `rows` rows; the parts
 * keep the source's extension (`.tmp` without one) and are stored under the task run. An empty file
 * gives no part.
 */
export async function splitStorageFile(ctx: TaskRunContext, from: string, options: SplitOptions): Promise<string[]> {
  const { bytes, partitions, rows, separator } = options;
  const path = parseStorageUri(from).toString();
  const extension = path.includes('.') ? path.slice(path.lastIndexOf('.')) : '.tmp';
  const input = await ctx.storage.getFile(from);
  return withWorkingDir(ctx, async (wd) => {
    const files: string[] = [];
    const newPart = async (): Promise<WriteStream> => {
      const file = await wd.createTempFile(extension);
      files.push(file);
      return createWriteStream(file);
    };
    if (bytes !== undefined || (partitions === undefined && rows !== undefined)) {
      const limit = bytes !== undefined ? parseBytes(bytes) : rows;
      if (limit === undefined || limit <= 0)
        throw new TaskError('INVALID_PROPERTY', `Invalid value for \`${bytes !== undefined ? 'bytes' : 'rows'}\`: it must be more than 0`);
      let out: WriteStream | undefined;
      let size = 0;
      let count = 0;
      for await (const line of javaLines(input)) {
        const full = (bytes !== undefined ? size : count) >= limit;
        if (out === undefined || full) {
          if (out !== undefined) await close(out);
          out = await newPart();
          size = 0;
          count = 0;
        }
        const text = line + separator;
        await write(out, text);
        size += Buffer.byteLength(text);
        count++;
      }
      if (out !== undefined) await close(out);
    } else if (partitions !== undefined) {
      if (partitions <= 0) throw new TaskError('INVALID_PROPERTY', 'Invalid value for `partitions`: it must be more than 0');
      const outs: WriteStream[] = [];
      const used = new Set<number>();
      for (let i = 0; i < partitions; i++) outs.push(await newPart());
      let index = 0;
      for await (const line of javaLines(input)) {
        await write(outs[index] as WriteStream, line + separator);
        used.add(index);
        index = index >= outs.length - 1 ? 0 : index + 1;
      }
      for (const o of outs) await close(o);
      const kept = files.filter((_, i) => used.has(i));
      files.splice(0, files.length, ...kept);
    } else {
      throw new TaskError('INVALID_PROPERTY', 'Invalid configuration with no size, count, nor rows');
    }
    const uris: string[] = [];
    for (const file of files) uris.push(await ctx.storage.putFile(file, undefined, { move: true }));
    return uris;
  });
}
