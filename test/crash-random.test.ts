/**
 * Random-delay SIGKILL of a real rollback on a multi-thousand-file repository (issue 5): at
 * least 50 times, the CLI is killed at a random moment of `plan rollback`, recovery runs
 * (forward and --abort alternately), and the sandbox must equal exactly the rollback's pre-
 * or post-state — files, index and HEAD — with the ledger naming which; doctor stays clean.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, finished, startCli } from './helpers/cli.js';
import { headOf, snapshotTree, stagedEntries } from './helpers/fs-snapshot.js';
import { commitAll, git, makeRepo, writeFiles } from './helpers/repo.js';
import { openSavepoint } from './helpers/savepoint.js';

beforeAll(assertBuilt);

const RUNS = Number(process.env.SAVEPOINT_KILL_RUNS ?? 50);
const FILES = 3000;

function digest(repo: string): string {
  const state = { tree: snapshotTree(repo), staged: stagedEntries(repo), head: headOf(repo) };
  return createHash('sha256').update(JSON.stringify(state)).digest('hex');
}

describe('random SIGKILL during rollback', () => {
  it(`${RUNS} rollbacks killed at random moments each end in exactly the pre- or post-state`, async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < FILES; i++) files[`src/d${i % 50}/f${i}.txt`] = `file ${i}\n`.repeat(4);
    const repo = makeRepo(files);
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: a } = await sp.plans.create({ sandbox: repo });
    const stateA = digest(repo);
    // State B: a commit (HEAD moves), then ~600 more changed paths, some staged.
    const changed: Record<string, string> = {};
    for (let i = 0; i < FILES; i += 5) changed[`src/d${i % 50}/f${i}.txt`] = `changed ${i}\n`;
    for (let i = 0; i < 100; i++) changed[`new/n${i}.txt`] = `new ${i}\n`;
    writeFiles(repo, changed);
    commitAll(repo, 'state B');
    for (let i = 1; i < FILES; i += 10) git(repo, 'rm', '-q', '--cached', '--', `src/d${i % 50}/f${i}.txt`);
    writeFiles(repo, { 'untracked.txt': 'u\n' });
    const b = (await sp.checkpoints.create(plan.planId)).checkpoint;
    const stateB = digest(repo);
    const checkpointOf = { [stateA]: a.checkpointId, [stateB]: b.checkpointId };
    const other = (state: string) => (state === stateA ? stateB : stateA);

    // One undisturbed rollback measures how long a rollback takes end to end here.
    let current = stateB;
    const started = Date.now();
    const full = await finished(startCli(repo, ['plan', 'rollback', plan.planId, a.checkpointId, '--yes']));
    const fullMs = Date.now() - started;
    expect(full.status, full.stderr).toBe(0);
    current = digest(repo);
    expect(current).toBe(stateA);

    const outcomes = { pre: 0, post: 0, killed: 0 };
    for (let run = 0; run < RUNS; run++) {
      const target = other(current);
      const child = startCli(repo, [
        'plan',
        'rollback',
        plan.planId,
        checkpointOf[target] as string,
        '--yes',
      ]);
      const done = finished(child);
      await sleep(Math.floor(Math.random() * fullMs));
      child.kill('SIGKILL');
      const end = await done;
      if (end.signal === 'SIGKILL') outcomes.killed++;
      else expect(end.status, end.stderr).toBe(0);
      const report = await sp.recovery.recover(run % 2 === 0 ? {} : { abort: true });
      const now = digest(repo);
      expect([current, target], `run ${run}: neither pre nor post state`).toContain(now);
      for (const op of report.operations) expect(op.endState).toBe(now === target ? 'post' : 'pre');
      outcomes[now === target ? 'post' : 'pre']++;
      current = now;
      if (run % 10 === 9) expect(await sp.doctor.check()).toMatchObject({ clean: true });
    }
    expect(await sp.doctor.check()).toMatchObject({ clean: true });
    expect(sp.ops.list({ state: 'interrupted' })).toEqual([]);
    // Not a vacuous run: kills landed, and both end states occurred.
    expect(outcomes.killed).toBeGreaterThan(RUNS / 4);
    expect(outcomes.pre).toBeGreaterThan(0);
    expect(outcomes.post).toBeGreaterThan(0);
  }, 900_000);
});
