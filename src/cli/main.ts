#!/usr/bin/env node
/** Entry point: `bin/pebbleflow.js` imports the built copy of this file. */
import { main } from './cli.js';
import { colourWanted, createStyle } from './style.js';

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  out: createStyle(colourWanted(process.env, process.stdout.isTTY === true)),
  err: createStyle(colourWanted(process.env, process.stderr.isTTY === true)),
});
process.exitCode = code;
