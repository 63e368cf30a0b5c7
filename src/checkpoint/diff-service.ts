/**
 * CheckpointDiffService: what changed between checkpoints, read-only. `checkpoint show
 * --stat/--diff` (a checkpoint against the one before it) and `checkpoint diff` (two
 * checkpoints of a plan, or a checkpoint and the live sandbox). Nothing here writes to the
 * worktree, the index, HEAD, refs or the database.
 */
import type { DiffStatEntry, GitSandbox, TreeChange } from '../core/ports.js';
import type { Plan } from '../plan/model.js';
import { countChanges, type RestoreCounts } from '../plan/rollback-rules.js';
import type { CheckpointService } from './checkpoint-service.js';
import { CheckpointObjectsMissingError } from './errors.js';
import type { Checkpoint } from './model.js';

/**
 * What `checkpoint show` compares a checkpoint with: the plan's checkpoint just before it
 * still held (retention may have pruned the one it was taken after), else the plan's base
 * commit, else (a plan started on an unborn branch) the empty tree.
 */
export interface ComparedWith {
  /** The earlier checkpoint, or null when there is none. */
  checkpointId: string | null;
  seq: number | null;
  /** The plan's base commit when there is no earlier checkpoint (null: the empty tree). */
  baseCommit: string | null;
}

/** `checkpoint show` with `--stat` and/or `--diff`. */
export interface CheckpointChanges {
  checkpoint: Checkpoint;
  comparedWith: ComparedWith;
  /** Per path, sorted by path; only when asked for. */
  stat?: DiffStatEntry[];
  /** The patch, exactly as git wrote it (binary files as git binary patches); only when asked for. */
  patch?: Buffer;
}

/** `checkpoint diff`: from checkpoint `from` to checkpoint `to`, or to the live sandbox. */
export interface CheckpointComparison {
  planId: string;
  from: string;
  /** A checkpoint id, or `sandbox` for the sandbox as it is now. */
  to: string;
  /** Paths that differ, seen from `from`, sorted by path. */
  changes: TreeChange[];
  counts: RestoreCounts;
}

export class CheckpointDiffService {
  constructor(private readonly checkpoints: CheckpointService) {}

  /**
   * What a checkpoint changed since the one before it (see {@link ComparedWith}).
   *
   * @param options `stat`: per-path line counts; `patch`: the patch bytes
   * @throws {CheckpointNotFoundError} `CHECKPOINT_NOT_FOUND` (exit 3)
   * @throws {SandboxInvalidError} `SANDBOX_INVALID` (exit 5): the plan's sandbox is gone (its repository holds the objects)
   * @throws {CheckpointObjectsMissingError} `CHECKPOINT_OBJECTS_MISSING` (exit 9): a tree is no longer in the object store
   */
  async changes(
    checkpointId: string,
    options: { stat?: boolean; patch?: boolean },
  ): Promise<CheckpointChanges> {
    const checkpoint = this.checkpoints.get(checkpointId);
    const plan = this.checkpoints.plan(checkpoint.planId);
    const previous = this.checkpoints.before(checkpoint);
    const comparedWith: ComparedWith = previous
      ? { checkpointId: previous.checkpointId, seq: previous.seq, baseCommit: null }
      : { checkpointId: null, seq: null, baseCommit: plan.baseCommit };
    const result: CheckpointChanges = { checkpoint, comparedWith };
    if (!options.stat && !options.patch) return result;
    const sandbox = await this.checkpoints.openSandbox(plan);
    await this.assertTree(sandbox, plan, checkpoint);
    if (previous) await this.assertTree(sandbox, plan, previous);
    const from = previous?.treeSha ?? plan.baseCommit;
    if (options.stat) result.stat = await sandbox.diffStat(from, checkpoint.treeSha);
    if (options.patch) result.patch = await sandbox.diffPatch(from, checkpoint.treeSha);
    return result;
  }

  /**
   * Paths that differ between checkpoint `fromId` and checkpoint `toId` of the same plan, or,
   * without `toId`, the plan's sandbox as it is now. The sandbox is scanned the way rollback
   * scans it (`GitSandbox.scan`: the worktree, the index and HEAD are not touched).
   *
   * @throws {CheckpointNotFoundError} `CHECKPOINT_NOT_FOUND` (exit 3)
   * @throws {CheckpointNotInPlanError} `CHECKPOINT_NOT_IN_PLAN` (exit 4): the two belong to different plans
   * @throws {UnmergedIndexError} `INDEX_UNMERGED` (exit 4): scanning a sandbox in the middle of a merge conflict
   * @throws {SandboxInvalidError} `SANDBOX_INVALID` (exit 5)
   * @throws {CheckpointObjectsMissingError} `CHECKPOINT_OBJECTS_MISSING` (exit 9)
   */
  async compare(fromId: string, toId?: string): Promise<CheckpointComparison> {
    const from = this.checkpoints.get(fromId);
    const to = toId === undefined ? undefined : this.checkpoints.getInPlan(from.planId, toId);
    const plan = this.checkpoints.plan(from.planId);
    const sandbox = await this.checkpoints.openSandbox(plan);
    await this.assertTree(sandbox, plan, from);
    let changes: TreeChange[];
    if (to) {
      await this.assertTree(sandbox, plan, to);
      changes = await sandbox.diffTrees(from.treeSha, to.treeSha);
    } else {
      const scan = await sandbox.scan(this.checkpoints.scanOptionsFor(plan));
      try {
        changes = await sandbox.diffTrees(from.treeSha, scan.treeSha);
      } finally {
        await scan.dispose();
      }
    }
    return {
      planId: plan.planId,
      from: from.checkpointId,
      to: to?.checkpointId ?? 'sandbox',
      changes,
      counts: countChanges(changes),
    };
  }

  /**
   * Makes sure a checkpoint's tree is in the object store: a commit checkpoint's must be (its
   * ref keeps it); a patch checkpoint's is rebuilt from its row when `git gc` pruned it.
   */
  private async assertTree(sandbox: GitSandbox, plan: Plan, checkpoint: Checkpoint): Promise<void> {
    if (await sandbox.hasTree(checkpoint.treeSha)) return;
    if (checkpoint.checkpointType === 'patch') {
      await this.checkpoints.materialize(plan, sandbox, checkpoint, 'compare');
      return;
    }
    throw new CheckpointObjectsMissingError(checkpoint.checkpointId, checkpoint.sandboxRef, {
      action: 'compared',
    });
  }
}
