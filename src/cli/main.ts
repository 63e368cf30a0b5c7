/**
 * The CLI's entry point, bundled by scripts/bundle.mjs into `dist/bundle/cli.js` (which
 * `bin/run.js` runs): oclif's `execute`, the commands (package.json `oclif.commands`,
 * strategy `explicit`, identifier `COMMANDS`) and the hooks (`oclif.hooks`, by identifier),
 * so that oclif, the commands and their imports load from one file instead of hundreds.
 */
export { execute } from '@oclif/core/execute';
export { default as commandNotFound } from '../hooks/command-not-found.js';
export { COMMANDS } from './commands.js';
