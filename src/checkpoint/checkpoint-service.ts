/**
 * CheckpointService: takes checkpoints of a plan's sandbox and reads them back.
 * Snapshot mechanics live behind the {@link GitSandbox} port; this service owns the rules:
 * which plan, deduplication, the ref name, and recording the row atomically.
 */
import { SandboxInvalidError } from '../core/errors.js';
import type {
  Clock,
  GitSandbox,
  IdGenerator,
  SandboxProvider,
  ScanOptions,
  SkippedPath,
  SnapshotScan,
  Store,
} from '../core/ports.js';
import { PlanNotActiveError, PlanNotFoundError, PlanStateChangedError } from '../plan/errors.js';
import type { Plan } from '../plan/model.js';
import { CheckpointNotFoundError, CheckpointNotInPlanError } from './errors.js';
import type { Checkpoint, CheckpointMetadata } from './model.js';
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

/** What a caller may say about a checkpoint it asks for. */
export interface CheckpointRequest {
  reason?: string;
  tool?: string;
  phase?: string;
  /**
   * Make a new checkpoint even when nothing changed since the latest one, and even when the
   * plan's policy declares `tool` as `skip`.
   */
  force?: boolean;
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
    return cap === undefined ? this.deps.scanOptions : { ...this.deps.scanOptions, untrackedSizeCap: cap };
  }

  /**
   * Checkpoints retention never prunes because decisions point to them (DESIGN §4 step 6):
   * the checkpoints of the plan's active decisions, and of the decisions reverted by the
   * plan's latest rollback (a correction `savepoint undo` would re-activate them) or by the
   * rollback that latest rollback undid (an undo in flight: its safety checkpoint is already
   * the latest while it re-activates them). A decision reverted by an older rollback pins
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
    return new Set(this.deps.store.decisions.pinnedCheckpoints(planId, undoable));
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
   * transaction; the pruned refs are deleted after it commits.
   *
   * @throws {PlanNotFoundError} `PLAN_NOT_FOUND` (exit 3)
   * @throws {PlanNotActiveError} `PLAN_NOT_ACTIVE` (exit 4)
   * @throws {SandboxInvalidError} `SANDBOX_INVALID` (exit 5): sandbox gone or another repository
   * @throws {UnmergedIndexError} `INDEX_UNMERGED` (exit 4)
   */
  async create(planId: string, request?: CheckpointRequest & { tool?: undefined }): Promise<CheckpointTaken>;
  async create(planId: string, request: CheckpointRequest): Promise<CheckpointCreateOutcome>;
  async create(planId: string, request: CheckpointRequest = {}): Promise<CheckpointCreateOutcome> {
    const plan = this.activePlan(planId, 'checkpoint');
    if (request.tool !== undefined && !request.force) {
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
    const sandbox = await this.openSandbox(plan);
    const scan = await sandbox.scan(this.scanOptionsFor(plan));
    try {
      const metadata: CheckpointMetadata = { kind: 'manual' };
      if (request.reason !== undefined) metadata.reason = request.reason;
      if (request.tool !== undefined) metadata.tool = request.tool;
      if (request.phase !== undefined) metadata.phase = request.phase;
      const result = await this.record(plan, sandbox, scan, metadata, { force: request.force ?? false });
      return { ...result, skipped: false };
    } finally {
      await scan.dispose();
    }
  }

  /**
   * Records `scan` as a checkpoint of `plan`: commit, ref, row. The ref is written before the
   * row and removed again if the row's transaction fails, so a row never names a missing ref.
   */
  async record(
    plan: Plan,
    sandbox: GitSandbox,
    scan: SnapshotScan,
    metadata: CheckpointMetadata,
    options: { force: boolean; hooks?: RecordHooks },
  ): Promise<CheckpointResult> {
    const { store, clock, ids } = this.deps;
    const hooks = options.hooks ?? {};
    const latest = store.checkpoints.latest(plan.planId);
    if (latest && !options.force && sameState(latest, scan)) {
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
    const checkpointId = ids.next();
    const ref = checkpointRef(plan.planId, checkpointId);
    const commitSha = await sandbox.commitScan(
      scan,
      `savepoint checkpoint ${checkpointId} of plan ${plan.planId}`,
    );
    await sandbox.createRef(ref, commitSha);
    let recorded: { checkpoint: Checkpoint; pruned: Checkpoint[] };
    try {
      recorded = store.transaction(() => {
        hooks.before?.();
        const persisted = this.assertStillActive(plan.planId);
        const row = store.checkpoints.insert({
          checkpointId,
          planId: plan.planId,
          checkpointType: 'commit',
          sandboxRef: ref,
          commitSha,
          treeSha: scan.treeSha,
          indexTreeSha: scan.indexTreeSha,
          headSha: scan.head.sha,
          headRef: scan.head.ref,
          filesystemPath: sandbox.path,
          sizeBytes: null,
          filesChanged: null,
          createdAt: clock.now().toISOString(),
          metadata: scan.skipped.length > 0 ? { ...metadata, skippedPaths: [...scan.skipped] } : metadata,
        });
        // Retention (DESIGN §4 step 6): in the insert's transaction, with the policy as persisted
        // now; if anything later in the transaction fails, the pruned rows come back with it.
        const pruned = this.prunableCheckpoints(plan.planId, persisted.policy.retention.max);
        store.checkpoints.delete(pruned.map((c) => c.checkpointId));
        hooks.after?.(row);
        return { checkpoint: row, pruned };
      });
    } catch (error) {
      await sandbox.deleteRef(ref, commitSha).catch(() => undefined);
      throw error;
    }
    await this.deletePrunedRefs(sandbox, recorded.pruned);
    return {
      checkpoint: recorded.checkpoint,
      deduplicated: false,
      skippedPaths: [...scan.skipped],
      prunedCheckpointIds: recorded.pruned.map((c) => c.checkpointId),
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

  /** Checkpoints of a plan, oldest first. @throws {PlanNotFoundError} */
  list(planId: string): Checkpoint[] {
    const plan = this.plan(planId);
    return this.deps.store.checkpoints.list(plan.planId);
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
