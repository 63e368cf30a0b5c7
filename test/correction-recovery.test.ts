/**
 * A correction is one ledger operation (issue 6 on top of issue 5): killed while it rewrites
 * files, `savepoint recover` finishes it — files at the decision's checkpoint, that decision
 * and the later ones reverted — and `recover --abort` returns the sandbox to its safety
 * checkpoint and gives every decision its state back. Runs the built CLI, SIGKILLed at
 * a fault point (SAVEPOINT_FAULT).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { RecoverReport } from '../src/ledger/recovery-service.js';
import { assertBuilt, cliJson, runCli } from './helpers/cli.js';
import { headOf, snapshotTree, stagedEntries } from './helpers/fs-snapshot.js';
import { makeRepo, writeFiles } from './helpers/repo.js';
import { openSavepoint } from './helpers/savepoint.js';

beforeAll(assertBuilt);

function sandboxState(repo: string) {
  return { tree: snapshotTree(repo), staged: stagedEntries(repo), head: headOf(repo) };
}

/** A plan with three decisions, each taken after a change; the sandbox moved on after the last. */
async function scenario() {
  const repo = makeRepo({ 'a.txt': 'one\n' });
  const sp = await openSavepoint(repo);
  const { plan } = await sp.plans.create({ sandbox: repo });
  const states = [];
  const decisions = [];
  for (const step of [1, 2, 3]) {
    writeFiles(repo, { 'a.txt': `step ${step}\n`, [`new-${step}.txt`]: `${step}\n` });
    states.push(sandboxState(repo));
    decisions.push(await sp.decisions.record({ planId: plan.planId, summary: `decision ${step}` }));
  }
  writeFiles(repo, { 'a.txt': 'after the last decision\n' });
  return { repo, sp, planId: plan.planId, states, decisions, current: sandboxState(repo) };
}

describe('a correction killed while it rewrites files', () => {
  for (const mode of ['forward', 'abort'] as const) {
    it(`recover ${mode}: files and decisions end in the ${mode === 'forward' ? 'post' : 'pre'}-state`, async () => {
      const { repo, sp, planId, states, decisions, current } = await scenario();
      const [first, second, third] = decisions.map((d) => d.decisionId);
      const killed = await runCli(repo, ['correction', 'revert', second as string, '--yes'], {
        SAVEPOINT_FAULT: 'rollback.after-worktree',
      });
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      const [interrupted] = sp.ops.list({ planId, state: 'interrupted' });
      expect(interrupted?.kind).toBe('correction.revert');
      // Marked with the safety checkpoint, before any file changed.
      expect(sp.decisions.list(planId, { state: 'reverted' }).map((d) => d.decisionId)).toEqual([
        second,
        third,
      ]);

      const report = await cliJson<RecoverReport>(repo, [
        'recover',
        ...(mode === 'abort' ? ['--abort'] : []),
      ]);
      expect(report.operations.map((o) => [o.kind, o.endState])).toEqual([
        ['correction.revert', mode === 'forward' ? 'post' : 'pre'],
      ]);
      const active = sp.decisions.list(planId, { state: 'active' }).map((d) => d.decisionId);
      if (mode === 'forward') {
        expect(sandboxState(repo)).toEqual(states[1]);
        expect(active).toEqual([first]);
      } else {
        expect(sandboxState(repo)).toEqual(current);
        expect(active).toEqual([first, second, third]);
      }
      expect(await sp.doctor.check()).toMatchObject({ clean: true });
    });
  }
});
