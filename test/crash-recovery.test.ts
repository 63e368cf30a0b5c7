/**
 * Fault injection (issue 5): for every named fault point, the built CLI is SIGKILLed there
 * (SAVEPOINT_FAULT), the next mutating command refuses with exit 7, `savepoint recover`
 * (forward, and --abort in a second run) resolves the operation, `doctor` is clean, and the
 * sandbox equals exactly the operation's pre-state or post-state — the one the ledger names.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FAULT_POINTS, type FaultPoint } from '../src/core/faults.js';
import type { RecoverReport } from '../src/ledger/recovery-service.js';
import { assertBuilt, cliJson, runCli } from './helpers/cli.js';
import { headOf, refs, snapshotTree, stagedEntries } from './helpers/fs-snapshot.js';
import { commitAll, git, makeRepo, writeFiles } from './helpers/repo.js';
import { openSavepoint } from './helpers/savepoint.js';

beforeAll(assertBuilt);

/** What "the sandbox is in state X" compares: files (bytes, modes, symlinks), the index, HEAD. */
function sandboxState(repo: string) {
  return { tree: snapshotTree(repo), staged: stagedEntries(repo), head: headOf(repo) };
}

type Command = 'rollback' | 'checkpoint' | 'prune';

/**
 * A repository with a plan whose sandbox moved on from checkpoint #1: a commit, edits,
 * a deletion, an untracked file, a staged change. Returns the plan, checkpoint #1 and the
 * states to compare with.
 */
async function scenario() {
  const repo = makeRepo({
    'a.txt': 'one\n',
    'b.txt': 'bee\n',
    'dir/c.txt': 'sea\n',
    'run.sh': '#!/bin/sh\n',
  });
  git(repo, 'update-index', '--chmod=+x', 'run.sh');
  const sp = await openSavepoint(repo);
  const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
  const initial = sandboxState(repo);
  writeFiles(repo, { 'a.txt': 'two\n', 'dir/d.txt': 'dee\n' });
  commitAll(repo, 'second');
  writeFiles(repo, { 'a.txt': 'three\r\n', 'u.txt': 'untracked\n', 'dir/c.txt': 'sea staged\n' });
  git(repo, 'add', 'dir/c.txt');
  git(repo, 'rm', '-q', 'b.txt');
  for (let i = 0; i < 3; i++) {
    writeFiles(repo, { [`notes-${i}.txt`]: `${i}\n` });
    await sp.checkpoints.create(plan.planId, { reason: `step ${i}` });
  }
  // Unlike the latest checkpoint, so the rollback's safety checkpoint is a new one.
  writeFiles(repo, { 'notes-0.txt': 'edited after the last checkpoint\n' });
  return { repo, sp, planId: plan.planId, firstId: first.checkpointId, initial, current: sandboxState(repo) };
}

function commandFor(command: Command, planId: string, firstId: string): string[] {
  if (command === 'rollback') return ['plan', 'rollback', planId, firstId, '--yes'];
  if (command === 'prune') return ['checkpoint', 'prune', '--plan', planId, '--keep', '1'];
  return ['checkpoint', 'create', '--plan', planId, '--reason', 'crash test', '--force'];
}

/** The command each fault point is exercised through, and whether forward recovery reaches the post-state. */
/**
 * `rewrites`: the operation had changed sandbox files, so forward recovery finishes it (post)
 * and --abort returns to the safety checkpoint (pre). `landed`: an operation that changes no
 * sandbox file had committed its database change (the ledger says post in both modes).
 */
const CASES: Array<{ point: FaultPoint; command: Command; rewrites: boolean; landed?: boolean }> = [
  { point: 'checkpoint.after-intent', command: 'checkpoint', rewrites: false },
  { point: 'checkpoint.after-objects', command: 'checkpoint', rewrites: false },
  { point: 'checkpoint.after-ref', command: 'checkpoint', rewrites: false },
  { point: 'checkpoint.before-outcome', command: 'checkpoint', rewrites: false, landed: true },
  { point: 'rollback.after-intent', command: 'rollback', rewrites: false },
  // The rollback's safety checkpoint is recorded through the same code: die inside it.
  { point: 'checkpoint.after-objects', command: 'rollback', rewrites: false },
  { point: 'checkpoint.after-ref', command: 'rollback', rewrites: false },
  { point: 'rollback.after-safety', command: 'rollback', rewrites: true },
  { point: 'rollback.after-worktree', command: 'rollback', rewrites: true },
  { point: 'rollback.after-head', command: 'rollback', rewrites: true },
  { point: 'rollback.before-outcome', command: 'rollback', rewrites: true },
  { point: 'prune.after-intent', command: 'prune', rewrites: false },
  { point: 'prune.after-rows', command: 'prune', rewrites: false, landed: true },
  { point: 'prune.before-outcome', command: 'prune', rewrites: false, landed: true },
];

describe('every fault point recovers to exactly the pre- or the post-state', () => {
  it('covers every declared fault point', () => {
    const covered = new Set<string>([
      ...CASES.map((c) => c.point),
      'recover.after-intent',
      // Exercised in recover-safety.test.ts.
      'recover.after-safety',
    ]);
    expect([...FAULT_POINTS].filter((p) => !covered.has(p))).toEqual([]);
  });

  for (const { point, command, rewrites, landed } of CASES) {
    for (const mode of ['forward', 'abort'] as const) {
      it(`${command} killed at ${point}, recover ${mode}`, async () => {
        const { repo, sp, planId, firstId, initial, current } = await scenario();
        const rowsBefore = sp.checkpoints.list(planId).length;
        const killed = await runCli(repo, commandFor(command, planId, firstId), { SAVEPOINT_FAULT: point });
        expect(killed.signal, killed.stderr).toBe('SIGKILL');
        expect(sp.ops.list({ planId, state: 'interrupted' }).map((op) => op.kind)).toHaveLength(1);

        const report = await cliJson<RecoverReport>(repo, [
          'recover',
          ...(mode === 'abort' ? ['--abort'] : []),
        ]);
        expect(report.operations).toHaveLength(1);
        const [recovered] = report.operations;
        const post = command === 'rollback' ? initial : current;
        const expected = (rewrites && mode === 'forward') || landed ? 'post' : 'pre';
        expect(recovered?.endState).toBe(expected);
        expect(sandboxState(repo)).toEqual(expected === 'post' && rewrites ? post : current);

        const op = sp.ops.show(recovered?.opId ?? '');
        expect({ state: op.state, recovery: op.recovery }).toEqual({ state: 'recovered', recovery: mode });
        expect(await sp.doctor.check()).toMatchObject({ clean: true });
        // Rows and refs agree; the plan works again.
        const rows = sp.checkpoints.list(planId);
        expect(refs(repo, `refs/savepoint/${planId}/`)).toHaveLength(rows.length);
        if (command === 'checkpoint' && point === 'checkpoint.before-outcome')
          expect(rows).toHaveLength(rowsBefore + 1);
        if (command === 'checkpoint' && point !== 'checkpoint.before-outcome')
          expect(rows).toHaveLength(rowsBefore);
        await sp.checkpoints.create(planId, { force: true });
      });
    }
  }

  it('a recover killed after its own intent is itself recovered by the next recover', async () => {
    const { repo, sp, planId, firstId, initial } = await scenario();
    const killed = await runCli(repo, commandFor('rollback', planId, firstId), {
      SAVEPOINT_FAULT: 'rollback.after-worktree',
    });
    expect(killed.signal).toBe('SIGKILL');
    const recoverKilled = await runCli(repo, ['recover'], { SAVEPOINT_FAULT: 'recover.after-intent' });
    expect(recoverKilled.signal).toBe('SIGKILL');
    const report = await cliJson<RecoverReport>(repo, ['recover']);
    expect(report.operations.map((o) => o.kind).sort()).toEqual(['recover', 'rollback']);
    expect(sandboxState(repo)).toEqual(initial);
    expect(await sp.doctor.check()).toMatchObject({ clean: true });
  });
});

describe('an interrupted operation blocks mutating commands until recover', () => {
  it('refuses with exit 7 naming savepoint recover, in human mode and with --json; read-only commands still work', async () => {
    const { repo, planId, firstId } = await scenario();
    const killed = await runCli(repo, commandFor('rollback', planId, firstId), {
      SAVEPOINT_FAULT: 'rollback.after-head',
    });
    expect(killed.signal).toBe('SIGKILL');
    const human = await runCli(repo, ['checkpoint', 'create', '--plan', planId]);
    expect(human.status).toBe(7);
    expect(human.stdout).toBe('');
    expect(human.stderr).toContain('[OPERATION_INTERRUPTED]');
    expect(human.stderr).toContain('savepoint recover');
    const json = await runCli(repo, ['plan', 'apply', planId, '--json']);
    expect(json.status).toBe(7);
    const envelope = JSON.parse(json.stdout) as { error: { code: string; exitCode: number } };
    expect(envelope.error).toMatchObject({ code: 'OPERATION_INTERRUPTED', exitCode: 7 });
    const list = await runCli(repo, ['ops', 'list', '--state', 'interrupted', '--json']);
    expect(list.status).toBe(0);
    expect(
      (JSON.parse(list.stdout) as { operations: { kind: string }[] }).operations.map((o) => o.kind),
    ).toEqual(['rollback']);
    const doctor = await runCli(repo, ['doctor', '--json']);
    expect(doctor.status).toBe(9);
    expect((JSON.parse(doctor.stdout) as { error: { code: string } }).error.code).toBe('DOCTOR_PROBLEMS');
  });
});
