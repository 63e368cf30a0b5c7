import { ExitCode, SavepointError, type SavepointErrorOptions } from '../core/errors.js';
import type { HeadState } from '../core/ports.js';
import type { PlanState } from './model.js';

/** No plan has this id (exit 3, `PLAN_NOT_FOUND`). */
export class PlanNotFoundError extends SavepointError {
  constructor(planId: string) {
    super('PLAN_NOT_FOUND', ExitCode.notFound, `plan ${planId} not found`, {
      details: { planId },
      hint: 'list plans with `savepoint plan list`',
    });
  }
}

/** The plan is `applied` or `abandoned`, so it can no longer change (exit 4, `PLAN_NOT_ACTIVE`). */
export class PlanNotActiveError extends SavepointError {
  constructor(planId: string, state: PlanState, action: string) {
    super('PLAN_NOT_ACTIVE', ExitCode.stateConflict, `cannot ${action}: plan ${planId} is ${state}`, {
      details: { planId, state },
    });
  }
}

/** The sandbox already has an active plan; one at a time (exit 4, `PLAN_ACTIVE_EXISTS`). */
export class ActivePlanExistsError extends SavepointError {
  constructor(sandboxPath: string, planId: string) {
    super(
      'PLAN_ACTIVE_EXISTS',
      ExitCode.stateConflict,
      `sandbox ${sandboxPath} already has active plan ${planId}`,
      {
        details: { sandboxPath, planId },
        hint: `apply or abandon it first: savepoint plan apply ${planId} | savepoint plan abandon ${planId}`,
      },
    );
  }
}

/**
 * Another process changed the plan's state between our read and our write; the persisted
 * state is reported and nothing else is done (exit 4, `PLAN_STATE_CHANGED`).
 */
export class PlanStateChangedError extends SavepointError {
  constructor(planId: string, expected: PlanState, persisted: PlanState | undefined) {
    super(
      'PLAN_STATE_CHANGED',
      ExitCode.stateConflict,
      `plan ${planId} is no longer ${expected}: another process made it ${persisted ?? 'disappear'}`,
      { details: { planId, expected, state: persisted ?? null } },
    );
  }
}

/** HEAD is on another branch than the checkpoint recorded (exit 4, `HEAD_MOVED`). */
export class HeadMovedError extends SavepointError {
  constructor(recorded: string | null, current: string | null, options: SavepointErrorOptions = {}) {
    super(
      'HEAD_MOVED',
      ExitCode.stateConflict,
      `HEAD is on ${current ?? 'a detached commit'} but the checkpoint was taken on ${recorded ?? 'a detached commit'}`,
      {
        details: { recordedRef: recorded, currentRef: current },
        hint: 'switch back, or pass --head keep to restore files and index without moving HEAD',
        ...options,
      },
    );
  }
}

/** `branch @ commit` for messages: `refs/heads/main @ 1a2b3c4d`, `a detached HEAD @ …`, `… @ no commit`. */
function describeHead(head: HeadState): string {
  return `${head.ref ?? 'a detached HEAD'} @ ${head.sha?.slice(0, 12) ?? 'no commit'}`;
}

/**
 * HEAD changed (another branch, or another commit) while a rollback ran: something else, e.g.
 * the user's `git commit` or `git switch`, moved it after the rollback's scan (exit 4,
 * `HEAD_CHANGED`). Thrown before any file changes, when the rollback stops with nothing changed
 * but its safety checkpoint recorded (`stage: "before-write"`); after the files were written, it
 * is the cause of a {@link RollbackIncompleteError} (`stage: "before-head"`, `"after-head"`,
 * `"after-index"`).
 */
export class HeadChangedError extends SavepointError {
  constructor(
    expected: HeadState,
    found: HeadState,
    stage: 'before-write' | 'before-head' | 'after-head' | 'after-index',
    options: SavepointErrorOptions = {},
  ) {
    const what =
      stage === 'after-head' || stage === 'after-index'
        ? `HEAD changed while the rollback ran: it is ${describeHead(found)}, the rollback left it at ${describeHead(expected)}`
        : `HEAD changed while the rollback ran: it was ${describeHead(expected)}, it is now ${describeHead(found)}`;
    super(
      'HEAD_CHANGED',
      ExitCode.stateConflict,
      stage === 'before-write' ? `${what}; the rollback stopped before changing any file` : what,
      {
        details: {
          stage,
          expectedRef: expected.ref,
          expectedSha: expected.sha,
          currentRef: found.ref,
          currentSha: found.sha,
        },
        hint: 'let the other git command finish, then run the rollback again',
        ...options,
      },
    );
  }
}

/** Rollback needs a confirmation it did not get (exit 8, `CONFIRMATION_REQUIRED` / `CONFIRMATION_DECLINED`). */
export class ConfirmationError extends SavepointError {
  constructor(declined: boolean) {
    if (declined) {
      super(
        'CONFIRMATION_DECLINED',
        ExitCode.confirmationRequired,
        'rollback cancelled; nothing was changed',
      );
    } else {
      super(
        'CONFIRMATION_REQUIRED',
        ExitCode.confirmationRequired,
        'rollback needs confirmation: pass --yes (or run on a terminal)',
        {
          hint: 'preview first with --dry-run, then pass --yes',
        },
      );
    }
  }
}

/**
 * Rollback failed after it began changing the sandbox. The safety checkpoint holds the state
 * from before; rolling back to it returns there (exit 1, `ROLLBACK_INCOMPLETE`). `details`:
 * `planId`, `safetyCheckpointId`, and `causeCode` when the cause is a savepoint error.
 */
export class RollbackIncompleteError extends SavepointError {
  constructor(planId: string, safetyCheckpointId: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('ROLLBACK_INCOMPLETE', ExitCode.unexpected, `rollback did not finish: ${reason}`, {
      cause,
      // The cause's own code when it has one (e.g. `HEAD_CHANGED`, `GIT_FAILED`).
      details: {
        planId,
        safetyCheckpointId,
        ...(cause instanceof SavepointError ? { causeCode: cause.code } : {}),
      },
      hint: `finish it with \`savepoint recover --plan ${planId}\`, or return to the state before the rollback (safety checkpoint ${safetyCheckpointId}) with \`savepoint recover --plan ${planId} --abort\``,
    });
  }
}

/**
 * The sandbox changed between the preview that was confirmed and the moment rollback took the
 * sandbox lock and scanned again (exit 8, `SANDBOX_CHANGED_SINCE_PREVIEW`); nothing was changed.
 * The rollback commands then ask again with the new preview on a terminal; a `confirm` that
 * cannot ask again (off a terminal) throws this to refuse.
 */
export class SandboxChangedSincePreviewError extends SavepointError {
  constructor(details: Record<string, unknown> = {}) {
    super(
      'SANDBOX_CHANGED_SINCE_PREVIEW',
      ExitCode.confirmationRequired,
      'the sandbox changed after the preview was shown; nothing was changed',
      { details, hint: 'look at the new preview (--dry-run) and run the rollback again' },
    );
  }
}
