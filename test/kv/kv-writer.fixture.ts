// Child process for the crash test: rewrites one key forever with values of varying size.
import { KVStore } from '../../src/kv/kv-store.js';
import { LocalStorage } from '../../src/storage/local-storage.js';

const root = process.argv[2] as string;
const kv = new KVStore(new LocalStorage(root)).namespace('main', 'company.team');
let i = 0;
for (;;) {
  i++;
  const size = 1000 + ((i * 7919) % 200_000);
  await kv.put('big', { n: i, payload: 'x'.repeat(size), end: 'END' });
  // Ready once a first value is in place (on a loaded machine the first write may take longer than the parent waits).
  if (i === 1) process.stdout.write('ready\n');
}
