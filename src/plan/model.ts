import { z } from 'zod';

/** Crockford base32 ULID, 26 characters (https://github.com/ulid/spec). */
export const Ulid = z
  .string()
  .regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'expected a ULID (26 Crockford base32 characters)');

/** Lifecycle of a plan: `active` → `applied` or `abandoned`; both ends are final. */
export const PlanState = z.enum(['active', 'applied', 'abandoned']);
export type PlanState = z.infer<typeof PlanState>;

/**
 * Per-plan policy. Empty for now: retention, tool declarations and the default checkpoint
 * type arrive with the policy issue; unknown keys are kept so a newer binary's policy survives.
 */
export const PlanPolicy = z.looseObject({});
export type PlanPolicy = z.infer<typeof PlanPolicy>;

/** A plan: a unit of agent work on one sandbox. Times are ISO-8601 UTC. */
export const Plan = z.object({
  planId: Ulid,
  name: z.string().nullable(),
  /** Canonical absolute path of the sandbox worktree's top level. */
  sandboxPath: z.string(),
  /** Canonical absolute path of the repository's git common dir. */
  gitDir: z.string(),
  /**
   * Identity of the repository (a ULID savepoint writes once into its common dir): tells a
   * repository re-created at the same path from the one the plan was made for.
   */
  repositoryId: z.string(),
  /** HEAD commit when the plan was created; null on an unborn HEAD. */
  baseCommit: z.string().nullable(),
  state: PlanState,
  policy: PlanPolicy,
  /** True when savepoint created the sandbox as a linked worktree (`plan create --worktree`). */
  managedWorktree: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  appliedAt: z.string().nullable(),
});
export type Plan = z.infer<typeof Plan>;
