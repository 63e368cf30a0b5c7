/**
 * RollbackService: `plan rollback` (DESIGN §5). Every guard runs before anything changes;
 * then a safety checkpoint of the current state (the undo handle), then only the differing
 * paths are rewritten, the index is set to the checkpoint's staged state, HEAD is restored.
 */
import { performance } from 'node:perf_hooks';
import type { CheckpointService } from '../checkpoint/checkpoint-service.js';
import { CheckpointObjectsMissingError, PathInTheWayError } from '../checkpoint/errors.js';
import type { Checkpoint } from '../checkpoint/model.js';
import { BusyError } from '../core/errors.js';
import type { MovedAside, SkippedPath, TreeChange } from '../core/ports.js';
import { ConfirmationError, RollbackIncompleteError } from './errors.js';
import {
  countChanges,
  decideHead,
  deletedPaths,
  type HeadMode,
  keepable,
  overlaps,
  type RestoreCounts,
  rulesChanged,
} from './rollback-rules.js';

/** What a rollback will change (dry run) or changed. */
export interface RollbackPreview {
  planId: string;
  checkpointId: string;
  restored: RestoreCounts;
  paths: TreeChange[];
  /** Files the checkpoint's ignore rules ignore, which rollback therefore leaves on disk instead of deleting. */
  preserved: string[];
  /** Unsnapshotted files (e.g. ignored) standing where the checkpoint has files: rollback stops unless `force` moves them aside. */
  inTheWay: string[];
  /** `move`: HEAD goes back to the checkpoint's commit; `kept`: `--head keep` left it; `unchanged`: already there. */
  head: { action: 'unchanged' | 'kept' | 'move'; from: string | null; to: string | null };
}

/** The rollback report (`--json` keys of DESIGN §5b). */
export interface RollbackReport extends RollbackPreview {
  /** Roll back to this checkpoint to undo the rollback; null on a dry run. */
  safetyCheckpointId: string | null;
  /** Unsnapshotted files that stood where the checkpoint has files, moved aside by `force`. */
  movedAside: MovedAside[];
  /** What the safety snapshot left out (nested repositories, files over the size cap); rollback did not touch them. */
  skippedPaths: SkippedPath[];
  dryRun: boolean;
  /** Wall time of the rollback, ms, not counting the wait for confirmation. */
  durationMs: number;
}

/** Options of {@link RollbackService.rollback}. */
export interface RollbackRequest {
  planId: string;
  checkpointId: string;
  /** Compute and return the preview; change nothing. */
  dryRun?: boolean;
  /** What to do with HEAD; default: the plan policy's `head` (itself `restore` by default). */
  head?: HeadMode;
  /**
   * When an ignored (or otherwise unsnapshotted) file stands where the checkpoint has a file,
   * move it aside into savepoint's directory instead of stopping with PATH_IN_THE_WAY.
   */
  force?: boolean;
  /**
   * Asked once, after the preview and before any change. Resolve true to go on. Throw
   * (e.g. {@link ConfirmationError}) to refuse without asking.
   */
  confirm: (preview: RollbackPreview) => Promise<boolean>;
}

export class RollbackService {
  constructor(private readonly checkpoints: CheckpointService) {}

  /**
   * Rolls a plan's sandbox back to one of its checkpoints.
   *
   * @throws {PlanNotFoundError} `PLAN_NOT_FOUND` (3) · {@link CheckpointNotFoundError} `CHECKPOINT_NOT_FOUND` (3)
   * @throws {CheckpointNotInPlanError} `CHECKPOINT_NOT_IN_PLAN` (4) · {@link PlanNotActiveError} `PLAN_NOT_ACTIVE` (4)
   * @throws {HeadMovedError} `HEAD_MOVED` (4) · {@link PathInTheWayError} `PATH_IN_THE_WAY` (4) · `INDEX_UNMERGED` (4)
   * @throws {SandboxInvalidError} `SANDBOX_INVALID` (5) · {@link BusyError} `BUSY` (6): `index.lock` held
   * @throws {ConfirmationError} `CONFIRMATION_REQUIRED` / `CONFIRMATION_DECLINED` (8)
   * @throws {CheckpointObjectsMissingError} `CHECKPOINT_OBJECTS_MISSING` (9)
   */
  async rollback(request: RollbackRequest): Promise<RollbackReport> {
    const started = performance.now();
    // Time spent waiting for a human to confirm is not the rollback's duration.
    let waitedMs = 0;
    const plan = this.checkpoints.plan(request.planId);
    const target = this.checkpoints.getInPlan(plan.planId, request.checkpointId);
    this.checkpoints.activePlan(plan.planId, 'roll back');
    const sandbox = await this.checkpoints.openSandbox(plan);
    await this.assertRestorable(target, (ref) => sandbox.resolveCommit(ref));
    if (await sandbox.indexLocked()) {
      throw new BusyError(
        `another git process holds the index lock of ${sandbox.path}; retry when it is done`,
        {
          details: { sandboxPath: sandbox.path },
        },
      );
    }

    const scan = await sandbox.scan(this.checkpoints.scanOptionsFor(plan));
    try {
      const head = decideHead(
        { ref: target.headRef, sha: target.headSha },
        scan.head,
        request.head ?? plan.policy.head,
      );
      const changes = await sandbox.diffTrees(scan.treeSha, target.treeSha);
      // A file the checkpoint's own ignore rules ignore is none of the checkpoint's business
      // (it was ignored, or absent, when it was taken): leave it on disk rather than delete it
      // (cline#14367 deleted such files when an agent had edited .gitignore).
      // When no .gitignore differs, today's rules are the checkpoint's (no files to materialize).
      const deleted = deletedPaths(changes);
      const preserved = keepable(
        changes,
        await sandbox.ignoredByRulesOf(rulesChanged(changes) ? target.treeSha : null, deleted),
      );
      const paths = preserved.length > 0 ? changes.filter((c) => !preserved.includes(c.path)) : changes;
      // Files no snapshot holds (ignored, nested repositories, over the size cap) that stand
      // where the checkpoint has a file. git's read-tree would overwrite ignored ones silently.
      const inTheWay = await sandbox.findInTheWay(paths);
      const nested = inTheWay.filter((file) =>
        scan.skipped.some((entry) => entry.reason !== 'too-large' && overlaps(file, entry.path)),
      );
      if (nested.length > 0) throw new PathInTheWayError(nested, 'nested-repository');
      if (inTheWay.length > 0 && !request.force && !request.dryRun)
        throw new PathInTheWayError(inTheWay, 'untracked');
      const preview: RollbackPreview = {
        planId: plan.planId,
        checkpointId: target.checkpointId,
        restored: countChanges(paths),
        paths,
        inTheWay,
        preserved,
        head:
          head.action === 'move'
            ? { action: 'move', from: head.from.sha, to: head.to.sha }
            : { action: head.action, from: scan.head.sha, to: scan.head.sha },
      };
      let movedAside: MovedAside[] = [];
      const done = (safetyCheckpointId: string | null, dryRun: boolean): RollbackReport => ({
        ...preview,
        safetyCheckpointId,
        movedAside,
        skippedPaths: [...scan.skipped],
        dryRun,
        durationMs: Math.round(performance.now() - started - waitedMs),
      });
      if (request.dryRun) return done(null, true);
      const asked = performance.now();
      if (!(await request.confirm(preview))) throw new ConfirmationError(true);
      waitedMs = performance.now() - asked;

      // Always a new `safety` row, even when the sandbox equals the latest checkpoint or the
      // target: it is how `savepoint undo` finds the latest rollback (and a correction's
      // reverted decisions name it). Its trees already exist, so it costs a commit and a row.
      const { checkpoint: safety } = await this.checkpoints.record(
        plan,
        sandbox,
        scan,
        {
          kind: 'safety',
          reason: `before rollback to ${target.checkpointId}`,
          rollbackTarget: target.checkpointId,
        },
        { force: true },
      );
      if (inTheWay.length > 0) movedAside = await sandbox.moveAside(inTheWay, safety.checkpointId);
      try {
        const tree = await sandbox.graftEntries(target.treeSha, scan.treeSha, preserved);
        await sandbox.checkoutTree(scan, tree);
      } catch (error) {
        // git checks every path before it writes one: nothing changed but the moves aside.
        if (error instanceof PathInTheWayError && movedAside.length === 0) throw error;
        throw new RollbackIncompleteError(plan.planId, safety.checkpointId, error);
      }
      try {
        if (head.action === 'move') {
          await sandbox.moveHead(
            head.from,
            head.to,
            `savepoint: rollback to checkpoint ${target.checkpointId}`,
          );
        }
        await sandbox.resetIndex(target.indexTreeSha);
      } catch (error) {
        throw new RollbackIncompleteError(plan.planId, safety.checkpointId, error);
      }
      return done(safety.checkpointId, false);
    } finally {
      await scan.dispose();
    }
  }

  /** @throws {CheckpointObjectsMissingError} when the ref is gone or no longer names the recorded commit */
  private async assertRestorable(
    target: Checkpoint,
    resolve: (ref: string) => Promise<string | null>,
  ): Promise<void> {
    const commit = target.sandboxRef ? await resolve(target.sandboxRef) : null;
    if (commit === null || commit !== target.commitSha) {
      throw new CheckpointObjectsMissingError(target.checkpointId, target.sandboxRef);
    }
  }
}
