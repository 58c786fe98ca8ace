/** `kestra-io/plugin-serdes` YAML converters: `yaml.IonToYaml`, `yaml.YamlToIon`, `yaml.JsonToYaml`, `yaml.YamlToJson`; the conversion code (yaml-run.ts) is imported on first use. */
import { defineTask, type PropertyDefinition } from '../definition.js';

const from: PropertyDefinition = { kind: 'string', required: true, description: 'A kestra:// URI.' };
const charset: PropertyDefinition = { kind: 'string', default: 'UTF-8' };
const outputs = { uri: { kind: 'string' }, size: { kind: 'integer' } } as const;

export const ionToYamlTask = defineTask({
  type: 'io.kestra.plugin.serdes.yaml.IonToYaml',
  title: 'Convert an Ion file to YAML (one document per value, `---` between several); outputs uri and size.',
  properties: { from, charset },
  outputs,
  async run(ctx) {
    return (await import('./yaml-run.js')).runIonToYaml(ctx);
  },
});

export const yamlToIonTask = defineTask({
  type: 'io.kestra.plugin.serdes.yaml.YamlToIon',
  title: 'Convert a YAML file to Ion (one value per document); outputs uri and size.',
  properties: { from, charset },
  outputs,
  async run(ctx) {
    return (await import('./yaml-run.js')).runYamlToIon(ctx);
  },
});

export const jsonToYamlTask = defineTask({
  type: 'io.kestra.plugin.serdes.yaml.JsonToYaml',
  title:
    'Convert JSON (one document, an array giving one YAML document per element, or JSON Lines with jsonl) to YAML; outputs uri and size.',
  properties: { from, charset, jsonl: { kind: 'boolean', default: false } },
  outputs,
  async run(ctx) {
    return (await import('./yaml-run.js')).runJsonToYaml(ctx);
  },
});

export const yamlToJsonTask = defineTask({
  type: 'io.kestra.plugin.serdes.yaml.YamlToJson',
  title: 'Convert YAML documents to JSON (one document, or JSON Lines with jsonl); outputs uri and size.',
  properties: { from, charset, jsonl: { kind: 'boolean', default: false } },
  outputs,
  async run(ctx) {
    return (await import('./yaml-run.js')).runYamlToJson(ctx);
  },
});

export const jsonToJsonlTask = defineTask({
  type: 'io.kestra.plugin.serdes.json.JsonToJsonl',
  title: 'Convert a JSON array (or objects one after the other) to JSON Lines, item by item; outputs uri and size.',
  properties: { from, charset },
  outputs,
  async run(ctx) {
    return (await import('./yaml-run.js')).runJsonToJsonl(ctx);
  },
});

export const YAML_TASKS = [ionToYamlTask, yamlToIonTask, jsonToYamlTask, yamlToJsonTask, jsonToJsonlTask];
