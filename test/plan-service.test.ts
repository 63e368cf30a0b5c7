/**
 * The plan lifecycle on real repositories: create (checkpoint #1, one active plan per
 * sandbox, refused and invalid sandboxes, linked worktrees), apply, abandon, and lost
 * compare-and-sets against a second connection to the same database.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SandboxInvalidError, SandboxRefusedError, type SavepointError } from '../src/core/errors.js';
import type { Clock } from '../src/core/ports.js';
import { ActivePlanExistsError, PlanNotActiveError, PlanNotFoundError } from '../src/plan/errors.js';
import type { Savepoint } from '../src/savepoint.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { headOf, refs, repoState, tempIndexFiles } from './helpers/fs-snapshot.js';
import { commitAll, git, makeRepo, tempDir, writeFiles } from './helpers/repo.js';
import { expectError, openSavepoint, yes } from './helpers/savepoint.js';

/** A clock that reads `times` in order, then repeats the last one. */
function fixedClock(...times: string[]): Clock {
  let i = 0;
  return { now: () => new Date(times[Math.min(i++, times.length - 1)] ?? 0) };
}

const MISSING_ULID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

describe('plan create', () => {
  it('creates an active plan on the worktree top level and takes checkpoint #1 (kind initial)', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n', 'sub/dir/b.txt': 'b\n' });
    writeFiles(repo, { 'untracked.txt': 'u\n' });
    const sp = await openSavepoint(repo, { clock: fixedClock('2024-01-02T03:04:05.000Z') });
    const before = repoState(repo);

    const { plan, checkpoint } = await sp.plans.create({
      sandbox: path.join(repo, 'sub', 'dir'),
      name: 'refactor',
    });

    expect(plan).toEqual({
      planId: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      name: 'refactor',
      sandboxPath: repo,
      gitDir: path.join(repo, '.git'),
      repositoryId: readFileSync(path.join(repo, '.git', 'savepoint', 'repository-id'), 'utf8').trim(),
      baseCommit: git(repo, 'rev-parse', 'HEAD'),
      state: 'active',
      policy: { retention: { max: 50 }, tools: {}, head: 'restore', defaultType: 'commit' },
      managedWorktree: false,
      createdAt: '2024-01-02T03:04:05.000Z',
      updatedAt: '2024-01-02T03:04:05.000Z',
      appliedAt: null,
    });
    expect(sp.plans.get(plan.planId)).toEqual(plan);
    expect(sp.plans.get(plan.planId.toLowerCase())).toEqual(plan);
    expect(checkpoint.seq).toBe(1);
    expect(checkpoint.planId).toBe(plan.planId);
    expect(checkpoint.metadata).toMatchObject({ kind: 'initial' });
    expect(checkpoint.headSha).toBe(plan.baseCommit);
    expect(git(repo, 'rev-parse', checkpoint.sandboxRef ?? '')).toBe(checkpoint.commitSha);
    expect(git(repo, 'ls-tree', '-r', '--name-only', checkpoint.treeSha).split('\n')).toEqual([
      'a.txt',
      'sub/dir/b.txt',
      'untracked.txt',
    ]);
    expect(sp.checkpoints.list(plan.planId)).toEqual([checkpoint]);
    expect(sp.plans.show(plan.planId)).toEqual({ plan, checkpointCount: 1, latestCheckpoint: checkpoint });
    expect(sp.plans.list()).toEqual([plan]);
    expect(repoState(repo)).toEqual(before);
    expect(tempIndexFiles(path.join(repo, '.git'))).toEqual([]);
  });

  it('takes checkpoint #1 even when a clean tree would deduplicate', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan: first } = await sp.plans.create({ sandbox: repo });
    await sp.plans.abandon(first.planId);
    const { plan: second, checkpoint } = await sp.plans.create({ sandbox: repo });
    expect(checkpoint.planId).toBe(second.planId);
    expect(checkpoint.seq).toBe(1);
    expect(sp.checkpoints.list(second.planId)).toHaveLength(1);
  });

  it('refuses a second active plan on the same sandbox: PLAN_ACTIVE_EXISTS, exit 4, nothing recorded', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    const refsBefore = refs(repo);

    const error = await expectError(
      sp.plans.create({ sandbox: repo }),
      ActivePlanExistsError,
      'PLAN_ACTIVE_EXISTS',
      4,
    );
    expect(error.details).toEqual({ sandboxPath: repo, planId: plan.planId });
    expect(sp.plans.list()).toEqual([plan]);
    expect(refs(repo)).toEqual(refsBefore);
  });

  it('refuses a second active plan created through another connection to the same database', async () => {
    const repo = makeRepo();
    const one = await openSavepoint(repo);
    const two = await openSavepoint(repo);
    const { plan } = await one.plans.create({ sandbox: repo });
    await expectError(two.plans.create({ sandbox: repo }), ActivePlanExistsError, 'PLAN_ACTIVE_EXISTS', 4);
    expect(two.plans.list()).toEqual([plan]);
  });

  it('refuses the home directory as a sandbox: SANDBOX_REFUSED, exit 5', async () => {
    const home = makeRepo();
    const db = path.join(tempDir(), 'state.db');
    const previous = process.env.HOME;
    process.env.HOME = home;
    onTestFinished(() => {
      if (previous === undefined) delete process.env.HOME;
      else process.env.HOME = previous;
    });
    mkdirSync(path.join(home, 'sub'));
    const sp = await openSavepoint(tempDir(), { db });
    const before = repoState(home);

    const error = await expectError(
      sp.plans.create({ sandbox: home }),
      SandboxRefusedError,
      'SANDBOX_REFUSED',
      5,
    );
    expect(error.details).toEqual({ path: home, home });
    // A subdirectory of it resolves to the same top level: refused too.
    await expectError(
      sp.plans.create({ sandbox: path.join(home, 'sub') }),
      SandboxRefusedError,
      'SANDBOX_REFUSED',
      5,
    );
    expect(sp.plans.list()).toEqual([]);
    expect(refs(home, 'refs/savepoint/')).toEqual([]);
    expect(repoState(home)).toEqual(before);
  });

  it('refuses a worktree that contains a home directory (e.g. /home): SANDBOX_REFUSED, exit 5', async () => {
    const repo = makeRepo();
    const db = path.join(tempDir(), 'state.db');
    const previous = process.env.HOME;
    process.env.HOME = path.join(repo, 'users', 'alice');
    onTestFinished(() => {
      if (previous === undefined) delete process.env.HOME;
      else process.env.HOME = previous;
    });
    mkdirSync(path.join(repo, 'users', 'alice'), { recursive: true });
    const sp = await openSavepoint(tempDir(), { db });
    const before = repoState(repo);

    const error = await expectError(
      sp.plans.create({ sandbox: repo }),
      SandboxRefusedError,
      'SANDBOX_REFUSED',
      5,
    );
    expect(error.details).toEqual({ path: repo, home: path.join(repo, 'users', 'alice') });
    expect(error.message).toContain('contains the home directory');
    expect(sp.plans.list()).toEqual([]);
    expect(refs(repo, 'refs/savepoint/')).toEqual([]);
    expect(repoState(repo)).toEqual(before);
  });

  it('refuses a directory outside any git worktree, and one that does not exist: SANDBOX_INVALID, exit 5', async () => {
    const plain = tempDir();
    writeFiles(plain, { 'file.txt': 'not in a repo\n' });
    const sp = await openSavepoint(plain, { db: path.join(tempDir(), 'state.db') });

    await expectError(sp.plans.create({ sandbox: plain }), SandboxInvalidError, 'SANDBOX_INVALID', 5);
    await expectError(
      sp.plans.create({ sandbox: path.join(plain, 'missing') }),
      SandboxInvalidError,
      'SANDBOX_INVALID',
      5,
    );
    await expectError(
      sp.plans.create({ sandbox: path.join(plain, 'file.txt') }),
      SandboxInvalidError,
      'SANDBOX_INVALID',
      5,
    );
    expect(sp.plans.list()).toEqual([]);
    expect(readFileSync(path.join(plain, 'file.txt'), 'utf8')).toBe('not in a repo\n');
  });

  it('Savepoint.open without a db outside a git worktree is SANDBOX_INVALID, exit 5', async () => {
    const plain = tempDir();
    await expectError(openSavepoint(plain), SandboxInvalidError, 'SANDBOX_INVALID', 5);
    expect(existsSync(path.join(plain, '.git'))).toBe(false);
  });

  it('refuses the inside of a .git directory (a bare location, no worktree): SANDBOX_INVALID, exit 5', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    await expectError(
      sp.plans.create({ sandbox: path.join(repo, '.git') }),
      SandboxInvalidError,
      'SANDBOX_INVALID',
      5,
    );
    expect(sp.plans.list()).toEqual([]);
  });

  it('worktree: true makes a linked worktree on branch savepoint/<planId> and plans there', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    writeFiles(repo, { 'a.txt': 'uncommitted in main\n' });
    const sp = await openSavepoint(repo);
    const { plan: mainPlan } = await sp.plans.create({ sandbox: repo });
    const mainBefore = repoState(repo);
    const where = path.join(tempDir(), 'isolated');

    const { plan, checkpoint } = await sp.plans.create({
      sandbox: repo,
      worktree: true,
      worktreePath: where,
    });

    expect(plan.sandboxPath).toBe(where);
    expect(plan.gitDir).toBe(path.join(repo, '.git'));
    expect(plan.managedWorktree).toBe(true);
    expect(plan.baseCommit).toBe(git(repo, 'rev-parse', 'HEAD'));
    expect(headOf(where)).toEqual({ ref: `refs/heads/savepoint/${plan.planId}`, sha: plan.baseCommit });
    expect(git(repo, 'worktree', 'list', '--porcelain')).toContain(`worktree ${where}\n`);
    expect(readFileSync(path.join(where, 'a.txt'), 'utf8')).toBe('a\n');
    expect(checkpoint).toMatchObject({
      seq: 1,
      filesystemPath: where,
      headRef: `refs/heads/savepoint/${plan.planId}`,
    });
    expect(
      sp.plans
        .list({ state: 'active' })
        .map((p) => p.planId)
        .sort(),
    ).toEqual([mainPlan.planId, plan.planId].sort());
    expect(repoState(repo)).toEqual({ ...mainBefore, branches: expect.any(Array) });
    expect(refs(repo, 'refs/heads/')).toEqual(
      [`refs/heads/main ${plan.baseCommit}`, `refs/heads/savepoint/${plan.planId} ${plan.baseCommit}`].sort(),
    );
  });

  it('worktree: true without a path puts the worktree next to the sandbox', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo, worktree: true });
    onTestFinished(() => rmSync(plan.sandboxPath, { recursive: true, force: true }));
    expect(plan.sandboxPath).toBe(`${repo}.savepoint-${plan.planId.toLowerCase()}`);
    expect(existsSync(path.join(plan.sandboxPath, 'README.md'))).toBe(true);
  });

  it('worktree: true on an unborn HEAD is SANDBOX_INVALID and records nothing', async () => {
    const repo = makeRepo({});
    const sp = await openSavepoint(repo);
    await expectError(
      sp.plans.create({ sandbox: repo, worktree: true, worktreePath: path.join(tempDir(), 'wt') }),
      SandboxInvalidError,
      'SANDBOX_INVALID',
      5,
    );
    expect(sp.plans.list()).toEqual([]);
  });
});

describe('plan apply and abandon', () => {
  it('apply takes a final checkpoint of the current state and marks the plan applied', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo, {
      clock: fixedClock('2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z', '2024-02-02T00:00:00.000Z'),
    });
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'final\n' });
    const before = repoState(repo);

    const { plan: applied, finalCheckpoint } = await sp.plans.apply(plan.planId);

    expect(applied.state).toBe('applied');
    expect(applied.appliedAt).toEqual(expect.any(String));
    expect(applied.appliedAt).toBe(applied.updatedAt);
    expect(Date.parse(applied.appliedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(plan.createdAt));
    expect(sp.plans.get(plan.planId)).toEqual(applied);
    expect(finalCheckpoint.deduplicated).toBe(false);
    expect(finalCheckpoint.checkpoint).toMatchObject({ seq: 2, metadata: { kind: 'final' } });
    expect(git(repo, 'show', `${finalCheckpoint.checkpoint.treeSha}:a.txt`)).toBe('final');
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(2);
    expect(repoState(repo)).toEqual(before);
    // No more changes to an applied plan.
    writeFiles(repo, { 'a.txt': 'after apply\n' });
    await expectError(sp.checkpoints.create(plan.planId), PlanNotActiveError, 'PLAN_NOT_ACTIVE', 4);
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(2);
  });

  it('apply with nothing changed reuses the latest checkpoint as the final one', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
    const { plan: applied, finalCheckpoint } = await sp.plans.apply(plan.planId);
    expect(applied.state).toBe('applied');
    expect(finalCheckpoint).toEqual({
      checkpoint,
      deduplicated: true,
      skippedPaths: [],
      prunedCheckpointIds: [],
    });
    expect(sp.checkpoints.list(plan.planId)).toEqual([checkpoint]);
  });

  it('abandon marks the plan abandoned, leaves the sandbox as it is and frees it for a new plan', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'work in progress\n' });
    const before = repoState(repo);

    const abandoned = await sp.plans.abandon(plan.planId);

    expect(abandoned).toMatchObject({ planId: plan.planId, state: 'abandoned', appliedAt: null });
    expect(sp.plans.get(plan.planId).state).toBe('abandoned');
    expect(repoState(repo)).toEqual(before);
    expect(sp.plans.list({ state: 'abandoned' }).map((p) => p.planId)).toEqual([plan.planId]);
    const { plan: next } = await sp.plans.create({ sandbox: repo });
    expect(sp.plans.list({ state: 'active' }).map((p) => p.planId)).toEqual([next.planId]);
  });

  it('apply and abandon of a plan that is not active: PLAN_NOT_ACTIVE, exit 4, nothing changes', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan: appliedPlan } = await sp.plans.create({ sandbox: repo });
    await sp.plans.apply(appliedPlan.planId);
    const { plan: abandonedPlan } = await sp.plans.create({ sandbox: repo });
    await sp.plans.abandon(abandonedPlan.planId);
    const rows = sp.plans.list();
    writeFiles(repo, { 'x.txt': 'x\n' });

    for (const planId of [appliedPlan.planId, abandonedPlan.planId]) {
      await expectError(sp.plans.apply(planId), PlanNotActiveError, 'PLAN_NOT_ACTIVE', 4);
      await expectError(() => sp.plans.abandon(planId), PlanNotActiveError, 'PLAN_NOT_ACTIVE', 4);
      expect(sp.checkpoints.list(planId)).toHaveLength(1);
    }
    expect(sp.plans.list()).toEqual(rows);
  });

  it('unknown plan: PLAN_NOT_FOUND, exit 3, for get, show, apply and abandon', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    await expectError(() => sp.plans.get(MISSING_ULID), PlanNotFoundError, 'PLAN_NOT_FOUND', 3);
    await expectError(() => sp.plans.show(MISSING_ULID), PlanNotFoundError, 'PLAN_NOT_FOUND', 3);
    await expectError(sp.plans.apply(MISSING_ULID), PlanNotFoundError, 'PLAN_NOT_FOUND', 3);
    await expectError(() => sp.plans.abandon(MISSING_ULID), PlanNotFoundError, 'PLAN_NOT_FOUND', 3);
  });
});

/**
 * A writer that does not take the sandbox lock (another tool, an older savepoint) changing the
 * plan row directly: savepoint processes serialize on the lock, so only such a writer can
 * race an operation. savepoint still acts only when its own compare-and-set wins.
 */
function abandonBehindTheLock(sp: Savepoint, planId: string): void {
  const store = SqliteStore.open(sp.dbPath);
  try {
    expect(store.plans.transition(planId, 'active', 'abandoned', new Date().toISOString())).toBe(true);
  } finally {
    store.close();
  }
}

describe('lost compare-and-set against a concurrent writer', () => {
  it('apply after another connection abandoned the plan: PLAN_NOT_ACTIVE and no new checkpoint', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const one = await openSavepoint(repo);
    const two = await openSavepoint(repo);
    const { plan } = await one.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'changed\n' });
    const refsBefore = refs(repo);

    await two.plans.abandon(plan.planId);
    await expectError(one.plans.apply(plan.planId), PlanNotActiveError, 'PLAN_NOT_ACTIVE', 4);

    expect(one.plans.get(plan.planId)).toMatchObject({ state: 'abandoned', appliedAt: null });
    expect(one.checkpoints.list(plan.planId)).toHaveLength(1);
    expect(refs(repo)).toEqual(refsBefore);
  });

  it('apply that read "active" and then lost the race: PLAN_STATE_CHANGED, no checkpoint row, no ref left behind', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const one = await openSavepoint(repo);
    const two = await openSavepoint(repo);
    const { plan } = await one.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'changed\n' });
    const refsBefore = refs(repo);
    const before = repoState(repo);

    // apply() reads the plan synchronously, then awaits git; the other writer wins meanwhile.
    const applying = one.plans.apply(plan.planId);
    abandonBehindTheLock(two, plan.planId);
    const error = await applying.then(
      () => expect.fail('apply must lose'),
      (e: SavepointError) => e,
    );
    // Lost at the re-read under the lock (PLAN_NOT_ACTIVE) or at the compare-and-set.
    expect([error.code, error.exitCode, error.details.state]).toSatisfy(
      ([code, exit, state]: unknown[]) =>
        ['PLAN_NOT_ACTIVE', 'PLAN_STATE_CHANGED'].includes(code as string) &&
        exit === 4 &&
        state === 'abandoned',
    );
    expect(two.plans.get(plan.planId)).toMatchObject({ state: 'abandoned', appliedAt: null });
    expect(two.checkpoints.list(plan.planId)).toHaveLength(1);
    expect(refs(repo)).toEqual(refsBefore);
    expect(repoState(repo)).toEqual(before);
    expect(tempIndexFiles(path.join(repo, '.git'))).toEqual([]);
  });

  it('apply that lost the race with nothing to checkpoint: PLAN_STATE_CHANGED as well', async () => {
    const repo = makeRepo();
    const one = await openSavepoint(repo);
    const two = await openSavepoint(repo);
    const { plan } = await one.plans.create({ sandbox: repo });

    const applying = one.plans.apply(plan.planId);
    abandonBehindTheLock(two, plan.planId);
    await expect(applying).rejects.toMatchObject({ exitCode: 4, details: { state: 'abandoned' } });
    expect(two.plans.get(plan.planId).state).toBe('abandoned');
    expect(two.checkpoints.list(plan.planId)).toHaveLength(1);
  });

  it('a checkpoint that lost the race records nothing', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const one = await openSavepoint(repo);
    const two = await openSavepoint(repo);
    const { plan } = await one.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'changed\n' });
    const refsBefore = refs(repo);

    const creating = one.checkpoints.create(plan.planId);
    abandonBehindTheLock(two, plan.planId);
    await expect(creating).rejects.toMatchObject({ exitCode: 4, details: { state: 'abandoned' } });
    expect(two.checkpoints.list(plan.planId)).toHaveLength(1);
    expect(refs(repo)).toEqual(refsBefore);
  });

  it('a rollback that lost the race changes no file and records no safety checkpoint', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const one = await openSavepoint(repo);
    const two = await openSavepoint(repo);
    const { plan, checkpoint } = await one.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'changed\n', 'b.txt': 'new\n' });
    commitAll(repo, 'later');
    const before = repoState(repo);
    const refsBefore = refs(repo);

    const rolling = one.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: checkpoint.checkpointId,
      confirm: yes,
    });
    abandonBehindTheLock(two, plan.planId);
    await expect(rolling).rejects.toMatchObject({ exitCode: 4, details: { state: 'abandoned' } });

    expect(repoState(repo)).toEqual(before);
    expect(refs(repo)).toEqual(refsBefore);
    expect(two.checkpoints.list(plan.planId)).toHaveLength(1);
  });
});
