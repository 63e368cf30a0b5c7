/**
 * The error base and the exit-code table of the savepoint CLI contract (DESIGN §5b).
 *
 * Every failure savepoint reports is a {@link SavepointError} with a stable string `code`
 * and the process exit code the CLI ends with. The library throws the same classes, so an
 * agent framework can branch on `code` or `exitCode` exactly as a shell script would.
 */

/** Exit codes of the `savepoint` CLI. Stable: scripts and agents rely on them. */
export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  notFound: 3,
  stateConflict: 4,
  sandboxInvalid: 5,
  busy: 6,
  interrupted: 7,
  confirmationRequired: 8,
  integrity: 9,
  internal: 10,
  /** 128 + SIGINT (2), the shell's convention: stopped by Ctrl-C. */
  sigint: 130,
  /** 128 + SIGTERM (15): stopped by SIGTERM. */
  sigterm: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** One line per exit code, for help text and docs. */
export const exitCodeTable: ReadonlyArray<readonly [ExitCodeValue, string]> = [
  [0, 'ok'],
  [1, 'unexpected failure (for example a git command failed for a reason savepoint does not know)'],
  [2, 'usage: bad flags or arguments'],
  [3, 'not found: plan, checkpoint, decision, operation, an active plan of the sandbox'],
  [
    4,
    'state conflict: plan applied/abandoned, checkpoint not in plan, lost compare-and-set, active plan exists, HEAD on another branch, ignored file in the way, decision already reverted, nothing to undo',
  ],
  [5, 'sandbox missing or invalid (not a git worktree, another repository, a refused root)'],
  [6, 'busy: the sandbox lock or a git lock is held (retryable; --wait waits longer)'],
  [7, 'an interrupted operation awaits `savepoint recover`'],
  [8, 'confirmation required (or declined)'],
  [9, 'integrity: checkpoint objects missing, foreign or newer database, doctor found problems'],
  [10, 'internal bug'],
  [130, 'stopped by SIGINT (Ctrl-C); 143: stopped by SIGTERM'],
];

/** Optional extras of a {@link SavepointError}. */
export interface SavepointErrorOptions {
  /** Machine-readable context, printed under `error.details` with `--json`. */
  details?: Record<string, unknown>;
  /** The lower-level error this one translates. */
  cause?: unknown;
  /** A hint for humans on what to do next. */
  hint?: string;
}

/**
 * Base class of every error savepoint reports on purpose.
 *
 * `code` is a stable SCREAMING_SNAKE identifier (e.g. `PLAN_NOT_ACTIVE`); `exitCode` is the
 * CLI exit code from {@link ExitCode}.
 */
export class SavepointError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  readonly details: Record<string, unknown>;
  readonly hint: string | undefined;

  constructor(code: string, exitCode: ExitCodeValue, message: string, options: SavepointErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.details = options.details ?? {};
    this.hint = options.hint;
  }

  /** The `error` object of the `--json` failure envelope. */
  toJSON(): { code: string; message: string; exitCode: number; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, exitCode: this.exitCode, details: this.details };
  }
}

/** Bad flags, arguments or values (exit 2, `USAGE`). */
export class UsageError extends SavepointError {
  constructor(message: string, options: SavepointErrorOptions = {}) {
    super('USAGE', ExitCode.usage, message, options);
  }
}

/** A bug in savepoint itself: an invariant did not hold (exit 10, `INTERNAL`). */
export class InternalError extends SavepointError {
  constructor(message: string, options: SavepointErrorOptions = {}) {
    super('INTERNAL', ExitCode.internal, message, options);
  }
}

/** The sandbox is gone, is not a git worktree, or is not the one recorded (exit 5, `SANDBOX_INVALID`). */
export class SandboxInvalidError extends SavepointError {
  constructor(message: string, options: SavepointErrorOptions = {}) {
    super('SANDBOX_INVALID', ExitCode.sandboxInvalid, message, options);
  }
}

/** The sandbox would be `/` or the user's home directory (exit 5, `SANDBOX_REFUSED`). */
export class SandboxRefusedError extends SavepointError {
  constructor(message: string, options: SavepointErrorOptions = {}) {
    super('SANDBOX_REFUSED', ExitCode.sandboxInvalid, message, options);
  }
}

/** Another process holds a lock savepoint needs, e.g. `.git/index.lock` (exit 6, `BUSY`). Retryable. */
export class BusyError extends SavepointError {
  constructor(message: string, options: SavepointErrorOptions = {}) {
    super('BUSY', ExitCode.busy, message, options);
  }
}

/** A git command failed in a way savepoint did not expect (exit 1, `GIT_FAILED`). */
export class GitCommandError extends SavepointError {
  constructor(message: string, options: SavepointErrorOptions = {}) {
    super('GIT_FAILED', ExitCode.unexpected, message, options);
  }
}

/** The database is not savepoint's, is newer than this binary, or is corrupt (exit 9). */
export class StoreIntegrityError extends SavepointError {
  constructor(
    code: 'STORE_FOREIGN' | 'STORE_TOO_NEW' | 'STORE_CORRUPT',
    message: string,
    options: SavepointErrorOptions = {},
  ) {
    super(code, ExitCode.integrity, message, options);
  }
}

/** Turns anything thrown into a {@link SavepointError}; unknown errors become {@link InternalError}. */
export function toSavepointError(error: unknown): SavepointError {
  if (error instanceof SavepointError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new InternalError(`unexpected error: ${message}`, { cause: error });
}
