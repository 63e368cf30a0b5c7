#!/usr/bin/env node
// oclif's settings: this entry runs the compiled bundle, so oclif never looks for TypeScript
// sources to transpile (it would under NODE_ENV=test or development, loading tsx and typescript).
globalThis.oclif = { ...globalThis.oclif, enableAutoTranspile: false };

// The bundled CLI (scripts/bundle.mjs): oclif, the commands and the hook in one file.
const { execute } = await import('../dist/bundle/cli.js');
await execute({ dir: import.meta.url });
