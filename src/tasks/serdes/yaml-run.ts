/** The YAML conversions' run, imported on first use (the definitions are in yaml.ts). */
import { encodingFor } from '../../serdes/convert.js';
import { ionToYaml, jsonToJsonl, jsonToYaml, yamlToIon, yamlToJson } from '../../serdes/yaml.js';
import type { TaskRunContext, TaskResult } from '../definition.js';
import { convertToSink } from './convert-file.js';

const cs = async (ctx: TaskRunContext): Promise<string> => (await ctx.property<string>('charset')) ?? 'UTF-8';

export async function runIonToYaml(ctx: TaskRunContext): Promise<TaskResult> {
  return convertToSink(ctx, '.yaml', encodingFor(await cs(ctx)), (input, sink) => ionToYaml(input, sink));
}

export async function runYamlToIon(ctx: TaskRunContext): Promise<TaskResult> {
  const c = await cs(ctx);
  return convertToSink(ctx, '.ion', 'utf8', (input, sink) => yamlToIon(input, sink, c));
}

export async function runJsonToYaml(ctx: TaskRunContext): Promise<TaskResult> {
  const c = await cs(ctx);
  const jsonl = (await ctx.property<boolean>('jsonl')) ?? false;
  return convertToSink(ctx, '.yaml', encodingFor(c), (input, sink) => jsonToYaml(input, sink, { jsonl, charset: c }));
}

export async function runYamlToJson(ctx: TaskRunContext): Promise<TaskResult> {
  const c = await cs(ctx);
  const jsonl = (await ctx.property<boolean>('jsonl')) ?? false;
  return convertToSink(ctx, jsonl ? '.jsonl' : '.json', encodingFor(c), (input, sink) => yamlToJson(input, sink, { jsonl, charset: c }));
}

export async function runJsonToJsonl(ctx: TaskRunContext): Promise<TaskResult> {
  const c = await cs(ctx);
  return convertToSink(ctx, '.jsonl', encodingFor(c), (input, sink) => jsonToJsonl(input, sink, c));
}
