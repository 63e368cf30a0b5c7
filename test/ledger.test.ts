/**
 * The operation ledger, the sandbox lock and doctor, through the library on real
 * repositories: what each mutating call records, derived states, the index-lock step of
 * rollback, stale locks and temp files.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BusyError } from '../src/core/errors.js';
import { DoctorProblemsError } from '../src/ledger/errors.js';
import { type Operation, operationState } from '../src/ledger/model.js';
import { FileSandboxLocks, lockPath } from '../src/lock/sandbox-locks.js';
import { ActivePlanExistsError } from '../src/plan/errors.js';
import { headOf, refs, snapshotTree, stagedEntries } from './helpers/fs-snapshot.js';
import { git, makeRepo, writeFiles } from './helpers/repo.js';
import { expectError, openSavepoint, yes } from './helpers/savepoint.js';

/** A pid that no process has (pid_max is at most 2^22 on Linux). */
const DEAD_PID = 2 ** 22 + 7;

describe('the ledger records every mutating call', () => {
  it('intent and outcome for each kind; a failure records its code; reads record nothing', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'b\n' });
    await sp.checkpoints.create(plan.planId);
    await sp.plans.setPolicy(plan.planId, { retentionMax: 10 });
    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes });
    await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: checkpoint.checkpointId,
      dryRun: true,
      confirm: yes,
    });
    await sp.retention.prune(plan.planId, { keep: 2 });
    await sp.retention.gc();
    sp.checkpoints.list(plan.planId);
    await expectError(sp.plans.create({ sandbox: repo }), ActivePlanExistsError, 'PLAN_ACTIVE_EXISTS', 4);
    await sp.plans.apply(plan.planId);
    const ops = sp.ops.list({ limit: 100 }).reverse();
    expect(ops.map((op) => [op.kind, op.state, op.error?.code ?? null])).toEqual([
      ['plan.create', 'committed', null],
      ['checkpoint.create', 'committed', null],
      ['plan.policy-set', 'committed', null],
      ['rollback', 'committed', null],
      ['prune', 'committed', null],
      ['gc', 'committed', null],
      ['plan.create', 'failed', 'PLAN_ACTIVE_EXISTS'],
      ['plan.apply', 'committed', null],
    ]);
    const rollback = ops[3] as Operation;
    expect(rollback.pid).toBe(process.pid);
    expect(rollback.hostname).toBe(hostname());
    expect(rollback.args).toMatchObject({ checkpointId: checkpoint.checkpointId });
    expect(rollback.progress.safetyCheckpointId).toBe(
      (rollback.result as { safetyCheckpointId: string }).safetyCheckpointId,
    );
    expect(sp.ops.list({ state: 'failed' })).toHaveLength(1);
    expect(sp.ops.show(rollback.opId.toLowerCase()).opId).toBe(rollback.opId);
  });

  it('derives the state from the row and whether its process lives', () => {
    const base: Operation = {
      opId: '01M7ZEA5YNTX8CHAVCYDXJEMBN',
      kind: 'rollback',
      planId: null,
      sandboxPath: '/x',
      args: {},
      intentAt: '',
      progress: {},
      outcomeAt: null,
      status: null,
      result: null,
      error: null,
      incomplete: false,
      pid: 1,
      hostname: 'h',
      recovery: null,
      recoveredAt: null,
      recoveredBy: null,
    };
    expect(operationState(base, true)).toBe('running');
    expect(operationState(base, false)).toBe('interrupted');
    expect(operationState({ ...base, status: 'failed', incomplete: true }, false)).toBe('incomplete');
    expect(operationState({ ...base, status: 'committed' }, false)).toBe('committed');
    expect(operationState({ ...base, status: 'failed', recovery: 'abort' }, false)).toBe('recovered');
  });
});

describe("rollback's index step and .git/index.lock", () => {
  it('checkpoint creation works while another git process holds .git/index.lock', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'changed\n' });
    writeFileSync(path.join(repo, '.git', 'index.lock'), '');
    const { checkpoint, deduplicated } = await sp.checkpoints.create(plan.planId);
    expect(deduplicated).toBe(false);
    expect(git(repo, 'show', `${checkpoint.treeSha}:a.txt`)).toBe('changed');
    rmSync(path.join(repo, '.git', 'index.lock'));
  });

  it('files and HEAD restored, index lock held: BUSY (6), operation incomplete; recover sets the index', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
    const target = { tree: snapshotTree(repo), staged: stagedEntries(repo), head: headOf(repo) };
    writeFiles(repo, { 'a.txt': 'changed\n', 'b.txt': 'new\n' });
    git(repo, 'add', '-A');
    const lock = path.join(repo, '.git', 'index.lock');
    const error = await expectError(
      sp.rollbacks.rollback({
        planId: plan.planId,
        checkpointId: checkpoint.checkpointId,
        // Another git process takes the index lock after the guards ran (the confirmation is
        // followed by a fresh check under the sandbox lock, so it cannot be the moment).
        onSafety: () => writeFileSync(lock, ''),
      }),
      BusyError,
      'BUSY',
      6,
    );
    expect(error.details).toMatchObject({ incomplete: true, planId: plan.planId });
    expect(snapshotTree(repo)).toEqual(target.tree);
    expect(stagedEntries(repo)).not.toEqual(target.staged);
    expect(sp.ops.list({ state: 'incomplete' })).toHaveLength(1);
    rmSync(lock);
    const report = await sp.recovery.recover({ planId: plan.planId });
    expect(report.operations.map((op) => [op.kind, op.recovery, op.endState])).toEqual([
      ['rollback', 'forward', 'post'],
    ]);
    expect({ tree: snapshotTree(repo), staged: stagedEntries(repo), head: headOf(repo) }).toEqual(target);
    expect(await sp.doctor.check()).toMatchObject({ clean: true });
  });
});

describe('stale locks, orphan refs and temp files', () => {
  it('a lock whose holder died is taken over at once; doctor reports a stale lock and --fix removes it', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo, { lockWaitMs: 0 });
    const { plan } = await sp.plans.create({ sandbox: repo });
    const dir = lockPath(plan.gitDir, plan.sandboxPath);
    const plant = () => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'owner.json'), JSON.stringify({ pid: DEAD_PID, hostname: hostname() }));
    };
    plant();
    await sp.checkpoints.create(plan.planId, { force: true });
    plant();
    const error = await expectError(sp.doctor.check(), DoctorProblemsError, 'DOCTOR_PROBLEMS', 9);
    expect((error.details.problems as { kind: string }[]).map((p) => p.kind)).toEqual(['stale-lock']);
    expect(await sp.doctor.check({ fix: true })).toMatchObject({
      clean: true,
      problems: [{ kind: 'stale-lock', fixed: true }],
    });
    expect(await sp.doctor.check()).toMatchObject({ clean: true, problems: [] });
    // Killed between taking the lock and recording its operation: nothing to recover, and
    // recover removes the dead holder's lock (a dry run changes nothing).
    plant();
    expect(await sp.recovery.recover({ dryRun: true })).toMatchObject({ opId: null, operations: [] });
    expect(existsSync(dir)).toBe(true);
    expect(await sp.recovery.recover()).toMatchObject({ opId: null, operations: [] });
    expect(existsSync(dir)).toBe(false);
    expect(await sp.doctor.check()).toMatchObject({ clean: true, problems: [] });
  });

  it('a live holder makes the next call wait, then BUSY', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo, { lockWaitMs: 300 });
    const { plan } = await sp.plans.create({ sandbox: repo });
    const held = await new FileSandboxLocks().acquire(plan.gitDir, plan.sandboxPath, 0);
    try {
      const started = Date.now();
      const error = await expectError(sp.checkpoints.create(plan.planId), BusyError, 'BUSY', 6);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(error.details).toMatchObject({ holder: { pid: process.pid } });
    } finally {
      await held.release();
    }
  });

  it('doctor finds an orphan ref, a missing ref and a stale temp file; --fix repairs what is safe', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
    const orphan = `refs/savepoint/${plan.planId}/01M7ZEA5YNTX8CHAVCYDXJEMBN`;
    git(repo, 'update-ref', orphan, checkpoint.commitSha as string);
    // A raw index copy, and a state file and a patch left between write and rename.
    for (const name of [
      `raw-${DEAD_PID}-abcdef`,
      `state-${DEAD_PID}-abcdef`,
      `patch-index-${DEAD_PID}-abcdef`,
    ])
      writeFileSync(path.join(repo, '.git', 'savepoint', 'tmp', name), 'stale');
    const error = await expectError(sp.doctor.check(), DoctorProblemsError, 'DOCTOR_PROBLEMS', 9);
    expect((error.details.problems as { kind: string }[]).map((p) => p.kind).sort()).toEqual([
      'orphan-ref',
      'stale-temp-file',
      'stale-temp-file',
      'stale-temp-file',
    ]);
    expect(await sp.doctor.check({ fix: true })).toMatchObject({ clean: true });
    expect(refs(repo, 'refs/savepoint/')).toHaveLength(1);
    // A ref deleted behind savepoint's back cannot be repaired: reported, exit 9.
    git(repo, 'update-ref', '-d', checkpoint.sandboxRef as string);
    const missing = await expectError(
      sp.doctor.check({ fix: true }),
      DoctorProblemsError,
      'DOCTOR_PROBLEMS',
      9,
    );
    expect(
      (missing.details.problems as { kind: string; fixed: boolean }[]).map((p) => [p.kind, p.fixed]),
    ).toEqual([['ref-missing', false]]);
  });
});
