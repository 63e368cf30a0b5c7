import { z } from 'zod';
import { Ulid } from '../plan/model.js';
import { ATTEMPT_OUTCOMES, FINISHED_OUTCOMES } from './outcomes.js';

/**
 * How a finished attempt ended: `success` (exit 0), `failed` (non-zero exit or killed by a
 * signal), `timeout` (killed by savepoint after `--timeout`), `rolled_back` (failed or timed
 * out, and `--rollback-on-failure` restored the pre-call checkpoint).
 */
export const FinishedOutcome = z.enum(FINISHED_OUTCOMES);
export type FinishedOutcome = z.infer<typeof FinishedOutcome>;

/**
 * An attempt's outcome as reported: a {@link FinishedOutcome}, or `running` (its command
 * runs and the savepoint process running it is alive), or `interrupted` (that savepoint
 * process died before the command's end was recorded: SIGKILL, a crash, a power cut; the
 * command's own fate is unknown). `interrupted` is derived when read, never stored.
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
  /** The child's exit status; null when a signal ended it, or while it runs. */
  exitCode: z.number().int().nullable(),
  /** The signal that ended the child (e.g. `SIGTERM`), else null. */
  signal: z.string().nullable(),
  /** Wall time from spawn to exit, ms; null while running or when interrupted. */
  elapsedMs: z.number().int().nonnegative().nullable(),
  outcome: AttemptOutcome,
  /** The checkpoint taken (or reused) before the call; null when the tool is declared `skip` or retention pruned it. */
  checkpointId: Ulid.nullable(),
  /** The safety checkpoint of the rollback after a failure (undo it with `savepoint undo`), else null. */
  rollbackSafetyCheckpointId: z.string().nullable(),
  startedAt: z.string(),
  /** When the command's end was recorded; null while running or when interrupted. */
  finishedAt: z.string().nullable(),
  /** The savepoint process that ran the command (0 for attempts recorded before schema version 7). */
  pid: z.number().int().nonnegative(),
  /** Host name of that process (empty for attempts recorded before schema version 7). */
  hostname: z.string(),
});
export type Attempt = z.infer<typeof Attempt>;

/** An attempt whose command has ended and been recorded: what `savepoint exec` returns. */
export const FinishedAttempt = Attempt.extend({
  outcome: FinishedOutcome,
  elapsedMs: z.number().int().nonnegative(),
  finishedAt: z.string(),
});
export type FinishedAttempt = z.infer<typeof FinishedAttempt>;
