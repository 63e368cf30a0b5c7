/**
 * Retention, policy and gc against real temp repositories: auto-prune keeps refs and rows in
 * step, prune and gc remove exactly what they report, the policy is validated and honoured
 * (retention, tool declarations, size cap, HEAD mode).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { ulid } from 'ulid';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CheckpointService } from '../src/checkpoint/checkpoint-service.js';
import { ulidGenerator } from '../src/core/defaults.js';
import { UsageError } from '../src/core/errors.js';
import { Ledger } from '../src/ledger/ledger.js';
import { FileSandboxLocks } from '../src/lock/sandbox-locks.js';
import { PlanNotActiveError, PlanNotFoundError } from '../src/plan/errors.js';
import { PlanPolicy } from '../src/plan/model.js';
import type { Savepoint } from '../src/savepoint.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { refs } from './helpers/fs-snapshot.js';
import { git, makeRepo, tempDir, writeFiles } from './helpers/repo.js';
import { expectError, openSavepoint, yes } from './helpers/savepoint.js';

/** `refname sha` of every ref under refs/savepoint/, and the same built from the rows. */
function refsAndRows(repo: string, sp: Savepoint, planIds: string[]): { refs: string[]; rows: string[] } {
  const rows = planIds
    .flatMap((id) => sp.checkpoints.list(id))
    .map((c) => `${c.sandboxRef} ${c.commitSha}`)
    .sort();
  return { refs: refs(repo, 'refs/savepoint/').sort(), rows };
}

async function change(sp: Savepoint, repo: string, planId: string, content: string) {
  writeFiles(repo, { 'work.txt': content });
  const result = await sp.checkpoints.create(planId);
  return result.checkpoint;
}

describe('auto-prune after a new checkpoint', () => {
  it('keeps at most retention.max checkpoints, first and latest included, refs matching rows', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({
      sandbox: repo,
      policy: { retention: { max: 3 } },
    });
    const made = [];
    for (let i = 0; i < 8; i++) made.push(await change(sp, repo, plan.planId, `v${i}\n`));
    const left = sp.checkpoints.list(plan.planId);
    expect(left.map((c) => c.seq)).toEqual([1, 8, 9]);
    expect(left[0]?.checkpointId).toBe(first.checkpointId);
    expect(left.at(-1)?.checkpointId).toBe(made.at(-1)?.checkpointId);
    const { refs: r, rows } = refsAndRows(repo, sp, [plan.planId]);
    expect(r).toEqual(rows);
  });

  it('reports what it pruned, and a deduplicated checkpoint prunes nothing', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo, policy: { retention: { max: 2 } } });
    const second = await change(sp, repo, plan.planId, 'a\n');
    writeFiles(repo, { 'work.txt': 'b\n' });
    const third = await sp.checkpoints.create(plan.planId);
    expect(third.prunedCheckpointIds).toEqual([second.checkpointId]);
    // Lower retention without a new row: a deduplicated create does not prune.
    await sp.plans.setPolicy(plan.planId, { retentionMax: 1 });
    const again = await sp.checkpoints.create(plan.planId);
    expect(again).toMatchObject({ deduplicated: true, prunedCheckpointIds: [] });
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(2);
  });

  it("a rollback's safety checkpoint and its target survive later pruning; the tree of every survivor restores exactly", async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({
      sandbox: repo,
      policy: { retention: { max: 4 } },
    });
    for (let i = 0; i < 5; i++) await change(sp, repo, plan.planId, `v${i}\n`);
    const target = sp.checkpoints.list(plan.planId).at(-2);
    if (!target) throw new Error('no target');
    writeFiles(repo, { 'work.txt': 'uncommitted edit\n' });
    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: target.checkpointId,
      confirm: yes,
    });
    for (let i = 0; i < 6; i++) await change(sp, repo, plan.planId, `w${i}\n`);
    const left = sp.checkpoints.list(plan.planId).map((c) => c.checkpointId);
    // max 4, and exactly the protected ones are left: first, latest, the safety checkpoint, its target.
    expect(left).toHaveLength(4);
    expect(left[0]).toBe(first.checkpointId);
    expect(left).toContain(report.safetyCheckpointId);
    expect(left).toContain(target.checkpointId);
    expect(refsAndRows(repo, sp, [plan.planId]).refs).toEqual(refsAndRows(repo, sp, [plan.planId]).rows);

    // Visiting every survivor would add safety checkpoints that prune the others: widen retention first.
    await sp.plans.setPolicy(plan.planId, { retentionMax: 50 });
    for (const id of left) {
      const checkpoint = sp.checkpoints.get(id);
      await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: id, confirm: yes });
      const scan = await sp.checkpoints.create(plan.planId);
      expect(scan.checkpoint.treeSha).toBe(checkpoint.treeSha);
    }
  });

  it('prunes in the insert transaction: when the transaction fails, no row and no ref is lost', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo, policy: { retention: { max: 2 } } });
    await change(sp, repo, plan.planId, 'a\n');
    const before = { rows: sp.checkpoints.list(plan.planId), refs: refs(repo, 'refs/savepoint/') };
    const stored = sp.plans.get(plan.planId);
    const sandbox = await sp.checkpoints.openSandbox(stored);
    writeFiles(repo, { 'work.txt': 'b\n' });
    const scan = await sandbox.scan(sp.checkpoints.scanOptionsFor(stored));
    try {
      await expect(
        sp.checkpoints.record(
          stored,
          sandbox,
          scan,
          { kind: 'manual' },
          {
            force: false,
            hooks: {
              after: () => {
                throw new Error('lost the race');
              },
            },
          },
        ),
      ).rejects.toThrow('lost the race');
    } finally {
      await scan.dispose();
    }
    expect(sp.checkpoints.list(plan.planId)).toEqual(before.rows);
    expect(refs(repo, 'refs/savepoint/')).toEqual(before.refs);
    // The same record without the failure prunes the middle checkpoint.
    writeFiles(repo, { 'work.txt': 'c\n' });
    expect((await sp.checkpoints.create(plan.planId)).prunedCheckpointIds).toEqual([
      before.rows[1]?.checkpointId,
    ]);
  });

  it('reads only the rows selection needs: the latest safety checkpoint comes from an index', () => {
    const repo = makeRepo();
    const db = new Database(path.join(repo, '.git', 'probe.db'));
    return openSavepoint(repo, { db: path.join(repo, '.git', 'probe.db') }).then(() => {
      const plan = db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT checkpoint_id FROM checkpoints
           WHERE plan_id = ? AND json_extract(metadata_json, '$.kind') = ? ORDER BY seq DESC LIMIT 1`,
        )
        .all('x', 'safety') as { detail: string }[];
      db.close();
      expect(plan.map((row) => row.detail).join('\n')).toContain('USING INDEX checkpoints_plan_kind');
    });
  });
});

describe('checkpoint prune', () => {
  it('--dry-run reports and changes nothing; then prunes to --keep and deletes exactly those refs', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    for (let i = 0; i < 6; i++) await change(sp, repo, plan.planId, `v${i}\n`);
    const before = refs(repo, 'refs/savepoint/');

    const dry = await sp.retention.prune(plan.planId, { keep: 3, dryRun: true });
    expect(dry.pruned.map((c) => c.seq)).toEqual([2, 3, 4, 5]);
    expect(dry.remaining).toBe(3);
    expect(refs(repo, 'refs/savepoint/')).toEqual(before);
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(7);

    const done = await sp.retention.prune(plan.planId, { keep: 3 });
    expect(done.pruned).toEqual(dry.pruned);
    expect(done).toMatchObject({ remaining: 3, dryRun: false, orphanedRefs: [] });
    expect(sp.checkpoints.list(plan.planId).map((c) => c.seq)).toEqual([1, 6, 7]);
    const { refs: r, rows } = refsAndRows(repo, sp, [plan.planId]);
    expect(r).toEqual(rows);
  });

  it('defaults to the policy max, works on an applied plan, and refuses a bad --keep', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo, policy: { retention: { max: 50 } } });
    for (let i = 0; i < 4; i++) await change(sp, repo, plan.planId, `v${i}\n`);
    await sp.plans.apply(plan.planId);
    expect((await sp.retention.prune(plan.planId)).pruned).toEqual([]);
    expect((await sp.retention.prune(plan.planId, { keep: 2 })).remaining).toBe(2);
    await expectError(sp.retention.prune(plan.planId, { keep: 0 }), UsageError, 'USAGE', 2);
    await expectError(sp.retention.prune(ulid()), PlanNotFoundError, 'PLAN_NOT_FOUND', 3);
  });
});

describe('gc', () => {
  it('removes refs no row owns (once old enough) and rows whose plan is gone, and reports them', async () => {
    const repo = makeRepo();
    const dbFile = path.join(repo, '.git', 'savepoint', 'state.db');
    const sp = await openSavepoint(repo);
    const { plan: kept } = await sp.plans.create({ sandbox: repo });
    const live = await change(sp, repo, kept.planId, 'live\n');
    await sp.plans.apply(kept.planId);
    const { plan: doomed } = await sp.plans.create({ sandbox: repo });
    const doomedCheckpoints = sp.checkpoints.list(doomed.planId);
    const keptCount = sp.checkpoints.list(kept.planId).length;

    // A ref a failed deletion left behind, and a stray ref.
    const orphanRef = `refs/savepoint/${kept.planId}/${ulid(Date.now() - 60 * 60 * 1000)}`;
    const recentRef = `refs/savepoint/${kept.planId}/${ulid()}`;
    git(repo, 'update-ref', orphanRef, live.commitSha ?? '');
    git(repo, 'update-ref', recentRef, live.commitSha ?? '');
    git(repo, 'update-ref', 'refs/savepoint/junk', live.commitSha ?? '');
    // The doomed plan's row disappears behind savepoint's back (no foreign keys in that tool).
    const raw = new Database(dbFile);
    raw.pragma('foreign_keys = OFF');
    raw.prepare('DELETE FROM plans WHERE plan_id = ?').run(doomed.planId);
    raw.close();

    const dry = await sp.retention.gc({ dryRun: true });
    expect(dry.removedCheckpoints.map((c) => c.checkpointId)).toEqual(
      doomedCheckpoints.map((c) => c.checkpointId),
    );
    expect(dry.removedRefs.map((r) => r.ref).sort()).toEqual(
      [orphanRef, 'refs/savepoint/junk', ...doomedCheckpoints.map((c) => c.sandboxRef)].sort(),
    );
    expect(dry.recentRefs).toEqual([recentRef]);
    expect(refs(repo, 'refs/savepoint/')).toHaveLength(keptCount + 3 + doomedCheckpoints.length);

    const done = await sp.retention.gc();
    expect({ ...done, dryRun: true }).toEqual(dry);
    expect(
      refs(repo, 'refs/savepoint/')
        .map((line) => line.split(' ')[0])
        .sort(),
    ).toEqual([...sp.checkpoints.list(kept.planId).map((c) => c.sandboxRef), recentRef].sort());
    expect(sp.checkpoints.list(kept.planId)).toHaveLength(keptCount);

    // Once old enough, the recent one goes too; then refs match rows exactly.
    const later = await openSavepoint(repo, { clock: { now: () => new Date(Date.now() + 11 * 60 * 1000) } });
    expect((await later.retention.gc()).removedRefs.map((r) => r.ref)).toEqual([recentRef]);
    const { refs: r, rows } = refsAndRows(repo, sp, [kept.planId]);
    expect(r).toEqual(rows);
    expect(await later.retention.gc()).toEqual({
      dryRun: false,
      removedRefs: [],
      removedCheckpoints: [],
      recentRefs: [],
    });
  });
});

describe('plan policy', () => {
  it('show: defaults for a plan created without one; set changes only what is given', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    expect(sp.plans.policy(plan.planId)).toEqual({
      planId: plan.planId,
      policy: { retention: { max: 50 }, tools: {}, head: 'restore', defaultType: 'commit' },
    });
    await sp.plans.setPolicy(plan.planId, { tools: { 'Read*': 'skip' } });
    const result = await sp.plans.setPolicy(plan.planId, {
      retentionMax: 7,
      tools: { Edit: 'checkpoint' },
      head: 'keep',
      defaultType: 'patch',
    });
    expect(result.policy).toEqual({
      retention: { max: 7 },
      tools: { 'Read*': 'skip', Edit: 'checkpoint' },
      head: 'keep',
      defaultType: 'patch',
    });
    expect(sp.plans.get(plan.planId).policy).toEqual(result.policy);
  });

  it('bad values are usage errors and write nothing; unknown plan 3; a plan no longer active 4', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    const before = sp.plans.get(plan.planId);
    await expectError(() => sp.plans.setPolicy(plan.planId, { retentionMax: 0 }), UsageError, 'USAGE', 2);
    await expectError(
      () => sp.plans.setPolicy(plan.planId, { retentionMax: 3, untrackedSizeCap: -5 }),
      UsageError,
      'USAGE',
      2,
    );
    await expectError(
      () => sp.plans.setPolicy(plan.planId, { defaultType: 'stash' as 'patch' }),
      UsageError,
      'USAGE',
      2,
    );
    expect(sp.plans.get(plan.planId)).toEqual(before);
    await expectError(
      () => sp.plans.setPolicy(ulid(), { retentionMax: 3 }),
      PlanNotFoundError,
      'PLAN_NOT_FOUND',
      3,
    );
    await expectError(
      () => sp.plans.create({ sandbox: repo, policy: { retention: { max: 0 } } }),
      UsageError,
      'USAGE',
      2,
    );
    await sp.plans.abandon(plan.planId);
    await expectError(
      () => sp.plans.setPolicy(plan.planId, { retentionMax: 3 }),
      PlanNotActiveError,
      'PLAN_NOT_ACTIVE',
      4,
    );
  });

  it('an old row with policy {} reads with every default', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo, policy: { retention: { max: 9 } } });
    const raw = new Database(path.join(repo, '.git', 'savepoint', 'state.db'));
    raw.prepare(`UPDATE plans SET policy_json = '{}' WHERE plan_id = ?`).run(plan.planId);
    raw.close();
    expect(sp.plans.get(plan.planId).policy).toEqual({
      retention: { max: 50 },
      tools: {},
      head: 'restore',
      defaultType: 'commit',
    });
  });

  it('tool declarations: a skip declaration checkpoints nothing unless forced', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    await sp.plans.setPolicy(plan.planId, { tools: { 'Read*': 'skip', ReadWrite: 'checkpoint' } });
    writeFiles(repo, { 'a.txt': 'a\n' });
    const skipped = await sp.checkpoints.create(plan.planId, { tool: 'ReadFile' });
    expect(skipped).toEqual({
      skipped: true,
      planId: plan.planId,
      tool: 'ReadFile',
      reason: 'tool declared skip',
      pattern: 'Read*',
    });
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(1);
    const exact = await sp.checkpoints.create(plan.planId, { tool: 'ReadWrite' });
    expect(exact).toMatchObject({ skipped: false, deduplicated: false });
    writeFiles(repo, { 'a.txt': 'b\n' });
    const forced = await sp.checkpoints.create(plan.planId, { tool: 'ReadFile', force: true });
    expect(forced.skipped).toBe(false);
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(3);
  });

  it("the plan's untrackedSizeCap overrides the default for its scans", async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo, { untrackedSizeCap: 1024 * 1024 });
    const { plan } = await sp.plans.create({ sandbox: repo, policy: { untrackedSizeCap: 10 } });
    writeFiles(repo, { 'big.bin': 'x'.repeat(100), 'small.txt': 'ok\n' });
    const result = await sp.checkpoints.create(plan.planId);
    expect(result.skippedPaths).toEqual([{ path: 'big.bin', reason: 'too-large', sizeBytes: 100 }]);
    await sp.plans.setPolicy(plan.planId, { untrackedSizeCap: 1000 });
    writeFiles(repo, { 'small.txt': 'ok again\n' });
    expect((await sp.checkpoints.create(plan.planId)).skippedPaths).toEqual([]);
  });

  it("rollback uses the plan's head policy when no head mode is given", async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan, checkpoint } = await sp.plans.create({ sandbox: repo, policy: { head: 'keep' } });
    writeFiles(repo, { 'new.txt': 'new\n' });
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'moved on');
    const moved = git(repo, 'rev-parse', 'HEAD');
    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: checkpoint.checkpointId,
      confirm: yes,
    });
    expect(report.head.action).toBe('kept');
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(moved);
    const restored = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: checkpoint.checkpointId,
      head: 'restore',
      confirm: yes,
    });
    expect(restored.head.action).toBe('move');
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(plan.baseCommit);
  });
});

describe('selection cost', () => {
  it('reads the count, a window of the oldest rows, the latest and the latest safety row: never the whole plan', () => {
    const store = SqliteStore.open(path.join(tempDir(), 'state.db'));
    onTestFinished(() => store.close());
    const planId = ulid();
    store.plans.insert({
      planId,
      name: null,
      sandboxPath: '/tmp/nowhere',
      gitDir: '/tmp/nowhere/.git',
      repositoryId: 'r',
      baseCommit: null,
      state: 'active',
      policy: PlanPolicy.parse({}),
      managedWorktree: false,
      createdAt: '2024-05-01T10:00:00.000Z',
      updatedAt: '2024-05-01T10:00:00.000Z',
      appliedAt: null,
    });
    const made: string[] = [];
    store.transaction(() => {
      for (let i = 0; i < 2000; i++) {
        const checkpointId = ulid();
        made.push(checkpointId);
        store.checkpoints.insert({
          checkpointId,
          planId,
          checkpointType: 'commit',
          sandboxRef: `refs/savepoint/${planId}/${checkpointId}`,
          commitSha: 'c'.repeat(40),
          treeSha: 'd'.repeat(40),
          indexTreeSha: 'e'.repeat(40),
          headSha: null,
          headRef: null,
          filesystemPath: '/tmp/nowhere',
          sizeBytes: null,
          filesChanged: null,
          createdAt: '2024-05-01T10:00:00.000Z',
          metadata:
            i === 10 ? { kind: 'safety', rollbackTarget: made[5] } : { kind: i === 0 ? 'initial' : 'manual' },
        });
      }
    });
    let rowsRead = 0;
    const counting = new Proxy(store.checkpoints, {
      get(target, key) {
        const value = Reflect.get(target, key);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (key === 'list') throw new Error('selection must not list every checkpoint');
          const result = value.apply(target, args);
          if (Array.isArray(result)) rowsRead += result.length;
          else if (result && typeof result === 'object') rowsRead += 1;
          return result;
        };
      },
    });
    const service = new CheckpointService({
      store: {
        plans: store.plans,
        checkpoints: counting,
        operations: store.operations,
        integrityProblems: () => [],
        decisions: store.decisions,
        attempts: store.attempts,
        transaction: (fn) => store.transaction(fn),
        close: () => {},
      },
      sandboxes: {
        open: () => Promise.reject(new Error('unused')),
        addWorktree: () => Promise.reject(new Error('unused')),
      },
      clock: { now: () => new Date() },
      ids: ulidGenerator(),
      scanOptions: { untrackedSizeCap: 0 },
      cwd: '/tmp',
      ledger: new Ledger({
        store,
        locks: new FileSandboxLocks(),
        clock: { now: () => new Date() },
        ids: ulidGenerator(),
        lockWaitMs: 0,
      }),
    });
    const pruned = service.prunableCheckpoints(planId, 1998);
    // Two to prune: #2 and #3 (#1 first; #6 is the latest rollback's target, #11 its safety checkpoint).
    expect(pruned.map((c) => c.seq)).toEqual([2, 3]);
    expect(rowsRead).toBeLessThanOrEqual(2 + 4 + 2);
    expect(service.prunableCheckpoints(planId, 1995).map((c) => c.seq)).toEqual([2, 3, 4, 5, 7]);
  });
});
