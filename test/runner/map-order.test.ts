/**
 * Java key order through a flow run: Kestra reads flow YAML, JSON inputs and HTTP bodies into
 * LinkedHashMaps, so `{b: 1, 2024: 2}` iterates b then 2024 (JavaScript would list 2024 first).
 * Outputs passed from task to task keep it (the runner's copies carry the order).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mapKeys, toKestraJson } from '../../src/engine/values.js';
import { asList, asRecord } from '../../src/tasks/coerce.js';
import { messages, runYaml } from '../support/flows.js';

describe('map key order in a flow run', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"name":"x","2024":{"q4":1,"3":2},"1":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('flow YAML maps, JSON inputs and outputs keep the written order', async () => {
    const report = await runYaml(
      `id: order
namespace: t
inputs:
  - id: payload
    type: JSON
variables:
  years:
    b: 1
    2024: 2
    a: 3
tasks:
  - id: vars
    type: io.kestra.plugin.core.log.Log
    message: "{{ vars.years | keys }} {{ inputs.payload }}"
  - id: out
    type: io.kestra.plugin.core.output.OutputValues
    values:
      z: 1
      "10": 2
  - id: back
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.out.values }}"
  - id: fetch
    type: io.kestra.plugin.core.http.Request
    uri: ${url}
  - id: parsed
    type: io.kestra.plugin.core.debug.Return
    format: "{{ fromJson(outputs.fetch.body) | keys }} {{ outputs.fetch.body | jq('.[\\"2024\\"]') | first }}"
  - id: read
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.parsed.value }}"
`,
      { inputs: { payload: '{"z":0,"7":1,"y":[{"k":1,"5":2}]}' } },
    );
    const logs = messages(report);
    expect(logs).toContain('vars INFO ["b","2024","a"] {"z":0,"7":1,"y":[{"k":1,"5":2}]}');
    expect(logs).toContain('back INFO {"z":1,"10":2}');
    expect(logs).toContain('read INFO ["name","2024","1"] {"q4":1,"3":2}');
  });

  it('a map property written as one expression is read back in order (Property<Map> from JSON text)', () => {
    const map = asRecord('{"q":1,"3":{"y":1,"0":2.5}}', 'p');
    expect(mapKeys(map)).toEqual(['q', '3']);
    expect(toKestraJson(map)).toBe('{"q":1,"3":{"y":1,"0":2.5}}');
    expect(asList('[{"b":1,"1":2}]', 'p').map((m) => mapKeys(m as object))).toEqual([['b', '1']]);
  });
});
