/**
 * Decisions against real temp repositories and a real SQLite file: recording (taking or
 * linking a checkpoint), listing, the guards, and pinning against retention.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CheckpointNotFoundError, CheckpointNotInPlanError } from '../src/checkpoint/errors.js';
import { UsageError } from '../src/core/errors.js';
import { DecisionNotFoundError } from '../src/decision/errors.js';
import { PlanNotActiveError, PlanNotFoundError } from '../src/plan/errors.js';
import type { Savepoint } from '../src/savepoint.js';
import { makeRepo, writeFiles } from './helpers/repo.js';
import { expectError, openSavepoint, yes } from './helpers/savepoint.js';

async function step(sp: Savepoint, repo: string, planId: string, content: string) {
  writeFiles(repo, { 'work.txt': content });
  return (await sp.checkpoints.create(planId)).checkpoint;
}

describe('decision record', () => {
  it('takes a checkpoint of the sandbox now and links the decision to it, in order', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'a\n' });
    const first = await sp.decisions.record({ planId: plan.planId, summary: 'use a parser generator' });
    expect(first).toMatchObject({
      planId: plan.planId,
      seq: 1,
      state: 'active',
      summary: 'use a parser generator',
      deduplicated: false,
      revertedAt: null,
      revertedBy: null,
    });
    const checkpoints = sp.checkpoints.list(plan.planId);
    expect(checkpoints).toHaveLength(2);
    expect(checkpoints[1]?.checkpointId).toBe(first.checkpointId);
    expect(checkpoints[1]?.metadata).toMatchObject({
      kind: 'manual',
      reason: 'decision: use a parser generator',
    });

    // Nothing changed since: the same checkpoint is reused.
    const second = await sp.decisions.record({ planId: plan.planId, summary: 'keep the old lexer' });
    expect(second).toMatchObject({ seq: 2, deduplicated: true, checkpointId: first.checkpointId });
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(2);
    expect(sp.decisions.list(plan.planId).map((d) => d.decisionId)).toEqual([
      first.decisionId,
      second.decisionId,
    ]);
    const { deduplicated: _, ...stored } = first;
    expect(sp.decisions.get(first.decisionId.toLowerCase())).toEqual(stored);
  });

  it('links to a given checkpoint of the plan without taking one', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'changed, but no checkpoint is taken\n' });
    const decision = await sp.decisions.record({
      planId: plan.planId,
      summary: 'start over',
      checkpointId: checkpoint.checkpointId.toLowerCase(),
    });
    expect(decision.checkpointId).toBe(checkpoint.checkpointId);
    expect(decision).not.toHaveProperty('deduplicated');
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(1);
  });

  it('refuses bad input and writes nothing', async () => {
    const repo = makeRepo();
    const other = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    const { plan: foreign, checkpoint: foreignCheckpoint } = await sp.plans.create({ sandbox: other });
    const planId = plan.planId;
    await expectError(sp.decisions.record({ planId, summary: '  ' }), UsageError, 'USAGE', 2);
    await expectError(sp.decisions.record({ planId, summary: 'x'.repeat(4097) }), UsageError, 'USAGE', 2);
    await expectError(
      sp.decisions.record({ planId: '01ARZ3NDEKTSV4RRFFQ69G5FAV', summary: 's' }),
      PlanNotFoundError,
      'PLAN_NOT_FOUND',
      3,
    );
    await expectError(
      sp.decisions.record({ planId, summary: 's', checkpointId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }),
      CheckpointNotFoundError,
      'CHECKPOINT_NOT_FOUND',
      3,
    );
    await expectError(
      sp.decisions.record({ planId, summary: 's', checkpointId: foreignCheckpoint.checkpointId }),
      CheckpointNotInPlanError,
      'CHECKPOINT_NOT_IN_PLAN',
      4,
    );
    await sp.plans.abandon(foreign.planId);
    await expectError(
      sp.decisions.record({ planId: foreign.planId, summary: 's' }),
      PlanNotActiveError,
      'PLAN_NOT_ACTIVE',
      4,
    );
    expect(sp.decisions.list(planId)).toEqual([]);
    expect(sp.decisions.list(foreign.planId)).toEqual([]);
    expect(sp.checkpoints.list(planId)).toHaveLength(1);
    await expectError(
      () => sp.decisions.get('01ARZ3NDEKTSV4RRFFQ69G5FAV'),
      DecisionNotFoundError,
      'DECISION_NOT_FOUND',
      3,
    );
    await expectError(
      () => sp.decisions.list('01ARZ3NDEKTSV4RRFFQ69G5FAV'),
      PlanNotFoundError,
      'PLAN_NOT_FOUND',
      3,
    );
  });

  it('lists by state', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      writeFiles(repo, { 'work.txt': `${n}\n` });
      ids.push((await sp.decisions.record({ planId: plan.planId, summary: `decision ${n}` })).decisionId);
    }
    await sp.corrections.revert({ decisionId: ids[1] ?? '', confirm: yes });
    expect(sp.decisions.list(plan.planId, { state: 'active' }).map((d) => d.decisionId)).toEqual([ids[0]]);
    expect(sp.decisions.list(plan.planId, { state: 'reverted' }).map((d) => d.decisionId)).toEqual(
      ids.slice(1),
    );
  });
});

describe('pinning against retention', () => {
  it("an active decision's checkpoint is never pruned; a reverted one's is, once its correction can no longer be undone", async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo, policy: { retention: { max: 3 } } });
    const planId = plan.planId;
    writeFiles(repo, { 'work.txt': 'early\n' });
    const early = await sp.decisions.record({ planId, summary: 'early decision' });
    writeFiles(repo, { 'work.txt': 'second\n' });
    const second = await sp.decisions.record({ planId, summary: 'second decision' });
    for (let i = 0; i < 6; i++) await step(sp, repo, planId, `v${i}\n`);
    let ids = sp.checkpoints.list(planId).map((c) => c.checkpointId);
    // max 3, but first, latest and the two pinned ones stay.
    expect(ids).toContain(early.checkpointId);
    expect(ids).toContain(second.checkpointId);
    expect(ids).toHaveLength(4);

    // Revert the second decision: while `undo` could re-activate it, its checkpoint stays.
    await sp.corrections.revert({ decisionId: second.decisionId, confirm: yes });
    for (let i = 0; i < 4; i++) await step(sp, repo, planId, `w${i}\n`);
    ids = sp.checkpoints.list(planId).map((c) => c.checkpointId);
    expect(ids).toContain(second.checkpointId);

    // Another rollback: the correction is no longer the latest, so nothing pins that checkpoint.
    await sp.rollbacks.rollback({ planId, checkpointId: early.checkpointId ?? '', confirm: yes });
    for (let i = 0; i < 4; i++) await step(sp, repo, planId, `x${i}\n`);
    ids = sp.checkpoints.list(planId).map((c) => c.checkpointId);
    expect(ids).not.toContain(second.checkpointId);
    expect(ids).toContain(early.checkpointId);
    // The reverted decision keeps its row; its checkpoint is gone (ON DELETE SET NULL).
    expect(sp.decisions.get(second.decisionId)).toMatchObject({ state: 'reverted', checkpointId: null });
    expect(sp.decisions.get(early.decisionId)).toMatchObject({
      state: 'active',
      checkpointId: early.checkpointId,
    });
  });

  it('an undo under tight retention re-activates decisions whose checkpoints are all still there', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo, policy: { retention: { max: 3 } } });
    const planId = plan.planId;
    const made = [];
    for (const n of [1, 2, 3]) {
      writeFiles(repo, { 'work.txt': `decision ${n}\n` });
      made.push(await sp.decisions.record({ planId, summary: `d${n}` }));
    }
    await sp.corrections.revert({ decisionId: made[0]?.decisionId ?? '', confirm: yes });
    for (let i = 0; i < 3; i++) await step(sp, repo, planId, `after the correction ${i}\n`);
    // The undo's own safety checkpoint triggers a prune while the decisions are still reverted.
    const undo = await sp.undo({ planId, confirm: yes });
    expect(undo.reactivatedDecisionIds).toEqual(made.map((d) => d.decisionId));
    const ids = sp.checkpoints.list(planId).map((c) => c.checkpointId);
    for (const d of made) {
      expect(sp.decisions.get(d.decisionId)).toMatchObject({ state: 'active', checkpointId: d.checkpointId });
      expect(ids).toContain(d.checkpointId);
    }
  });

  it('checkpoint prune keeps pinned checkpoints too, and reads only the pinning rows', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    const planId = plan.planId;
    const pinned = [];
    for (let i = 0; i < 8; i++) {
      writeFiles(repo, { 'work.txt': `${i}\n` });
      if (i === 2 || i === 5)
        pinned.push((await sp.decisions.record({ planId, summary: `d${i}` })).checkpointId);
      else await sp.checkpoints.create(planId);
    }
    const result = await sp.retention.prune(planId, { keep: 2 });
    const left = sp.checkpoints.list(planId);
    expect(left.map((c) => c.checkpointId)).toEqual(
      expect.arrayContaining([...pinned, left[0]?.checkpointId, left.at(-1)?.checkpointId]),
    );
    expect(left).toHaveLength(4);
    expect(result.remaining).toBe(4);

    // The pinned set comes from an index, not a scan of the decisions table.
    const db = new Database(sp.dbPath, { readonly: true });
    const plan_ = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT checkpoint_id FROM decisions WHERE plan_id = ? AND state = 'active' AND checkpoint_id IS NOT NULL`,
      )
      .all(planId) as { detail: string }[];
    db.close();
    expect(plan_.map((row) => row.detail).join('\n')).toMatch(/USING (COVERING )?INDEX decisions_plan_state/);
  });

  it('the decisions table has its columns, and its checkpoint foreign key lets pruning delete an unpinned checkpoint', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const db = new Database(sp.dbPath, { readonly: true });
    const columns = (db.prepare('PRAGMA table_info(decisions)').all() as { name: string }[]).map(
      (c) => c.name,
    );
    const fks = db.prepare('PRAGMA foreign_key_list(decisions)').all() as {
      table: string;
      on_delete: string;
    }[];
    db.close();
    expect(columns).toEqual([
      'decision_id',
      'plan_id',
      'seq',
      'checkpoint_id',
      'summary',
      'state',
      'created_at',
      'reverted_at',
      'reverted_by',
      'reactivated_by',
    ]);
    expect(fks.find((fk) => fk.table === 'checkpoints')?.on_delete).toBe('SET NULL');
  });
});
