import { z } from 'zod';

/** Crockford base32 ULID, 26 characters (https://github.com/ulid/spec). */
export const Ulid = z
  .string()
  .regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'expected a ULID (26 Crockford base32 characters)');

/** Lifecycle of a plan: `active` → `applied` or `abandoned`; both ends are final. */
export const PlanState = z.enum(['active', 'applied', 'abandoned']);
export type PlanState = z.infer<typeof PlanState>;

/** What a tool declaration says a call of the tool needs first: a checkpoint, or nothing. */
export const ToolDeclaration = z.enum(['checkpoint', 'skip']);
export type ToolDeclaration = z.infer<typeof ToolDeclaration>;

/**
 * How a checkpoint is stored: `commit`, a commit object kept alive by a ref; `patch`, a
 * binary diff from the plan's base commit stored in the checkpoint row (no ref). Declared
 * here because the plan policy's `defaultType` names it; `checkpoint/model.ts` re-exports it.
 */
export const CheckpointType = z.enum(['commit', 'patch']);
export type CheckpointType = z.infer<typeof CheckpointType>;

/** Default of `policy.retention.max`: checkpoints kept per plan (DESIGN §1). */
export const DEFAULT_RETENTION_MAX = 50;

/**
 * A tool-name pattern of `policy.tools`: a tool name, or a glob where `*` matches any run of
 * characters and `?` one character (e.g. `Read*`, `mcp__*`). Case-sensitive.
 */
export const ToolPattern = z.string().min(1).max(256);

/**
 * Per-plan policy, stored as `plans.policy_json` and parsed with defaults at the store
 * boundary, so a row written before a field existed (`{}`) reads with every default.
 * Unknown keys are kept so a newer binary's policy survives a round trip through this one.
 *
 * - `retention.max`: checkpoints kept per plan (≥ 1, default 50); auto-prune after every new checkpoint.
 * - `tools`: tool-name pattern → `checkpoint` | `skip` (default `{}`: every tool checkpoints).
 * - `untrackedSizeCap`: bytes; untracked files larger than this are skipped by this plan's
 *   scans (overrides `SAVEPOINT_UNTRACKED_SIZE_CAP` and the library option).
 * - `head`: what `plan rollback` does with HEAD when `--head` is not given (default `restore`).
 * - `defaultType`: the type of a checkpoint taken without an explicit type (`checkpoint create`
 *   without `--type`, `plan apply`'s final checkpoint); default `commit`. Checkpoint #1 and
 *   safety checkpoints are always `commit` (see `CheckpointService.record`).
 */
export const PlanPolicy = z.looseObject({
  retention: z.looseObject({ max: z.number().int().min(1).default(DEFAULT_RETENTION_MAX) }).prefault({}),
  tools: z.record(ToolPattern, ToolDeclaration).default({}),
  untrackedSizeCap: z.number().int().nonnegative().optional(),
  head: z.enum(['restore', 'keep']).default('restore'),
  defaultType: CheckpointType.default('commit'),
});
/** A parsed policy: every default filled in. */
export type PlanPolicy = z.infer<typeof PlanPolicy>;
/** A policy as a caller may write it: any field may be left out. */
export type PlanPolicyInput = z.input<typeof PlanPolicy>;

/** The fields `plan policy set` changes; `tools` entries are merged into the existing map. */
export interface PolicyChanges {
  retentionMax?: number;
  tools?: Record<string, ToolDeclaration>;
  untrackedSizeCap?: number;
  head?: 'restore' | 'keep';
  defaultType?: CheckpointType;
}

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
