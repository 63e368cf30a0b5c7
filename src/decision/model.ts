import { z } from 'zod';
import { Ulid } from '../plan/model.js';
import { MAX_SUMMARY_LENGTH } from './limits.js';

/** A decision is `active` until a correction reverts it; `savepoint undo` may make it active again. */
export const DecisionState = z.enum(['active', 'reverted']);
export type DecisionState = z.infer<typeof DecisionState>;

export { MAX_SUMMARY_LENGTH } from './limits.js';

/**
 * A recorded agent decision, linked to the checkpoint taken just before it (DESIGN §6).
 * Times are ISO-8601 UTC.
 */
export const Decision = z.object({
  decisionId: Ulid,
  planId: Ulid,
  /** 1-based position in the plan, in the order decisions were recorded: "later" means a higher `seq`. */
  seq: z.number().int().positive(),
  /**
   * The checkpoint a correction rolls back to. Null only for a reverted decision whose
   * checkpoint retention pruned after it could no longer be undone (active decisions pin theirs).
   */
  checkpointId: Ulid.nullable(),
  summary: z.string().min(1).max(MAX_SUMMARY_LENGTH),
  state: DecisionState,
  createdAt: z.string(),
  /** When the decision was last reverted; null while active. */
  revertedAt: z.string().nullable(),
  /**
   * The safety checkpoint of the rollback that reverted it (`correction revert`, or an undo of
   * an undo): `savepoint undo` finds the decisions to re-activate by it. Null while active.
   */
  revertedBy: z.string().nullable(),
  /** The safety checkpoint of the `savepoint undo` that last re-activated it, else null. */
  reactivatedBy: z.string().nullable(),
});
export type Decision = z.infer<typeof Decision>;
