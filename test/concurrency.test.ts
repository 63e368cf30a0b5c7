/**
 * Concurrency (issue 5): separate processes on one sandbox are serialized by the sandbox
 * lock; nothing reaches the user as SQLITE_BUSY or a git lock error; races have exactly one
 * winner and the loser gets a documented code.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { PlanNotActiveError } from '../src/plan/errors.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { assertBuilt, finished, startCli } from './helpers/cli.js';
import { refs } from './helpers/fs-snapshot.js';
import { cleanGitEnv, git, makeRepo, writeFiles } from './helpers/repo.js';
import { expectError, openSavepoint } from './helpers/savepoint.js';

beforeAll(assertBuilt);

const WORKER = path.resolve(import.meta.dirname, 'workers/checkpoint-loop.mjs');
const PROCESSES = Number(process.env.SAVEPOINT_CONCURRENCY_PROCESSES ?? 8);
const EACH = Number(process.env.SAVEPOINT_CONCURRENCY_EACH ?? 50);

function worker(repo: string, planId: string, n: number) {
  const child = spawn(process.execPath, [WORKER, repo, planId, String(n), String(EACH)], {
    env: cleanGitEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return finished(child);
}

describe('concurrent processes on one sandbox', () => {
  it(`${PROCESSES} processes × ${EACH} checkpoints on one plan: every row, ref and seq, no lock error`, async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo, policy: { retention: { max: 1000 } } });
    const runs = await Promise.all(Array.from({ length: PROCESSES }, (_, n) => worker(repo, plan.planId, n)));
    for (const run of runs) {
      expect(run.stderr).not.toMatch(/SQLITE_BUSY|index\.lock|database is locked/);
      expect(run.status, run.stdout).toBe(0);
    }
    const made = runs.flatMap((run) => (JSON.parse(run.stdout) as { ids: string[] }).ids);
    expect(new Set(made).size).toBe(PROCESSES * EACH);
    const rows = sp.checkpoints.list(plan.planId);
    expect(rows).toHaveLength(PROCESSES * EACH + 1);
    expect(new Set(rows.map((r) => r.seq)).size).toBe(rows.length);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    const planRefs = refs(repo, `refs/savepoint/${plan.planId}/`);
    expect(planRefs).toHaveLength(rows.length);
    for (const row of rows) expect(planRefs).toContain(`${row.sandboxRef} ${row.commitSha}`);
    expect(sp.ops.list({ planId: plan.planId, state: 'committed', limit: 1000 })).toHaveLength(
      PROCESSES * EACH + 1,
    );
    expect(await sp.doctor.check()).toMatchObject({ clean: true });
  }, 600_000);

  it('rollback racing checkpoint creation: both are serialized, each succeeds or gets BUSY (6), state consistent', async () => {
    const repo = makeRepo({ 'a.txt': 'one\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'two\n', 'b.txt': 'new\n' });
    const rollback = startCli(repo, [
      'plan',
      'rollback',
      plan.planId,
      checkpoint.checkpointId,
      '--yes',
      '--json',
    ]);
    const create = startCli(repo, ['checkpoint', 'create', '--plan', plan.planId, '--json', '--wait', '60']);
    const [r, c] = await Promise.all([finished(rollback), finished(create)]);
    expect(r.status, r.stdout).toBe(0);
    expect(c.status, c.stdout).toBe(0);
    // Whichever ran second saw the other's result: no torn state, doctor clean.
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(await sp.doctor.check()).toMatchObject({ clean: true });
  }, 120_000);

  it('a held sandbox lock makes a mutating command exit 6 (BUSY) after --wait, in both output modes', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    const { FileSandboxLocks } = await import('../src/lock/sandbox-locks.js');
    const held = await new FileSandboxLocks().acquire(plan.gitDir, plan.sandboxPath, 0);
    try {
      const human = await finished(
        startCli(repo, ['checkpoint', 'create', '--plan', plan.planId, '--wait', '0.2']),
      );
      expect(human.status).toBe(6);
      expect(human.stderr).toContain('[BUSY]');
      const json = await finished(
        startCli(repo, ['plan', 'rollback', plan.planId, plan.planId, '--yes', '--wait', '0', '--json']),
      );
      expect(json.status).toBe(6);
      expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'BUSY', exitCode: 6 } });
    } finally {
      await held.release();
    }
    expect(sp.ops.list({ planId: plan.planId })).toHaveLength(1);
  }, 120_000);

  it('plan apply racing rollback: both serialize; if apply wins, rollback gets PLAN_NOT_ACTIVE (4)', async () => {
    const repo = makeRepo({ 'a.txt': 'one\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'two\n' });
    const apply = startCli(repo, ['plan', 'apply', plan.planId, '--json', '--wait', '60']);
    const rollback = startCli(repo, [
      'plan',
      'rollback',
      plan.planId,
      checkpoint.checkpointId,
      '--yes',
      '--json',
      '--wait',
      '60',
    ]);
    const [a, r] = await Promise.all([finished(apply), finished(rollback)]);
    expect(a.status, a.stdout).toBe(0);
    expect(sp.plans.get(plan.planId).state).toBe('applied');
    if (r.status === 0) {
      // Rollback ran first: apply's final checkpoint records the rolled-back state.
      expect(sp.checkpoints.list(plan.planId).at(-1)?.treeSha).toBe(checkpoint.treeSha);
    } else {
      expect(r.status).toBe(4);
      expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'PLAN_NOT_ACTIVE' } });
      expect(git(repo, 'show', ':a.txt')).toBe('one');
    }
    expect(await sp.doctor.check()).toMatchObject({ clean: true });
  }, 120_000);

  it('a lost compare-and-set acts on nothing and reports the persisted state', async () => {
    const repo = makeRepo();
    const one = await openSavepoint(repo);
    const two = await openSavepoint(repo);
    const { plan } = await one.plans.create({ sandbox: repo });
    await two.plans.abandon(plan.planId);
    // The store's compare-and-set: `active → applied` loses against the persisted `abandoned`.
    const store = SqliteStore.open(one.dbPath);
    onTestFinished(() => store.close());
    expect(store.plans.transition(plan.planId, 'active', 'applied', new Date().toISOString())).toBe(false);
    // The service re-reads and refuses: no final checkpoint, the persisted state reported.
    const error = await expectError(one.plans.apply(plan.planId), PlanNotActiveError, 'PLAN_NOT_ACTIVE', 4);
    expect(error.details).toMatchObject({ state: 'abandoned' });
    expect(one.plans.get(plan.planId).state).toBe('abandoned');
    expect(one.checkpoints.list(plan.planId)).toHaveLength(1);
  });
});
