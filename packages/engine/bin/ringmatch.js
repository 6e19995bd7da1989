#!/usr/bin/env node
// Committed shim: npm links a bin only if its file exists at install time, before `prepare`
// compiles dist/. The CLI itself is TypeScript compiled to dist/cli.js.
import '../dist/cli.js';
