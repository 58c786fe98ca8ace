/**
 * A Subflow child's SECRET inputs, sealed as the server seals an execution's own: Kestra keeps SECRET
 * inputs encrypted in every execution (its child executions included), so a CREATE_NEW_EXECUTION
 * retry of the child (ExecutionService.replay) runs with their values. With `server.encryptionKey`
 * they are stored AES-256-GCM encrypted; never in clear.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkFlow } from '../../../src/flow/loader.js';
import { createFlowEngine } from '../../../src/runner/runner.js';
import type { StoredExecution } from '../../../src/server/executions/model.js';
import { ExecutionProcessor, type ExecutionJob } from '../../../src/server/executions/processor.js';
import { SecretBox } from '../../../src/server/executions/secret-inputs.js';
import { FileExecutionStore } from '../../../src/server/store/file-store.js';

const CHILD = `id: child
namespace: company.sec
inputs:
  - { id: token, type: SECRET }
tasks:
  - { id: log, type: io.kestra.plugin.core.log.Log, message: "{{ inputs.token | length }}" }
`;
const PARENT = `id: parent
namespace: company.sec
inputs:
  - { id: token, type: SECRET }
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.sec
    flowId: child
    inputs: { token: "{{ inputs.token }}" }
`;
const TOKEN = 'child-secret-value-123';

let dir: string;
let store: FileExecutionStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pebbleflow-child-secrets-'));
  store = new FileExecutionStore(join(dir, 'data'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const filesUnder = (root: string): string[] =>
  readdirSync(root).flatMap((name) => {
    const path = join(root, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });

test("with server.encryptionKey, a child's SECRET inputs are stored encrypted and decrypt to their values", async () => {
  const box = new SecretBox('a-server-key-of-some-length');
  const { engine } = await createFlowEngine({ env: {} });
  const processor = new ExecutionProcessor({ store, engine, storage: { dir: join(dir, 'storage') }, workerId: 'test', secretBox: box });
  expect(checkFlow(CHILD).flow).toBeDefined();
  const job: ExecutionJob = {
    tenant: 'main',
    executionId: 'parent00000000000000001',
    namespace: 'company.sec',
    flowId: 'parent',
    revision: 1,
    source: PARENT,
    inputs: { token: '******' },
    labels: [],
    secretInputs: { token: box.encrypt(TOKEN) },
    subflows: [{ namespace: 'company.sec', flowId: 'child', revision: 1, source: CHILD }],
  };
  const parent = await processor.process(job, new AbortController().signal);
  expect(parent?.state.current).toBe('SUCCESS');
  const childId = parent!.taskRunList[0]!.outputs!['executionId'] as string;
  const child = (await store.get('main', childId)) as StoredExecution;
  expect(child.state.current).toBe('SUCCESS');
  expect(child.inputs['token']).toBe('******');
  expect(box.decrypt(child.secretInputs!['token']!)).toBe(TOKEN);
  // Nothing the store wrote holds it in clear.
  for (const file of filesUnder(join(dir, 'data'))) expect(readFileSync(file, 'utf8')).not.toContain(TOKEN);
});
