/**
 * Corrections and undo against real temp repositories: a revert restores the decision's
 * checkpoint byte for byte and reverts it and every later decision; undo re-activates them;
 * undo of the undo reverts them again; every refusal changes nothing; a decision reverted by
 * someone else mid-way leaves the sandbox as it was.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SandboxInvalidError, UsageError } from '../src/core/errors.js';
import {
  DecisionNotActiveError,
  DecisionNotFoundError,
  NoActivePlanError,
  NothingToUndoError,
} from '../src/decision/errors.js';
import type { Decision } from '../src/decision/model.js';
import { ConfirmationError, PlanNotActiveError } from '../src/plan/errors.js';
import { Savepoint } from '../src/savepoint.js';
import { IGNORED, makeRichChanges, makeRichRepo } from './helpers/fixtures.js';
import { type FsSnapshot, repoState } from './helpers/fs-snapshot.js';
import { makeRepo, tempDir, writeFiles } from './helpers/repo.js';
import { expectError, no, openSavepoint, yes } from './helpers/savepoint.js';

function without(snapshot: FsSnapshot, prefixes: readonly string[]): FsSnapshot {
  return Object.fromEntries(
    Object.entries(snapshot).filter(
      ([name]) => !prefixes.some((p) => name === p || name.startsWith(`${p}/`)),
    ),
  );
}

/** A plan with `count` decisions, each recorded after its own change to `work.txt` and `n<i>.txt`. */
async function withDecisions(count: number, policy = {}) {
  const repo = makeRepo({ 'work.txt': 'start\n' });
  const sp = await openSavepoint(repo);
  const { plan } = await sp.plans.create({ sandbox: repo, policy });
  const decisions: Decision[] = [];
  const states: ReturnType<typeof repoState>[] = [];
  for (let i = 1; i <= count; i++) {
    writeFiles(repo, { 'work.txt': `before decision ${i}\n`, [`n${i}.txt`]: `${i}\n` });
    states.push(repoState(repo));
    decisions.push(await sp.decisions.record({ planId: plan.planId, summary: `decision ${i}` }));
  }
  writeFiles(repo, { 'work.txt': 'after every decision\n' });
  return { repo, sp, planId: plan.planId, decisions, states };
}

const stateOf = (sp: Savepoint, planId: string) =>
  sp.decisions.list(planId).map((d) => [d.summary, d.state] as const);

describe('correction revert', () => {
  it('restores the checkpoint of the decision byte for byte, with index and HEAD', async () => {
    const repo = makeRichRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    makeRichChanges(repo);
    const before = repoState(repo);
    const decision = await sp.decisions.record({ planId: plan.planId, summary: 'rewrite everything' });
    writeFiles(repo, { 'README.md': 'after the decision\n', 'later/new.txt': 'new\n' });
    writeFileSync(path.join(repo, 'src', 'app.js'), 'console.log("later");\n');

    const report = await sp.corrections.revert({ decisionId: decision.decisionId, confirm: yes });
    const after = repoState(repo);
    expect(without(after.tree, IGNORED)).toEqual(without(before.tree, IGNORED));
    expect(after.staged).toEqual(before.staged);
    expect(after.head).toEqual(before.head);
    expect(report).toMatchObject({
      planId: plan.planId,
      checkpointId: decision.checkpointId,
      decisionId: decision.decisionId,
      revertedDecisionIds: [decision.decisionId],
      dryRun: false,
      restored: { added: 0, modified: 2, deleted: 1, total: 3 },
    });
    const safety = sp.checkpoints.get(report.safetyCheckpointId ?? '');
    expect(safety.metadata).toMatchObject({ kind: 'safety', rollbackTarget: decision.checkpointId });
  });

  it('reverts the decision and every later active one; earlier ones stay active', async () => {
    const { repo, sp, planId, decisions, states } = await withDecisions(5);
    const third = decisions[2] as Decision;
    const report = await sp.corrections.revert({ decisionId: third.decisionId, confirm: yes });
    expect(report.revertedDecisionIds).toEqual(decisions.slice(2).map((d) => d.decisionId));
    expect(stateOf(sp, planId)).toEqual([
      ['decision 1', 'active'],
      ['decision 2', 'active'],
      ['decision 3', 'reverted'],
      ['decision 4', 'reverted'],
      ['decision 5', 'reverted'],
    ]);
    expect(repoState(repo)).toEqual(states[2]);
    for (const d of sp.decisions.list(planId, { state: 'reverted' })) {
      expect(d.revertedBy).toBe(report.safetyCheckpointId);
      expect(d.revertedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    }

    // Reverting an earlier one later reverts only what is still active.
    const again = await sp.corrections.revert({ decisionId: decisions[0]?.decisionId ?? '', confirm: yes });
    expect(again.revertedDecisionIds).toEqual(decisions.slice(0, 2).map((d) => d.decisionId));
    expect(repoState(repo)).toEqual(states[0]);
    // The later ones keep the correction that reverted them first.
    expect(sp.decisions.get(decisions[4]?.decisionId ?? '').revertedBy).toBe(report.safetyCheckpointId);
  });

  it('a dry run previews files and decisions and changes nothing', async () => {
    const { repo, sp, planId, decisions } = await withDecisions(3);
    const before = repoState(repo);
    const checkpoints = sp.checkpoints.list(planId).length;
    const report = await sp.corrections.revert({
      decisionId: decisions[1]?.decisionId ?? '',
      dryRun: true,
      confirm: () => Promise.reject(new Error('a dry run asks nothing')),
    });
    expect(report).toMatchObject({
      dryRun: true,
      safetyCheckpointId: null,
      revertedDecisionIds: decisions.slice(1).map((d) => d.decisionId),
      restored: { added: 0, modified: 1, deleted: 1, total: 2 },
    });
    expect(repoState(repo)).toEqual(before);
    expect(sp.checkpoints.list(planId)).toHaveLength(checkpoints);
    expect(sp.decisions.list(planId, { state: 'active' })).toHaveLength(3);
  });

  it('refuses, changing nothing: unknown or already reverted decision, declined or missing confirmation, finished plan', async () => {
    const { repo, sp, planId, decisions } = await withDecisions(3);
    const second = decisions[1] as Decision;
    await sp.corrections.revert({ decisionId: second.decisionId, confirm: yes });
    writeFiles(repo, { 'work.txt': 'more work\n' });
    const before = repoState(repo);
    const checkpoints = sp.checkpoints.list(planId).length;
    const unchanged = () => {
      expect(repoState(repo)).toEqual(before);
      expect(sp.checkpoints.list(planId)).toHaveLength(checkpoints);
      expect(stateOf(sp, planId).map(([, s]) => s)).toEqual(['active', 'reverted', 'reverted']);
    };
    await expectError(
      sp.corrections.revert({ decisionId: '01ARZ3NDEKTSV4RRFFQ69G5FAV', confirm: yes }),
      DecisionNotFoundError,
      'DECISION_NOT_FOUND',
      3,
    );
    const already = await expectError(
      sp.corrections.revert({ decisionId: decisions[2]?.decisionId ?? '', confirm: yes }),
      DecisionNotActiveError,
      'DECISION_NOT_ACTIVE',
      4,
    );
    expect(already.message).toContain('already reverted');
    unchanged();
    const first = decisions[0]?.decisionId ?? '';
    await expectError(
      sp.corrections.revert({ decisionId: first, confirm: no }),
      ConfirmationError,
      'CONFIRMATION_DECLINED',
      8,
    );
    await expectError(
      sp.corrections.revert({
        decisionId: first,
        confirm: () => Promise.reject(new ConfirmationError(false)),
      }),
      ConfirmationError,
      'CONFIRMATION_REQUIRED',
      8,
    );
    unchanged();
    await sp.plans.abandon(planId);
    await expectError(
      sp.corrections.revert({ decisionId: first, confirm: yes }),
      PlanNotActiveError,
      'PLAN_NOT_ACTIVE',
      4,
    );
    unchanged();
  });

  it('when another process reverts the decision while the rollback runs, the sandbox goes back to where it was', async () => {
    const { repo, sp, decisions } = await withDecisions(2);
    const before = repoState(repo);
    const target = decisions[0] as Decision;
    const error = await expectError(
      sp.corrections.revert({
        decisionId: target.decisionId,
        // After every guard, before any change: another process wins the race.
        confirm: async () => {
          const other = new Database(sp.dbPath);
          other
            .prepare(`UPDATE decisions SET state = 'reverted', reverted_by = 'OTHER' WHERE decision_id = ?`)
            .run(target.decisionId);
          other.close();
          return true;
        },
      }),
      DecisionNotActiveError,
      'DECISION_NOT_ACTIVE',
      4,
    );
    expect(error.details).toMatchObject({ revertedBy: 'OTHER' });
    expect(repoState(repo)).toEqual(before);
    // The later decision was not touched by the correction that lost.
    expect(sp.decisions.get(decisions[1]?.decisionId ?? '').state).toBe('active');
  });
});

describe('undo', () => {
  it('undoes a correction: files back, reverted decisions active again; undo of the undo reverts them again', async () => {
    const { repo, sp, planId, decisions } = await withDecisions(4);
    const beforeCorrection = repoState(repo);
    const correction = await sp.corrections.revert({
      decisionId: decisions[1]?.decisionId ?? '',
      confirm: yes,
    });
    const afterCorrection = repoState(repo);

    const undo = await sp.undo({ planId, confirm: yes });
    expect(undo.undone).toEqual({
      safetyCheckpointId: correction.safetyCheckpointId,
      rollbackTarget: decisions[1]?.checkpointId,
    });
    expect(undo.checkpointId).toBe(correction.safetyCheckpointId);
    expect(undo.reactivatedDecisionIds).toEqual(correction.revertedDecisionIds);
    expect(undo.revertedDecisionIds).toEqual([]);
    expect(repoState(repo)).toEqual(beforeCorrection);
    expect(sp.decisions.list(planId, { state: 'active' })).toHaveLength(4);
    for (const id of correction.revertedDecisionIds) {
      expect(sp.decisions.get(id)).toMatchObject({
        revertedBy: null,
        revertedAt: null,
        reactivatedBy: undo.safetyCheckpointId,
      });
    }

    const redo = await sp.corrections.undo({ planId, confirm: yes });
    expect(redo.undone.safetyCheckpointId).toBe(undo.safetyCheckpointId);
    expect(redo.reactivatedDecisionIds).toEqual([]);
    expect(redo.revertedDecisionIds).toEqual(correction.revertedDecisionIds);
    expect(repoState(repo)).toEqual(afterCorrection);
    expect(stateOf(sp, planId).map(([, s]) => s)).toEqual(['active', 'reverted', 'reverted', 'reverted']);

    // And once more: back to every decision active.
    const third = await sp.undo({ planId, confirm: yes });
    expect(third.reactivatedDecisionIds).toEqual(correction.revertedDecisionIds);
    expect(repoState(repo)).toEqual(beforeCorrection);
  });

  it('undoes a plain rollback, also right after a checkpoint of the same state; decisions are untouched', async () => {
    const { repo, sp, planId, decisions } = await withDecisions(2);
    await sp.checkpoints.create(planId);
    const before = repoState(repo);
    // The sandbox equals the latest checkpoint: the rollback still records its own safety checkpoint.
    const rollback = await sp.rollbacks.rollback({
      planId,
      checkpointId: decisions[0]?.checkpointId ?? '',
      confirm: yes,
    });
    expect(sp.checkpoints.get(rollback.safetyCheckpointId ?? '').metadata.kind).toBe('safety');
    const undo = await sp.undo({ planId, confirm: yes });
    expect(undo.undone.safetyCheckpointId).toBe(rollback.safetyCheckpointId);
    expect(undo.reactivatedDecisionIds).toEqual([]);
    expect(repoState(repo)).toEqual(before);
    expect(sp.decisions.list(planId, { state: 'active' })).toHaveLength(2);
  });

  it('a dry run names the rollback it would undo and changes nothing', async () => {
    const { repo, sp, planId, decisions } = await withDecisions(2);
    const correction = await sp.corrections.revert({
      decisionId: decisions[0]?.decisionId ?? '',
      confirm: yes,
    });
    const before = repoState(repo);
    const preview = await sp.undo({ planId, dryRun: true, confirm: yes });
    expect(preview).toMatchObject({
      dryRun: true,
      safetyCheckpointId: null,
      undone: { safetyCheckpointId: correction.safetyCheckpointId },
      reactivatedDecisionIds: correction.revertedDecisionIds,
    });
    expect(repoState(repo)).toEqual(before);
    expect(sp.decisions.list(planId, { state: 'reverted' })).toHaveLength(2);
  });

  it('without a plan id, undoes in the active plan of the sandbox of cwd; errors when there is none or nothing to undo', async () => {
    const { repo, planId, decisions } = await withDecisions(1);
    const sp = await openSavepoint(repo);
    await expectError(sp.undo({ confirm: yes }), NothingToUndoError, 'NOTHING_TO_UNDO', 4);
    await sp.corrections.revert({ decisionId: decisions[0]?.decisionId ?? '', confirm: yes });
    const undo = await sp.undo({ confirm: yes });
    expect(undo.planId).toBe(planId);
    expect(undo.reactivatedDecisionIds).toEqual([decisions[0]?.decisionId]);

    await sp.plans.abandon(planId);
    await expectError(sp.undo({ confirm: yes }), NoActivePlanError, 'NO_ACTIVE_PLAN', 3);
    await expectError(sp.undo({ planId, confirm: yes }), PlanNotActiveError, 'PLAN_NOT_ACTIVE', 4);
    // Outside any git worktree there is no sandbox to find a plan for.
    const outside = await Savepoint.open({ cwd: tempDir(), db: sp.dbPath });
    try {
      await expectError(outside.undo({ confirm: yes }), SandboxInvalidError, 'SANDBOX_INVALID', 5);
    } finally {
      outside.close();
    }
  });
});

describe('an agent loop through the library', () => {
  it('Savepoint.open takes the sandbox as cwd or sandbox, not two different directories', async () => {
    const repo = makeRepo();
    const same = await Savepoint.open({ cwd: repo, sandbox: `${repo}/.` });
    same.close();
    await expectError(Savepoint.open({ cwd: tempDir(), sandbox: repo }), UsageError, 'USAGE', 2);
  });

  it('20 checkpointed tool calls, 5 decisions, the 3rd reverted: sandbox, decisions and retention as expected', async () => {
    const repo = makeRepo({ 'work.txt': 'start\n' });
    // Only the documented entry point: open on the sandbox; plans.create defaults to it.
    const sp = await Savepoint.open({ sandbox: repo });
    onTestFinished(() => sp.close());
    const { plan } = await sp.plans.create({ policy: { retention: { max: 6 } } });
    const planId = plan.planId;
    const decisions: Decision[] = [];
    const before: Record<number, ReturnType<typeof repoState>> = {};
    for (let call = 1; call <= 20; call++) {
      const taken = await sp.checkpoints.create(planId, { tool: 'Edit', reason: `call ${call}` });
      if (taken.skipped) throw new Error('Edit is not declared skip');
      before[call] = repoState(repo);
      if (call % 4 === 0) {
        decisions.push(
          await sp.decisions.record({
            planId,
            summary: `decision before call ${call}`,
            checkpointId: taken.checkpoint.checkpointId,
          }),
        );
      }
      writeFiles(repo, { 'work.txt': `after call ${call}\n`, [`call-${call}.txt`]: `${call}\n` });
    }
    expect(decisions).toHaveLength(5);
    const third = decisions[2] as Decision;
    const report = await sp.corrections.revert({ decisionId: third.decisionId, confirm: yes });

    // The sandbox is exactly as before call 12, whose checkpoint the 3rd decision points to.
    expect(repoState(repo)).toEqual(before[12]);
    expect(report.revertedDecisionIds).toEqual(decisions.slice(2).map((d) => d.decisionId));
    expect(stateOf(sp, planId).map(([, s]) => s)).toEqual([
      'active',
      'active',
      'reverted',
      'reverted',
      'reverted',
    ]);
    // Retention kept every decision's checkpoint (the active ones pinned, the reverted ones
    // undoable), besides the first, the latest and the safety checkpoint; nothing else.
    const left = sp.checkpoints.list(planId);
    const ids = left.map((c) => c.checkpointId);
    for (const d of decisions) expect(ids).toContain(d.checkpointId);
    expect(left[0]?.metadata.kind).toBe('initial');
    expect(left.at(-1)?.checkpointId).toBe(report.safetyCheckpointId);
    expect(left.length).toBeLessThanOrEqual(6 + 5);
    // And the correction is undoable: undo brings back the work of calls 12 to 20 and the decisions.
    await sp.undo({ planId, confirm: yes });
    expect(readFileSync(path.join(repo, 'work.txt'), 'utf8')).toBe('after call 20\n');
    expect(sp.decisions.list(planId, { state: 'active' })).toHaveLength(5);
  });
});
