import { z } from 'zod';
import { Ulid } from '../plan/model.js';
import { ATTEMPT_OUTCOMES } from './outcomes.js';

export { ATTEMPT_OUTCOMES };

/**
 * How an attempt ended: `success` (exit 0), `failed` (non-zero exit or killed by a signal),
 * `timeout` (killed by savepoint after `--timeout`), `rolled_back` (failed or timed out, and
 * `--rollback-on-failure` restored the pre-call checkpoint).
 */
export const AttemptOutcome = z.enum(ATTEMPT_OUTCOMES);
export type AttemptOutcome = z.infer<typeof AttemptOutcome>;

/** One tool call run through `savepoint exec` (DESIGN §3 `attempts`). Times are ISO-8601 UTC. */
export const Attempt = z.object({
  attemptId: Ulid,
  planId: Ulid,
  tool: z.string().min(1),
  /** The command as run: program then arguments, no shell. */
  argv: z.array(z.string()).min(1),
  /** The child's exit status; null when a signal ended it. */
  exitCode: z.number().int().nullable(),
  /** The signal that ended the child (e.g. `SIGTERM`), else null. */
  signal: z.string().nullable(),
  /** Wall time from spawn to exit, ms. */
  elapsedMs: z.number().int().nonnegative(),
  outcome: AttemptOutcome,
  /** The checkpoint taken (or reused) before the call; null when the tool is declared `skip` or retention pruned it. */
  checkpointId: Ulid.nullable(),
  /** The safety checkpoint of the rollback after a failure (undo it with `savepoint undo`), else null. */
  rollbackSafetyCheckpointId: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type Attempt = z.infer<typeof Attempt>;
