/**
 * Opening the library on temp repositories and asserting on its typed errors.
 */
import './isolated-env.js';
import { expect, onTestFinished } from 'vitest';
import { SavepointError } from '../../src/core/errors.js';
import type { RollbackPreview } from '../../src/plan/rollback-service.js';
import { Savepoint, type SavepointOptions } from '../../src/savepoint.js';

/** Opens savepoint on `repo` (its default database unless `db` is given); closed when the test finishes. */
export async function openSavepoint(
  repo: string,
  options: Omit<SavepointOptions, 'cwd'> = {},
): Promise<Savepoint> {
  const sp = await Savepoint.open({ cwd: repo, ...options });
  onTestFinished(() => sp.close());
  return sp;
}

/** A rollback confirmation that always says yes (what `--yes` does). */
export const yes = async (_preview: RollbackPreview): Promise<boolean> => true;

/** A rollback confirmation that always says no. */
export const no = async (_preview: RollbackPreview): Promise<boolean> => false;

/**
 * Awaits `action` (a promise or a function that may throw synchronously) and asserts it
 * failed with an instance of `type` carrying `code` and `exitCode`. Returns the error.
 */
export async function expectError<E extends SavepointError>(
  action: Promise<unknown> | (() => unknown),
  type: new (...args: never[]) => E,
  code: string,
  exitCode: number,
): Promise<E> {
  let thrown: unknown;
  let threw = false;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (error) {
    thrown = error;
    threw = true;
  }
  expect(threw, `expected ${type.name} ${code}, but nothing was thrown`).toBe(true);
  expect(thrown).toBeInstanceOf(type);
  expect(thrown).toBeInstanceOf(SavepointError);
  const error = thrown as E;
  expect({ code: error.code, exitCode: error.exitCode }).toEqual({ code, exitCode });
  return error;
}
