/**
 * DecisionService: records agent decisions, each linked to the checkpoint taken just before
 * it (DESIGN §6), and reads them back. Reverting one is the CorrectionService's business.
 */

import type { CheckpointService, ServiceDeps } from '../checkpoint/checkpoint-service.js';
import { CheckpointNotFoundError } from '../checkpoint/errors.js';
import { InternalError, UsageError } from '../core/errors.js';
import { planOperation } from '../ledger/ledger.js';
import { PlanStateChangedError } from '../plan/errors.js';
import { DecisionNotFoundError } from './errors.js';
import { MAX_SUMMARY_LENGTH } from './limits.js';
import type { Decision, DecisionState } from './model.js';

/** Options of {@link DecisionService.record}. */
export interface DecisionRequest {
  planId: string;
  /** What was decided, for humans and the agent's own log; 1 to 4096 characters, not only spaces. */
  summary: string;
  /** Link to this checkpoint of the plan instead of taking one now. */
  checkpointId?: string;
}

/** A recorded decision; `deduplicated` only when savepoint took the checkpoint (it may reuse the latest one). */
export type DecisionRecorded = Decision & { deduplicated?: boolean };

/**
 * Checks a summary before anything is written.
 *
 * @throws {UsageError} `USAGE` (exit 2): empty, only whitespace, or over {@link MAX_SUMMARY_LENGTH} characters
 */
function checkSummary(summary: string): string {
  if (summary.trim() === '') throw new UsageError('a decision needs a summary: --summary must not be empty');
  if (summary.length > MAX_SUMMARY_LENGTH) {
    throw new UsageError(
      `a decision summary holds at most ${MAX_SUMMARY_LENGTH} characters, got ${summary.length}`,
      {
        details: { length: summary.length },
      },
    );
  }
  return summary;
}

export class DecisionService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly checkpoints: CheckpointService,
  ) {}

  /**
   * Records a decision of an active plan. With `checkpointId` it links to that checkpoint of
   * the plan; otherwise it takes a checkpoint of the sandbox now (deduplicated against the
   * latest one, like `checkpoint create`) and records the decision in the same transaction
   * as the checkpoint row, so there is never a decision without its checkpoint or the reverse.
   * The checkpoint is pinned against retention while the decision is active.
   *
   * @throws {UsageError} `USAGE` (2): bad summary
   * @throws {PlanNotFoundError} `PLAN_NOT_FOUND` (3) · {@link CheckpointNotFoundError} `CHECKPOINT_NOT_FOUND` (3)
   * @throws {PlanNotActiveError} `PLAN_NOT_ACTIVE` (4) · {@link CheckpointNotInPlanError} `CHECKPOINT_NOT_IN_PLAN` (4)
   * @throws {PlanStateChangedError} `PLAN_STATE_CHANGED` (4): the plan was applied or abandoned meanwhile
   * @throws {SandboxInvalidError} `SANDBOX_INVALID` (5) · {@link UnmergedIndexError} `INDEX_UNMERGED` (4), when taking a checkpoint
   */
  async record(request: DecisionRequest): Promise<DecisionRecorded> {
    const summary = checkSummary(request.summary);
    const planAsked = this.checkpoints.activePlan(request.planId, 'record a decision');
    return this.deps.ledger.run(
      planOperation('decision.record', planAsked, { summary, checkpointId: request.checkpointId ?? null }),
      () => this.recordLocked(planAsked.planId, summary, request.checkpointId),
      { summarize: (d) => ({ decisionId: d.decisionId, checkpointId: d.checkpointId }) },
    );
  }

  /** {@link record} under the sandbox lock, inside its ledger operation. */
  private async recordLocked(
    planId: string,
    summary: string,
    checkpointId: string | undefined,
  ): Promise<DecisionRecorded> {
    const { store } = this.deps;
    // Re-read under the lock: the plan may have changed while this process waited.
    const plan = this.checkpoints.activePlan(planId, 'record a decision');
    const insert = (id: string): Decision =>
      store.decisions.insert({
        decisionId: this.deps.ids.next(),
        planId: plan.planId,
        checkpointId: id,
        summary,
        state: 'active',
        createdAt: this.deps.clock.now().toISOString(),
        revertedAt: null,
        revertedBy: null,
        reactivatedBy: null,
      });
    if (checkpointId !== undefined) {
      const checkpoint = this.checkpoints.getInPlan(plan.planId, checkpointId);
      return store.transaction(() => {
        const persisted = store.plans.get(plan.planId);
        if (persisted?.state !== 'active')
          throw new PlanStateChangedError(plan.planId, 'active', persisted?.state);
        // Pruned since we read it: the foreign key would refuse the row anyway; say why.
        if (!store.checkpoints.get(checkpoint.checkpointId))
          throw new CheckpointNotFoundError(checkpoint.checkpointId);
        return insert(checkpoint.checkpointId);
      });
    }
    const sandbox = await this.checkpoints.openSandbox(plan);
    const scan = await sandbox.scan(this.checkpoints.scanOptionsFor(plan));
    try {
      let decision: Decision | undefined;
      const taken = await this.checkpoints.record(
        plan,
        sandbox,
        scan,
        { kind: 'manual', reason: `decision: ${summary}`.slice(0, 4096) },
        { force: false, hooks: { after: (checkpoint) => (decision = insert(checkpoint.checkpointId)) } },
      );
      if (!decision) throw new InternalError('the decision row was not written with its checkpoint');
      return { ...decision, deduplicated: taken.deduplicated };
    } finally {
      await scan.dispose();
    }
  }

  /**
   * The plan's decisions in the order they were recorded, optionally of one state.
   *
   * @throws {PlanNotFoundError} `PLAN_NOT_FOUND` (exit 3)
   */
  list(planId: string, filter: { state?: DecisionState } = {}): Decision[] {
    const plan = this.checkpoints.plan(planId);
    return this.deps.store.decisions.list(plan.planId, filter);
  }

  /** @throws {DecisionNotFoundError} `DECISION_NOT_FOUND` (exit 3) */
  get(decisionId: string): Decision {
    const decision = this.deps.store.decisions.get(decisionId.toUpperCase());
    if (!decision) throw new DecisionNotFoundError(decisionId);
    return decision;
  }
}
