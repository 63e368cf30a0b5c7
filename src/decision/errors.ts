import { ExitCode, SavepointError } from '../core/errors.js';

/** No decision has this id (exit 3, `DECISION_NOT_FOUND`). */
export class DecisionNotFoundError extends SavepointError {
  constructor(decisionId: string) {
    super('DECISION_NOT_FOUND', ExitCode.notFound, `decision ${decisionId} not found`, {
      details: { decisionId },
      hint: 'list decisions with `savepoint decision list --plan <plan>`',
    });
  }
}

/**
 * The decision is already reverted, so a correction cannot revert it again (exit 4,
 * `DECISION_NOT_ACTIVE`). Also thrown when another process reverted it while this
 * correction ran; the sandbox is then returned to the state before the correction.
 */
export class DecisionNotActiveError extends SavepointError {
  constructor(decisionId: string, revertedBy: string | null) {
    super(
      'DECISION_NOT_ACTIVE',
      ExitCode.stateConflict,
      `decision ${decisionId} is already reverted${revertedBy ? ` (by the rollback whose safety checkpoint is ${revertedBy})` : ''}`,
      {
        details: { decisionId, revertedBy },
        hint: 'to bring it back, undo that correction with `savepoint undo`',
      },
    );
  }
}

/** `undo` without `--plan`, and the sandbox of the current directory has no active plan (exit 3, `NO_ACTIVE_PLAN`). */
export class NoActivePlanError extends SavepointError {
  constructor(sandboxPath: string) {
    super('NO_ACTIVE_PLAN', ExitCode.notFound, `sandbox ${sandboxPath} has no active plan`, {
      details: { sandboxPath },
      hint: 'pass --plan <plan>, or run in the sandbox of an active plan',
    });
  }
}

/** The plan has no rollback or correction to undo (exit 4, `NOTHING_TO_UNDO`). */
export class NothingToUndoError extends SavepointError {
  constructor(planId: string) {
    super('NOTHING_TO_UNDO', ExitCode.stateConflict, `plan ${planId} has no rollback or correction to undo`, {
      details: { planId },
    });
  }
}
