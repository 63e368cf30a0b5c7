/**
 * Every rollback guard of DESIGN §5: a distinct error class, code and exit code, checked
 * before anything changes — the worktree, index, HEAD and refs are asserted unchanged.
 */
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CheckpointNotFoundError,
  CheckpointNotInPlanError,
  CheckpointObjectsMissingError,
  PathInTheWayError,
} from '../src/checkpoint/errors.js';
import { BusyError, SandboxInvalidError } from '../src/core/errors.js';
import {
  HeadChangedError,
  HeadMovedError,
  PlanNotActiveError,
  PlanNotFoundError,
} from '../src/plan/errors.js';
import {
  headOf,
  refs,
  repoState,
  snapshotTree,
  stagedEntries,
  tempIndexFiles,
} from './helpers/fs-snapshot.js';
import { commitAll, git, makeRepo, tempDir, writeFiles } from './helpers/repo.js';
import { expectError, openSavepoint, yes } from './helpers/savepoint.js';

const MISSING_ULID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

/** A repo with a plan whose checkpoint #1 differs from the current worktree in a few paths. */
async function planWithChanges(options: { db?: string } = {}) {
  const repo = makeRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n' });
  const sp = await openSavepoint(repo, options.db ? { db: options.db } : {});
  const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
  writeFiles(repo, { 'a.txt': 'changed\n', 'c.txt': 'new\n' });
  git(repo, 'add', 'c.txt');
  rmSync(path.join(repo, 'b.txt'));
  return { repo, sp, plan, checkpoint };
}

describe('refused rollbacks change nothing', () => {
  it('unknown plan: PLAN_NOT_FOUND, exit 3', async () => {
    const { repo, sp, checkpoint } = await planWithChanges();
    const before = repoState(repo);
    await expectError(
      sp.rollbacks.rollback({ planId: MISSING_ULID, checkpointId: checkpoint.checkpointId, confirm: yes }),
      PlanNotFoundError,
      'PLAN_NOT_FOUND',
      3,
    );
    expect(repoState(repo)).toEqual(before);
  });

  it('unknown checkpoint: CHECKPOINT_NOT_FOUND, exit 3', async () => {
    const { repo, sp, plan } = await planWithChanges();
    const before = repoState(repo);
    await expectError(
      sp.rollbacks.rollback({ planId: plan.planId, checkpointId: MISSING_ULID, confirm: yes }),
      CheckpointNotFoundError,
      'CHECKPOINT_NOT_FOUND',
      3,
    );
    expect(repoState(repo)).toEqual(before);
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(1);
  });

  it('checkpoint of another plan: CHECKPOINT_NOT_IN_PLAN, exit 4', async () => {
    const { repo, sp, plan: first, checkpoint: firstCheckpoint } = await planWithChanges();
    await sp.plans.abandon(first.planId);
    const { plan: second } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'changed again\n' });
    const before = repoState(repo);

    const error = await expectError(
      sp.rollbacks.rollback({
        planId: second.planId,
        checkpointId: firstCheckpoint.checkpointId,
        confirm: yes,
      }),
      CheckpointNotInPlanError,
      'CHECKPOINT_NOT_IN_PLAN',
      4,
    );
    expect(error.details).toEqual({
      checkpointId: firstCheckpoint.checkpointId,
      planId: second.planId,
      ownerPlanId: first.planId,
    });
    expect(repoState(repo)).toEqual(before);
    expect(sp.checkpoints.list(second.planId)).toHaveLength(1);
  });

  it.each(['applied', 'abandoned'] as const)('%s plan: PLAN_NOT_ACTIVE, exit 4', async (state) => {
    const { repo, sp, plan, checkpoint } = await planWithChanges();
    if (state === 'applied') await sp.plans.apply(plan.planId);
    else await sp.plans.abandon(plan.planId);
    const before = repoState(repo);
    const count = sp.checkpoints.list(plan.planId).length;

    const error = await expectError(
      sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes }),
      PlanNotActiveError,
      'PLAN_NOT_ACTIVE',
      4,
    );
    expect(error.details).toEqual({ planId: plan.planId, state });
    expect(repoState(repo)).toEqual(before);
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(count);
  });

  it('sandbox directory gone: SANDBOX_INVALID, exit 5', async () => {
    const db = path.join(tempDir(), 'state.db');
    const { repo, sp, plan, checkpoint } = await planWithChanges({ db });
    const moved = `${repo}-moved`;
    renameSync(repo, moved);
    const cleanup = () => rmSync(moved, { recursive: true, force: true });
    try {
      const before = repoState(moved);
      const refsBefore = refs(moved);
      await expectError(
        sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes }),
        SandboxInvalidError,
        'SANDBOX_INVALID',
        5,
      );
      expect(existsSync(repo)).toBe(false);
      expect(repoState(moved)).toEqual(before);
      expect(refs(moved)).toEqual(refsBefore);
      expect(sp.checkpoints.list(plan.planId)).toHaveLength(1);
    } finally {
      cleanup();
    }
  });

  it('sandbox no longer a git worktree: SANDBOX_INVALID, exit 5', async () => {
    const db = path.join(tempDir(), 'state.db');
    const { repo, sp, plan, checkpoint } = await planWithChanges({ db });
    rmSync(path.join(repo, '.git'), { recursive: true });
    const before = snapshotTree(repo);

    await expectError(
      sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes }),
      SandboxInvalidError,
      'SANDBOX_INVALID',
      5,
    );
    expect(snapshotTree(repo)).toEqual(before);
  });

  it('linked worktree removed: SANDBOX_INVALID, exit 5', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const wt = path.join(tempDir(), 'wt');
    git(repo, 'worktree', 'add', '-q', '-b', 'feature', wt);
    const sp = await openSavepoint(repo);
    const { plan, checkpoint } = await sp.plans.create({ sandbox: wt });
    git(repo, 'worktree', 'remove', '--force', wt);
    const before = repoState(repo);

    await expectError(
      sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes }),
      SandboxInvalidError,
      'SANDBOX_INVALID',
      5,
    );
    expect(existsSync(wt)).toBe(false);
    expect(repoState(repo)).toEqual(before);
  });

  it('checkpoint ref deleted: CHECKPOINT_OBJECTS_MISSING, exit 9', async () => {
    const { repo, sp, plan, checkpoint } = await planWithChanges();
    git(repo, 'update-ref', '-d', checkpoint.sandboxRef ?? '');
    const before = repoState(repo);

    const error = await expectError(
      sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes }),
      CheckpointObjectsMissingError,
      'CHECKPOINT_OBJECTS_MISSING',
      9,
    );
    expect(error.details).toEqual({ checkpointId: checkpoint.checkpointId, ref: checkpoint.sandboxRef });
    expect(repoState(repo)).toEqual(before);
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(1);
  });

  it('checkpoint ref moved to another commit: CHECKPOINT_OBJECTS_MISSING, exit 9', async () => {
    const { repo, sp, plan, checkpoint } = await planWithChanges();
    git(repo, 'update-ref', checkpoint.sandboxRef ?? '', 'HEAD');
    const before = repoState(repo);

    await expectError(
      sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes }),
      CheckpointObjectsMissingError,
      'CHECKPOINT_OBJECTS_MISSING',
      9,
    );
    expect(repoState(repo)).toEqual(before);
  });

  it('index.lock held by another git process: BUSY, exit 6, and the lock file is left alone', async () => {
    const { repo, sp, plan, checkpoint } = await planWithChanges();
    const lock = path.join(repo, '.git', 'index.lock');
    writeFileSync(lock, 'held by someone else');
    const before = repoState(repo);

    await expectError(
      sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes }),
      BusyError,
      'BUSY',
      6,
    );
    expect(readFileSync(lock, 'utf8')).toBe('held by someone else');
    expect(repoState(repo)).toEqual(before);
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(1);
    rmSync(lock);
    // Retryable: once the lock is gone the same rollback goes through.
    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes });
    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a\n');
  });

  it('HEAD on another branch: HEAD_MOVED, exit 4; with head "keep" files and index are restored and HEAD stays', async () => {
    const { repo, sp, plan, checkpoint } = await planWithChanges();
    git(repo, 'switch', '-q', '-c', 'other');
    writeFiles(repo, { 'other.txt': 'on other\n' });
    git(repo, 'add', 'other.txt');
    commitAll(repo, 'commit on other');
    const before = repoState(repo);
    const count = sp.checkpoints.list(plan.planId).length;

    const error = await expectError(
      sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes }),
      HeadMovedError,
      'HEAD_MOVED',
      4,
    );
    expect(error.details).toEqual({ recordedRef: 'refs/heads/main', currentRef: 'refs/heads/other' });
    expect(repoState(repo)).toEqual(before);
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(count);
    expect(tempIndexFiles(path.join(repo, '.git'))).toEqual([]);

    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: checkpoint.checkpointId,
      head: 'keep',
      confirm: yes,
    });
    expect(report.head).toEqual({ action: 'kept', from: before.head.sha, to: before.head.sha });
    expect(headOf(repo)).toEqual(before.head);
    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a\n');
    expect(readFileSync(path.join(repo, 'b.txt'), 'utf8')).toBe('b\n');
    expect(existsSync(path.join(repo, 'c.txt'))).toBe(false);
    expect(existsSync(path.join(repo, 'other.txt'))).toBe(false);
    // The index is the checkpoint's staged state (that of main at the time), HEAD is still other.
    expect(stagedEntries(repo).map((line) => line.split('\t')[1])).toEqual(['a.txt', 'b.txt']);
  });

  it('a file created after the scan under the lock, before the first write, where rollback restores one: PATH_IN_THE_WAY, exit 4, file kept', async () => {
    const { repo, sp, plan, checkpoint } = await planWithChanges();
    const before = repoState(repo);

    const error = await expectError(
      sp.rollbacks.rollback({
        planId: plan.planId,
        checkpointId: checkpoint.checkpointId,
        // b.txt is absent now and present in the checkpoint; a process that does not use
        // savepoint writes it after the scan (a change during the question gets a new preview
        // instead: test/prompt-lock.test.ts).
        onSafety: () => writeFiles(repo, { 'b.txt': 'written during the prompt\n' }),
      }),
      PathInTheWayError,
      'PATH_IN_THE_WAY',
      4,
    );
    expect(error.details).toMatchObject({ reason: 'untracked' });
    const after = repoState(repo);
    expect(readFileSync(path.join(repo, 'b.txt'), 'utf8')).toBe('written during the prompt\n');
    const { 'b.txt': _written, ...rest } = after.tree;
    expect(rest).toEqual(before.tree);
    expect(after.staged).toEqual(before.staged);
    expect(after.head).toEqual(before.head);
    expect(tempIndexFiles(path.join(repo, '.git'))).toEqual([]);
  });

  it('a file edited after the scan under the lock, before the first write, that rollback rewrites: PATH_IN_THE_WAY, exit 4, edit kept', async () => {
    const { repo, sp, plan, checkpoint } = await planWithChanges();
    const before = repoState(repo);

    const error = await expectError(
      sp.rollbacks.rollback({
        planId: plan.planId,
        checkpointId: checkpoint.checkpointId,
        onSafety: () => writeFiles(repo, { 'a.txt': 'edited during the prompt, a longer line\n' }),
      }),
      PathInTheWayError,
      'PATH_IN_THE_WAY',
      4,
    );
    expect(error.details).toEqual({ paths: ['a.txt'], reason: 'changed' });
    const after = repoState(repo);
    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('edited during the prompt, a longer line\n');
    expect({ ...after.tree, 'a.txt': before.tree['a.txt'] }).toEqual(before.tree);
    expect(after.staged).toEqual(before.staged);
    expect(after.head).toEqual(before.head);
    // git refused before writing a file: the operation is plainly failed, nothing awaits
    // recover, and the retry is not blocked with exit 7.
    const failed = sp.ops.list({ planId: plan.planId, state: 'failed' });
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ kind: 'rollback', error: { code: 'PATH_IN_THE_WAY' } });
    expect(sp.ops.list({ planId: plan.planId, state: 'incomplete' })).toHaveLength(0);
    const retry = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: checkpoint.checkpointId,
      confirm: yes,
    });
    expect(retry.safetyCheckpointId).not.toBeNull();
    // The edit made during the prompt is in the retry's safety checkpoint: nothing is lost.
    const safety = sp.checkpoints.get(String(retry.safetyCheckpointId));
    expect(git(repo, 'show', `${safety.treeSha}:a.txt`)).toBe('edited during the prompt, a longer line');
  });

  it('HEAD moved after the scan under the lock, before the first write: HEAD_CHANGED, exit 4, before any file changed; the retry works', async () => {
    const { repo, sp, plan, checkpoint } = await planWithChanges();
    writeFiles(repo, { 'a.txt': 'committed before the rollback\n' });
    git(repo, 'add', 'a.txt');
    commitAll(repo, 'moves main');
    writeFiles(repo, { 'a.txt': 'uncommitted on top\n' });
    let during: ReturnType<typeof repoState> | undefined;
    const checkpoints = sp.checkpoints.list(plan.planId);
    const savepointRefs = refs(repo, 'refs/savepoint/');

    const error = await expectError(
      sp.rollbacks.rollback({
        planId: plan.planId,
        checkpointId: checkpoint.checkpointId,
        onSafety: () => {
          git(repo, 'commit', '-q', '--allow-empty', '-m', 'someone commits during the prompt');
          during = repoState(repo);
        },
      }),
      HeadChangedError,
      'HEAD_CHANGED',
      4,
    );
    expect(error.details).toMatchObject({ stage: 'before-write', expectedRef: 'refs/heads/main' });
    expect(error.details.currentSha).toBe(git(repo, 'rev-parse', 'HEAD'));
    expect(repoState(repo)).toEqual(during);
    // Nothing was written: the operation failed plainly, nothing awaits recover, and its safety
    // checkpoint (row and ref) is gone again.
    expect(sp.ops.list({ planId: plan.planId, state: 'incomplete' })).toHaveLength(0);
    expect(sp.checkpoints.list(plan.planId)).toEqual(checkpoints);
    expect(refs(repo, 'refs/savepoint/')).toEqual(savepointRefs);

    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes });
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(checkpoint.headSha);
  });

  it('PATH_IN_THE_WAY for an untracked file names the file', async () => {
    const { sp, plan, checkpoint, repo } = await planWithChanges();
    const error = await expectError(
      sp.rollbacks.rollback({
        planId: plan.planId,
        checkpointId: checkpoint.checkpointId,
        onSafety: () => writeFiles(repo, { 'b.txt': 'written during the prompt\n' }),
      }),
      PathInTheWayError,
      'PATH_IN_THE_WAY',
      4,
    );
    expect(error.details).toEqual({ paths: ['b.txt'], reason: 'untracked' });
    expect(error.message).toContain('b.txt');
  });

  it('an ignored file in the way: PATH_IN_THE_WAY, exit 4, the file and everything else unchanged', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'out/report.txt': 'checkpointed, not ignored\n' });
    const { checkpoint } = await sp.checkpoints.create(plan.planId);
    // Later the path becomes ignored and holds other content.
    writeFiles(repo, {
      '.gitignore': 'out/\n',
      'out/report.txt': 'now ignored, must not be overwritten\n',
      'a.txt': 'changed\n',
    });
    const before = repoState(repo);
    const mtime = statSync(path.join(repo, 'out/report.txt')).mtimeMs;

    const error = await expectError(
      sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes }),
      PathInTheWayError,
      'PATH_IN_THE_WAY',
      4,
    );
    expect(error.details).toEqual({ paths: ['out/report.txt'], reason: 'untracked' });
    expect(readFileSync(path.join(repo, 'out/report.txt'), 'utf8')).toBe(
      'now ignored, must not be overwritten\n',
    );
    expect(statSync(path.join(repo, 'out/report.txt')).mtimeMs).toBe(mtime);
    expect(repoState(repo)).toEqual(before);
    expect(tempIndexFiles(path.join(repo, '.git'))).toEqual([]);
  });

  it('an ignored directory in the way: PATH_IN_THE_WAY, exit 4, the directory and its files unchanged', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { build: 'a file at checkpoint time\n' });
    const { checkpoint } = await sp.checkpoints.create(plan.planId);
    rmSync(path.join(repo, 'build'));
    writeFiles(repo, { '.gitignore': 'build/\n', 'build/cache.o': 'precious build output\n' });
    const before = repoState(repo);

    await expectError(
      sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes }),
      PathInTheWayError,
      'PATH_IN_THE_WAY',
      4,
    );
    expect(readFileSync(path.join(repo, 'build/cache.o'), 'utf8')).toBe('precious build output\n');
    expect(repoState(repo)).toEqual(before);
  });
});
