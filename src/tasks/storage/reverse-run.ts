/** Reverse's run, imported on first use (the definition is in reverse.ts). */
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { nodeEncoding } from '../../storage/lines.js';
import { parseStorageUri } from '../../storage/uri.js';
import { TaskError } from '../types.js';
import { requiredProperty, withWorkingDir } from './common.js';
import type { TaskRunContext, TaskResult } from '../definition.js';

export async function runReverse(ctx: TaskRunContext): Promise<TaskResult> {
  const from = (await requiredProperty<string>(ctx, 'from')).trim();
  const separator = (await ctx.property<string>('separator')) ?? '\n';
  const charset = (await ctx.property<string>('charset')) ?? 'UTF-8';
  const encoding = nodeEncoding(charset);
  if (encoding === undefined || encoding === 'utf16le')
    throw new TaskError('INVALID_PROPERTY', `Unsupported charset '${charset}' (UTF-8, ISO-8859-1 and US-ASCII are supported)`);
  const name = parseStorageUri(from).name;
  const extension = name.includes('.') ? name.slice(name.lastIndexOf('.')) : '';
  const input = await ctx.storage.getFile(from);
  return withWorkingDir(ctx, async (wd) => {
    const original = await wd.createTempFile(extension);
    await pipeline(input, createWriteStream(original));
    // Line boundaries as [start, end) byte offsets; LF, CR and CRLF end lines (Java's readLine).
    const handle = await open(original, 'r');
    const reversed = await wd.createTempFile(extension);
    const out = createWriteStream(reversed);
    try {
      const starts: number[] = [];
      const ends: number[] = [];
      const buffer = Buffer.alloc(64 * 1024);
      let position = 0;
      let lineStart = 0;
      let previousCR = false;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) break;
        for (let i = 0; i < bytesRead; i++) {
          const b = buffer[i];
          const at = position + i;
          if (b === 0x0a && previousCR) {
            lineStart = at + 1;
            previousCR = false;
            continue;
          }
          previousCR = false;
          if (b === 0x0a || b === 0x0d) {
            starts.push(lineStart);
            ends.push(at);
            lineStart = at + 1;
            previousCR = b === 0x0d;
          }
        }
        position += bytesRead;
      }
      if (lineStart < position) {
        starts.push(lineStart);
        ends.push(position);
      }
      for (let i = starts.length - 1; i >= 0; i--) {
        const start = starts[i] as number;
        const length = (ends[i] as number) - start;
        const line = Buffer.alloc(length);
        if (length > 0) await handle.read(line, 0, length, start);
        if (!out.write(line.toString(encoding) + separator, encoding)) await once(out, 'drain');
      }
    } finally {
      await handle.close();
      await new Promise<void>((resolve) => out.end(resolve));
    }
    return { outputs: { uri: await ctx.storage.putFile(reversed, undefined, { move: true }) } };
  });
}
