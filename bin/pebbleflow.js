#!/usr/bin/env node
// The CLI is TypeScript compiled to dist/ by `npm run build` (run by `prepare` on install).
import '../dist/cli/main.js';
