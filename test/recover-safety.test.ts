/**
 * No recovery path loses an edit (issue 12): `savepoint recover`, forward and `--abort`,
 * records a new safety checkpoint of the sandbox as it finds it before it rewrites any file,
 * reports it (`safetyCheckpointId`), and `savepoint undo` returns to it. The edit and the
 * new file saved after the interruption are in that checkpoint byte for byte. Runs the built
 * CLI, SIGKILLed at a fault point (SAVEPOINT_FAULT), on real repositories.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { UndoReport } from '../src/decision/correction-service.js';
import type { RecoverReport } from '../src/ledger/recovery-service.js';
import { assertBuilt, cliJson, runCli } from './helpers/cli.js';
import { headOf, refs, snapshotTree, stagedEntries } from './helpers/fs-snapshot.js';
import { git, gitBuffer, makeRepo, writeFiles } from './helpers/repo.js';
import { openSavepoint } from './helpers/savepoint.js';

beforeAll(assertBuilt);

const EDIT = 'edited after the interruption\r\n';
const FRESH = 'created after the interruption\n';

function sandboxState(repo: string) {
  return { tree: snapshotTree(repo), staged: stagedEntries(repo), head: headOf(repo) };
}

/** The bytes of `file` in a checkpoint's worktree tree (null: absent). */
function inTree(repo: string, treeSha: string, file: string): string | null {
  const listed = git(repo, 'ls-tree', treeSha, '--', file).trim();
  return listed === '' ? null : gitBuffer(repo, 'cat-file', 'blob', `${treeSha}:${file}`).toString('utf8');
}

/**
 * A plan at checkpoint #1, moved on (a new file, an edit), a rollback to #1 killed at
 * `point`, then an edit and a new untracked file saved in the half-rolled-back sandbox.
 */
async function interrupted(point = 'rollback.after-worktree') {
  const repo = makeRepo({ 'a.txt': 'one\n', 'b.txt': 'bee\n' });
  const sp = await openSavepoint(repo);
  const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
  writeFiles(repo, { 'a.txt': 'two\n', 'c.txt': 'sea\n' });
  await sp.checkpoints.create(plan.planId, { reason: 'step' });
  writeFiles(repo, { 'a.txt': 'three\n' });
  const killed = await runCli(repo, ['plan', 'rollback', plan.planId, first.checkpointId, '--yes'], {
    SAVEPOINT_FAULT: point,
  });
  expect(killed.signal, killed.stderr).toBe('SIGKILL');
  const [rollbackOp] = sp.ops.list({ planId: plan.planId, state: 'interrupted' });
  expect(rollbackOp?.kind).toBe('rollback');
  writeFiles(repo, { 'a.txt': EDIT, 'fresh.txt': FRESH });
  return { repo, sp, planId: plan.planId, firstId: first.checkpointId, rollbackOpId: rollbackOp?.opId ?? '' };
}

describe('recover takes a safety checkpoint before it rewrites the sandbox', () => {
  for (const mode of ['forward', 'abort'] as const) {
    it(`recover ${mode}: the edit and the new file are in the new safety checkpoint; undo brings them back`, async () => {
      const { repo, sp, planId, firstId, rollbackOpId } = await interrupted();
      const found = sandboxState(repo);
      const rowsBefore = sp.checkpoints.list(planId).length;
      const rollbackSafety = String(sp.ops.show(rollbackOpId).progress.safetyCheckpointId);

      const report = await cliJson<RecoverReport>(repo, [
        'recover',
        ...(mode === 'abort' ? ['--abort'] : []),
      ]);
      const [recovered] = report.operations;
      expect(recovered?.opId).toBe(rollbackOpId);
      const safetyId = recovered?.safetyCheckpointId ?? '';
      expect(safetyId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(sp.checkpoints.list(planId)).toHaveLength(rowsBefore + 1);
      const safety = sp.checkpoints.get(safetyId);
      const target = mode === 'forward' ? firstId : rollbackSafety;
      expect(recovered?.restoredTo).toBe(target);
      expect(safety.metadata).toMatchObject({ kind: 'safety', rollbackTarget: target });
      expect(inTree(repo, safety.treeSha, 'a.txt')).toBe(EDIT);
      expect(inTree(repo, safety.treeSha, 'fresh.txt')).toBe(FRESH);
      // The recover rewrote both: without the checkpoint they would be gone.
      expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe(mode === 'forward' ? 'one\n' : 'three\n');
      expect(existsSync(path.join(repo, 'fresh.txt'))).toBe(false);
      // Recorded as the recover operation's progress, keyed by the operation it recovered.
      const recoverOp = sp.ops.show(report.opId ?? '');
      expect(recoverOp.progress).toMatchObject({ safetyCheckpoints: { [rollbackOpId]: safetyId } });
      expect(recoverOp.result).toMatchObject({
        recovered: [{ opId: rollbackOpId, safetyCheckpointId: safetyId }],
      });
      // Its ref keeps the state alive; rows and refs agree.
      expect(refs(repo, `refs/savepoint/${planId}/`)).toHaveLength(rowsBefore + 1);
      expect(await sp.doctor.check()).toMatchObject({ clean: true });

      const undo = await cliJson<UndoReport>(repo, ['undo', '--yes']);
      expect(undo.undone).toEqual({ safetyCheckpointId: safetyId, rollbackTarget: target });
      expect(sandboxState(repo).tree).toEqual(found.tree);
      expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe(EDIT);
      expect(readFileSync(path.join(repo, 'fresh.txt'), 'utf8')).toBe(FRESH);
    });
  }

  it('says so in human mode: the safety checkpoint and how to undo', async () => {
    const { repo, planId } = await interrupted();
    const run = await runCli(repo, ['recover']);
    expect(run.status, run.stderr).toBe(0);
    const [, id] =
      /safety checkpoint ([0-9A-Z]{26}) holds the sandbox as recover found it/.exec(run.stdout) ?? [];
    expect(id).toBeDefined();
    expect(run.stdout).toContain(`undo with: savepoint undo --plan ${planId} --yes`);
    const undo = await runCli(repo, ['undo', '--yes']);
    expect(undo.status, undo.stderr).toBe(0);
    expect(undo.stdout).toContain(`back at checkpoint ${id}`);
    expect(readFileSync(path.join(repo, 'fresh.txt'), 'utf8')).toBe(FRESH);
  });

  it('a dry run takes none and names none', async () => {
    const { repo, sp, planId } = await interrupted();
    const rowsBefore = sp.checkpoints.list(planId).length;
    const report = await cliJson<RecoverReport>(repo, ['recover', '--dry-run']);
    expect(report.operations.map((o) => o.safetyCheckpointId)).toEqual([null]);
    expect(report.operations[0]?.summary).toContain('would take a safety checkpoint of the current state');
    expect(sp.checkpoints.list(planId)).toHaveLength(rowsBefore);
  });

  it('a rollback killed before its own safety checkpoint changed nothing: closed, no new checkpoint', async () => {
    const { repo, sp, planId } = await interrupted('rollback.after-intent');
    const rowsBefore = sp.checkpoints.list(planId).length;
    const report = await cliJson<RecoverReport>(repo, ['recover']);
    expect(report.operations.map((o) => [o.endState, o.safetyCheckpointId])).toEqual([['pre', null]]);
    expect(sp.checkpoints.list(planId)).toHaveLength(rowsBefore);
    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe(EDIT);
  });

  it('a recover killed after its safety checkpoint: the next recover finishes; both checkpoints hold the edit', async () => {
    const { repo, sp } = await interrupted();
    const killed = await runCli(repo, ['recover'], { SAVEPOINT_FAULT: 'recover.after-safety' });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const [killedRecover] = sp.ops.list({ state: 'interrupted' }).filter((o) => o.kind === 'recover');
    const firstSafety =
      Object.values(killedRecover?.progress.safetyCheckpoints as Record<string, string>)[0] ?? '';
    expect(inTree(repo, sp.checkpoints.get(firstSafety).treeSha, 'a.txt')).toBe(EDIT);
    // Nothing was rewritten yet.
    expect(readFileSync(path.join(repo, 'fresh.txt'), 'utf8')).toBe(FRESH);

    const report = await cliJson<RecoverReport>(repo, ['recover']);
    expect(report.operations.map((o) => o.kind).sort()).toEqual(['recover', 'rollback']);
    const second = report.operations.find((o) => o.kind === 'rollback')?.safetyCheckpointId ?? '';
    expect(second).not.toBe(firstSafety);
    expect(inTree(repo, sp.checkpoints.get(second).treeSha, 'fresh.txt')).toBe(FRESH);
    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('one\n');
    expect(await sp.doctor.check()).toMatchObject({ clean: true });
    await cliJson<UndoReport>(repo, ['undo', '--yes']);
    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe(EDIT);
  });
});

describe('a correction interrupted, recovered with --abort, then undone', () => {
  it('undo returns files and decisions to where recover found them', async () => {
    const repo = makeRepo({ 'a.txt': 'one\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    const decisions = [];
    for (const step of [1, 2]) {
      writeFiles(repo, { 'a.txt': `step ${step}\n` });
      decisions.push(
        (await sp.decisions.record({ planId: plan.planId, summary: `decision ${step}` })).decisionId,
      );
    }
    const [first, second] = decisions;
    const killed = await runCli(repo, ['correction', 'revert', first as string, '--yes'], {
      SAVEPOINT_FAULT: 'rollback.after-worktree',
    });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    writeFiles(repo, { 'fresh.txt': FRESH });
    const reverted = () => sp.decisions.list(plan.planId, { state: 'reverted' }).map((d) => d.decisionId);
    expect(reverted()).toEqual([first, second]);

    const report = await cliJson<RecoverReport>(repo, ['recover', '--abort']);
    const safetyId = report.operations[0]?.safetyCheckpointId ?? '';
    expect(reverted()).toEqual([]);
    // Marked with the recover's safety checkpoint, so an undo of the recover finds them.
    expect(sp.decisions.get(first as string).reactivatedBy).toBe(safetyId);
    expect(existsSync(path.join(repo, 'fresh.txt'))).toBe(false);

    const undo = await cliJson<UndoReport>(repo, ['undo', '--yes']);
    expect(undo.undone.safetyCheckpointId).toBe(safetyId);
    expect(undo.revertedDecisionIds).toEqual([first, second]);
    expect(reverted()).toEqual([first, second]);
    expect(readFileSync(path.join(repo, 'fresh.txt'), 'utf8')).toBe(FRESH);
  });
});

describe('every other path that rewrites sandbox files takes a safety checkpoint of the current state first', () => {
  /** A plan with a decision at checkpoint #1's state plus one file, and an edit no checkpoint holds. */
  async function unsaved() {
    const repo = makeRepo({ 'a.txt': 'one\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'b.txt': 'bee\n' });
    const decision = await sp.decisions.record({ planId: plan.planId, summary: 'added b' });
    writeFiles(repo, { 'a.txt': EDIT, 'fresh.txt': FRESH });
    return { repo, sp, planId: plan.planId, firstId: first.checkpointId, decisionId: decision.decisionId };
  }

  function expectHolds(sp: Awaited<ReturnType<typeof openSavepoint>>, repo: string, id: string | null): void {
    const safety = sp.checkpoints.get(id ?? '');
    expect(safety.metadata.kind).toBe('safety');
    expect(inTree(repo, safety.treeSha, 'a.txt')).toBe(EDIT);
    expect(inTree(repo, safety.treeSha, 'fresh.txt')).toBe(FRESH);
  }

  it('rollback, correction revert and undo', async () => {
    const { repo, sp, planId, firstId, decisionId } = await unsaved();
    const rollback = await sp.rollbacks.rollback({
      planId,
      checkpointId: firstId,
      confirm: async () => true,
    });
    expectHolds(sp, repo, rollback.safetyCheckpointId);

    writeFiles(repo, { 'a.txt': EDIT, 'fresh.txt': FRESH });
    const correction = await sp.corrections.revert({ decisionId, confirm: async () => true });
    expectHolds(sp, repo, correction.safetyCheckpointId);
    expect(existsSync(path.join(repo, 'fresh.txt'))).toBe(false);

    writeFiles(repo, { 'a.txt': EDIT, 'fresh.txt': FRESH });
    const undo = await sp.undo({ planId, confirm: async () => true });
    expectHolds(sp, repo, undo.safetyCheckpointId);
  });

  it('exec --rollback-on-failure: what the failed command left', async () => {
    const { repo, sp, planId } = await unsaved();
    const result = await sp.exec({
      planId,
      tool: 'Codemod',
      rollbackOnFailure: true,
      argv: [
        process.execPath,
        '-e',
        `const fs=require("fs"); fs.writeFileSync("a.txt", ${JSON.stringify(EDIT)}); fs.writeFileSync("fresh.txt", ${JSON.stringify(FRESH)}); process.exit(3)`,
      ],
    });
    expect(result.outcome).toBe('rolled_back');
    expectHolds(sp, repo, result.rollbackSafetyCheckpointId);
  });
});
