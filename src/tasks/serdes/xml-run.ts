/** The XML conversions' run, imported on first use (the definitions are in xml.ts). */
import { encodingFor } from '../../serdes/convert.js';
import { ionToXml, xmlToIon, type SaxesModule } from '../../serdes/xml.js';
import type { TaskRunContext, TaskResult } from '../definition.js';
import { importOptional } from '../optional.js';
import { TaskError } from '../types.js';
import { convertToSink } from './convert-file.js';

export async function runXmlToIon(ctx: TaskRunContext): Promise<TaskResult> {
  const saxes = await importOptional<SaxesModule>('saxes', ctx.task.type);
  const cs = (await ctx.property<string>('charset')) ?? 'UTF-8';
  const query = (await ctx.property<string>('query')) ?? undefined;
  const config = (await ctx.property<Record<string, unknown>>('parserConfiguration')) ?? {};
  const force = config['forceList'];
  if (force !== undefined && force !== null && !Array.isArray(force))
    throw new TaskError('INVALID_PROPERTY', 'Invalid value for `parserConfiguration.forceList`: expected a list of tag names');
  const forceList = Array.isArray(force) ? force.map((x) => String(x)) : [];
  return convertToSink(ctx, '.ion', 'utf8', (input, sink) =>
    xmlToIon(saxes, input, sink, { charset: cs, ...(query !== undefined ? { query } : {}), forceList }),
  );
}

export async function runIonToXml(ctx: TaskRunContext): Promise<TaskResult> {
  const cs = (await ctx.property<string>('charset')) ?? 'UTF-8';
  const rootName = (await ctx.property<string>('rootName')) ?? 'items';
  const timeZoneId = (await ctx.property<string>('timeZoneId')) ?? undefined;
  return convertToSink(ctx, '.xml', encodingFor(cs), (input, sink) =>
    ionToXml(input, sink, { rootName, ...(timeZoneId !== undefined ? { timeZoneId } : {}) }),
  );
}
