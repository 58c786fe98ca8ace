/**
 * `node --import ./list-modules.mjs …`: at exit, prints every module the process loaded as one
 * line on stderr, `MODULES=[…urls and paths…]` — ES modules as the loader hook saw them, CommonJS
 * ones from require's cache (packages loaded with createRequire never pass the ESM hook).
 */
import { createRequire, register } from 'node:module';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';

const { port1, port2 } = new MessageChannel();
const hook = `
let port;
export function initialize(data) { port = data.port; }
export async function load(url, context, next) {
  port.postMessage(url);
  return next(url, context);
}`;
register('data:text/javascript,' + encodeURIComponent(hook), { data: { port: port2 }, transferList: [port2] });
port1.unref();

process.on('exit', () => {
  const seen = [];
  // Drained synchronously: no listener consumes the messages, so none is lost at exit.
  for (let m = receiveMessageOnPort(port1); m !== undefined; m = receiveMessageOnPort(port1)) seen.push(m.message);
  seen.push(...Object.keys(createRequire(import.meta.url).cache));
  process.stderr.write(`MODULES=${JSON.stringify(seen)}\n`);
});
