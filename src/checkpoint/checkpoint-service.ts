/**
 * CheckpointService: takes checkpoints of a plan's sandbox and reads them back.
 * Snapshot mechanics live behind the {@link GitSandbox} port; this service owns the rules:
 * which plan, deduplication, the ref name, and recording the row atomically.
 */
import { SandboxInvalidError } from '../core/errors.js';
import { faultPoint } from '../core/faults.js';
import type {
  Clock,
  GitSandbox,
  IdGenerator,
  SandboxProvider,
  ScanOptions,
  SkippedPath,
  SnapshotScan,
  Store,
  TreeDelta,
} from '../core/ports.js';
import { ownerAlive } from '../core/process.js';
import { type Ledger, planOperation } from '../ledger/ledger.js';
import { PlanNotActiveError, PlanNotFoundError, PlanStateChangedError } from '../plan/errors.js';
import type { Plan } from '../plan/model.js';
import {
  CheckpointNotFoundError,
  CheckpointNotInPlanError,
  CheckpointObjectsMissingError,
  type PatchAction,
  PatchDoesNotApplyError,
} from './errors.js';
import { type CheckpointListFilter, resolveListFilter } from './list-filter.js';
import { validateAnnotations } from './metadata.js';
import type { Checkpoint, CheckpointMetadata, CheckpointType } from './model.js';
import {
  decodePatchBundle,
  encodePatchBundle,
  MalformedPatchBundleError,
  type PatchBundle,
} from './patch-bundle.js';
import { type RetentionCandidate, retentionWindow, selectPrunable } from './retention.js';
import { resolveToolDeclaration } from './tool-declarations.js';

function candidate(checkpoint: Checkpoint): RetentionCandidate {
  return {
    checkpointId: checkpoint.checkpointId,
    seq: checkpoint.seq,
    kind: checkpoint.metadata.kind,
    rollbackTarget: checkpoint.metadata.rollbackTarget,
  };
}

/** What a caller may say about a checkpoint it asks for (limits: `CheckpointAnnotations` in `metadata.ts`). */
export interface CheckpointRequest {
  reason?: string;
  tool?: string;
  phase?: string;
  /** What the checkpoint is about (a file, a ticket), stored in the `resource_id` column. */
  resourceId?: string;
  /** Free-form `key=value` pairs, stored under `metadata.meta`. */
  meta?: Record<string, string>;
  /**
   * Make a new checkpoint even when nothing changed since the latest one, and even when the
   * plan's policy declares `tool` as `skip`.
   */
  force?: boolean;
  /** How to store it; default: the plan policy's `defaultType` (itself `commit` by default). */
  type?: CheckpointType;
}

/** A checkpoint as a patch for plain `git apply`: what `checkpoint export` writes. */
export interface CheckpointExport {
  checkpointId: string;
  planId: string;
  checkpointType: CheckpointType;
  /** The commit the patch applies to (the plan's base commit); null: an empty repository (no commit). */
  base: string | null;
  /** `git diff --binary --full-index` from `base` to the checkpoint's worktree tree; empty when they are equal. */
  patch: Buffer;
}

/** A checkpoint, whether it was reused because nothing changed since it was taken, and what the snapshot left out. */
export interface CheckpointResult {
  checkpoint: Checkpoint;
  deduplicated: boolean;
  /** Nested repositories and untracked files over the size cap, as found by this snapshot. */
  skippedPaths: SkippedPath[];
  /** Checkpoints retention pruned right after this one was recorded (empty when deduplicated). */
  prunedCheckpointIds: string[];
}

/** `checkpoints.create` made (or reused) a checkpoint. */
export type CheckpointTaken = CheckpointResult & { skipped: false };

/** `checkpoints.create` did not checkpoint: the plan's policy declares the tool `skip`. */
export interface CheckpointSkipped {
  skipped: true;
  planId: string;
  tool: string;
  reason: 'tool declared skip';
  /** The `policy.tools` key that matched the tool (a name or a glob). */
  pattern: string;
}

/** Result of `checkpoints.create`: discriminated by `skipped`. */
export type CheckpointCreateOutcome = CheckpointTaken | CheckpointSkipped;

/** Hooks run inside the write transaction that records a checkpoint (all or nothing). */
export interface RecordHooks {
  /** Runs first, e.g. inserting the plan row the checkpoint belongs to. */
  before?: () => void;
  /** Runs last with the recorded (or reused) checkpoint, e.g. a plan state compare-and-set. */
  after?: (checkpoint: Checkpoint) => void;
}

/** Services' shared dependencies. */
export interface ServiceDeps {
  store: Store;
  sandboxes: SandboxProvider;
  clock: Clock;
  ids: IdGenerator;
  /** How snapshots are taken (e.g. the untracked file size cap). */
  scanOptions: ScanOptions;
  /** Directory relative paths are resolved against, and the default sandbox. */
  cwd: string;
  /** The operation ledger every mutating action runs through (lock, intent, outcome). */
  ledger: Ledger;
}

/** Untracked files larger than this are skipped by snapshots unless configured otherwise: 100 MiB. */
export const DEFAULT_UNTRACKED_SIZE_CAP = 100 * 1024 * 1024;

/** `refs/savepoint/<planId>/<checkpointId>`: keeps a checkpoint commit reachable through `git gc`. */
export function checkpointRef(planId: string, checkpointId: string): string {
  return `refs/savepoint/${planId}/${checkpointId}`;
}

/** True when a scan shows exactly the state a checkpoint recorded (worktree, index and HEAD). */
export function sameState(checkpoint: Checkpoint, scan: SnapshotScan): boolean {
  return (
    checkpoint.treeSha === scan.treeSha &&
    checkpoint.indexTreeSha === scan.indexTreeSha &&
    checkpoint.headSha === scan.head.sha &&
    checkpoint.headRef === scan.head.ref
  );
}

export class CheckpointService {
  constructor(private readonly deps: ServiceDeps) {}

  /** How this service's snapshots are taken by default (the plan's policy may override the size cap). */
  get scanOptions(): ScanOptions {
    return this.deps.scanOptions;
  }

  /** How snapshots of `plan`'s sandbox are taken: its policy's `untrackedSizeCap` wins over the default. */
  scanOptionsFor(plan: Plan): ScanOptions {
    const cap = plan.policy.untrackedSizeCap;
    const options =
      cap === undefined ? this.deps.scanOptions : { ...this.deps.scanOptions, untrackedSizeCap: cap };
    // A commit checkpoint's ref keeps both its trees in the object store (a patch checkpoint's
    // trees are rebuilt from its row and may be gone): a scan of an unchanged state may name them
    // without writing them again.
    const latest = this.deps.store.checkpoints.latest(plan.planId);
    return latest?.checkpointType === 'commit'
      ? { ...options, knownTrees: new Set([latest.treeSha, latest.indexTreeSha]) }
      : options;
  }

  /**
   * Checkpoints retention never prunes because decisions point to them (DESIGN §4 step 6):
   * the checkpoints of the plan's active decisions, and of the decisions reverted by the
   * plan's latest rollback (a correction `savepoint undo` would re-activate them) or by the
   * rollback that latest rollback undid (an undo in flight: its safety checkpoint is already
   * the latest while it re-activates them); and the pre-call checkpoints of the plan's running
   * `savepoint exec` attempts whose savepoint process is alive (`--rollback-on-failure` may
   * still need them). A decision reverted by an older rollback pins
   * nothing; when its checkpoint is pruned, its `checkpointId` becomes null (`ON DELETE SET
   * NULL`). Reads only the pinning rows and the latest safety row (indexed): O(pinned).
   */
  pinned(planId: string): ReadonlySet<string> {
    return this.pinnedGiven(planId, this.deps.store.checkpoints.latestOfKind(planId, 'safety'));
  }

  private pinnedGiven(planId: string, latestSafety: Checkpoint | undefined): ReadonlySet<string> {
    const undoable = latestSafety
      ? [latestSafety.checkpointId, latestSafety.metadata.rollbackTarget ?? '']
      : [];
    const pinned = new Set(this.deps.store.decisions.pinnedCheckpoints(planId, undoable));
    // A running `savepoint exec` may still roll back to its pre-call checkpoint.
    for (const attempt of this.deps.store.attempts.running(planId))
      if (attempt.checkpointId !== null && ownerAlive(attempt.pid, attempt.hostname))
        pinned.add(attempt.checkpointId);
    return pinned;
  }

  /**
   * The plan's checkpoints retention would prune to keep at most `max` (DESIGN §4 step 6),
   * reading only the count, the oldest {@link retentionWindow} rows, the latest row and the
   * latest safety row: O(pruned), not O(checkpoints). Call inside a transaction to delete them.
   */
  prunableCheckpoints(planId: string, max: number): Checkpoint[] {
    const { checkpoints } = this.deps.store;
    const total = checkpoints.count(planId);
    if (total <= max) return [];
    const latestSafety = checkpoints.latestOfKind(planId, 'safety');
    const pinned = this.pinnedGiven(planId, latestSafety);
    const window = retentionWindow(total, max, pinned.size);
    const rows = new Map<string, Checkpoint>();
    for (const row of checkpoints.oldest(planId, window)) rows.set(row.checkpointId, row);
    for (const row of [checkpoints.latest(planId), latestSafety]) if (row) rows.set(row.checkpointId, row);
    const chosen = selectPrunable([...rows.values()].map(candidate), { max, pinned, total });
    return chosen.map((c) => rows.get(c.checkpointId) as Checkpoint);
  }

  /**
   * Deletes the safety checkpoint of a rollback that stopped before it changed anything (its
   * state is still the sandbox's): the row, then the ref. Otherwise `undo` would take it for the
   * latest rollback. A ref that cannot be deleted stays as an orphan for `savepoint gc`.
   */
  async discardSafety(sandbox: GitSandbox, safety: Checkpoint): Promise<void> {
    this.deps.store.transaction(() => this.deps.store.checkpoints.delete([safety.checkpointId]));
    await this.deletePrunedRefs(sandbox, [safety]);
  }

  /**
   * Deletes the refs of pruned checkpoints, after the transaction that deleted their rows
   * committed. A ref that cannot be deleted stays as an orphan (no row owns it), which
   * `savepoint gc` removes; the rows are gone either way.
   *
   * @returns the refs that could not be deleted
   */
  async deletePrunedRefs(sandbox: GitSandbox, pruned: readonly Checkpoint[]): Promise<string[]> {
    const failed: string[] = [];
    for (const row of pruned) {
      if (!row.sandboxRef || !row.commitSha) continue;
      await sandbox
        .deleteRef(row.sandboxRef, row.commitSha)
        .catch(() => failed.push(row.sandboxRef as string));
    }
    return failed;
  }

  /**
   * Takes a checkpoint of the plan's sandbox (DESIGN §4). Returns the latest checkpoint with
   * `deduplicated: true` when worktree, index and HEAD are unchanged since it, unless `force`.
   * With `tool`, the plan policy's tool declarations are consulted first: a `skip`
   * declaration returns `{ skipped: true }` without scanning anything, unless `force`.
   * A new checkpoint row is followed by auto-prune (retention, DESIGN §4 step 6) in the same
   * transaction; the pruned refs are deleted after it commits. `hooks.after` runs inside that
   * transaction with the recorded (or reused) checkpoint (e.g. `exec` inserts its attempt row
   * there, so the checkpoint is pinned before retention can see it); not for a skipped tool.
   *
   * @throws {MetadataInvalidError} `METADATA_INVALID` (exit 2): reason, tool, phase, resource or meta break a limit
   * @throws {PlanNotFoundError} `PLAN_NOT_FOUND` (exit 3)
   * @throws {PlanNotActiveError} `PLAN_NOT_ACTIVE` (exit 4)
   * @throws {SandboxInvalidError} `SANDBOX_INVALID` (exit 5): sandbox gone or another repository
   * @throws {UnmergedIndexError} `INDEX_UNMERGED` (exit 4)
   * @throws {PatchDoesNotApplyError} `PATCH_DOES_NOT_APPLY` (exit 9): a `patch` checkpoint whose
   *   base commit is gone, or whose patch does not reproduce the snapshot; nothing recorded
   * @throws {BusyError} `BUSY` (exit 6): another savepoint process holds the sandbox lock
   * @throws {OperationInterruptedError} `OPERATION_INTERRUPTED` (exit 7): run `savepoint recover` first
   */
  async create(
    planId: string,
    request?: CheckpointRequest & { tool?: undefined },
    hooks?: Pick<RecordHooks, 'after'>,
  ): Promise<CheckpointTaken>;
  async create(
    planId: string,
    request: CheckpointRequest,
    hooks?: Pick<RecordHooks, 'after'>,
  ): Promise<CheckpointCreateOutcome>;
  async create(
    planId: string,
    request: CheckpointRequest = {},
    hooks: Pick<RecordHooks, 'after'> = {},
  ): Promise<CheckpointCreateOutcome> {
    const { force, ...annotations } = request;
    validateAnnotations(annotations);
    const plan = this.activePlan(planId, 'checkpoint');
    if (request.tool !== undefined && !force) {
      const { declaration, pattern } = resolveToolDeclaration(plan.policy.tools, request.tool);
      if (declaration === 'skip' && pattern !== null) {
        return {
          skipped: true,
          planId: plan.planId,
          tool: request.tool,
          reason: 'tool declared skip',
          pattern,
        };
      }
    }
    const spec = planOperation('checkpoint.create', plan, { ...request });
    const taken = async (): Promise<CheckpointTaken> => {
      // Re-read under the sandbox lock: the plan may have changed while this process waited.
      const current = this.activePlan(plan.planId, 'checkpoint');
      const sandbox = await this.openSandbox(current);
      const scan = await sandbox.scan(this.scanOptionsFor(current));
      try {
        const metadata: CheckpointMetadata = { kind: 'manual' };
        if (request.reason !== undefined) metadata.reason = request.reason;
        if (request.tool !== undefined) metadata.tool = request.tool;
        if (request.phase !== undefined) metadata.phase = request.phase;
        if (request.meta !== undefined && Object.keys(request.meta).length > 0)
          metadata.meta = { ...request.meta };
        const result = await this.record(current, sandbox, scan, metadata, {
          force: force ?? false,
          hooks,
          type: request.type ?? current.policy.defaultType,
          ...(request.resourceId === undefined ? {} : { resourceId: request.resourceId }),
        });
        faultPoint('checkpoint.before-outcome');
        return { ...result, skipped: false };
      } finally {
        await scan.dispose();
      }
    };
    return this.deps.ledger.run(spec, taken, {
      summarize: (r) => ({
        checkpointId: r.checkpoint.checkpointId,
        seq: r.checkpoint.seq,
        deduplicated: r.deduplicated,
        prunedCheckpointIds: r.prunedCheckpointIds,
      }),
    });
  }

  /**
   * Records `scan` as a checkpoint of `plan`: commit, ref, row. The ref is written before the
   * row and removed again if the row's transaction fails, so a row never names a missing ref.
   * `type: 'patch'` stores a verified patch bundle in the row instead (no commit, no ref; see
   * {@link recordPatch}). Default `commit`: checkpoint #1 and safety checkpoints stay commits,
   * whose refs keep the base commit and the pre-rollback state alive through `git gc`.
   * The row's `filesChanged` (and, for a commit checkpoint, `sizeBytes`) measure the scan's tree
   * against the plan's latest checkpoint (none yet: the plan's base commit, else the empty
   * tree), see {@link GitSandbox.treeDelta} and {@link accounting}.
   *
   * @throws {PatchDoesNotApplyError} `PATCH_DOES_NOT_APPLY` (exit 9): `patch` type only
   */
  async record(
    plan: Plan,
    sandbox: GitSandbox,
    scan: SnapshotScan,
    metadata: CheckpointMetadata,
    options: { force: boolean; hooks?: RecordHooks; type?: CheckpointType; resourceId?: string },
  ): Promise<CheckpointResult> {
    const { store, ids } = this.deps;
    const hooks = options.hooks ?? {};
    const latest = store.checkpoints.latest(plan.planId);
    // The latest checkpoint stands for this state only while it can be restored: a commit
    // checkpoint whose ref was deleted behind savepoint's back (`git gc` may prune its objects
    // next) is no handle, so a new one is recorded instead.
    if (
      latest &&
      !options.force &&
      sameState(latest, scan) &&
      (latest.sandboxRef === null || (await sandbox.resolveCommit(latest.sandboxRef)) === latest.commitSha)
    ) {
      store.transaction(() => {
        hooks.before?.();
        this.assertStillActive(plan.planId);
        hooks.after?.(latest);
      });
      return {
        checkpoint: latest,
        deduplicated: true,
        skippedPaths: [...scan.skipped],
        prunedCheckpointIds: [],
      };
    }
    if (options.type === 'patch')
      return this.recordPatch(plan, sandbox, scan, metadata, hooks, options.resourceId ?? null, latest);
    const checkpointId = ids.next();
    const ref = checkpointRef(plan.planId, checkpointId);
    // Accounting reads only the two trees, so it runs while the commit and its ref are written.
    const written = (async () => {
      const sha = await sandbox.commitScan(
        scan,
        `savepoint checkpoint ${checkpointId} of plan ${plan.planId}`,
      );
      faultPoint('checkpoint.after-objects');
      await sandbox.createRef(ref, sha);
      faultPoint('checkpoint.after-ref');
      return sha;
    })();
    const [commit, accounted] = await Promise.allSettled([
      written,
      this.accounting(plan, sandbox, scan, latest),
    ]);
    if (commit.status === 'rejected') throw commit.reason;
    const commitSha = commit.value;
    let recorded: { checkpoint: Checkpoint; pruned: Checkpoint[] };
    try {
      if (accounted.status === 'rejected') throw accounted.reason;
      const delta = accounted.value;
      recorded = this.insertRow(
        plan.planId,
        {
          ...this.scanRow(plan, sandbox, scan, metadata, options.resourceId ?? null),
          checkpointId,
          checkpointType: 'commit',
          sandboxRef: ref,
          commitSha,
          sizeBytes: delta?.addedBlobBytes ?? null,
          filesChanged: delta?.filesChanged ?? null,
        },
        hooks,
      );
    } catch (error) {
      await sandbox.deleteRef(ref, commitSha).catch(() => undefined);
      throw error;
    }
    return this.finishRecord(sandbox, scan, recorded);
  }

  /** The row fields every new checkpoint of `scan` has, whatever its type; `createdAt` is now. */
  private scanRow(
    plan: Plan,
    sandbox: GitSandbox,
    scan: SnapshotScan,
    metadata: CheckpointMetadata,
    resourceId: string | null,
  ) {
    return {
      planId: plan.planId,
      treeSha: scan.treeSha,
      indexTreeSha: scan.indexTreeSha,
      headSha: scan.head.sha,
      headRef: scan.head.ref,
      filesystemPath: sandbox.path,
      resourceId,
      createdAt: this.deps.clock.now().toISOString(),
      metadata: scan.skipped.length > 0 ? { ...metadata, skippedPaths: [...scan.skipped] } : metadata,
    };
  }

  /** After a new row committed: deletes the refs retention pruned, and reports the checkpoint. */
  private async finishRecord(
    sandbox: GitSandbox,
    scan: SnapshotScan,
    recorded: { checkpoint: Checkpoint; pruned: Checkpoint[] },
  ): Promise<CheckpointResult> {
    await this.deletePrunedRefs(sandbox, recorded.pruned);
    return {
      checkpoint: recorded.checkpoint,
      deduplicated: false,
      skippedPaths: [...scan.skipped],
      prunedCheckpointIds: recorded.pruned.map((c) => c.checkpointId),
    };
  }

  /**
   * What `scan` changed since the plan's latest checkpoint (none yet: the base commit, or the
   * empty tree). Null when that tree is no longer in the object store: a `patch` checkpoint's
   * trees are rebuilt from its row only on rollback, and `git gc` may have pruned them since; a
   * `commit` checkpoint's ref may have been deleted behind savepoint's back before a `git gc`.
   */
  private async accounting(
    plan: Plan,
    sandbox: GitSandbox,
    scan: SnapshotScan,
    latest: Checkpoint | undefined,
  ): Promise<TreeDelta | null> {
    const from = latest?.treeSha ?? plan.baseCommit;
    if (latest?.checkpointType === 'patch' && !(await sandbox.hasTree(latest.treeSha))) return null;
    try {
      return await sandbox.treeDelta(from, scan.treeSha, scan);
    } catch (error) {
      // The latest checkpoint's ref deleted behind savepoint's back, then `git gc`: its tree is
      // gone and there is nothing to measure against, which must not stop a new checkpoint.
      if (latest && !(await sandbox.hasTree(latest.treeSha))) return null;
      throw error;
    }
  }

  /**
   * Inserts a checkpoint row and runs retention, in one write transaction with the hooks:
   * `before`, the plan-still-active check, the insert, auto-prune, `after`.
   */
  private insertRow(
    planId: string,
    row: Omit<Checkpoint, 'seq'>,
    hooks: RecordHooks,
    patch?: Uint8Array,
  ): { checkpoint: Checkpoint; pruned: Checkpoint[] } {
    const { store } = this.deps;
    return store.transaction(() => {
      hooks.before?.();
      const persisted = this.assertStillActive(planId);
      const checkpoint = store.checkpoints.insert(row, patch);
      // Retention (DESIGN §4 step 6): in the insert's transaction, with the policy as persisted
      // now; if anything later in the transaction fails, the pruned rows come back with it.
      const pruned = this.prunableCheckpoints(planId, persisted.policy.retention.max);
      store.checkpoints.delete(pruned.map((c) => c.checkpointId));
      hooks.after?.(checkpoint);
      return { checkpoint, pruned };
    });
  }

  /**
   * Records `scan` as a `patch` checkpoint: the worktree tree and the index tree as patches
   * from the plan's base commit (the empty tree for a plan begun on an unborn branch), in a
   * {@link PatchBundle} stored in the row. Each patch is re-applied to a scratch index before
   * anything is recorded and must give back exactly the scanned tree id. No commit, no ref:
   * the row is self-contained, `sizeBytes` is the bundle's size.
   *
   * @throws {PatchDoesNotApplyError} `PATCH_DOES_NOT_APPLY` (exit 9): base commit gone, or a
   *   patch does not reproduce its tree; nothing recorded
   */
  private async recordPatch(
    plan: Plan,
    sandbox: GitSandbox,
    scan: SnapshotScan,
    metadata: CheckpointMetadata,
    hooks: RecordHooks,
    resourceId: string | null,
    latest: Checkpoint | undefined,
  ): Promise<CheckpointResult> {
    const base = plan.baseCommit;
    const failure = { action: 'take' as const, planId: plan.planId, checkpointId: null, baseCommit: base };
    const baseTree = await sandbox.baseTree(base);
    if (baseTree === null) throw new PatchDoesNotApplyError({ ...failure, reason: 'base-missing' });
    // A tree equal to the base needs no diff: an empty patch (the usual index: nothing staged).
    const diff = async (tree: string) =>
      tree === baseTree ? Buffer.alloc(0) : await sandbox.diffFromBase(base, tree);
    const worktree = await diff(scan.treeSha);
    const index = scan.indexTreeSha === scan.treeSha ? 'worktree' : await diff(scan.indexTreeSha);
    const bundle: PatchBundle = { base, worktree, index };
    await this.verifyBundle(sandbox, bundle, baseTree, scan, failure);
    const bytes = encodePatchBundle(bundle);
    const delta = await this.accounting(plan, sandbox, scan, latest);
    const recorded = this.insertRow(
      plan.planId,
      {
        ...this.scanRow(plan, sandbox, scan, metadata, resourceId),
        checkpointId: this.deps.ids.next(),
        checkpointType: 'patch',
        sandboxRef: null,
        commitSha: null,
        sizeBytes: bytes.byteLength,
        filesChanged: delta?.filesChanged ?? null,
      },
      hooks,
      bytes,
    );
    return this.finishRecord(sandbox, scan, recorded);
  }

  /**
   * Applies both patches of a bundle to its base on scratch indexes and checks they give the
   * expected tree ids. Writes every blob and tree of both trees into the object database, so
   * after it returns the trees can be checked out even if `git gc` had pruned them. An empty
   * patch stands for `baseTree` itself and needs no git call.
   *
   * @throws {PatchDoesNotApplyError} `PATCH_DOES_NOT_APPLY` (exit 9)
   */
  private async verifyBundle(
    sandbox: GitSandbox,
    bundle: PatchBundle,
    baseTree: string,
    expected: { treeSha: string; indexTreeSha: string },
    failure: { action: PatchAction; planId: string; checkpointId: string | null; baseCommit: string | null },
  ): Promise<void> {
    const parts: Array<[Uint8Array, string]> = [[bundle.worktree, expected.treeSha]];
    if (bundle.index !== 'worktree') parts.push([bundle.index, expected.indexTreeSha]);
    else if (expected.indexTreeSha !== expected.treeSha) {
      throw new PatchDoesNotApplyError({ ...failure, reason: 'tree-mismatch' });
    }
    for (const [patch, tree] of parts) {
      if (patch.byteLength === 0) {
        if (tree !== baseTree) throw new PatchDoesNotApplyError({ ...failure, reason: 'tree-mismatch' });
        continue;
      }
      const result = await sandbox.treeFromPatch(bundle.base, patch);
      if (!result.applied) {
        throw new PatchDoesNotApplyError({ ...failure, reason: 'does-not-apply', detail: result.message });
      }
      if (result.treeSha !== tree) throw new PatchDoesNotApplyError({ ...failure, reason: 'tree-mismatch' });
    }
  }

  /**
   * Makes a checkpoint's trees present in the object database before a rollback to it. A
   * `commit` checkpoint: its ref must still name its commit (which holds both trees). A
   * `patch` checkpoint: its base commit must exist and both patches must apply to it and give
   * exactly the recorded worktree and index trees; applying them (re)writes those objects,
   * so the rollback works even after `git gc --prune=now` removed the snapshot's loose objects.
   *
   * @throws {CheckpointObjectsMissingError} `CHECKPOINT_OBJECTS_MISSING` (exit 9): a commit checkpoint's ref is gone
   * @throws {PatchDoesNotApplyError} `PATCH_DOES_NOT_APPLY` (exit 9)
   */
  async materialize(
    plan: Plan,
    sandbox: GitSandbox,
    checkpoint: Checkpoint,
    action: PatchAction = 'restore',
  ): Promise<void> {
    if (checkpoint.checkpointType === 'commit') {
      const commit = checkpoint.sandboxRef ? await sandbox.resolveCommit(checkpoint.sandboxRef) : null;
      if (commit === null || commit !== checkpoint.commitSha) {
        throw new CheckpointObjectsMissingError(checkpoint.checkpointId, checkpoint.sandboxRef);
      }
      return;
    }
    const bundle = this.bundleOf(plan, checkpoint, action);
    const failure = {
      action,
      planId: plan.planId,
      checkpointId: checkpoint.checkpointId,
      baseCommit: bundle.base,
    };
    const baseTree = await sandbox.baseTree(bundle.base);
    if (baseTree === null) throw new PatchDoesNotApplyError({ ...failure, reason: 'base-missing' });
    await this.verifyBundle(sandbox, bundle, baseTree, checkpoint, failure);
  }

  /** The decoded patch bundle of a `patch` checkpoint. @throws {PatchDoesNotApplyError} reason `malformed` */
  private bundleOf(plan: Plan, checkpoint: Checkpoint, action: PatchAction): PatchBundle {
    const bytes = this.deps.store.checkpoints.patch(checkpoint.checkpointId);
    const failure = {
      action,
      planId: plan.planId,
      checkpointId: checkpoint.checkpointId,
      baseCommit: plan.baseCommit,
      reason: 'malformed' as const,
    };
    if (bytes === undefined)
      throw new PatchDoesNotApplyError({ ...failure, detail: 'the row holds no patch' });
    try {
      return decodePatchBundle(bytes);
    } catch (error) {
      if (error instanceof MalformedPatchBundleError) {
        throw new PatchDoesNotApplyError({ ...failure, detail: error.message });
      }
      throw error;
    }
  }

  /**
   * A checkpoint's worktree as a patch for plain `git apply` on a checkout of the plan's base
   * commit: a `patch` checkpoint's stored worktree patch (checked to apply first), or, for a
   * `commit` checkpoint, `git diff --binary --full-index` from the base commit (the empty tree
   * when the plan began on an unborn branch) to its tree. Works on plans in any state.
   *
   * @throws {CheckpointNotFoundError} `CHECKPOINT_NOT_FOUND` (exit 3)
   * @throws {SandboxInvalidError} `SANDBOX_INVALID` (exit 5): the plan's sandbox is gone
   * @throws {CheckpointObjectsMissingError} `CHECKPOINT_OBJECTS_MISSING` (exit 9): a commit checkpoint's ref is gone
   * @throws {PatchDoesNotApplyError} `PATCH_DOES_NOT_APPLY` (exit 9): base commit gone, or a damaged patch
   */
  async export(checkpointId: string): Promise<CheckpointExport> {
    const checkpoint = this.get(checkpointId);
    const plan = this.plan(checkpoint.planId);
    const sandbox = await this.openSandbox(plan);
    await this.materialize(plan, sandbox, checkpoint, 'export');
    const result = {
      checkpointId: checkpoint.checkpointId,
      planId: plan.planId,
      checkpointType: checkpoint.checkpointType,
    };
    if (checkpoint.checkpointType === 'patch') {
      const bundle = this.bundleOf(plan, checkpoint, 'export');
      return { ...result, base: bundle.base, patch: Buffer.from(bundle.worktree) };
    }
    if ((await sandbox.baseTree(plan.baseCommit)) === null) {
      throw new PatchDoesNotApplyError({
        action: 'export',
        planId: plan.planId,
        checkpointId: checkpoint.checkpointId,
        baseCommit: plan.baseCommit,
        reason: 'base-missing',
      });
    }
    return {
      ...result,
      base: plan.baseCommit,
      patch: await sandbox.diffFromBase(plan.baseCommit, checkpoint.treeSha),
    };
  }

  /** @throws {CheckpointNotFoundError} `CHECKPOINT_NOT_FOUND` (exit 3) */
  get(checkpointId: string): Checkpoint {
    const checkpoint = this.deps.store.checkpoints.get(checkpointId.toUpperCase());
    if (!checkpoint) throw new CheckpointNotFoundError(checkpointId);
    return checkpoint;
  }

  /**
   * A checkpoint that must belong to `planId`.
   *
   * @throws {CheckpointNotFoundError} `CHECKPOINT_NOT_FOUND` (exit 3)
   * @throws {CheckpointNotInPlanError} `CHECKPOINT_NOT_IN_PLAN` (exit 4)
   */
  getInPlan(planId: string, checkpointId: string): Checkpoint {
    const checkpoint = this.get(checkpointId);
    if (checkpoint.planId !== planId)
      throw new CheckpointNotInPlanError(checkpoint.checkpointId, planId, checkpoint.planId);
    return checkpoint;
  }

  /**
   * Checkpoints of a plan, oldest first. With a filter: only those whose tool and phase are
   * the given ones and that were created since `since`; with `limit`, the most recent `limit`
   * of those (still oldest first). Filtering happens in the store's query.
   *
   * @throws {UsageError} `USAGE` (exit 2): `since` neither a duration nor an ISO date, `limit` < 1
   * @throws {PlanNotFoundError} `PLAN_NOT_FOUND` (exit 3)
   */
  list(planId: string, filter?: CheckpointListFilter): Checkpoint[] {
    const query = filter === undefined ? undefined : resolveListFilter(filter, this.deps.clock.now());
    const plan = this.plan(planId);
    return this.deps.store.checkpoints.list(plan.planId, query);
  }

  /** The plan's checkpoint just before `checkpoint` that retention has not pruned, if any. */
  before(checkpoint: Checkpoint): Checkpoint | undefined {
    return this.deps.store.checkpoints.before(checkpoint.planId, checkpoint.seq);
  }

  /** @throws {PlanNotFoundError} `PLAN_NOT_FOUND` (exit 3) */
  plan(planId: string): Plan {
    const plan = this.deps.store.plans.get(planId.toUpperCase());
    if (!plan) throw new PlanNotFoundError(planId);
    return plan;
  }

  /** @throws {PlanNotFoundError} @throws {PlanNotActiveError} */
  activePlan(planId: string, action: string): Plan {
    const plan = this.plan(planId);
    if (plan.state !== 'active') throw new PlanNotActiveError(plan.planId, plan.state, action);
    return plan;
  }

  /**
   * Opens the plan's sandbox and checks it is still the worktree the plan was made for.
   *
   * @throws {SandboxInvalidError} `SANDBOX_INVALID` (exit 5)
   */
  async openSandbox(plan: Plan): Promise<GitSandbox> {
    const sandbox = await this.deps.sandboxes.open(plan.sandboxPath);
    if (
      sandbox.commonDir !== plan.gitDir ||
      sandbox.path !== plan.sandboxPath ||
      (await sandbox.repositoryId()) !== plan.repositoryId
    ) {
      throw new SandboxInvalidError(
        `sandbox ${plan.sandboxPath} is no longer the worktree plan ${plan.planId} was made for (now ${sandbox.path} of ${sandbox.commonDir}, recorded ${plan.gitDir})`,
        {
          details: {
            planId: plan.planId,
            sandboxPath: plan.sandboxPath,
            recordedGitDir: plan.gitDir,
            gitDir: sandbox.commonDir,
          },
        },
      );
    }
    return sandbox;
  }

  private assertStillActive(planId: string): Plan {
    const persisted = this.deps.store.plans.get(planId);
    if (persisted?.state !== 'active') throw new PlanStateChangedError(planId, 'active', persisted?.state);
    return persisted;
  }
}
