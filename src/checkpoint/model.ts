import { z } from 'zod';
import { CheckpointType, Ulid } from '../plan/model.js';

/** `commit`: a commit object kept alive by a ref; `patch`: a binary diff stored in the row. */
export { CheckpointType };

/** Why a checkpoint exists: taken on request, at plan creation, at apply, or by rollback before it changed anything. */
export const CheckpointKind = z.enum(['manual', 'initial', 'final', 'safety']);
export type CheckpointKind = z.infer<typeof CheckpointKind>;

/** A path the snapshot left out on purpose (see `SkippedPath` in the ports). */
export const SkippedPath = z.object({
  path: z.string(),
  reason: z.enum(['nested-repository', 'submodule', 'too-large']),
  sizeBytes: z.number().int().nonnegative().exactOptional(),
});
export type SkippedPath = z.infer<typeof SkippedPath>;

/** Free-form, auditable context of a checkpoint (stored as `metadata_json`). */
export const CheckpointMetadata = z.looseObject({
  kind: CheckpointKind,
  reason: z.string().max(4096).optional(),
  tool: z.string().max(256).optional(),
  phase: z.string().max(256).optional(),
  /** For a safety checkpoint: the checkpoint the rollback went to. */
  rollbackTarget: z.string().optional(),
  /** Paths this checkpoint does not contain on purpose: nested repositories, files over the size cap. */
  skippedPaths: z.array(SkippedPath).optional(),
  /**
   * The caller's `key=value` pairs (`--meta`). Validated on the way in (see `CheckpointMeta`
   * in `metadata.ts`); read back leniently so a later change of limits never hides old rows.
   */
  meta: z.record(z.string(), z.string()).optional(),
});
export type CheckpointMetadata = z.infer<typeof CheckpointMetadata>;

const Sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'expected a full git object id');

/**
 * An immutable snapshot of a sandbox: worktree tree, index tree and HEAD.
 * `commitSha` is the checkpoint commit (parents: HEAD if any, and the index commit); a
 * `patch` checkpoint has neither commit nor ref: its patch bundle lives in the row (read it
 * with `CheckpointStore.patch`) and `sizeBytes` is the bundle's size.
 */
export const Checkpoint = z.object({
  checkpointId: Ulid,
  planId: Ulid,
  /** 1-based position in the plan; #1 is the plan's starting state. */
  seq: z.number().int().positive(),
  checkpointType: CheckpointType,
  /** `refs/savepoint/<planId>/<checkpointId>`: keeps the commit alive through `git gc`. */
  sandboxRef: z.string().nullable(),
  commitSha: Sha.nullable(),
  /** Tree of every non-ignored file of the worktree. */
  treeSha: Sha,
  /** Tree of the index (the staged state). */
  indexTreeSha: Sha,
  /** HEAD commit, null on an unborn branch. */
  headSha: Sha.nullable(),
  /** Symbolic ref HEAD pointed to (`refs/heads/main`), null when detached. */
  headRef: z.string().nullable(),
  filesystemPath: z.string(),
  /** What the caller says this checkpoint is about (`--resource`), e.g. a file or ticket id. */
  resourceId: z.string().nullable(),
  /**
   * Commit checkpoint: uncompressed bytes of the distinct blobs at paths added or modified
   * since the previous checkpoint (see `TreeDelta.addedBlobBytes`). Null when not measured.
   */
  sizeBytes: z.number().int().nonnegative().nullable(),
  /** Paths that differ from the previous checkpoint (the first: from the plan's base commit). Null when not measured. */
  filesChanged: z.number().int().nonnegative().nullable(),
  createdAt: z.string(),
  metadata: CheckpointMetadata,
});
export type Checkpoint = z.infer<typeof Checkpoint>;
