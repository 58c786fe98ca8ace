#!/usr/bin/env node
// The CLI is TypeScript compiled to dist/ and bundled into dist/bundle/ by `npm run build` (run by
// `prepare` on install); tools/bundle.mjs says why it is bundled.
import '../dist/bundle/cli.js';
