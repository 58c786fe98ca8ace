/**
 * Java's map key order survives what the server writes and serves (issue 13): an output map
 * `{b: 1, "2024": 2}` (a LinkedHashMap in Kestra, from the flow YAML) is served by the REST API,
 * stored, and served again after a restart in that order — not with "2024" first, as
 * JSON.stringify of a JavaScript object would write it.
 */
import { jest } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { project, startServer, type ServerChild } from './support/processes.js';

jest.setTimeout(120_000);

let server: ServerChild | undefined;
const dir = project();

afterAll(async () => {
  await server?.stop();
  dir.cleanup();
});

const ORDERED = '{"b":1,"2024":2,"a":{"z":true,"10":"ten","9":"nine"}}';

test('an output map keeps its order through the API, the store and a restart', async () => {
  writeFileSync(
    join(dir.flows, 'ordered.yml'),
    `id: ordered
namespace: company.team
tasks:
  - id: out
    type: io.kestra.plugin.core.output.OutputValues
    values:
      m:
        b: 1
        "2024": 2
        a:
          z: true
          "10": ten
          "9": nine
      parsed: |-
        {{ fromJson('${ORDERED}') }}
`,
  );
  server = await startServer([dir.flows, '--port', '0'], { cwd: dir.dir });
  const created = await fetch(`${server.url}/api/v1/main/executions/company.team/ordered?wait=true`, {
    method: 'POST',
    body: new FormData(),
  });
  const createdText = await created.text();
  expect(created.status).toBe(200);
  expect(createdText).toContain(`"m":${ORDERED}`);
  const id = (JSON.parse(createdText) as { id: string }).id;

  const read = async (): Promise<string> => (await fetch(`${server!.url}/api/v1/main/executions/${id}`)).text();
  expect(await read()).toContain(`"m":${ORDERED}`);

  // The store on disk holds it in order too: a restarted server serves what it reads back.
  await server.stop();
  server = await startServer([dir.flows, '--port', '0'], { cwd: dir.dir });
  const again = await read();
  expect(again).toContain(`"m":${ORDERED}`);
  // The rendered string output is text: it keeps the order fromJson read, as Kestra prints it.
  expect(JSON.parse(again)).toMatchObject({ state: { current: 'SUCCESS' } });
  expect(again).toContain(JSON.stringify(ORDERED).slice(1, -1));
});
