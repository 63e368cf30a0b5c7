/**
 * The base of every savepoint command: `--json` (oclif `enableJsonFlag`), the base flags
 * `--cwd` and `--db`, lazy opening of the library, and error reporting that keeps the
 * exit-code contract in both modes (DESIGN §5b).
 */
import path from 'node:path';
// Subpath imports: the package index also loads semver (~50 files) for an engine check.
import { Command } from '@oclif/core/command';
import * as Errors from '@oclif/core/errors';
import * as Flags from '@oclif/core/flags';
import type * as Interfaces from '@oclif/core/interfaces';
import { SavepointError, toSavepointError, UsageError } from '../core/errors.js';
import { CancelledError } from '../ledger/errors.js';
import { cancelRunningOperations } from '../ledger/ledger.js';
import type { Savepoint } from '../savepoint.js';
import { visible } from './visible.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof SavepointCommand)['baseFlags'] & T['flags']
>;

/** oclif's parse error text without its decoration: one or more plain sentences. */
export function usageMessage(message: string): string {
  return message
    .replace(/\s*See more help with --help\s*$/, '')
    .replace(/^The following errors? occurred:\s*/, '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join('; ');
}

/**
 * `--wait SECONDS` of mutating commands: how long to wait for the sandbox lock another
 * savepoint process holds before exit 6 (`BUSY`).
 */
export const waitFlag = Flags.string({
  summary:
    'Seconds to wait for the sandbox lock held by another savepoint process before exiting with 6 (BUSY).',
  description: 'Default: SAVEPOINT_WAIT if set, else 30. Waiters get the lock in arrival order.',
  helpValue: 'SECONDS',
});

/** Parses `--wait`; throws a usage error for anything but a number ≥ 0. */
function waitMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < 0) {
    throw new UsageError(`--wait must be a number of seconds ≥ 0, got "${value}"`, {
      details: { wait: value },
    });
  }
  return Math.round(seconds * 1000);
}

/** Codes that are a stop the user asked for, not a failure: reported as a plain line, not a red error. */
const PLAIN_CODES: ReadonlySet<string> = new Set(['CANCELLED', 'CONFIRMATION_DECLINED']);

/** The human report of a failure, without color: `Error [CODE]: message`, or just the message for {@link PLAIN_CODES}. */
function plainReport(failure: SavepointError): string {
  const hint = failure.hint ? `Hint: ${visible(failure.hint, true)}\n` : '';
  return `${visible(failure.message, true)}\n${hint}`;
}

let signalsHooked = false;

/**
 * SIGINT (Ctrl-C) and SIGTERM: close the running operation as `cancelled` when it has changed
 * nothing (else leave it for `savepoint recover`), report `CANCELLED` like any failure (plain
 * line, or the JSON envelope) and exit 130 / 143. Everything here is synchronous: the process
 * ends in this handler, whatever the interrupted code was awaiting. Private temp files are
 * removed by their own `exit` handler (src/git/temp-files.ts).
 */
function hookSignals(json: boolean): void {
  if (signalsHooked) return;
  signalsHooked = true;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    const error = new CancelledError(signal, cancelRunningOperations(signal));
    if (json) process.stdout.write(`${JSON.stringify({ error: error.toJSON() })}\n`);
    else process.stderr.write(plainReport(error));
    process.exit(error.exitCode);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export abstract class SavepointCommand<T> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    cwd: Flags.directory({
      summary: 'Run as if started in this directory (selects the repository and its database).',
      helpGroup: 'GLOBAL',
    }),
    db: Flags.string({
      summary: 'Database file to use instead of <git-common-dir>/savepoint/state.db.',
      env: 'SAVEPOINT_DB',
      helpGroup: 'GLOBAL',
    }),
  };

  private savepoint: Savepoint | undefined;

  abstract override run(): Promise<T>;

  /**
   * SIGINT/SIGTERM end the command with exit 130/143 (`CANCELLED`). False for a command that
   * handles them itself (`exec` forwards them to the command it runs and exits with its status).
   */
  static exitOnSignal = true;

  override async init(): Promise<void> {
    await super.init();
    if ((this.constructor as typeof SavepointCommand).exitOnSignal) hookSignals(this.jsonEnabled());
  }

  /**
   * Opens the library for the repository of `cwd` (default `--cwd`, then the process's
   * directory). Imported lazily so `--help` does not load git and SQLite code.
   */
  protected async open(
    flags: { cwd?: string | undefined; db?: string | undefined; wait?: string | undefined },
    cwd?: string,
  ): Promise<Savepoint> {
    const lockWaitMs = waitMs(flags.wait);
    const { Savepoint } = await import('../savepoint.js');
    const options: { cwd: string; db?: string; lockWaitMs?: number } = {
      cwd: cwd ?? flags.cwd ?? process.cwd(),
    };
    if (flags.db !== undefined) options.db = path.resolve(flags.cwd ?? process.cwd(), flags.db);
    if (lockWaitMs !== undefined) options.lockWaitMs = lockWaitMs;
    this.savepoint = await Savepoint.open(options);
    return this.savepoint;
  }

  /**
   * Human output goes to stdout only when `--json` is off. Pass a function for text that costs
   * something to build (a table): it only runs in human mode.
   */
  protected say(text: string | (() => string)): void {
    if (!this.jsonEnabled()) process.stdout.write(`${typeof text === 'function' ? text() : text}\n`);
  }

  /** Progress and notices: stderr, never mixed into results. */
  protected note(text: string): void {
    process.stderr.write(`${text}\n`);
  }

  override logJson(json: unknown): void {
    process.stdout.write(`${process.stdout.isTTY ? JSON.stringify(json, null, 2) : JSON.stringify(json)}\n`);
  }

  /**
   * Reports any failure with its stable code and exit code. With `--json` the envelope
   * `{"error":{code,message,exitCode,details}}` is the only thing on stdout. The exit code is
   * set here because oclif drops a custom one under `--json` (oclif/core#1423).
   */
  override async catch(error: Error & { exitCode?: number }): Promise<void> {
    // oclif's own errors are parse errors (missing or unknown flags, bad options): usage, exit 2.
    const failure =
      !(error instanceof SavepointError) && error instanceof Errors.CLIError
        ? new UsageError(usageMessage(error.message), { cause: error })
        : toSavepointError(error);
    process.exitCode = failure.exitCode;
    if (this.jsonEnabled()) {
      this.logJson({ error: failure.toJSON() });
      return;
    }
    if (PLAIN_CODES.has(failure.code)) {
      process.stderr.write(plainReport(failure));
      return;
    }
    const { default: pc } = await import('picocolors');
    const color = process.stderr.isTTY ? pc : pc.createColors(false);
    process.stderr.write(
      `${color.red('Error')} ${color.dim(`[${failure.code}]`)}: ${visible(failure.message, true)}\n`,
    );
    if (failure.hint) process.stderr.write(`${color.dim('Hint:')} ${visible(failure.hint, true)}\n`);
  }

  override async finally(error: Error | undefined): Promise<void> {
    this.savepoint?.close();
    this.savepoint = undefined;
    await super.finally(error);
  }
}
