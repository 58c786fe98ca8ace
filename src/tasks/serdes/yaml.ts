/** `kestra-io/plugin-serdes` YAML converters: `yaml.IonToYaml`, `yaml.YamlToIon`, `yaml.JsonToYaml`, `yaml.YamlToJson`. */
import { encodingFor } from '../../serdes/convert.js';
import { defineTask, type PropertyDefinition, type TaskRunContext } from '../definition.js';
import { convertToSink } from './convert-file.js';

const from: PropertyDefinition = { kind: 'string', required: true, description: 'A kestra:// URI.' };
const charset: PropertyDefinition = { kind: 'string', default: 'UTF-8' };
const outputs = { uri: { kind: 'string' }, size: { kind: 'integer' } } as const;
const yaml = () => import('../../serdes/yaml.js');

const cs = async (ctx: TaskRunContext): Promise<string> => (await ctx.property<string>('charset')) ?? 'UTF-8';

export const ionToYamlTask = defineTask({
  type: 'io.kestra.plugin.serdes.yaml.IonToYaml',
  title: 'Convert an Ion file to YAML (one document per value, `---` between several); outputs uri and size.',
  properties: { from, charset },
  outputs,
  async run(ctx) {
    const { ionToYaml } = await yaml();
    return convertToSink(ctx, '.yaml', encodingFor(await cs(ctx)), (input, sink) => ionToYaml(input, sink));
  },
});

export const yamlToIonTask = defineTask({
  type: 'io.kestra.plugin.serdes.yaml.YamlToIon',
  title: 'Convert a YAML file to Ion (one value per document); outputs uri and size.',
  properties: { from, charset },
  outputs,
  async run(ctx) {
    const { yamlToIon } = await yaml();
    const c = await cs(ctx);
    return convertToSink(ctx, '.ion', 'utf8', (input, sink) => yamlToIon(input, sink, c));
  },
});

export const jsonToYamlTask = defineTask({
  type: 'io.kestra.plugin.serdes.yaml.JsonToYaml',
  title:
    'Convert JSON (one document, an array giving one YAML document per element, or JSON Lines with jsonl) to YAML; outputs uri and size.',
  properties: { from, charset, jsonl: { kind: 'boolean', default: false } },
  outputs,
  async run(ctx) {
    const { jsonToYaml } = await yaml();
    const c = await cs(ctx);
    const jsonl = (await ctx.property<boolean>('jsonl')) ?? false;
    return convertToSink(ctx, '.yaml', encodingFor(c), (input, sink) => jsonToYaml(input, sink, { jsonl, charset: c }));
  },
});

export const yamlToJsonTask = defineTask({
  type: 'io.kestra.plugin.serdes.yaml.YamlToJson',
  title: 'Convert YAML documents to JSON (one document, or JSON Lines with jsonl); outputs uri and size.',
  properties: { from, charset, jsonl: { kind: 'boolean', default: false } },
  outputs,
  async run(ctx) {
    const { yamlToJson } = await yaml();
    const c = await cs(ctx);
    const jsonl = (await ctx.property<boolean>('jsonl')) ?? false;
    return convertToSink(ctx, jsonl ? '.jsonl' : '.json', encodingFor(c), (input, sink) => yamlToJson(input, sink, { jsonl, charset: c }));
  },
});

export const jsonToJsonlTask = defineTask({
  type: 'io.kestra.plugin.serdes.json.JsonToJsonl',
  title: 'Convert a JSON array (or objects one after the other) to JSON Lines, item by item; outputs uri and size.',
  properties: { from, charset },
  outputs,
  async run(ctx) {
    const { jsonToJsonl } = await yaml();
    const c = await cs(ctx);
    return convertToSink(ctx, '.jsonl', encodingFor(c), (input, sink) => jsonToJsonl(input, sink, c));
  },
});

export const YAML_TASKS = [ionToYamlTask, yamlToIonTask, jsonToYamlTask, yamlToJsonTask, jsonToJsonlTask];
