/**
 * The shape every serdes conversion shares: read the task's `from` file out of the storage,
 * convert it into a working-directory file, store that file, and output its `uri` and `size`
 * (records). The working directory is removed whatever happens, so a failed conversion leaves no
 * half-written file behind.
 */
import { FileSink } from '../../serdes/convert.js';
import type { TaskRunContext } from '../definition.js';
import { requiredProperty, withWorkingDir } from '../storage/common.js';

/** `run` writes the output file itself, returning the number of records. */
export async function convertFile(
  ctx: TaskRunContext,
  extension: string,
  run: (input: AsyncIterable<Uint8Array>, outFile: string) => Promise<number>,
): Promise<{ outputs: Record<string, unknown> }> {
  const source = (await requiredProperty<string>(ctx, 'from')).trim();
  const input = await ctx.storage.getFile(source);
  return withWorkingDir(ctx, async (wd) => {
    const out = await wd.createTempFile(extension);
    const size = await run(input, out);
    return { outputs: { uri: await ctx.storage.putFile(out, undefined, { move: true }), size } };
  });
}

/** `run` writes text through a sink in `encoding`, closed on success and destroyed on failure. */
export function convertToSink(
  ctx: TaskRunContext,
  extension: string,
  encoding: BufferEncoding,
  run: (input: AsyncIterable<Uint8Array>, sink: FileSink) => Promise<number>,
): Promise<{ outputs: Record<string, unknown> }> {
  return convertFile(ctx, extension, async (input, out) => {
    const sink = new FileSink(out, encoding);
    try {
      const size = await run(input, sink);
      await sink.close();
      return size;
    } catch (e) {
      sink.destroy();
      throw e;
    }
  });
}
