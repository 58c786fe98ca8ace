/**
 * The code of the engine's worker thread, as a CommonJS script evaluated by `new Worker(source,
 * { eval: true })` (so that it runs the same from the TypeScript sources, under Jest, and from
 * `dist/`). It runs the work a template can make endless, where it can be cut off: jq programs
 * (jq 1.7 compiled to WebAssembly, whose memory is capped here) and regular expressions that V8
 * cannot run in linear time.
 *
 * Protocol: jobs `{ id, job, announce }` arrive on `workerData.port`; each reply `{ id, reply }`
 * is posted on the same port, then `shared[0]` is set to `id` and notified, which wakes a main
 * thread blocked in `Atomics.wait` (a `renderSync`). `shared[2]` becomes 1 when the thread runs and
 * `shared[1]` once jq is loaded (or failed to load), for the same reason; `{ booted: true }` and
 * `{ ready: true }` messages say the same to asynchronous callers. When the thread starts a job,
 * `shared[3]` becomes its id (and `{ started: id }` is posted if `announce`): the caller's time
 * limit counts from there, not from when the job was sent.
 */
export const WORKER_SOURCE = String.raw`
'use strict';
const { workerData } = require('node:worker_threads');
const { port, shared, jqPath, jqMemoryBytes } = workerData;
Atomics.store(shared, 2, 1);
Atomics.notify(shared, 2);
port.postMessage({ booted: true });

// jq's memory budget: WebAssembly memories of this thread (only jq's) grow up to jqMemoryBytes.
// Emscripten treats a failed grow as an allocation failure, which jq reports as an error.
const grow = WebAssembly.Memory.prototype.grow;
WebAssembly.Memory.prototype.grow = function (pages) {
  if (this.buffer.byteLength + pages * 65536 > jqMemoryBytes) throw new RangeError('jq memory budget exceeded');
  return grow.call(this, pages);
};

// Emscripten prints "Aborted(...)" when jq hits its memory budget; the job's reply says it already.
for (const method of ['log', 'error', 'warn']) {
  const print = console[method].bind(console);
  console[method] = (...args) => {
    if (typeof args[0] === 'string' && args[0].startsWith('Aborted(')) return;
    print(...args);
  };
}

let jq = null;
let jqLoadError = null;
const jqLoading = require(jqPath).then(
  (m) => { jq = m; },
  (e) => { jqLoadError = e; },
).then(() => {
  Atomics.store(shared, 1, 1);
  Atomics.notify(shared, 1);
  port.postMessage({ ready: true });
});

function runJq(job) {
  if (jq === null) return { ok: false, fatal: true, message: 'jq could not be loaded: ' + String(jqLoadError && jqLoadError.message) };
  try {
    const output = jq.raw(job.json, job.expression, ['-c']);
    if (output !== undefined && output.length > job.maxOutput) return { ok: false, tooLong: output.length };
    return { ok: true, output };
  } catch (e) {
    const message = String((e && e.message) || e);
    // An Emscripten abort (out of memory included) leaves the module unusable: the thread is replaced.
    const fatal = e instanceof WebAssembly.RuntimeError || /Aborted|out of memory|memory budget/i.test(message);
    return { ok: false, fatal, message, stderr: e && e.stderr !== undefined ? String(e.stderr) : undefined };
  }
}

function runRegex(job) {
  try {
    const re = new RegExp(job.source, job.flags);
    const matches = [];
    for (const m of job.input.matchAll(re)) {
      if (matches.length >= job.maxMatches) return { ok: false, tooMany: true };
      matches.push([m.index, Array.from(m), m.groups === undefined ? null : Object.assign({}, m.groups)]);
    }
    return { ok: true, matches };
  } catch (e) {
    return { ok: false, message: String((e && e.message) || e) };
  }
}

port.on('message', async (msg) => {
  if (msg.job.kind === 'jq') await jqLoading;
  // The caller's time limit starts now.
  Atomics.store(shared, 3, msg.id);
  Atomics.notify(shared, 3);
  if (msg.announce) port.postMessage({ started: msg.id });
  const reply = msg.job.kind === 'jq' ? runJq(msg.job) : runRegex(msg.job);
  port.postMessage({ id: msg.id, reply });
  Atomics.store(shared, 0, msg.id);
  Atomics.notify(shared, 0);
});
`;
