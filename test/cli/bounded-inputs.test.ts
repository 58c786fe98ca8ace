/**
 * Every file the CLI reads must be a regular file under the size cap: /dev/zero, a FIFO or an
 * oversized file gets a clear error and exit 2 at once (before, /dev/zero was read forever).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_SOURCE_BYTES } from '../../src/yaml-check/index.js';
import { cli } from '../support/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pf-bounded-'));
  writeFileSync(
    join(dir, 'ok.yaml'),
    'id: ok\nnamespace: company.team\ntasks:\n  - { id: log, type: io.kestra.plugin.core.log.Log, message: hi }\n',
  );
  execFileSync('mkfifo', [join(dir, 'fifo.json')]);
  writeFileSync(join(dir, 'big.json'), '');
  truncateSync(join(dir, 'big.json'), MAX_SOURCE_BYTES + 1);
});

test.each([
  ['run /dev/zero', ['run', '/dev/zero'], 'error /dev/zero: Cannot read flow file: it is a character device, not a regular file'],
  [
    'run -c /dev/zero',
    ['run', 'ok.yaml', '-c', '/dev/zero'],
    'error Config file /dev/zero cannot be read: it is a character device, not a regular file',
  ],
  [
    'run --inputs /dev/zero',
    ['run', 'ok.yaml', '--inputs', '/dev/zero'],
    'error pebbleflow run: --inputs /dev/zero: it is a character device, not a regular file',
  ],
  [
    'run --inputs FIFO',
    ['run', 'ok.yaml', '--inputs', 'fifo.json'],
    'error pebbleflow run: --inputs fifo.json: it is a FIFO, not a regular file',
  ],
  [
    'run --inputs over the cap',
    ['run', 'ok.yaml', '--inputs', 'big.json'],
    'error pebbleflow run: --inputs big.json: it is 8 MiB, over the 8 MiB limit',
  ],
  [
    'render --context /dev/zero',
    ['render', '{{ 1 }}', '--context', '/dev/zero'],
    'error pebbleflow render: --context /dev/zero: it is a character device, not a regular file',
  ],
  [
    'credentials list -c /dev/zero',
    ['credentials', 'list', '-c', '/dev/zero'],
    'error Config file /dev/zero cannot be read: it is a character device, not a regular file',
  ],
])('%s: exit 2 with a clear error, at once', async (_name, args, line) => {
  const r = await cli(args, { cwd: dir });
  expect(r.code).toBe(2);
  expect(r.stderr.split('\n')[0]).toBe(line);
});

test('validate: a device among flow files is reported and makes the exit code 2', async () => {
  const r = await cli(['validate', 'ok.yaml', '/dev/zero'], { cwd: dir });
  expect(r.code).toBe(2);
  expect(r.stdout).toBe(
    [
      '✓ company.team / ok  ok.yaml',
      '✘ /dev/zero',
      '    Cannot read flow file: it is a character device, not a regular file',
      '2 checked, 1 invalid',
      '',
    ].join('\n'),
  );
});
