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
  signals: {
    on(handler) {
      const onInt = (): void => handler('SIGINT');
      const onTerm = (): void => handler('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      return () => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      };
    },
    exit(code) {
      process.exit(code);
    },
  },
});
process.exitCode = code;
