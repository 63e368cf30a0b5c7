/**
 * CorrectionService: `correction revert` (roll the sandbox back to a decision's checkpoint and
 * mark that decision and every later active one `reverted`, DESIGN §6) and `undo` (undo the
 * plan's latest rollback or correction). Both go through the RollbackService: same guards,
 * same preview and confirmation, same safety checkpoint, same report.
 *
 * All or nothing: a correction (or undo) is one ledger operation (`correction.revert`,
 * `undo`). Its decision changes are written in the transaction that records the rollback's
 * safety checkpoint, before any file changes; if that transaction fails, nothing changed. If
 * the process dies while files are written, `savepoint recover` finishes the rollback (the
 * decisions stay as marked) or `recover --abort` returns to the safety checkpoint and gives
 * the decisions their states back.
 */
import type { CheckpointService, ServiceDeps } from '../checkpoint/checkpoint-service.js';
import { InternalError } from '../core/errors.js';
import type { Plan } from '../plan/model.js';
import type { HeadMode } from '../plan/rollback-rules.js';
import type {
  ConfirmContext,
  RollbackPreview,
  RollbackReport,
  RollbackRequest,
  RollbackService,
} from '../plan/rollback-service.js';
import type { DecisionService } from './decision-service.js';
import { DecisionNotActiveError, NoActivePlanError, NothingToUndoError } from './errors.js';
import type { Decision } from './model.js';

/** What a correction will do (dry run) or did: the rollback's preview plus the decisions it reverts. */
export interface CorrectionPreview extends RollbackPreview {
  decisionId: string;
  /** The decision and every later active decision of the plan, by `seq`. */
  revertedDecisionIds: string[];
}

/** The correction report: the rollback report plus the decisions reverted (`--json` of `correction revert`). */
export interface CorrectionReport extends RollbackReport {
  decisionId: string;
  /** The decisions now `reverted` (on a dry run: that would be), by `seq`. Their `revertedBy` is `safetyCheckpointId`. */
  revertedDecisionIds: string[];
}

/** The rollback an undo undoes. */
export interface UndoneRollback {
  /** The safety checkpoint of that rollback: what the undo restores. */
  safetyCheckpointId: string;
  /** The checkpoint that rollback went to. */
  rollbackTarget: string;
}

/** What an undo will do (dry run) or did. */
export interface UndoPreview extends RollbackPreview {
  undone: UndoneRollback;
  /** Decisions the undone correction reverted, active again. */
  reactivatedDecisionIds: string[];
  /** Decisions the undone undo re-activated, reverted again (undo of an undo). */
  revertedDecisionIds: string[];
}

/** The undo report (`--json` of `savepoint undo`). */
export type UndoReport = RollbackReport & Omit<UndoPreview, keyof RollbackPreview>;

/** Options shared by {@link CorrectionService.revert} and {@link CorrectionService.undo}: as for a rollback. */
interface RollbackOptions {
  /** Compute and return the preview; change nothing. */
  dryRun?: boolean;
  /** What to do with HEAD; default: the plan policy's `head`. */
  head?: HeadMode;
  /** Move unsnapshotted files in the way aside instead of stopping with PATH_IN_THE_WAY. */
  force?: boolean;
}

/** Options of {@link CorrectionService.revert}. */
export interface CorrectionRequest extends RollbackOptions {
  decisionId: string;
  /** As {@link RollbackRequest.confirm}: asked without the sandbox lock, again if the sandbox changed meanwhile; absent: no question. */
  confirm?: ((preview: CorrectionPreview, context: ConfirmContext) => Promise<boolean>) | undefined;
}

/** Options of {@link CorrectionService.undo}. */
export interface UndoRequest extends RollbackOptions {
  /** Default: the active plan of the sandbox containing the library's `cwd`. */
  planId?: string;
  /** As {@link RollbackRequest.confirm}: asked without the sandbox lock, again if the sandbox changed meanwhile; absent: no question. */
  confirm?: ((preview: UndoPreview, context: ConfirmContext) => Promise<boolean>) | undefined;
}

/** A rollback's `confirm` showing `extras` next to the preview; none when `confirm` is absent. */
function confirmWith<E extends object>(
  confirm: ((preview: RollbackPreview & E, context: ConfirmContext) => Promise<boolean>) | undefined,
  extras: E,
): RollbackRequest['confirm'] {
  return confirm === undefined
    ? undefined
    : (preview, context) => confirm({ ...preview, ...extras }, context);
}

export class CorrectionService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly checkpoints: CheckpointService,
    private readonly rollbacks: RollbackService,
    private readonly decisions: DecisionService,
  ) {}

  /**
   * Reverts a decision: rolls the plan's sandbox back to the decision's checkpoint and marks
   * the decision and every later active decision of the plan `reverted`, with `revertedBy` =
   * the rollback's safety checkpoint (the undo handle: `savepoint undo` re-activates them).
   *
   * @throws {DecisionNotFoundError} `DECISION_NOT_FOUND` (3)
   * @throws {DecisionNotActiveError} `DECISION_NOT_ACTIVE` (4): already reverted (before anything changed, or
   *   by another process while the rollback ran: then the sandbox is returned to the safety checkpoint first)
   * @throws everything {@link RollbackService.rollback} throws, with the same codes and exit codes
   */
  async revert(request: CorrectionRequest): Promise<CorrectionReport> {
    const { store } = this.deps;
    const decision = this.decisions.get(request.decisionId);
    if (decision.state !== 'active')
      throw new DecisionNotActiveError(decision.decisionId, decision.revertedBy);
    // Active decisions pin their checkpoint, so retention never leaves one without it.
    if (decision.checkpointId === null)
      throw new InternalError(`active decision ${decision.decisionId} has no checkpoint`);
    const later = store.decisions.activeFrom(decision.planId, decision.seq).map((d) => d.decisionId);
    const extras = { decisionId: decision.decisionId, revertedDecisionIds: later };
    let reverted: string[] = [];
    // The rows onSafety changes, as they were: put back if the rollback changes nothing.
    let before: Decision[] = [];
    const report = await this.rollbacks.rollback({
      ...this.rollbackOptions(request),
      planId: decision.planId,
      checkpointId: decision.checkpointId,
      confirm: confirmWith(request.confirm, extras),
      operation: { kind: 'correction.revert', args: { decisionId: decision.decisionId } },
      // In the safety checkpoint's transaction, before any file changes: all or nothing.
      onSafety: (safetyId) => {
        const current = store.decisions.get(decision.decisionId);
        if (current?.state !== 'active')
          throw new DecisionNotActiveError(decision.decisionId, current?.revertedBy ?? null);
        const at = this.deps.clock.now().toISOString();
        before = store.decisions.activeFrom(decision.planId, decision.seq);
        reverted = store.decisions.revertFrom(decision.planId, decision.seq, at, safetyId);
      },
      // The rollback stopped before changing anything: the decisions are active again, as they were.
      onSafetyVoid: () => store.transaction(() => store.decisions.putBack(before)),
    });
    if (report.dryRun) return { ...report, ...extras };
    return { ...report, decisionId: decision.decisionId, revertedDecisionIds: reverted };
  }

  /**
   * Undoes the plan's latest rollback, correction or undo: rolls the sandbox back to that
   * rollback's safety checkpoint, re-activates the decisions it reverted, and reverts again
   * the decisions it re-activated (so an undo of an undo restores both files and decisions).
   * The latest rollback is the plan's latest `safety` checkpoint (every rollback, correction
   * and undo records one, also when the sandbox already equals its target; so does a
   * `recover` of one of them, before it rewrites files: undo then returns to what it found).
   *
   * @throws {NoActivePlanError} `NO_ACTIVE_PLAN` (3): no `planId`, and the sandbox of `cwd` has no active plan
   * @throws {SandboxInvalidError} `SANDBOX_INVALID` (5): no `planId`, and `cwd` is not in a git worktree
   * @throws {PlanNotFoundError} `PLAN_NOT_FOUND` (3) · {@link PlanNotActiveError} `PLAN_NOT_ACTIVE` (4)
   * @throws {NothingToUndoError} `NOTHING_TO_UNDO` (4): the plan was never rolled back
   * @throws everything {@link RollbackService.rollback} throws, with the same codes and exit codes
   */
  async undo(request: UndoRequest): Promise<UndoReport> {
    const { store } = this.deps;
    const plan =
      request.planId === undefined
        ? await this.activePlanOfCwd()
        : this.checkpoints.activePlan(request.planId, 'undo');
    const last = store.checkpoints.latestOfKind(plan.planId, 'safety');
    const rollbackTarget = last?.metadata.rollbackTarget;
    if (!last || rollbackTarget === undefined) throw new NothingToUndoError(plan.planId);
    const undone = { safetyCheckpointId: last.checkpointId, rollbackTarget };
    const ids = (rows: { decisionId: string }[]) => rows.map((d) => d.decisionId);
    const extras = {
      undone,
      reactivatedDecisionIds: ids(store.decisions.revertedBy(last.checkpointId)),
      revertedDecisionIds: ids(store.decisions.reactivatedBy(last.checkpointId)),
    };
    let changed = { reactivatedDecisionIds: [] as string[], revertedDecisionIds: [] as string[] };
    // The rows onSafety changes, as they were: put back if the rollback changes nothing.
    let before: Decision[] = [];
    const report = await this.rollbacks.rollback({
      ...this.rollbackOptions(request),
      planId: plan.planId,
      checkpointId: last.checkpointId,
      confirm: confirmWith(request.confirm, extras),
      operation: { kind: 'undo', args: { undoneSafetyCheckpointId: last.checkpointId } },
      // In the safety checkpoint's transaction: only rows still in the state the undone rollback left them in.
      onSafety: (safetyId) => {
        const at = this.deps.clock.now().toISOString();
        before = [
          ...store.decisions.revertedBy(last.checkpointId),
          ...store.decisions.reactivatedBy(last.checkpointId),
        ];
        changed = {
          reactivatedDecisionIds: store.decisions.reactivate(
            ids(store.decisions.revertedBy(last.checkpointId)),
            safetyId,
          ),
          revertedDecisionIds: store.decisions.revert(
            ids(store.decisions.reactivatedBy(last.checkpointId)),
            at,
            safetyId,
          ),
        };
      },
      // The rollback stopped before changing anything: the decisions as they were.
      onSafetyVoid: () => store.transaction(() => store.decisions.putBack(before)),
    });
    if (report.dryRun) return { ...report, ...extras };
    return { ...report, undone, ...changed };
  }

  private rollbackOptions(
    request: RollbackOptions,
  ): Omit<RollbackRequest, 'planId' | 'checkpointId' | 'confirm'> {
    const options: Omit<RollbackRequest, 'planId' | 'checkpointId' | 'confirm'> = {};
    if (request.dryRun !== undefined) options.dryRun = request.dryRun;
    if (request.head !== undefined) options.head = request.head;
    if (request.force !== undefined) options.force = request.force;
    return options;
  }

  /**
   * The active plan of the sandbox containing the library's `cwd`.
   *
   * @throws {SandboxInvalidError} `SANDBOX_INVALID` (5) · {@link NoActivePlanError} `NO_ACTIVE_PLAN` (3)
   */
  private async activePlanOfCwd(): Promise<Plan> {
    const sandbox = await this.deps.sandboxes.open(this.deps.cwd);
    const plan = this.deps.store.plans.activeForSandbox(sandbox.path);
    if (!plan) throw new NoActivePlanError(sandbox.path);
    return plan;
  }
}
