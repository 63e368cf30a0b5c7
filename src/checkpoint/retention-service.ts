/**
 * RetentionService: `checkpoint prune` (retention on demand, same selection as auto-prune)
 * and `gc` (refs under `refs/savepoint/` that no row owns, rows whose plan is gone).
 */

import { decodeTime } from 'ulid';
import { UsageError } from '../core/errors.js';
import { faultPoint } from '../core/faults.js';
import type { GitSandbox, RefEntry } from '../core/ports.js';
import { planOperation } from '../ledger/ledger.js';
import type { CheckpointService, ServiceDeps } from './checkpoint-service.js';

/** Namespace of checkpoint refs: `refs/savepoint/<planId>/<checkpointId>`. */
export const CHECKPOINT_REF_PREFIX = 'refs/savepoint/';

/**
 * A ref without a row is left alone by `gc` while its checkpoint id is younger than this
 * (ms): `checkpoint create` writes the ref just before the row's transaction, and gc must not
 * delete the ref of a checkpoint being recorded right now. 10 minutes.
 */
export const GC_GRACE_MS = 10 * 60 * 1000;

/** One pruned (or, on a dry run, prunable) checkpoint. */
export interface PrunedCheckpoint {
  checkpointId: string;
  seq: number;
  createdAt: string;
  ref: string | null;
}

/** Result of {@link RetentionService.prune}. */
export interface PruneResult {
  planId: string;
  /** Checkpoints the plan was pruned down to (at most; protected ones may exceed it). */
  keep: number;
  dryRun: boolean;
  /** Oldest first. */
  pruned: PrunedCheckpoint[];
  /** Checkpoints the plan holds afterwards (on a dry run: would hold). */
  remaining: number;
  /** Refs of pruned checkpoints that could not be deleted; `savepoint gc` removes them. */
  orphanedRefs: string[];
}

/** Result of {@link RetentionService.gc}. */
export interface GcResult {
  dryRun: boolean;
  /** Refs under `refs/savepoint/` that no checkpoint row owns, removed (or removable). */
  removedRefs: RefEntry[];
  /** Checkpoint rows whose plan row is gone, removed (or removable). */
  removedCheckpoints: { checkpointId: string; planId: string; seq: number }[];
  /** Unowned refs left alone because their checkpoint may be being recorded right now (see {@link GC_GRACE_MS}). */
  recentRefs: string[];
}

/** The checkpoint id of a savepoint ref, or null when the name is not `refs/savepoint/<ULID>/<ULID>`. */
function checkpointIdOf(ref: string): string | null {
  const match = /^refs\/savepoint\/[0-9A-HJKMNP-TV-Z]{26}\/([0-9A-HJKMNP-TV-Z]{26})$/.exec(ref);
  return match?.[1] ?? null;
}

/** Retention on demand (`checkpoint prune`) and garbage collection of savepoint's refs and rows (`gc`). */
export class RetentionService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly checkpoints: CheckpointService,
  ) {}

  /**
   * Prunes a plan's checkpoints down to `keep` (default: the policy's `retention.max`), with
   * the same selection as auto-prune: never the first, the most recent, the latest safety
   * checkpoint or its rollback target, or a pinned one. Rows are deleted in one transaction,
   * then their refs; a ref that cannot be deleted is reported in `orphanedRefs` and left for
   * `gc`. Works on plans in any state (old plans' refs keep objects alive).
   *
   * @param options.keep checkpoints to keep at most, ≥ 1
   * @throws {UsageError} `USAGE` (exit 2): `keep` is not a whole number ≥ 1
   * @throws {PlanNotFoundError} `PLAN_NOT_FOUND` (exit 3)
   * @throws {SandboxInvalidError} `SANDBOX_INVALID` (exit 5): the plan's sandbox is gone (refs cannot be deleted)
   */
  async prune(planId: string, options: { keep?: number; dryRun?: boolean } = {}): Promise<PruneResult> {
    const { store } = this.deps;
    const plan = this.checkpoints.plan(planId);
    const keep = options.keep ?? plan.policy.retention.max;
    if (!Number.isSafeInteger(keep) || keep < 1) {
      throw new UsageError(`--keep must be a whole number ≥ 1, got ${keep}`, { details: { keep } });
    }
    const dryRun = options.dryRun ?? false;
    const describe = (
      rows: { checkpointId: string; seq: number; createdAt: string; sandboxRef: string | null }[],
    ) =>
      rows.map((c) => ({
        checkpointId: c.checkpointId,
        seq: c.seq,
        createdAt: c.createdAt,
        ref: c.sandboxRef,
      }));
    if (dryRun) {
      const pruned = this.checkpoints.prunableCheckpoints(plan.planId, keep);
      return {
        planId: plan.planId,
        keep,
        dryRun,
        pruned: describe(pruned),
        remaining: store.checkpoints.count(plan.planId) - pruned.length,
        orphanedRefs: [],
      };
    }
    const spec = planOperation('prune', plan, { keep });
    return this.deps.ledger.run(
      spec,
      async (op): Promise<PruneResult> => {
        const sandbox = await this.checkpoints.openSandbox(plan);
        const { pruned, remaining } = store.transaction(() => {
          const rows = this.checkpoints.prunableCheckpoints(plan.planId, keep);
          store.checkpoints.delete(rows.map((c) => c.checkpointId));
          op.progress({ prunedCheckpointIds: rows.map((c) => c.checkpointId) });
          return { pruned: rows, remaining: store.checkpoints.count(plan.planId) };
        });
        faultPoint('prune.after-rows');
        const orphanedRefs = await this.checkpoints.deletePrunedRefs(sandbox, pruned);
        faultPoint('prune.before-outcome');
        return { planId: plan.planId, keep, dryRun, pruned: describe(pruned), remaining, orphanedRefs };
      },
      {
        summarize: (r) => ({
          pruned: r.pruned.map((c) => c.checkpointId),
          remaining: r.remaining,
          orphanedRefs: r.orphanedRefs,
        }),
      },
    );
  }

  /**
   * Garbage-collects savepoint's own state in the repository of the library's `cwd`: deletes
   * checkpoint rows whose plan row is gone (whatever repository they were taken in), then
   * every ref under `refs/savepoint/` that no checkpoint row owns (a ref whose checkpoint id
   * is younger than {@link GC_GRACE_MS} is left alone, reported in `recentRefs`). The commits
   * those refs kept alive become unreachable and git's own gc removes them later.
   *
   * @throws {SandboxInvalidError} `SANDBOX_INVALID` (exit 5): `cwd` is not in a git worktree
   */
  async gc(options: { dryRun?: boolean } = {}): Promise<GcResult> {
    const { sandboxes } = this.deps;
    const dryRun = options.dryRun ?? false;
    const sandbox = await sandboxes.open(this.deps.cwd);
    if (dryRun) return this.gcLocked(sandbox, true);
    return this.deps.ledger.run(
      { kind: 'gc', planId: null, sandboxPath: sandbox.path, commonDir: sandbox.commonDir, args: {} },
      (op) => this.gcLocked(sandbox, false, (ids) => op.progress({ removedCheckpointIds: ids })),
      {
        summarize: (r) => ({
          removedRefs: r.removedRefs.map((e) => e.ref),
          removedCheckpoints: r.removedCheckpoints.length,
        }),
      },
    );
  }

  private async gcLocked(
    sandbox: GitSandbox,
    dryRun: boolean,
    recorded: (checkpointIds: string[]) => void = () => undefined,
  ): Promise<GcResult> {
    const { store, clock } = this.deps;
    const orphans = dryRun
      ? store.checkpoints.orphans()
      : store.transaction(() => {
          const rows = store.checkpoints.orphans();
          store.checkpoints.delete(rows.map((c) => c.checkpointId));
          recorded(rows.map((c) => c.checkpointId));
          return rows;
        });
    const orphanIds = new Set(orphans.map((c) => c.checkpointId));
    const now = clock.now().getTime();
    const removedRefs: RefEntry[] = [];
    const recentRefs: string[] = [];
    for (const entry of await sandbox.listRefs(CHECKPOINT_REF_PREFIX)) {
      const checkpointId = checkpointIdOf(entry.ref);
      const row = checkpointId === null ? undefined : store.checkpoints.get(checkpointId);
      if (row && row.sandboxRef === entry.ref && !orphanIds.has(row.checkpointId)) continue;
      // A ref of a row gc just removed cannot be in flight; any other may be a create between ref and row.
      if (
        checkpointId !== null &&
        !orphanIds.has(checkpointId) &&
        now - decodeTime(checkpointId) < GC_GRACE_MS
      ) {
        recentRefs.push(entry.ref);
        continue;
      }
      if (!dryRun) await sandbox.deleteRef(entry.ref, entry.sha);
      removedRefs.push(entry);
    }
    return {
      dryRun,
      removedRefs,
      removedCheckpoints: orphans.map((c) => ({
        checkpointId: c.checkpointId,
        planId: c.planId,
        seq: c.seq,
      })),
      recentRefs,
    };
  }
}
