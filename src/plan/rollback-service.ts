/**
 * RollbackService: `plan rollback` (DESIGN §5). Every guard runs before anything changes;
 * then a safety checkpoint of the current state (the undo handle), then only the differing
 * paths are rewritten, the index is set to the checkpoint's staged state, HEAD is restored.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckpointService } from '../checkpoint/checkpoint-service.js';
import {
  CheckpointObjectsMissingError,
  CheckpointUnsafePathError,
  PathInTheWayError,
} from '../checkpoint/errors.js';
import type { Checkpoint } from '../checkpoint/model.js';
import { unsafeTreePaths } from '../checkpoint/tree-paths.js';
import { BusyError } from '../core/errors.js';
import { faultPoint } from '../core/faults.js';
import type {
  AsideReturn,
  GitSandbox,
  HeadState,
  IndexDelta,
  IndexStamp,
  MovedAside,
  ReturnedFromAside,
  SkippedPath,
  SnapshotScan,
  TreeChange,
} from '../core/ports.js';
import { type Ledger, planOperation, type RunningOperation } from '../ledger/ledger.js';
import type { RollbackKind } from '../ledger/model.js';
import {
  ConfirmationError,
  HeadChangedError,
  RollbackIncompleteError,
  SandboxChangedSincePreviewError,
} from './errors.js';
import type { Plan } from './model.js';
import {
  countChanges,
  decideHead,
  deletedPaths,
  type HeadAction,
  type HeadMode,
  ignoreCandidates,
  keepable,
  overlaps,
  type RestoreCounts,
  rulesChanged,
} from './rollback-rules.js';

/** What a rollback will change (dry run) or changed. */
export interface RollbackPreview {
  planId: string;
  checkpointId: string;
  restored: RestoreCounts;
  paths: TreeChange[];
  /** Files the checkpoint's ignore rules ignore, which rollback therefore leaves on disk instead of deleting. */
  preserved: string[];
  /** Unsnapshotted files (e.g. ignored) standing where the checkpoint has files: rollback stops unless `force` moves them aside. */
  inTheWay: string[];
  /** `move`: HEAD goes back to the checkpoint's commit; `kept`: `--head keep` left it; `unchanged`: already there. */
  head: { action: 'unchanged' | 'kept' | 'move'; from: string | null; to: string | null };
  /**
   * Files a `--force` rollback moved aside when it left this checkpoint (the checkpoint is that
   * rollback's safety checkpoint): `movedTo` is where each lies; the rollback puts them back.
   */
  aside: MovedAside[];
}

/** The rollback report (`--json` keys of DESIGN §5b). */
export interface RollbackReport extends RollbackPreview {
  /** Roll back to this checkpoint to undo the rollback; null on a dry run. */
  safetyCheckpointId: string | null;
  /** Unsnapshotted files that stood where the checkpoint has files, moved aside by `force`. */
  movedAside: MovedAside[];
  /** Files of {@link RollbackPreview.aside} put back at their paths. */
  returnedFromAside: ReturnedFromAside[];
  /** Files of {@link RollbackPreview.aside} left where they lie (`movedTo`): something else stands at their path. */
  leftAside: MovedAside[];
  /** What the safety snapshot left out (nested repositories, files over the size cap); rollback did not touch them. */
  skippedPaths: SkippedPath[];
  dryRun: boolean;
  /** Wall time of the rollback under the sandbox lock, ms (the preview shown before the question and the wait for the answer not counted). */
  durationMs: number;
}

/** What {@link RollbackRequest.confirm} is told besides the preview. */
export interface ConfirmContext {
  /** The preview confirmed before, when the sandbox changed since it was shown; else null. */
  changedSince: RollbackPreview | null;
}

/** Options of {@link RollbackService.rollback}. */
export interface RollbackRequest {
  planId: string;
  checkpointId: string;
  /** Compute and return the preview; change nothing. */
  dryRun?: boolean;
  /** What to do with HEAD; default: the plan policy's `head` (itself `restore` by default). */
  head?: HeadMode;
  /**
   * When an ignored (or otherwise unsnapshotted) file stands where the checkpoint has a file,
   * move it aside into savepoint's directory instead of stopping with PATH_IN_THE_WAY.
   */
  force?: boolean;
  /**
   * Asked after the preview and before any change, WITHOUT the sandbox lock held (a human may
   * take minutes; other savepoint processes go on meanwhile). Resolve true to go on. Throw
   * (e.g. {@link ConfirmationError}) to refuse without asking. After a yes, rollback takes the
   * lock and scans again; if the sandbox changed since the preview, `confirm` is asked again
   * with the new preview and `changedSince` set to the one it confirmed (throw
   * {@link SandboxChangedSincePreviewError} to refuse instead). Absent: no question (`--yes`),
   * and the preview is computed once, under the lock.
   */
  confirm?: ((preview: RollbackPreview, context: ConfirmContext) => Promise<boolean>) | undefined;
  /**
   * The ledger operation this rollback runs as, when it is part of a larger action
   * (`correction.revert`, `undo`): its kind, and arguments added to the intent row.
   * Default: a plain `rollback`.
   */
  operation?: { kind: RollbackKind; args: Record<string, unknown> };
  /**
   * Runs inside the write transaction that records the safety checkpoint, before any file is
   * changed, with its id (e.g. marking decisions reverted by it). If it throws, nothing is
   * recorded, nothing changes, and the rollback fails with that error. `savepoint recover
   * --abort` undoes decision changes made here (see the recovery service).
   */
  onSafety?: (safetyCheckpointId: string) => void;
  /**
   * Runs when the rollback stops after recording its safety checkpoint but before it changed
   * anything (e.g. `HEAD_CHANGED`, `PATH_IN_THE_WAY` from git's own check), with that id, before
   * the safety checkpoint is deleted again: undo here, in one transaction, what `onSafety` did.
   * If it throws, its error replaces the rollback's.
   */
  onSafetyVoid?: (safetyCheckpointId: string) => void;
}

/** How long rollback's index step retries while another git process holds `index.lock`, ms. */
export const INDEX_LOCK_RETRY_MS = 2_000;

/** Found under the lock: the sandbox is not what the confirmed preview showed; carries the new preview to ask again with. */
class PreviewChanged extends SandboxChangedSincePreviewError {
  constructor(
    readonly fresh: RollbackPreview,
    readonly freshState: string,
  ) {
    super({ planId: fresh.planId, checkpointId: fresh.checkpointId, restored: fresh.restored });
  }
}

/** The preview part of a report (what `confirm` is shown). */
function toPreview(report: RollbackReport): RollbackPreview {
  const { planId, checkpointId, restored, paths, preserved, inTheWay, aside, head } = report;
  return { planId, checkpointId, restored, paths, preserved, inTheWay, aside, head };
}

/** The report without the internal state fingerprint. */
function withoutState(report: RollbackReport & { state: string }): RollbackReport {
  const { state: _state, ...rest } = report;
  return rest;
}

/** What restoring a sandbox to a checkpoint will do, computed from a fresh scan (see {@link RollbackService.prepare}). */
interface Prepared {
  preview: RollbackPreview;
  /** The tree written to the worktree: the target's, plus the preserved (ignored) files as they are. */
  preserved: string[];
  inTheWay: string[];
  head: HeadAction;
  /** How the real index differs from the target's index tree, when the scan proves it (else null: `read-tree --reset`). */
  indexDelta: IndexDelta | null;
}

/** What the writing half of a rollback did with files outside the snapshots. */
interface Applied {
  movedAside: MovedAside[];
  returnedFromAside: ReturnedFromAside[];
  leftAside: MovedAside[];
}

/** What {@link RollbackService.restore} did. */
export interface RestoreReport {
  preview: RollbackPreview;
  movedAside: MovedAside[];
  returnedFromAside: ReturnedFromAside[];
  leftAside: MovedAside[];
  skippedPaths: SkippedPath[];
}

/** Same branch (or both detached) and same commit. */
function sameHead(a: HeadState, b: HeadState): boolean {
  return a.ref === b.ref && a.sha === b.sha;
}

export class RollbackService {
  constructor(
    private readonly checkpoints: CheckpointService,
    private readonly ledger: Ledger,
  ) {}

  /**
   * Rolls a plan's sandbox back to one of its checkpoints, as one ledger operation under the
   * sandbox lock (a dry run takes neither: it changes nothing).
   *
   * With `confirm`: the guards and the preview run first without the lock, `confirm` is
   * asked without it (and without an open ledger row: see {@link Ledger.ask}), then the lock is
   * taken and everything is checked and scanned again. A sandbox that differs from the
   * confirmed preview (trees, HEAD, files in the way or kept) closes that attempt `cancelled`
   * (`SANDBOX_CHANGED_SINCE_PREVIEW`), releases the lock and asks `confirm` again with the new
   * preview. Without `confirm`, one scan under the lock.
   *
   * Crash safety: the safety checkpoint's id is recorded in the operation's progress in the
   * same transaction as its row, before any file changes; if the process dies later,
   * `savepoint recover` finishes the rollback or (`--abort`) returns to the safety checkpoint.
   * If `.git/index.lock` stays held for {@link INDEX_LOCK_RETRY_MS} at the index step, the
   * worktree files and HEAD are the target's but the index is still the pre-rollback one:
   * the operation is recorded `incomplete`, BUSY is thrown, and `recover` resets the index.
   *
   * @throws {PlanNotFoundError} `PLAN_NOT_FOUND` (3) · {@link CheckpointNotFoundError} `CHECKPOINT_NOT_FOUND` (3)
   * @throws {CheckpointNotInPlanError} `CHECKPOINT_NOT_IN_PLAN` (4) · {@link PlanNotActiveError} `PLAN_NOT_ACTIVE` (4)
   * @throws {HeadMovedError} `HEAD_MOVED` (4) · {@link PathInTheWayError} `PATH_IN_THE_WAY` (4) · `INDEX_UNMERGED` (4)
   * @throws {HeadChangedError} `HEAD_CHANGED` (4): another git command moved HEAD after the scan; nothing changed
   * @throws {RollbackIncompleteError} `ROLLBACK_INCOMPLETE` (1): failed after files were written (`details.causeCode`, e.g. `HEAD_CHANGED`)
   * @throws {SandboxInvalidError} `SANDBOX_INVALID` (5)
   * @throws {BusyError} `BUSY` (6): `index.lock` or the sandbox lock held
   * @throws {OperationInterruptedError} `OPERATION_INTERRUPTED` (7): run `savepoint recover` first
   * @throws {ConfirmationError} `CONFIRMATION_REQUIRED` / `CONFIRMATION_DECLINED` (8)
   * @throws {SandboxChangedSincePreviewError} `SANDBOX_CHANGED_SINCE_PREVIEW` (8): thrown by `confirm` when asked again
   * @throws {CheckpointObjectsMissingError} `CHECKPOINT_OBJECTS_MISSING` (9): ref gone; a patch checkpoint's HEAD commit gone
   * @throws {PatchDoesNotApplyError} `PATCH_DOES_NOT_APPLY` (9): a patch checkpoint's base commit is gone or its patch does not apply
   * @throws {CheckpointUnsafePathError} `CHECKPOINT_UNSAFE_PATH` (9): the target's tree holds a `..`, absolute, empty or `.git` path (dry run too)
   */
  async rollback(request: RollbackRequest): Promise<RollbackReport> {
    if (request.dryRun) return withoutState(await this.run(request, null, { look: true }));
    const plan = this.checkpoints.plan(request.planId);
    const spec = planOperation(request.operation?.kind ?? 'rollback', plan, {
      ...request.operation?.args,
      checkpointId: request.checkpointId.toUpperCase(),
      head: request.head ?? null,
      force: request.force ?? false,
    });
    const summarize = (report: RollbackReport) => ({
      checkpointId: report.checkpointId,
      safetyCheckpointId: report.safetyCheckpointId,
      restored: report.restored,
      movedAside: report.movedAside,
      returnedFromAside: report.returnedFromAside,
    });
    const { confirm } = request;
    if (confirm === undefined) {
      return this.ledger.run(
        spec,
        async (op) => withoutState(await this.run(request, op, { expected: null })),
        {
          summarize,
        },
      );
    }
    // Preview and ask without the lock; then lock, scan again, and go on only if the sandbox is
    // still what the confirmed preview showed (else ask again with the new one).
    const first = await this.run(request, null, { look: true });
    let seen = { preview: toPreview(first), state: first.state };
    let changedSince: RollbackPreview | null = null;
    for (;;) {
      const { preview } = seen;
      const question = () => confirm(preview, { changedSince });
      if (!(await this.ledger.ask(spec, question))) throw new ConfirmationError(true);
      const expected = seen.state;
      try {
        return await this.ledger.run(
          spec,
          async (op) => withoutState(await this.run(request, op, { expected })),
          { summarize },
        );
      } catch (error) {
        if (!(error instanceof PreviewChanged)) throw error;
        changedSince = seen.preview;
        seen = { preview: error.fresh, state: error.freshState };
      }
    }
  }

  /**
   * The guards, the scan and the preview, then (unless `mode.look`) the safety checkpoint and
   * the writes. `mode.look`: return the preview and its state fingerprint, change nothing.
   * `mode.expected`: the fingerprint of the preview the caller confirmed; a different one now
   * throws {@link SandboxChangedSincePreviewError} with the fresh preview, before anything changes.
   */
  private async run(
    request: RollbackRequest,
    op: RunningOperation | null,
    mode: { look: true } | { expected: string | null },
  ): Promise<RollbackReport & { state: string }> {
    const started = performance.now();
    const plan = this.checkpoints.plan(request.planId);
    const target = this.checkpoints.getInPlan(plan.planId, request.checkpointId);
    this.checkpoints.activePlan(plan.planId, 'roll back');
    const sandbox = await this.checkpoints.openSandbox(plan);
    // A patch checkpoint's trees are rebuilt from its patches here, before anything is compared.
    await this.checkpoints.materialize(plan, sandbox, target);
    if (await sandbox.indexLocked()) {
      throw new BusyError(
        `another git process holds the index lock of ${sandbox.path}; retry when it is done`,
        {
          details: { sandboxPath: sandbox.path },
        },
      );
    }

    const { scan, stamp } = await this.scanSteady(plan, sandbox);
    try {
      const prepared = await this.prepare(plan, sandbox, scan, stamp, target, {
        head: request.head ?? plan.policy.head,
        force: request.force ?? false,
        // The preview shown before the question stops at a file in the way, like the rollback.
        dryRun: request.dryRun ?? false,
      });
      const { preview } = prepared;
      // Everything the preview shows depends on these: the trees and HEAD scanned, and the
      // unsnapshotted files (ignored, in the way) found next to them.
      const state = JSON.stringify([scan.treeSha, scan.indexTreeSha, scan.head, preview]);
      let applied: Applied = { movedAside: [], returnedFromAside: [], leftAside: [] };
      const done = (safetyCheckpointId: string | null, dryRun: boolean) => ({
        ...preview,
        safetyCheckpointId,
        ...applied,
        skippedPaths: [...scan.skipped],
        dryRun,
        durationMs: Math.round(performance.now() - started),
        state,
      });
      if ('look' in mode) return done(null, true);
      if (mode.expected !== null && mode.expected !== state) {
        throw new PreviewChanged(preview, state);
      }

      // Always a new `safety` row, even when the sandbox equals the latest checkpoint or the
      // target: it is how `savepoint undo` finds the latest rollback (and a correction's
      // reverted decisions name it). Its trees already exist, so it costs a commit and a row.
      const { checkpoint: safety } = await this.checkpoints.record(
        plan,
        sandbox,
        scan,
        {
          kind: 'safety',
          reason: `before rollback to ${target.checkpointId}`,
          rollbackTarget: target.checkpointId,
        },
        // The safety checkpoint's id reaches the ledger in the transaction of its row.
        {
          force: true,
          hooks: {
            after: (row) => {
              op?.progress({ safetyCheckpointId: row.checkpointId });
              request.onSafety?.(row.checkpointId);
            },
          },
        },
      );
      faultPoint('rollback.after-safety');
      let wrote = false;
      try {
        applied = await this.apply(plan, sandbox, scan, target, prepared, safety.checkpointId, () => {
          wrote = true;
          op?.changingSandbox();
        });
      } catch (error) {
        // Nothing changed: no undo handle is left behind (undo would take it for this rollback).
        if (!wrote) {
          request.onSafetyVoid?.(safety.checkpointId);
          await this.checkpoints.discardSafety(sandbox, safety);
        }
        throw error;
      }
      faultPoint('rollback.before-outcome');
      return done(safety.checkpointId, false);
    } finally {
      await scan.dispose();
    }
  }

  /**
   * Restores the sandbox to `target` from whatever state it is in now, WITHOUT a safety
   * checkpoint: what `savepoint recover` uses to finish an interrupted rollback (target: the
   * rollback's target) or to abort it (target: its safety checkpoint). Same rules as a
   * rollback: only differing paths are written, ignored files are left, HEAD moves with a
   * compare-and-set. Files in the way are moved aside under `asideLabel` when `force`.
   *
   * @throws {PathInTheWayError} `PATH_IN_THE_WAY` (4) · {@link HeadMovedError} `HEAD_MOVED` (4)
   * @throws {HeadChangedError} `HEAD_CHANGED` (4): another git command moved HEAD after the scan; nothing changed
   * @throws {BusyError} `BUSY` (6): `index.lock` stayed held
   * @throws {CheckpointUnsafePathError} `CHECKPOINT_UNSAFE_PATH` (9): the target's tree holds an unsafe path
   */
  async restore(
    plan: Plan,
    sandbox: GitSandbox,
    target: Checkpoint,
    options: { head: HeadMode; force: boolean; asideLabel: string },
  ): Promise<RestoreReport> {
    // A patch checkpoint's trees are rebuilt from its patches here, before anything is compared.
    await this.checkpoints.materialize(plan, sandbox, target);
    const { scan, stamp } = await this.scanSteady(plan, sandbox);
    try {
      const prepared = await this.prepare(plan, sandbox, scan, stamp, target, { ...options, dryRun: false });
      const applied = await this.apply(plan, sandbox, scan, target, prepared, options.asideLabel);
      return { preview: prepared.preview, ...applied, skippedPaths: [...scan.skipped] };
    } finally {
      await scan.dispose();
    }
  }

  /**
   * Scans the sandbox, with the real index's {@link IndexStamp} read before and after the
   * scan: when both checksums match, the index file is the one the scan copied and `stamp` is
   * that file's (so `scan.indexTreeSha` is its tree, and its version is the copy's); otherwise
   * `stamp` is unknown (`null`s), and rollback asks git everything as before.
   */
  private async scanSteady(
    plan: Plan,
    sandbox: GitSandbox,
  ): Promise<{ scan: SnapshotScan; stamp: IndexStamp }> {
    const before = await sandbox.indexStamp();
    const scan = await sandbox.scan(this.checkpoints.scanOptionsFor(plan));
    try {
      const after = await sandbox.indexStamp();
      const steady = before.checksum !== null && before.checksum === after.checksum;
      return { scan, stamp: steady ? before : { checksum: null, version: null } };
    } catch (error) {
      await scan.dispose();
      throw error;
    }
  }

  /**
   * Guards and preview of restoring `scan`'s state to `target` (reads only). `stamp`: the real
   * index's {@link IndexStamp} from {@link scanSteady}.
   *
   * One `diff-tree` compares up to three pairs of trees: the worktree trees (what rollback
   * writes), and, when the real index is version 2 (no intent-to-add entry, which no tree
   * shows), the index trees (what the index step writes) and the scan's index tree against
   * its worktree tree (which paths are untracked now, see {@link ignoreCandidates}).
   */
  private async prepare(
    plan: Plan,
    sandbox: GitSandbox,
    scan: SnapshotScan,
    stamp: IndexStamp,
    target: Checkpoint,
    options: { head: HeadMode; force: boolean; dryRun: boolean },
  ): Promise<Prepared> {
    const head = decideHead({ ref: target.headRef, sha: target.headSha }, scan.head, options.head);
    // A commit checkpoint's commit keeps its HEAD commit alive; a patch checkpoint has no ref.
    if (
      target.checkpointType === 'patch' &&
      head.action === 'move' &&
      head.to.sha !== null &&
      (await sandbox.resolveCommit(head.to.sha)) === null
    ) {
      throw new CheckpointObjectsMissingError(target.checkpointId, target.sandboxRef, {
        missing: `its HEAD commit ${head.to.sha} is gone from the repository`,
      });
    }
    const v2 = stamp.version === 2;
    const [worktreeChanges = [], indexChanges = [], unstaged = []] = await sandbox.diffTreePairs([
      [scan.treeSha, target.treeSha],
      // Always compared: its paths are checked below even when the index step will not use them.
      [scan.indexTreeSha, target.indexTreeSha],
      ...(v2 ? ([[scan.indexTreeSha, scan.treeSha]] as const) : []),
    ]);
    // Every path rollback may write, checked before anything reads or writes the filesystem
    // with it (a dry run included): a tampered tree's `..` or `.git` would escape the sandbox.
    const unsafe = unsafeTreePaths(new Set([...worktreeChanges, ...indexChanges].map((c) => c.path)));
    if (unsafe.length > 0) throw new CheckpointUnsafePathError(target.checkpointId, unsafe);
    const changes: TreeChange[] = worktreeChanges.map(({ path, change }) => ({ path, change }));
    // A file the checkpoint's own ignore rules ignore is none of the checkpoint's business
    // (it was ignored, or absent, when it was taken): leave it on disk rather than delete it
    // (cline#14367 deleted such files when an agent had edited .gitignore).
    // When no .gitignore differs, today's rules are the checkpoint's (no files to materialize).
    const rulesDiffer = rulesChanged(changes);
    // Files a --force rollback moved aside when it left this checkpoint go back to their paths;
    // what stands at, above or under such a path now is in the current snapshot (the new safety
    // checkpoint), so it is removed, not kept as ignored.
    const aside = await sandbox.asideEntries(target.checkpointId);
    const untrackedNow = v2 ? new Set(unstaged.filter((c) => c.change === 'added').map((c) => c.path)) : null;
    const asked = ignoreCandidates(deletedPaths(changes), rulesDiffer, untrackedNow);
    const preserved = keepable(
      changes,
      (await sandbox.ignoredByRulesOf(rulesDiffer ? target.treeSha : null, asked)).filter(
        (file) => !aside.some((entry) => overlaps(file, entry.path)),
      ),
    );
    const paths = preserved.length > 0 ? changes.filter((c) => !preserved.includes(c.path)) : changes;
    // Files no snapshot holds (ignored, nested repositories, over the size cap) that stand
    // where the checkpoint has a file. git's read-tree would overwrite ignored ones silently.
    const inTheWay = await sandbox.findInTheWay(paths);
    const nested = inTheWay.filter((file) =>
      scan.skipped.some((entry) => entry.reason !== 'too-large' && overlaps(file, entry.path)),
    );
    if (nested.length > 0) throw new PathInTheWayError(nested, 'nested-repository');
    if (inTheWay.length > 0 && !options.force && !options.dryRun)
      throw new PathInTheWayError(inTheWay, 'untracked');
    const preview: RollbackPreview = {
      planId: plan.planId,
      checkpointId: target.checkpointId,
      restored: countChanges(paths),
      paths,
      inTheWay,
      preserved,
      aside,
      head:
        head.action === 'move'
          ? { action: 'move', from: head.from.sha, to: head.to.sha }
          : { action: head.action, from: scan.head.sha, to: scan.head.sha },
    };
    const indexDelta: IndexDelta | null =
      v2 && stamp.checksum !== null
        ? { fromTree: scan.indexTreeSha, toTree: target.indexTreeSha, stamp, changes: indexChanges }
        : null;
    return { preview, preserved, inTheWay, head, indexDelta };
  }

  /**
   * The writing half: files aside, worktree paths, HEAD, index. Returns the files moved aside.
   *
   * HEAD is read again before the first write, before and after HEAD is moved, and after the
   * index step: a branch switch or commit by another git command after the scan is
   * `HEAD_CHANGED`, thrown as is before the first write, as the cause of `ROLLBACK_INCOMPLETE`
   * after it.
   *
   * `mayHaveWritten` is called as soon as a sandbox file, the index or HEAD may have changed:
   * before the first move aside, and once `read-tree -u -m` did not refuse. git's refusal
   * (`PATH_IN_THE_WAY`, a file changed or appeared since the scan) comes before it writes any
   * path (git-read-tree(1), "Two Tree Merge"), so a rollback refused there with nothing moved
   * aside changed nothing and is plainly `failed`, not `incomplete`.
   */
  private async apply(
    plan: Plan,
    sandbox: GitSandbox,
    scan: SnapshotScan,
    target: Checkpoint,
    prepared: Prepared,
    label: string,
    mayHaveWritten: () => void = () => {},
  ): Promise<Applied> {
    const { head, inTheWay, preserved } = prepared;
    // Another git command (`git commit`, `git switch`) may have moved HEAD since the scan: the
    // preview and the safety checkpoint describe a state that is gone. Stop before any write.
    const found = await sandbox.head();
    if (!sameHead(found, scan.head)) throw new HeadChangedError(scan.head, found, 'before-write');
    let movedAside: MovedAside[] = [];
    if (inTheWay.length > 0) {
      mayHaveWritten();
      movedAside = await sandbox.moveAside(inTheWay, label);
    }
    try {
      const tree = await sandbox.graftEntries(target.treeSha, scan.treeSha, preserved);
      await sandbox.checkoutTree(scan, tree);
    } catch (error) {
      // git checks every path before it writes one: nothing changed but the moves aside.
      if (error instanceof PathInTheWayError && movedAside.length === 0) throw error;
      mayHaveWritten();
      throw new RollbackIncompleteError(plan.planId, label, error);
    }
    mayHaveWritten();
    let returned: AsideReturn = { returned: [], left: [] };
    try {
      if (prepared.preview.aside.length > 0)
        returned = await sandbox.returnAside(target.checkpointId, prepared.preview.aside);
    } catch (error) {
      throw new RollbackIncompleteError(plan.planId, label, error);
    }
    faultPoint('rollback.after-worktree');
    try {
      if (head.action !== 'kept') {
        // The compare-and-set of `update-ref` sees a commit on the same branch, not a switch to
        // another branch (git 2.39 has no `symref-verify`): HEAD is read before and after.
        const before = await sandbox.head();
        if (!sameHead(before, scan.head)) throw new HeadChangedError(scan.head, before, 'before-head');
      }
      if (head.action === 'move') {
        await sandbox.moveHead(
          head.from,
          head.to,
          `savepoint: rollback to checkpoint ${target.checkpointId}`,
        );
        const after = await sandbox.head();
        if (!sameHead(after, head.to)) throw new HeadChangedError(head.to, after, 'after-head');
      }
    } catch (error) {
      throw new RollbackIncompleteError(plan.planId, label, error);
    }
    faultPoint('rollback.after-head');
    const rewritten = prepared.preview.paths.filter((c) => c.change !== 'deleted').map((c) => c.path);
    await this.resetIndexRetrying(plan, sandbox, target, label, rewritten, prepared.indexDelta);
    if (head.action !== 'kept') {
      // Last look: the report says where HEAD is, so it must still be there.
      const expected = head.action === 'move' ? head.to : scan.head;
      const found = await sandbox.head();
      if (!sameHead(found, expected))
        throw new RollbackIncompleteError(
          plan.planId,
          label,
          new HeadChangedError(expected, found, 'after-index'),
        );
    }
    return { movedAside, returnedFromAside: returned.returned, leftAside: returned.left };
  }

  /**
   * `resetIndex`, retried for {@link INDEX_LOCK_RETRY_MS} while another git process holds
   * `index.lock`; then BUSY naming `savepoint recover`.
   */
  private async resetIndexRetrying(
    plan: Plan,
    sandbox: GitSandbox,
    target: Checkpoint,
    label: string,
    rewritten: readonly string[],
    delta: IndexDelta | null,
  ): Promise<void> {
    const deadline = Date.now() + INDEX_LOCK_RETRY_MS;
    for (;;) {
      try {
        await sandbox.resetIndex(target.indexTreeSha, rewritten, delta ?? undefined);
        return;
      } catch (error) {
        if (!(error instanceof BusyError)) throw new RollbackIncompleteError(plan.planId, label, error);
        if (Date.now() >= deadline) {
          throw new BusyError(
            `rollback restored the files and HEAD of ${sandbox.path} but another git process kept .git/index.lock; once it is done, run \`savepoint recover --plan ${plan.planId}\` to set the index`,
            {
              cause: error,
              details: {
                planId: plan.planId,
                sandboxPath: sandbox.path,
                safetyCheckpointId: label,
                incomplete: true,
              },
              hint: `savepoint recover --plan ${plan.planId} (or --abort to return to safety checkpoint ${label})`,
            },
          );
        }
        await sleep(100);
      }
    }
  }
}
