/**
 * RecoveryService: `savepoint recover` (DESIGN §5 "Crash safety"). Resolves the operations of
 * a sandbox that were interrupted (intent, no outcome, process gone) or left incomplete, by
 * inspecting the world — does the row exist, does the ref, which state do the files show —
 * and either finishing the operation (`forward`) or returning to the state before it
 * (`abort`). The ledger records which, and whether the sandbox ended in the operation's
 * pre- or post-state. Like daft's coordinator, it reconciles crashed work before new work.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckpointService, ServiceDeps } from '../checkpoint/checkpoint-service.js';
import type { Checkpoint } from '../checkpoint/model.js';
import { CHECKPOINT_REF_PREFIX } from '../checkpoint/retention-service.js';
import { InternalError } from '../core/errors.js';
import { faultPoint } from '../core/faults.js';
import type { GitSandbox, SandboxLocks } from '../core/ports.js';
import type { Plan } from '../plan/model.js';
import type { HeadMode, RestoreCounts } from '../plan/rollback-rules.js';
import type { RollbackService } from '../plan/rollback-service.js';
import type { RunningOperation } from './ledger.js';
import type { Operation, Recovery } from './model.js';
import { awaitsRecovery, isRollbackKind } from './operation-state.js';

/** How long recovery waits for a git process orphaned by the killed one to release its `.lock` in savepoint's tmp dir, ms. */
const ORPHAN_GIT_WAIT_MS = 8_000;

/** Options of {@link RecoveryService.recover}. */
export interface RecoverRequest {
  /** Recover the sandbox of this plan (default: the sandbox of the library's `cwd`). */
  planId?: string;
  /** Return to each operation's pre-state instead of finishing it. */
  abort?: boolean;
  /** Say what would be done; change nothing. */
  dryRun?: boolean;
}

/** What recovery did (or would do) with one operation. */
export interface RecoveredOperation {
  opId: string;
  kind: string;
  planId: string | null;
  recovery: Recovery;
  /** Which state the sandbox and records ended in: before the operation, or after it. */
  endState: 'pre' | 'post';
  /** One line for humans. */
  summary: string;
  /** For a rollback: the checkpoint the files were restored to, and how many paths changed. */
  restoredTo: string | null;
  /**
   * For a rollback that had recorded its safety checkpoint: the new `safety` checkpoint of the
   * sandbox as recovery found it (edits saved after the interruption included), recorded
   * before recovery rewrote any file. The undo handle: `savepoint undo` returns to it. Null on
   * a dry run and when recovery rewrites nothing (the operation stopped before any change).
   */
  safetyCheckpointId: string | null;
  restored: RestoreCounts | null;
  /** Refs under `refs/savepoint/<plan>/` that no row owned, removed. */
  removedRefs: string[];
  /** savepoint's temp files left by the killed process, removed. */
  removedTempFiles: string[];
}

/** Result of {@link RecoveryService.recover}. */
export interface RecoverReport {
  sandboxPath: string;
  dryRun: boolean;
  /** The `recover` operation's own ledger id (null on a dry run or when there was nothing to do). */
  opId: string | null;
  operations: RecoveredOperation[];
}

function paths(n: number): string {
  return `${n} ${n === 1 ? 'path' : 'paths'} rewritten`;
}

/** Where a plan's sandbox is. */
interface PlanLocation {
  planId: string;
  sandboxPath: string;
  gitDir: string;
}

export class RecoveryService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly checkpoints: CheckpointService,
    private readonly rollbacks: RollbackService,
    private readonly locks: SandboxLocks,
  ) {}

  /**
   * Resolves every operation of the sandbox that awaits recovery, oldest first, as one
   * `recover` operation under the sandbox lock. With none to resolve (and not `dryRun`), it
   * removes the repository's stale sandbox locks (their holder is dead) instead.
   *
   * @throws {PlanNotFoundError} `PLAN_NOT_FOUND` (3) · {@link SandboxInvalidError} `SANDBOX_INVALID` (5)
   * @throws {BusyError} `BUSY` (6): another process holds the sandbox lock (an operation is in progress, not interrupted)
   * @throws {PathInTheWayError} `PATH_IN_THE_WAY` (4) · {@link HeadMovedError} `HEAD_MOVED` (4): the rollback cannot be finished as asked; try the other mode
   */
  async recover(request: RecoverRequest = {}): Promise<RecoverReport> {
    const { store, sandboxes, ledger } = this.deps;
    const mode: Recovery = request.abort ? 'abort' : 'forward';
    let sandboxPath: string;
    let commonDir: string;
    if (request.planId !== undefined) {
      const plan = this.checkpoints.plan(request.planId);
      sandboxPath = plan.sandboxPath;
      commonDir = plan.gitDir;
    } else {
      const sandbox = await sandboxes.open(this.deps.cwd);
      sandboxPath = sandbox.path;
      commonDir = sandbox.commonDir;
    }
    const pending = store.operations.unresolved(sandboxPath);
    // A process killed after it took the sandbox lock and before its operation was recorded
    // (or after the operation finished, before the lock was released) leaves only its lock,
    // which the next operation would take over: recovery removes it now, so doctor is clean.
    if (!request.dryRun && pending.length === 0) await this.locks.removeStale(commonDir);
    if (request.dryRun || pending.length === 0) {
      return {
        sandboxPath,
        dryRun: request.dryRun ?? false,
        opId: null,
        operations: pending.map((op) => this.plan(op, mode)),
      };
    }
    let recoverOpId = '';
    const operations = await ledger.run(
      {
        kind: 'recover',
        planId: request.planId?.toUpperCase() ?? null,
        sandboxPath,
        commonDir,
        args: { abort: mode === 'abort' },
      },
      async (op) => {
        recoverOpId = op.opId;
        const done: RecoveredOperation[] = [];
        // Re-read under the lock: an operation that was merely in progress has finished by now.
        for (const waiting of store.operations.unresolved(sandboxPath)) {
          if (waiting.opId === op.opId || !awaitsRecovery(waiting)) continue;
          done.push(await this.recoverOne(waiting, mode, op));
        }
        return done;
      },
      {
        recovering: true,
        summarize: (list) => ({
          recovered: list.map((r) => ({
            opId: r.opId,
            recovery: r.recovery,
            endState: r.endState,
            safetyCheckpointId: r.safetyCheckpointId,
          })),
        }),
      },
    );
    return { sandboxPath, dryRun: false, opId: recoverOpId, operations };
  }

  /** What recovery would do with `op`, without looking at the sandbox (dry run). */
  private plan(op: Operation, mode: Recovery): RecoveredOperation {
    const safety = typeof op.progress.safetyCheckpointId === 'string' ? op.progress.safetyCheckpointId : null;
    const rewrites = isRollbackKind(op.kind) && safety !== null;
    const restoredTo = rewrites ? (mode === 'forward' ? String(op.args.checkpointId) : safety) : null;
    return {
      opId: op.opId,
      kind: op.kind,
      planId: op.planId,
      recovery: mode,
      endState: rewrites ? (mode === 'forward' ? 'post' : 'pre') : 'pre',
      summary: rewrites
        ? `would take a safety checkpoint of the current state, then restore the sandbox to checkpoint ${restoredTo} (${mode === 'forward' ? 'the rollback target' : 'the safety checkpoint'})`
        : isRollbackKind(op.kind)
          ? 'would close it: it stopped before changing any file'
          : 'would make refs and rows agree and close it; sandbox files were not changed by it',
      restoredTo,
      safetyCheckpointId: null,
      restored: null,
      removedRefs: [],
      removedTempFiles: [],
    };
  }

  /**
   * Resolves `op` as part of the recover operation `recovering`. Before a rollback's files are
   * rewritten, the sandbox as found is recorded as a new `safety` checkpoint (its id in
   * `recovering`'s progress, in the transaction of its row): what was saved after the
   * interruption stays restorable, and `savepoint undo` returns to it.
   */
  private async recoverOne(
    op: Operation,
    mode: Recovery,
    recovering: RunningOperation,
  ): Promise<RecoveredOperation> {
    const { store, clock } = this.deps;
    const by = recovering.opId;
    const plan: PlanLocation | undefined = op.planId ? store.plans.get(op.planId) : undefined;
    const sandbox = await this.deps.sandboxes.open(plan?.sandboxPath ?? op.sandboxPath);
    const removedTempFiles = await this.cleanTemp(sandbox);
    let endState: 'pre' | 'post';
    let summary: string;
    let restoredTo: string | null = null;
    let safetyCheckpointId: string | null = null;
    let restored: RestoreCounts | null = null;
    if (isRollbackKind(op.kind) && plan && op.planId) {
      const safetyId = this.safetyOf(op);
      if (safetyId === null) {
        endState = 'pre';
        summary = 'it stopped before changing any file (no safety checkpoint yet); closed';
      } else {
        const fullPlan = this.checkpoints.plan(op.planId);
        const target =
          mode === 'forward'
            ? this.checkpoints.get(String(op.args.checkpointId))
            : this.checkpoints.get(safetyId);
        const head: HeadMode =
          mode === 'forward' ? ((op.args.head as HeadMode | null) ?? fullPlan.policy.head) : 'restore';
        safetyCheckpointId = await this.takeSafety(fullPlan, sandbox, op, mode, target, recovering);
        faultPoint('recover.after-safety');
        const report = await this.rollbacks.restore(fullPlan, sandbox, target, {
          head,
          force: op.args.force === true,
          asideLabel: safetyId,
        });
        restoredTo = target.checkpointId;
        restored = report.preview.restored;
        // A correction or undo changed decisions in the safety checkpoint's transaction: going
        // back to the pre-state gives back their states too.
        // Marked with the new safety checkpoint, like an undo's: undoing this recover re-reverts them.
        if (mode === 'abort') this.restoreDecisions(safetyId, safetyCheckpointId);
        endState = mode === 'forward' ? 'post' : 'pre';
        summary =
          mode === 'forward'
            ? `finished the rollback to checkpoint ${target.checkpointId} (${paths(restored.total)})`
            : `returned to safety checkpoint ${target.checkpointId} (${paths(restored.total)})`;
        // Files a --force rollback had moved aside, put back (or not: their path was taken).
        for (const { path, movedFrom } of report.returnedFromAside)
          summary += `; put back ${path} from ${movedFrom}`;
        for (const { path, movedTo } of report.leftAside)
          summary += `; left ${path} aside at ${movedTo} (its path is taken)`;
      }
    } else {
      endState = this.durableEffect(op) ? 'post' : 'pre';
      summary =
        endState === 'post'
          ? 'its records were complete; closed (sandbox files were not changed by it)'
          : 'it had recorded nothing; closed (sandbox files were not changed by it)';
    }
    const removedRefs = op.planId ? await this.removeOrphanRefs(sandbox, op.planId) : [];
    const resolved = store.operations.resolve(op.opId, {
      recovery: mode,
      by,
      outcome: {
        status: endState === 'post' ? 'committed' : 'failed',
        at: clock.now().toISOString(),
        result: { recovered: mode, endState, restoredTo, removedRefs },
        error:
          endState === 'post'
            ? null
            : {
                code: 'OPERATION_INTERRUPTED',
                message: `interrupted; recovered (${mode}) to the state before it`,
              },
        incomplete: false,
      },
    });
    if (!resolved)
      throw new InternalError(`operation ${op.opId} was resolved by another process during recovery`);
    return {
      opId: op.opId,
      kind: op.kind,
      planId: op.planId,
      recovery: mode,
      endState,
      summary,
      restoredTo,
      safetyCheckpointId,
      restored,
      removedRefs,
      removedTempFiles,
    };
  }

  /**
   * Records the sandbox as it is now as a `safety` checkpoint whose `rollbackTarget` is
   * `target` (so `savepoint undo` finds it as the latest rollback and returns to it). Always a
   * new row (`force`), also when nothing differs from `target`: the undo handle must be this
   * recover's. Its id reaches the recover operation's progress (`safetyCheckpoints`, keyed by
   * the recovered operation's id) in the transaction of its row, before any file changes.
   */
  private async takeSafety(
    plan: Plan,
    sandbox: GitSandbox,
    op: Operation,
    mode: Recovery,
    target: Checkpoint,
    recovering: RunningOperation,
  ): Promise<string> {
    const scan = await sandbox.scan(this.checkpoints.scanOptionsFor(plan));
    try {
      const { checkpoint } = await this.checkpoints.record(
        plan,
        sandbox,
        scan,
        {
          kind: 'safety',
          reason: `before recover (${mode}) of ${op.kind} ${op.opId} to ${target.checkpointId}`,
          rollbackTarget: target.checkpointId,
        },
        {
          force: true,
          hooks: {
            after: (row) => recovering.progress({ safetyCheckpoints: { [op.opId]: row.checkpointId } }),
          },
        },
      );
      return checkpoint.checkpointId;
    } finally {
      await scan.dispose();
    }
  }

  /**
   * Undoes what a correction or an undo did to decisions in the transaction of safety
   * checkpoint `safetyId`: the decisions it reverted are active again, those it re-activated
   * are reverted again, both marked `by` (the recover's safety checkpoint). Nothing for a plain rollback.
   */
  private restoreDecisions(safetyId: string, by: string): void {
    const { store, clock } = this.deps;
    store.transaction(() => {
      const reverted = store.decisions.revertedBy(safetyId).map((d) => d.decisionId);
      const reactivated = store.decisions.reactivatedBy(safetyId).map((d) => d.decisionId);
      store.decisions.reactivate(reverted, by);
      store.decisions.revert(reactivated, clock.now().toISOString(), by);
    });
  }

  /**
   * The rollback's safety checkpoint: from its progress (written in the transaction of the
   * safety row), else none — then the process died before the row committed, and rollback
   * writes no file before that.
   */
  private safetyOf(op: Operation): string | null {
    const id = op.progress.safetyCheckpointId;
    return typeof id === 'string' ? id : null;
  }

  /** Whether the operation's own database change committed before its process died. */
  private durableEffect(op: Operation): boolean {
    const { store } = this.deps;
    const plan = op.planId ? store.plans.get(op.planId) : undefined;
    switch (op.kind) {
      case 'checkpoint.create':
        // Checkpoint ids come from the same monotonic ULID source, after the operation's id.
        return plan !== undefined && (store.checkpoints.latest(plan.planId)?.checkpointId ?? '') > op.opId;
      case 'plan.create':
        return plan !== undefined;
      case 'plan.apply':
        return plan?.state === 'applied';
      case 'plan.abandon':
        return plan?.state === 'abandoned';
      case 'prune':
        return Array.isArray(op.progress.prunedCheckpointIds);
      case 'gc':
        return Array.isArray(op.progress.removedCheckpointIds);
      case 'plan.policy-set':
        return op.progress.policy !== undefined;
      case 'decision.record':
        // Decision ids come from the same monotonic ULID source, after the operation's id.
        return (
          plan !== undefined && store.decisions.list(plan.planId, {}).some((d) => d.decisionId > op.opId)
        );
      default:
        return false;
    }
  }

  /**
   * Deletes refs of the plan that no row owns. Safe without a grace period: refs of a plan
   * are only written by operations on its sandbox, whose lock recovery holds.
   */
  private async removeOrphanRefs(sandbox: GitSandbox, planId: string): Promise<string[]> {
    const { store } = this.deps;
    const removed: string[] = [];
    for (const entry of await sandbox.listRefs(`${CHECKPOINT_REF_PREFIX}${planId}/`)) {
      const checkpointId = entry.ref.slice(entry.ref.lastIndexOf('/') + 1);
      const row: Checkpoint | undefined = store.checkpoints.get(checkpointId);
      if (row?.sandboxRef === entry.ref) continue;
      await sandbox.deleteRef(entry.ref, entry.sha);
      removed.push(entry.ref);
    }
    return removed;
  }

  /**
   * Removes savepoint's temp files left by dead processes. A git child of the killed process
   * may still be finishing (SIGKILL does not reach children): wait for its `.lock` to go.
   */
  private async cleanTemp(sandbox: GitSandbox): Promise<string[]> {
    const removed: string[] = [];
    const deadline = Date.now() + ORPHAN_GIT_WAIT_MS;
    for (;;) {
      const { stale, busy } = await sandbox.staleTempFiles();
      await sandbox.removeTempFiles(stale);
      removed.push(...stale);
      if (busy.length === 0 || Date.now() >= deadline) {
        if (busy.length > 0) {
          await sandbox.removeTempFiles(busy);
          removed.push(...busy);
        }
        return removed;
      }
      await sleep(100);
    }
  }
}
