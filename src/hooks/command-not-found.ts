import type { Hook } from '@oclif/core/hooks';
import { UsageError } from '../core/errors.js';

/**
 * An unknown command is a usage error (exit 2) like any other: with `--json` it prints the
 * error envelope on stdout, so an agent parsing stdout always gets JSON.
 */
const hook: Hook.CommandNotFound = async function ({ id, argv }) {
  const name = id.replaceAll(':', ' ');
  const error = new UsageError(`unknown command "${name}"`, {
    details: { command: name },
    hint: `list the commands with: ${this.config.bin} --help`,
  });
  process.exitCode = error.exitCode;
  if ((argv ?? []).includes('--json') || process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ error: error.toJSON() })}\n`);
  } else {
    process.stderr.write(`Error [${error.code}]: ${error.message}\nHint: ${error.hint}\n`);
  }
};

export default hook;
