/**
 * YAML ⇄ Ion/JSON as kestra-io/plugin-serdes tests it (commit dd3a65f9, src/test/java/io/kestra/plugin/serdes/yaml/
 * IonToYamlTest.java, YamlToIonTest.java, JsonToYamlTest.java, YamlToJsonTest.java), through the runner.
 */
import { project, type Project } from '../files/helpers.js';

let p: Project;
beforeAll(async () => {
  p = await project();
});
afterAll(async () => {
  await p.cleanup();
});

async function run(type: string, content: string, extension: string, extra = ''): Promise<{ text: string; size: number }> {
  const r = await p.run(`
id: serdes_yaml
namespace: company.team
tasks:
  - id: src
    type: io.kestra.plugin.core.storage.Write
    extension: ${extension}
    content: ${JSON.stringify(content)}
  - id: convert
    type: ${type}
    from: "{{ outputs.src.uri }}"
${extra}
`);
  expect(r.state).toBe('SUCCESS');
  const out = r.outputs['convert'] as { uri: string; size: number };
  return { text: await p.read(out.uri), size: out.size };
}

test('IonToYaml: several values are documents (ion_multiple_to_yaml_docs); one value is one document', async () => {
  const many = await run('io.kestra.plugin.serdes.yaml.IonToYaml', '{a:1}\n{b:2}\n', '.ion');
  expect(many.text).toContain('---\na: 1');
  expect(many.text).toContain('---\nb: 2');
  expect(many.size).toBe(2);
  const one = await run('io.kestra.plugin.serdes.yaml.IonToYaml', '{a:1,list:["x",null],m:{k:"v: w"}}\n', '.ion');
  expect(one.text).toBe('a: 1\nlist:\n - x\n - null\nm:\n  k: "v: w"\n\n'); // the `yaml` filter's writer (Kestra's YAML mapper)
});

test('YamlToIon: one value per document (yaml_docs_to_ion_values); a root list gives its items', async () => {
  const r = await run('io.kestra.plugin.serdes.yaml.YamlToIon', '---\na: 1\n---\nb: 2\n', '.yaml');
  expect(r.text).toBe('{a:1}\n{b:2}\n');
  expect(r.size).toBe(2);
  expect((await run('io.kestra.plugin.serdes.yaml.YamlToIon', '- a\n- b\n', '.yaml')).text).toBe('"a"\n"b"\n');
});

test('JsonToYaml: JSON Lines to documents (jsonl_to_yaml_docs), one object to one document', async () => {
  const r = await run('io.kestra.plugin.serdes.yaml.JsonToYaml', '{"a":1}\n{"b":2}\n', '.jsonl', '    jsonl: true');
  expect(r.text).toContain('---\na: 1');
  expect(r.text).toContain('---\nb: 2');
  expect(r.size).toBe(2);
  expect((await run('io.kestra.plugin.serdes.yaml.JsonToYaml', '{"a":1}', '.json', '    jsonl: false')).text.trim()).toBe('a: 1');
});

test('YamlToJson: JSON Lines, an array of documents, one object, a root list (YamlToJsonTest)', async () => {
  const docs = '---\na: 1\n---\nb: 2\n';
  const jsonl = await run('io.kestra.plugin.serdes.yaml.YamlToJson', docs, '.yaml', '    jsonl: true');
  expect(jsonl.text).toBe('{"a":1}\n{"b":2}\n');
  expect(jsonl.size).toBe(2);
  expect(JSON.parse((await run('io.kestra.plugin.serdes.yaml.YamlToJson', docs, '.yaml')).text)).toEqual([{ a: 1 }, { b: 2 }]);
  expect((await run('io.kestra.plugin.serdes.yaml.YamlToJson', 'a: 1\n', '.yaml')).text.trim()).toBe('{"a":1}');
  expect(JSON.parse((await run('io.kestra.plugin.serdes.yaml.YamlToJson', '- a\n- b\n', '.yaml')).text)).toEqual(['a', 'b']);
});

describe('JsonToJsonl (json/JsonToJsonlTest.java)', () => {
  const type = 'io.kestra.plugin.serdes.json.JsonToJsonl';
  test('an array, compact or not, gives one line per item; nested values kept; nulls kept', async () => {
    const r = await run(
      type,
      '[\n  {"id": 1, "name": "Product 1", "price": 19.99},\n  {"id": 2, "name": "Product 2", "price": 29.99, "tags": ["a", "]"], "n": null},\n  {"id": 3, "user": {"email": "x@y"}}\n]\n',
      '.json',
    );
    expect(r.text).toBe(
      '{"id":1,"name":"Product 1","price":19.99}\n{"id":2,"name":"Product 2","price":29.99,"tags":["a","]"],"n":null}\n{"id":3,"user":{"email":"x@y"}}\n',
    );
    expect(r.size).toBe(3);
    expect((await run(type, '[{"id":1,"name":"Item 1"},{"id":2,"name":"Item 2"}]', '.json')).size).toBe(2);
    expect((await run(type, '[1, "a,b", true]', '.json')).text).toBe('1\n"a,b"\ntrue\n');
  });

  test('existing JSON Lines are normalized; a single object is one line; an empty array is nothing; Unicode kept', async () => {
    const jsonl = await run(type, '{"id":1,"status":"active"}\n{"id":2,"status":"inactive"}\n{"id":3}\n', '.jsonl');
    expect(jsonl.text.split('\n').filter((l) => l !== '')).toHaveLength(3);
    expect((await run(type, '{\n  "id": 100,\n  "name": "Single Product"\n}\n', '.json')).text).toBe(
      '{"id":100,"name":"Single Product"}\n',
    );
    expect((await run(type, '[]', '.json')).size).toBe(0);
    expect((await run(type, '[{"name": "Café", "description": "Résumé"}]', '.json')).text).toBe('{"name":"Café","description":"Résumé"}\n');
  });
});

test('JsonToJsonl streams: values split across chunks of 3 bytes (escapes, brackets in strings, multi-byte characters)', async () => {
  const { jsonToJsonl } = await import('../../src/serdes/yaml.js');
  const { FileSink } = await import('../../src/serdes/convert.js');
  const { readFile } = await import('node:fs/promises');
  const path = `${p.dir}/chunks.jsonl`;
  const source = Buffer.from('[{"a":"x\\"]}","é":[1,{"b":null}]}, 2.50, "s", {"c":{}}]');
  const sink = new FileSink(path);
  const count = await jsonToJsonl(
    (async function* () {
      for (let i = 0; i < source.length; i += 3) yield source.subarray(i, i + 3);
    })(),
    sink,
    'UTF-8',
  );
  await sink.close();
  expect(count).toBe(4); // 2.50 is a Double (Jackson's readTree): 2.5
  expect(await readFile(path, 'utf8')).toBe('{"a":"x\\"]}","é":[1,{"b":null}]}\n2.5\n"s"\n{"c":{}}\n');
});
