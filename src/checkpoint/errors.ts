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

/**
 * The checkpoint's ref or commit is gone from the repository, or (a patch checkpoint) the
 * HEAD commit it must restore is (exit 9, `CHECKPOINT_OBJECTS_MISSING`).
 */
export class CheckpointObjectsMissingError extends SavepointError {
  /**
   * @param ref the checkpoint's ref (null for a patch checkpoint)
   * @param options.missing what is gone, when it is not the ref (e.g. `HEAD commit <sha>`)
   * @param options.action what cannot be done: `restored` (rollback, the default) or `compared` (show --diff, diff)
   */
  constructor(checkpointId: string, ref: string | null, options: { missing?: string; action?: string } = {}) {
    const { missing, action = 'restored' } = options;
    super(
      'CHECKPOINT_OBJECTS_MISSING',
      ExitCode.integrity,
      `checkpoint ${checkpointId} cannot be ${action}: ${missing ?? `${ref ?? 'its ref'} is missing or points elsewhere`}`,
      {
        details: missing === undefined ? { checkpointId, ref } : { checkpointId, ref, missing },
        ...(missing === undefined
          ? {}
          : { hint: 'pass --head keep to restore files and index without moving HEAD' }),
      },
    );
  }
}

/** Why a patch cannot be made, applied or exported. */
export type PatchFailure =
  /** The plan's base commit, which the patch applies to, is gone from the repository. */
  | 'base-missing'
  /** `git apply` refused the patch. */
  | 'does-not-apply'
  /** The patch applied but gave another tree than the one recorded. */
  | 'tree-mismatch'
  /** The row's patch bundle is absent or not a bundle (edited by hand, truncated). */
  | 'malformed';

/** What was being done with the patch when it failed. */
export type PatchAction = 'take' | 'restore' | 'export' | 'compare';

/**
 * A patch checkpoint's patch cannot be applied to the plan's base commit (or, taking one, the
 * patch just made does not reproduce the snapshot) (exit 9, `PATCH_DOES_NOT_APPLY`).
 */
export class PatchDoesNotApplyError extends SavepointError {
  constructor(context: {
    action: PatchAction;
    planId: string;
    /** Null while taking a checkpoint (none was recorded). */
    checkpointId: string | null;
    baseCommit: string | null;
    reason: PatchFailure;
    /** git's own words, when git refused. */
    detail?: string;
  }) {
    const { action, planId, checkpointId, baseCommit, reason, detail } = context;
    const base = baseCommit ?? 'the empty tree';
    const why = {
      'base-missing': `the plan's base commit ${base} is gone from the repository`,
      'does-not-apply': `its patch does not apply to ${base}${detail ? ` (${detail})` : ''}`,
      'tree-mismatch': `its patch applied to ${base} gives another tree than the one recorded`,
      malformed: `its stored patch is missing or damaged${detail ? ` (${detail})` : ''}`,
    }[reason];
    const what = {
      take: `cannot take a patch checkpoint of plan ${planId}`,
      restore: `checkpoint ${checkpointId} cannot be restored`,
      export: `checkpoint ${checkpointId} cannot be exported`,
      compare: `checkpoint ${checkpointId} cannot be compared`,
    }[action];
    const hint =
      action === 'take'
        ? 'take a commit checkpoint instead: --type commit'
        : reason === 'base-missing'
          ? `a patch checkpoint applies only on top of its plan's base commit: fetch or restore ${base} into this repository, or roll back to a commit checkpoint`
          : 'roll back to another checkpoint of the plan';
    super('PATCH_DOES_NOT_APPLY', ExitCode.integrity, `${what}: ${why}`, {
      details: { planId, checkpointId, baseCommit, reason, ...(detail ? { detail } : {}) },
      hint,
    });
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
 * A file name savepoint would have to handle is not valid UTF-8 (exit 4, `PATH_NOT_UTF8`):
 * git's output is read as UTF-8, so such a name cannot be passed back to git or the file
 * system exactly. Thrown by the scan (checkpoint create, rollback's scan) and by rollback's
 * comparison of trees, before anything is recorded or changed. `paths` show each byte that is
 * not UTF-8 as U+FFFD.
 */
export class PathNotUtf8Error extends SavepointError {
  constructor(sandboxPath: string, paths: string[]) {
    super(
      'PATH_NOT_UTF8',
      ExitCode.stateConflict,
      `file names in ${sandboxPath} are not valid UTF-8, which savepoint cannot handle exactly; nothing was changed: ${paths.join(', ')}`,
      {
        details: { sandboxPath, paths },
        hint: 'rename those files to UTF-8 names (or add them to .gitignore if they are untracked), then retry',
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

/**
 * A checkpoint's tree holds a path that is unsafe to write under the sandbox: `..`, absolute,
 * an empty component, or `.git` in any case (exit 9, `CHECKPOINT_UNSAFE_PATH`). git never
 * records such paths; the tree or the row was tampered with. Nothing was changed.
 */
export class CheckpointUnsafePathError extends SavepointError {
  /** @param paths the unsafe tree paths (first 100) */
  constructor(checkpointId: string, paths: readonly string[]) {
    super(
      'CHECKPOINT_UNSAFE_PATH',
      ExitCode.integrity,
      `checkpoint ${checkpointId} cannot be restored: its tree holds ${paths.length === 1 ? 'a path' : `${paths.length} paths`} unsafe to write (${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ', ...' : ''})`,
      {
        details: { checkpointId, paths: paths.slice(0, 100) },
        hint: 'the checkpoint was tampered with; run `savepoint doctor`',
      },
    );
  }
}
