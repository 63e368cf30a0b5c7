import { ExitCode, SavepointError } from '../core/errors.js';

/** No checkpoint has this id (exit 3, `CHECKPOINT_NOT_FOUND`). */
export class CheckpointNotFoundError extends SavepointError {
  constructor(checkpointId: string) {
    super('CHECKPOINT_NOT_FOUND', ExitCode.notFound, `checkpoint ${checkpointId} not found`, {
      details: { checkpointId },
      hint: 'list checkpoints with `savepoint checkpoint list --plan <plan>`',
    });
  }
}

/** The checkpoint exists but belongs to another plan (exit 4, `CHECKPOINT_NOT_IN_PLAN`). */
export class CheckpointNotInPlanError extends SavepointError {
  constructor(checkpointId: string, planId: string, ownerPlanId: string) {
    super(
      'CHECKPOINT_NOT_IN_PLAN',
      ExitCode.stateConflict,
      `checkpoint ${checkpointId} belongs to plan ${ownerPlanId}, not ${planId}`,
      {
        details: { checkpointId, planId, ownerPlanId },
      },
    );
  }
}

/** The checkpoint's ref or commit is gone from the repository (exit 9, `CHECKPOINT_OBJECTS_MISSING`). */
export class CheckpointObjectsMissingError extends SavepointError {
  /** `action`: what cannot be done, e.g. `restored` (rollback) or `compared` (show --diff, diff). */
  constructor(checkpointId: string, ref: string | null, action = 'restored') {
    super(
      'CHECKPOINT_OBJECTS_MISSING',
      ExitCode.integrity,
      `checkpoint ${checkpointId} cannot be ${action}: ${ref ?? 'its ref'} is missing or points elsewhere`,
      { details: { checkpointId, ref } },
    );
  }
}

/** The index has unresolved merge conflicts, which a tree cannot hold (exit 4, `INDEX_UNMERGED`). */
export class UnmergedIndexError extends SavepointError {
  constructor(sandboxPath: string) {
    super(
      'INDEX_UNMERGED',
      ExitCode.stateConflict,
      `the index of ${sandboxPath} has unresolved merge conflicts`,
      {
        details: { sandboxPath },
        hint: 'resolve the conflicts (git add / git merge --abort), then checkpoint',
      },
    );
  }
}

/**
 * Rollback would overwrite a file that is not part of any snapshot (an ignored or otherwise
 * unsnapshotted file in the way), or a file changed while rollback ran (exit 4, `PATH_IN_THE_WAY`).
 */
export class PathInTheWayError extends SavepointError {
  constructor(paths: string[], reason: 'untracked' | 'changed' | 'nested-repository') {
    const what = {
      untracked:
        'files that no snapshot holds (ignored, or created while the rollback ran) would be overwritten',
      changed: 'files changed while the rollback ran',
      'nested-repository':
        'nested repositories stand where the checkpoint has files, and savepoint never moves them',
    }[reason];
    const hint = {
      untracked: 'move those files away and retry, or pass --force to have savepoint move them aside',
      changed: 'retry the rollback',
      'nested-repository': 'move the nested repositories away yourself, then retry',
    }[reason];
    super(
      'PATH_IN_THE_WAY',
      ExitCode.stateConflict,
      `rollback stopped, nothing restored: ${what}: ${paths.join(', ')}`,
      {
        details: { paths, reason },
        hint,
      },
    );
  }
}
