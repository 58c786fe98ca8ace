/**
 * Real flows of Kestra's core `@Example`s and test flows (kestra-io/kestra core/src/main/java/io/kestra/
 * plugin/core/{http/Download,kv/*,storage/*,state/*,log/Fetch}.java and core/src/test/resources/flows/
 * valids/{kv,working-directory*}.yaml), run end to end against a loopback file server, with the
 * outcomes their sources assert.
 */
import { parseFlow } from '../../src/flow/loader.js';
import { MemoryFlowRepository } from '../../src/flow/repository.js';
import { MemoryExecutionStore } from '../../src/runner/store.js';
import { fileServer, logsOf, project, states, type Project, type TestServer } from './helpers.js';

let server: TestServer;
let p: Project;
beforeAll(async () => {
  server = await fileServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  p = await project();
});
afterEach(async () => {
  await p.cleanup();
});

describe('http.Download and kv', () => {
  test('Download "Download a CSV file." and kv.Set "Set the task\'s uri output as a value for orders_file key."', async () => {
    const r = await p.run(`
id: kv_store_set
namespace: company.team
tasks:
  - id: http_download
    type: io.kestra.plugin.core.http.Download
    uri: ${server.origin}/datasets/raw/main/csv/orders.csv
  - id: kv_set
    type: io.kestra.plugin.core.kv.Set
    key: orders_file
    value: "{{ outputs.http_download.uri }}"
    kvType: STRING
  - id: kv_get
    type: io.kestra.plugin.core.kv.Get
    key: orders_file
  - id: read_back
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(kv('orders_file')) | length }}"
`);
    expect(r.state).toBe('SUCCESS');
    const dl = r.outputs['http_download'] as { uri: string; code: number; length: number; headers: Record<string, string[]> };
    expect(dl.code).toBe(200);
    expect(dl.uri).toMatch(/^kestra:\/\/\/company\/team\/kv-store-set\/executions\/\w+\/tasks\/http-download\/\w+\/\w+\.csv$/);
    expect(await p.read(dl.uri)).toContain('Kelly Olsen');
    expect(dl.headers['content-type']).toEqual(['text/csv']);
    expect(r.outputs['kv_get']).toEqual({ value: dl.uri });
    expect(r.outputs['read_back']).toEqual({ value: String(dl.length) });
  });

  test('kv.Get with errorOnMissing fails with Kestra message; kv() errorOnMissing (kv.yaml, KvFunctionTest.getKeyNotFound)', async () => {
    const r = await p.run(`
id: kv
namespace: io.kestra.tests
inputs:
  - id: namespace
    type: STRING
    required: false
    defaults: "io.kestra.tests"
  - id: errorOnMissing
    type: BOOLEAN
    required: false
    defaults: true
tasks:
  - id: get
    type: io.kestra.plugin.core.debug.Return
    format: "{{ kv('my-key', errorOnMissing=false).field ?? null }}"
  - id: getWithArgs
    type: io.kestra.plugin.core.debug.Return
    format: "{{ kv('my-key', inputs.namespace, inputs.errorOnMissing).field }}"
`);
    expect(r.state).toBe('FAILED');
    expect(states(r)).toEqual({ get: 'SUCCESS', getWithArgs: 'FAILED' });
    expect(r.outputs['get']).toEqual({ value: '' });
    expect(logsOf(r, 'getWithArgs').join('\n')).toContain(
      "The key 'my-key' does not exist in the namespace 'io.kestra.tests'. ({{ kv('my-key', inputs.namespace, inputs.errorOnMissing).field }}:1)",
    );
    const missing = await p.run(`
id: kv_store_get
namespace: company.team
tasks:
  - id: kv_get
    type: io.kestra.plugin.core.kv.Get
    key: my_variable
    errorOnMissing: true
`);
    expect(missing.state).toBe('FAILED');
    expect(missing.taskRuns[0]?.error).toBe(
      "No value found for key 'my_variable' in namespace 'company.team' and `errorOnMissing` is set to true",
    );
  });

  test('kv values keep their types across runs; GetKeys by prefix; Delete; ttl; PurgeKV of expired keys', async () => {
    const set = await p.run(`
id: kv_types
namespace: company.team
tasks:
  - { id: n, type: io.kestra.plugin.core.kv.Set, key: my_var_number, value: "42", kvType: NUMBER }
  - { id: j, type: io.kestra.plugin.core.kv.Set, key: my_var_json, value: '{"a": [1, 2]}', kvType: JSON }
  - { id: b, type: io.kestra.plugin.core.kv.Set, key: flag, value: "{{ 1 == 1 }}", kvType: BOOLEAN }
  - { id: short, type: io.kestra.plugin.core.kv.Set, key: short_lived, value: x, ttl: PT0.05S }
  - { id: keep, type: io.kestra.plugin.core.kv.Set, key: keep, value: "{{ [1, 2] }}" }
  - { id: again, type: io.kestra.plugin.core.kv.Set, key: keep, value: y, overwrite: false, allowFailure: true }
`);
    expect(set.state).toBe('WARNING');
    expect(set.taskRuns.find((t) => t.taskId === 'again')?.error).toBe(
      "Cannot set value for key 'keep'. Key already exists and `overwrite` is set to `false`.",
    );
    await new Promise((r) => setTimeout(r, 100));
    const r = await p.run(`
id: kv_read
namespace: company.team.sub
tasks:
  - id: math
    type: io.kestra.plugin.core.debug.Return
    format: "{{ kv('my_var_number') + 1 }} {{ kv('my_var_json').a[1] }} {{ kv('flag') ? 'yes' : 'no' }} {{ kv('keep') | length }}"
  - id: keys
    type: io.kestra.plugin.core.kv.GetKeys
    prefix: my_var
    namespace: company.team
  - id: purge
    type: io.kestra.plugin.core.kv.PurgeKV
    namespaces: [company]
  - id: del
    type: io.kestra.plugin.core.kv.Delete
    key: my_var_json
    namespace: company.team
  - id: del_again
    type: io.kestra.plugin.core.kv.Delete
    key: my_var_json
    namespace: company.team
`);
    expect(r.state).toBe('SUCCESS');
    expect(r.outputs['math']).toEqual({ value: '43 2 yes 2' });
    expect(r.outputs['keys']).toEqual({ keys: ['my_var_json', 'my_var_number'] });
    expect(r.outputs['purge']).toEqual({ size: 1 });
    expect(r.outputs['del']).toEqual({ deleted: true });
    expect(r.outputs['del_again']).toEqual({ deleted: false });
  });

  test('another namespace: refused while it does not exist (SetTest.shouldFailGivenNonExistingNamespace), reachable once it does (kv.Get/GetKeys/Delete examples)', async () => {
    const kvExample = (type: string, extra: string): string => `
id: kv_store_${type.toLowerCase()}
namespace: company.team
tasks:
  - id: kv
    type: io.kestra.plugin.core.kv.${type}
    ${extra}
    namespace: dev # the current namespace of the flow will be used by default
`;
    const missing = await p.run(kvExample('Set', 'key: my_variable\n    value: x'));
    expect(missing.state).toBe('FAILED');
    expect(missing.taskRuns[0]?.error).toMatch(/^Cannot access the KV store\. The namespace 'dev' does not exist\./);
    // A flow of namespace dev stores a value: dev exists from then on.
    expect(
      (
        await p.run(`
id: dev_flow
namespace: dev
tasks:
  - { id: set, type: io.kestra.plugin.core.kv.Set, key: my_variable, value: "{{ 40 + 2 }}" }
`)
      ).state,
    ).toBe('SUCCESS');
    const get = await p.run(kvExample('Get', 'key: my_variable\n    errorOnMissing: true'));
    expect(get.outputs['kv']).toEqual({ value: 42 });
    const keys = await p.run(kvExample('GetKeys', 'prefix: my_var'));
    expect(keys.outputs['kv']).toEqual({ keys: ['my_variable'] });
    const del = await p.run(kvExample('Delete', 'key: my_variable'));
    expect(del.outputs['kv']).toEqual({ deleted: true });
    const read = await p.run(`
id: reader
namespace: company.team
tasks:
  - { id: r, type: io.kestra.plugin.core.debug.Return, format: "{{ kv('my_variable', 'dev', false) ?? 'gone' }}" }
`);
    expect(read.outputs['r']).toEqual({ value: 'gone' });
  });

  test('with the flows known, a namespace with flows exists before anything of it is stored (NamespaceService.isNamespaceExists)', async () => {
    const flow = (namespace: string): string => `
id: kv_writer
namespace: ${namespace}
tasks:
  - { id: set, type: io.kestra.plugin.core.kv.Set, namespace: dev, key: k, value: v }
`;
    const flows = new MemoryFlowRepository([
      parseFlow('id: dev_flow\nnamespace: dev.team\ntasks:\n  - { id: l, type: io.kestra.plugin.core.log.Log, message: x }\n'),
    ]);
    // Nothing of `dev` is stored, but `dev.team` has a flow: `dev` exists (a plain text prefix, as Kestra).
    expect((await p.run(flow('company.team'), { flows })).state).toBe('SUCCESS');
    const none = new MemoryFlowRepository([
      parseFlow('id: other\nnamespace: prod\ntasks:\n  - { id: l, type: io.kestra.plugin.core.log.Log, message: x }\n'),
    ]);
    const refused = await p.run(flow('company.team').replaceAll('dev', 'qa'), { flows: none });
    expect(refused.taskRuns[0]?.error).toBe("Cannot access the KV store. The namespace 'qa' does not exist.");
  });

  test('an oversize download fails the task and keeps nothing; a 404 names the status', async () => {
    const r = await p.run(`
id: dl
namespace: company.team
tasks:
  - id: big
    type: io.kestra.plugin.core.http.Download
    uri: ${server.origin}/big?size=200000
    maxSize: 100KB
    allowFailure: true
  - id: missing
    type: io.kestra.plugin.core.http.Download
    uri: ${server.origin}/nope.csv
`);
    expect(states(r)).toEqual({ big: 'WARNING', missing: 'FAILED' });
    expect(r.taskRuns[0]?.error).toMatch(/is larger than the limit of 102400 bytes \(maxSize\); nothing was kept/);
    expect(r.taskRuns[1]?.error).toBe("Failed http request with response code '404' and body:\nnot found");
  });
});

describe('storage tasks', () => {
  test('Write, Size, Concat (with separator and jq over outputs), Reverse, Split, Delete, read()', async () => {
    const r = await p.run(`
id: storage
namespace: company.team
tasks:
  - id: write
    type: io.kestra.plugin.core.storage.Write
    content: "1\\n2\\n3\\n"
    extension: .txt
  - id: write2
    type: io.kestra.plugin.core.storage.Write
    content: "4\\n"
  - id: size
    type: io.kestra.plugin.core.storage.Size
    uri: "{{ outputs.write.uri }}"
  - id: concat
    type: io.kestra.plugin.core.storage.Concat
    files:
      - "{{ outputs.write.uri }}"
      - "{{ outputs.write2.uri }}"
    separator: "--\\n"
  - id: concat_json
    type: io.kestra.plugin.core.storage.Concat
    files: "{{ [outputs.write.uri, outputs.write2.uri] | toJson }}"
  - id: reverse
    type: io.kestra.plugin.core.storage.Reverse
    from: "{{ outputs.write.uri }}"
  - id: split
    type: io.kestra.plugin.core.storage.Split
    from: "{{ outputs.concat_json.uri }}"
    rows: 3
  - id: split_partitions
    type: io.kestra.plugin.core.storage.Split
    from: "{{ outputs.concat_json.uri }}"
    partitions: 2
    rows: 3
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ read(outputs.concat.uri) }}"
  - id: delete
    type: io.kestra.plugin.core.storage.Delete
    uri: "{{ outputs.write2.uri }}"
  - id: delete_again
    type: io.kestra.plugin.core.storage.Delete
    uri: "{{ outputs.write2.uri }}"
    errorOnMissing: true
`);
    expect(states(r)).toMatchObject({
      write: 'SUCCESS',
      size: 'SUCCESS',
      concat: 'SUCCESS',
      reverse: 'SUCCESS',
      split: 'SUCCESS',
      delete: 'SUCCESS',
      delete_again: 'FAILED',
    });
    const out = (id: string): Record<string, unknown> => r.outputs[id] as Record<string, unknown>;
    expect(out('write')['uri']).toMatch(/\.txt$/);
    expect(out('size')).toEqual({ size: 6 });
    expect(await p.read(out('concat')['uri'] as string)).toBe('1\n2\n3\n--\n4\n--\n');
    expect(await p.read(out('concat_json')['uri'] as string)).toBe('1\n2\n3\n4\n');
    // ReverseTest: "1\n2\n3\n" → "3\n2\n1\n", the extension kept.
    expect(out('reverse')['uri']).toMatch(/\.txt$/);
    expect(await p.read(out('reverse')['uri'] as string)).toBe('3\n2\n1\n');
    const parts = out('split')['uris'] as string[];
    expect(parts).toHaveLength(2);
    expect(await p.read(parts[0] as string)).toBe('1\n2\n3\n');
    // StorageService.split: `partitions` wins over `rows` (rows dealt round-robin).
    const partitions = out('split_partitions')['uris'] as string[];
    expect(await Promise.all(partitions.map((uri) => p.read(uri)))).toEqual(['1\n3\n', '2\n4\n']);
    expect(logsOf(r, 'log')).toEqual(['INFO 1\n2\n3\n--\n4\n--\n']);
    expect(out('delete')).toEqual({ uri: out('write2')['uri'], deleted: true });
    expect(r.taskRuns.find((t) => t.taskId === 'delete_again')?.error).toBe(`Unable to find file '${String(out('write2')['uri'])}'`);
  });

  test('FilterItems and DeduplicateItems over an Ion file (FilterItemsTest, DeduplicateItemsTest)', async () => {
    const r = await p.run(`
id: items
namespace: company.team
tasks:
  - id: ion
    type: io.kestra.plugin.core.storage.Write
    extension: .ion
    content: |
      {key:"k1",value:1}
      {key:"k2",value:2}
      {key:"k1",value:3}
      {key:"k4",value:4}
  - id: even
    type: io.kestra.plugin.core.storage.FilterItems
    from: "{{ outputs.ion.uri }}"
    filterCondition: " {{ value % 2 == 0 }} "
  - id: odd
    type: io.kestra.plugin.core.storage.FilterItems
    from: "{{ outputs.ion.uri }}"
    filterCondition: " {{ value % 2 == 0 }} "
    filterType: EXCLUDE
  - id: dedup
    type: io.kestra.plugin.core.storage.DeduplicateItems
    from: "{{ outputs.ion.uri }}"
    expr: "{{ key }}"
`);
    expect(r.state).toBe('SUCCESS');
    expect(r.outputs['even']).toMatchObject({ processedItemsTotal: 4, droppedItemsTotal: 2 });
    expect(await p.read((r.outputs['even'] as { uri: string }).uri)).toBe('{key:"k2",value:2}\n{key:"k4",value:4}\n');
    expect(await p.read((r.outputs['odd'] as { uri: string }).uri)).toBe('{key:"k1",value:1}\n{key:"k1",value:3}\n');
    expect(r.outputs['dedup']).toMatchObject({ numKeys: 3, processedItemsTotal: 4, droppedItemsTotal: 1 });
    expect(await p.read((r.outputs['dedup'] as { uri: string }).uri)).toBe('{key:"k2",value:2}\n{key:"k1",value:3}\n{key:"k4",value:4}\n');
  });

  test('PurgeCurrentExecutionFiles deletes this execution’s files only', async () => {
    const r = await p.run(`
id: purge
namespace: company.team
tasks:
  - { id: a, type: io.kestra.plugin.core.storage.Write, content: a }
  - { id: b, type: io.kestra.plugin.core.storage.Write, content: b }
  - { id: purge, type: io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles }
  - { id: check, type: io.kestra.plugin.core.debug.Return, format: "{{ fileExists(outputs.a.uri) }}" }
`);
    expect(r.state).toBe('SUCCESS');
    expect(((r.outputs['purge'] as { uris: string[] }).uris ?? []).sort()).toEqual(
      [(r.outputs['a'] as { uri: string }).uri, (r.outputs['b'] as { uri: string }).uri].sort(),
    );
    expect(r.outputs['check']).toEqual({ value: 'false' });
  });

  test('read() of another namespace or with .. fails the task with the reason', async () => {
    const r = await p.run(`
id: escape
namespace: company.team
tasks:
  - id: other
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read('kestra:///other/ns/flow/executions/E/tasks/t/R/secret.txt') }}"
    allowFailure: true
  - id: dots
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read('kestra:///company/team/flow/../../other/x') }}"
    allowFailure: true
  - id: missing
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read('no-such-file.txt') }}"
    allowFailure: true
`);
    expect(states(r)).toEqual({ other: 'WARNING', dots: 'WARNING', missing: 'WARNING' });
    expect(r.taskRuns[0]?.error).toContain(
      "it belongs to namespace 'other.ns', and a flow of namespace 'company.team' may only read its own namespace's files and executions",
    );
    expect(r.taskRuns[1]?.error).toContain("not with '.' or '..' segments");
    expect(r.taskRuns[2]?.error).toContain("read(): file not found: namespace file 'no-such-file.txt'");
  });
});

describe('state and log.Fetch', () => {
  test('state.Set merges, state.Get reads, state.Delete removes (StateTest)', async () => {
    const r = await p.run(`
id: state
namespace: company.team
inputs:
  - { id: key, type: STRING, defaults: test }
  - { id: inc, type: INT, defaults: 1 }
tasks:
  - { id: get0, type: io.kestra.plugin.core.state.Get }
  - id: set1
    type: io.kestra.plugin.core.state.Set
    data:
      "{{ inputs.key }}": "{{ inputs.inc }}"
  - { id: get1, type: io.kestra.plugin.core.state.Get }
  - id: set2
    type: io.kestra.plugin.core.state.Set
    data:
      "{{ inputs.key }}": "2"
      test2: "3"
  - { id: get2, type: io.kestra.plugin.core.state.Get }
  - { id: delete, type: io.kestra.plugin.core.state.Delete }
  - { id: get3, type: io.kestra.plugin.core.state.Get }
  - { id: missing, type: io.kestra.plugin.core.state.Get, name: other, errorOnMissing: true, allowFailure: true }
`);
    expect(r.outputs['get0']).toEqual({ count: 0, data: {} });
    expect(r.outputs['set1']).toMatchObject({ count: 1 });
    expect(r.outputs['get1']).toEqual({ count: 1, data: { test: '1' } });
    expect(r.outputs['get2']).toEqual({ count: 2, data: { test: '2', test2: '3' } });
    expect(r.outputs['delete']).toEqual({ deleted: true });
    expect(r.outputs['get3']).toEqual({ count: 0, data: {} });
    expect(r.taskRuns.find((t) => t.taskId === 'missing')?.state).toBe('WARNING');
  });

  test('log.Fetch stores the execution’s lines at or above the level as Ion', async () => {
    const r = await p.run(`
id: fetch
namespace: company.team
tasks:
  - { id: a, type: io.kestra.plugin.core.log.Log, message: hello }
  - { id: b, type: io.kestra.plugin.core.log.Log, message: careful, level: WARN }
  - { id: fetch, type: io.kestra.plugin.core.log.Fetch, level: WARN }
  - { id: fetch_a, type: io.kestra.plugin.core.log.Fetch, tasksId: [a] }
`);
    expect(r.outputs['fetch']).toMatchObject({ size: 1 });
    expect(await p.read((r.outputs['fetch'] as { uri: string }).uri)).toMatch(
      /^\{namespace:"company.team",flowId:"fetch",taskId:"b",executionId:"\w+",taskRunId:"\w+",timestamp:"[^"]+",level:"WARN",message:"careful"\}\n$/,
    );
    expect(r.outputs['fetch_a']).toMatchObject({ size: 1 });
  });

  // PluginUtilsService.executionFromTaskParameters and LogRepository.findByExecutionId: another
  // execution's lines, looked up in `namespace`.`flowId` (the current flow's when neither is set).
  test('log.Fetch reads another execution the run can reach, in the flow named', async () => {
    const store = new MemoryExecutionStore();
    const produced = await p.run(
      `
id: producer
namespace: company.team
tasks:
  - { id: a, type: io.kestra.plugin.core.log.Log, message: from the producer }
  - { id: b, type: io.kestra.plugin.core.log.Log, message: a warning, level: WARN }
`,
      { store },
    );
    const executions = {
      find: async (id: string) => store.get(id),
      logs: async (id: string) => store.logs.get(id),
    };
    const consumer = (fetch: string): string => `
id: consumer
namespace: company.team
tasks:
  - { id: fetch, type: io.kestra.plugin.core.log.Fetch, executionId: ${produced.executionId}${fetch} }
`;
    const named = await p.run(consumer(', namespace: company.team, flowId: producer'), { executions });
    expect(named.state).toBe('SUCCESS');
    expect(named.outputs['fetch']).toMatchObject({ size: 2 });
    const text = await p.read((named.outputs['fetch'] as { uri: string }).uri);
    expect(text).toContain('flowId:"producer",taskId:"a",executionId:"' + produced.executionId + '"');
    expect(text).toContain('message:"a warning"');
    const warnOnly = await p.run(consumer(', namespace: company.team, flowId: producer, level: WARN'), { executions });
    expect(warnOnly.outputs['fetch']).toMatchObject({ size: 1 });
    // Without namespace and flowId, the current flow's: the producer's execution has no lines there.
    expect((await p.run(consumer(''), { executions })).outputs['fetch']).toMatchObject({ size: 0 });
    expect((await p.run(consumer(', namespace: company.team, flowId: other'), { executions })).outputs['fetch']).toMatchObject({
      size: 0,
    });
    const half = await p.run(consumer(', namespace: company.team'), { executions });
    expect(half.state).toBe('FAILED');
    expect(half.logs.map((l) => l.message)).toContain('Both `namespace` and `flowId` must be set when `executionId` is set.');
    // A run that cannot reach other executions says so.
    const unreachable = await p.run(consumer(', namespace: company.team, flowId: producer'));
    expect(unreachable.state).toBe('FAILED');
    expect(unreachable.logs.map((l) => l.message).join('\n')).toContain("The logs of another execution ('" + produced.executionId + "')");
  });
});

describe('WorkingDirectory and LocalFiles (core/src/test/resources/flows/valids/working-directory*.yaml)', () => {
  const flow = `
id: working-directory
namespace: io.kestra.tests
inputs:
  - id: failed
    type: STRING
tasks:
  - id: worker
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: first
        type: io.kestra.plugin.core.storage.LocalFiles
        inputs:
          out/stay.txt: "{{ inputs.failed == 'true' ? ko: taskrun.id }}"
      - id: second
        type: io.kestra.plugin.core.storage.LocalFiles
        outputs:
          - out/*
    errors:
      - id: error-t1
        type: io.kestra.plugin.core.debug.Return
        format: "Error Trigger ! {{task.id}}"
  - id: 2_end
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.second.uris['out/stay.txt'] }}"
`;

  test('success: the second task stores what the first wrote (WorkingDirectoryTest.success)', async () => {
    const r = await p.run(flow, { inputs: { failed: 'false' } });
    expect(r.state).toBe('SUCCESS');
    const uri = (r.outputs['2_end'] as { value: string }).value;
    expect(uri).toMatch(/^kestra:\/\//);
    const first = r.taskRuns.find((t) => t.taskId === 'first');
    expect(await p.read(uri)).toBe(first?.id);
  });

  test('failed: a render error fails it and runs errors (WorkingDirectoryTest.failed)', async () => {
    const r = await p.run(flow, { inputs: { failed: 'true' } });
    expect(r.state).toBe('FAILED');
    expect(r.taskRuns.filter((t) => t.taskId === 'error-t1')).toHaveLength(1);
    expect(r.taskRuns.some((t) => t.taskId === '2_end')).toBe(false);
  });

  test('inputFiles and outputFiles (WorkingDirectoryTest.inputFiles / outputFiles)', async () => {
    const inputs = await p.run(`
id: working-directory-inputs
namespace: io.kestra.tests
tasks:
  - id: workingDir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    inputFiles:
      input.txt: Hello World
    tasks:
      - id: inputFiles
        type: io.kestra.plugin.core.storage.LocalFiles
        outputs:
          - input.txt
`);
    expect(inputs.state).toBe('SUCCESS');
    const uri = (inputs.outputs['inputFiles'] as { uris: Record<string, string> }).uris['input.txt'] as string;
    expect(uri.endsWith('input.txt')).toBe(true);
    expect(await p.read(uri)).toBe('Hello World');
    const outputs = await p.run(`
id: working-directory-outputs
namespace: io.kestra.tests
tasks:
  - id: workingDir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    outputFiles:
      - output.txt
    tasks:
      - id: outputFiles
        type: io.kestra.plugin.core.storage.LocalFiles
        inputs:
          output.txt: "Hello World"
`);
    expect(outputs.state).toBe('SUCCESS');
    const files = (outputs.outputs['workingDir'] as { outputFiles: Record<string, string> }).outputFiles;
    expect(Object.keys(files)).toEqual(['output.txt']);
    expect(await p.read(files['output.txt'] as string)).toBe('Hello World');
  });
});
