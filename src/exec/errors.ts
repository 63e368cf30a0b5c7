import { ExitCode, SavepointError } from '../core/errors.js';

/**
 * The command given to `savepoint exec` could not be started (exit 3 `COMMAND_NOT_STARTED`
 * when the program is not found, ENOENT; exit 1 for any other spawn failure such as EACCES).
 * No attempt is recorded; the checkpoint taken before it stays.
 */
export class CommandNotStartedError extends SavepointError {
  constructor(program: string, errno: string | undefined, options: { cause?: unknown } = {}) {
    super(
      'COMMAND_NOT_STARTED',
      errno === 'ENOENT' ? ExitCode.notFound : ExitCode.unexpected,
      errno === 'ENOENT'
        ? `command not found: ${program}`
        : `could not start ${program}: ${errno ?? 'unknown error'}`,
      { ...options, details: { program, errno: errno ?? null } },
    );
  }
}
