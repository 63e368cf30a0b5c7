/**
 * Adversarial index and repository settings (issue 16): entries flagged assume-unchanged or
 * skip-worktree, `core.ignoreStat=true` and legacy (non-cone) sparse checkout hide files from
 * git's own walk; a checkpoint must still hold the bytes on disk, a rollback must write them
 * back exactly, and the real index keeps its flags.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointObjectsMissingError } from '../src/checkpoint/errors.js';
import { GitSandboxProvider } from '../src/git/sandbox.js';
import { assertBuilt, finished, runCli, startCli } from './helpers/cli.js';
import { snapshotTree } from './helpers/fs-snapshot.js';
import { cleanGitEnv, git, gitStatusCode, makeRepo, writeFiles } from './helpers/repo.js';
import { expectError, openSavepoint, yes } from './helpers/savepoint.js';

/** `ls-files -v`: every entry with its tag (lowercase: assume-unchanged, `S`: skip-worktree). */
function flags(repo: string): string {
  return git(repo, 'ls-files', '-v');
}

/** The content of `file` in `tree`. */
function inTree(repo: string, tree: string, file: string): string {
  return `${git(repo, 'cat-file', 'blob', `${tree}:${file}`)}\n`;
}

const HIDING = {
  'skip-worktree': (repo: string) => git(repo, 'update-index', '--skip-worktree', 'a.txt'),
  'assume-unchanged': (repo: string) => git(repo, 'update-index', '--assume-unchanged', 'a.txt'),
  'core.ignoreStat=true': (repo: string) => {
    git(repo, 'config', 'core.ignoreStat', 'true');
    // With ignoreStat, git marks the entries it writes assume-unchanged.
    writeFiles(repo, { 'a.txt': 'committed\nagain\n' });
    git(repo, 'add', 'a.txt');
    git(repo, 'commit', '-q', '-m', 'again');
  },
} as const;

describe('files hidden from git status by index flags or core.ignoreStat', () => {
  for (const [name, hide] of Object.entries(HIDING)) {
    for (const when of ['before plan create', 'after plan create'] as const) {
      it(`${name} (${when}): checkpoints hold the bytes on disk, rollback writes them back and keeps the flags`, async () => {
        const repo = makeRepo({ 'a.txt': 'committed\n', 'b.txt': 'b\n' });
        const sp = await openSavepoint(repo);
        if (when === 'before plan create') hide(repo);
        const { plan } = await sp.plans.create({ sandbox: repo });
        if (when === 'after plan create') hide(repo);
        writeFiles(repo, { 'a.txt': 'a local edit\n' });
        const flagged = flags(repo);
        expect(flagged).not.toBe('H a.txt\nH b.txt');
        const status = git(repo, 'status', '--porcelain');
        const { checkpoint: first } = await sp.checkpoints.create(plan.planId);
        expect(inTree(repo, first.treeSha, 'a.txt')).toBe('a local edit\n');
        expect(inTree(repo, first.indexTreeSha, 'a.txt')).toMatch(/^committed\n/);

        writeFiles(repo, { 'a.txt': 'a second, longer local edit\n' });
        const { checkpoint: second } = await sp.checkpoints.create(plan.planId);
        expect(second.checkpointId).not.toBe(first.checkpointId);
        expect(inTree(repo, second.treeSha, 'a.txt')).toBe('a second, longer local edit\n');

        const report = await sp.rollbacks.rollback({
          planId: plan.planId,
          checkpointId: first.checkpointId,
          confirm: yes,
        });
        expect(report.paths).toEqual([{ path: 'a.txt', change: 'modified' }]);
        expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a local edit\n');
        expect(flags(repo)).toBe(flagged);
        expect(git(repo, 'status', '--porcelain')).toBe(status);

        // The safety checkpoint held the second edit: undo brings it back.
        await sp.undo({ planId: plan.planId, confirm: yes });
        expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a second, longer local edit\n');
        expect(flags(repo)).toBe(flagged);
      });
    }
  }
});

describe('legacy (non-cone) sparse checkout', () => {
  it('rollback and undo write new files inside and outside the patterns; absent files stay absent', async () => {
    const repo = makeRepo({ 'in/a.txt': 'a\n', 'out/b.txt': 'b\n', 'top.txt': 't\n' });
    git(repo, 'config', 'core.sparseCheckout', 'true');
    writeFiles(repo, { '.git/info/sparse-checkout': '/in/\n/top.txt\n' });
    git(repo, 'read-tree', '-m', '-u', 'HEAD');
    expect(existsSync(path.join(repo, 'out/b.txt'))).toBe(false);
    const flagged = flags(repo);
    expect(flagged).toBe('H in/a.txt\nS out/b.txt\nH top.txt');
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: base } = await sp.plans.create({ sandbox: repo });
    // The worktree tree holds what is on disk: no out/b.txt. The index tree keeps it.
    expect(git(repo, 'ls-tree', '-r', '--name-only', base.treeSha)).toBe('in/a.txt\ntop.txt');
    expect(git(repo, 'ls-tree', '-r', '--name-only', base.indexTreeSha)).toBe('in/a.txt\nout/b.txt\ntop.txt');

    const created = {
      'in/new.txt': 'new inside\n',
      'out/new.txt': 'new outside\n',
      'new.txt': 'new at top\n',
    };
    writeFiles(repo, created);
    const withNew = snapshotTree(repo);
    const { checkpoint } = await sp.checkpoints.create(plan.planId);
    expect(git(repo, 'ls-tree', '-r', '--name-only', checkpoint.treeSha)).toBe(
      'in/a.txt\nin/new.txt\nnew.txt\nout/new.txt\ntop.txt',
    );

    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: base.checkpointId, confirm: yes });
    for (const file of Object.keys(created)) expect(existsSync(path.join(repo, file)), file).toBe(false);
    expect(flags(repo)).toBe(flagged);

    await sp.undo({ planId: plan.planId, confirm: yes });
    expect(snapshotTree(repo)).toEqual(withNew);
    expect(flags(repo)).toBe(flagged);

    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: base.checkpointId, confirm: yes });
    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes });
    expect(snapshotTree(repo)).toEqual(withNew);
    expect(existsSync(path.join(repo, 'out/b.txt'))).toBe(false);
    expect(flags(repo)).toBe(flagged);
  });
});

/** A plan with three commit checkpoints, each with content no other holds. */
async function threeCheckpoints() {
  const repo = makeRepo({ 'a.txt': 'a\n' });
  const sp = await openSavepoint(repo);
  const { plan, checkpoint: c0 } = await sp.plans.create({ sandbox: repo });
  writeFiles(repo, { 'a.txt': 'one\n', 'n1.txt': 'only in c1\n' });
  const { checkpoint: c1 } = await sp.checkpoints.create(plan.planId);
  writeFiles(repo, { 'a.txt': 'two\n', 'n2.txt': 'only in c2\n' });
  const { checkpoint: c2 } = await sp.checkpoints.create(plan.planId);
  return { repo, sp, plan, c0, c1, c2 };
}

/** Deletes a checkpoint's ref behind savepoint's back and prunes every unreachable object. */
function deleteRefAndGc(repo: string, ref: string | null): void {
  git(repo, 'update-ref', '-d', ref as string);
  git(repo, 'reflog', 'expire', '--expire=now', '--all');
  git(repo, 'gc', '-q', '--prune=now');
}

function objectExists(repo: string, sha: string | null): boolean {
  return gitStatusCode(repo, 'cat-file', '-e', sha as string) === 0;
}

describe('a checkpoint ref deleted, then git gc --prune=now', () => {
  it('the latest one: other checkpoints stay restorable, and a new checkpoint never names a pruned tree', async () => {
    const { repo, sp, plan, c0, c1, c2 } = await threeCheckpoints();
    const atC2 = snapshotTree(repo);
    deleteRefAndGc(repo, c2.sandboxRef);
    expect(objectExists(repo, c2.treeSha)).toBe(false);

    // Nothing changed since c2: the scan may not reuse c2's pruned trees, and c2 (no ref) is
    // no handle for this state: a new checkpoint is recorded, with its trees written again.
    const { checkpoint: c3, deduplicated } = await sp.checkpoints.create(plan.planId);
    expect(deduplicated).toBe(false);
    expect(c3.checkpointId).not.toBe(c2.checkpointId);
    for (const sha of [c3.commitSha, c3.treeSha, c3.indexTreeSha]) expect(objectExists(repo, sha)).toBe(true);

    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: c1.checkpointId, confirm: yes });
    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('one\n');
    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: c0.checkpointId, confirm: yes });
    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a\n');
    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: c3.checkpointId, confirm: yes });
    expect(snapshotTree(repo)).toEqual(atC2);

    const before = snapshotTree(repo);
    await expectError(
      sp.rollbacks.rollback({ planId: plan.planId, checkpointId: c2.checkpointId, confirm: yes }),
      CheckpointObjectsMissingError,
      'CHECKPOINT_OBJECTS_MISSING',
      9,
    );
    expect(snapshotTree(repo)).toEqual(before);
  });

  it('the latest one, then a rollback straight away and a changed checkpoint: both work', async () => {
    const { repo, sp, plan, c1, c2 } = await threeCheckpoints();
    deleteRefAndGc(repo, c2.sandboxRef);
    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: c1.checkpointId,
      confirm: yes,
    });
    expect(report.paths).toEqual([
      { path: 'a.txt', change: 'modified' },
      { path: 'n2.txt', change: 'deleted' },
    ]);
    // The safety checkpoint holds c2's state again, under its own ref.
    await sp.undo({ planId: plan.planId, confirm: yes });
    expect(readFileSync(path.join(repo, 'n2.txt'), 'utf8')).toBe('only in c2\n');

    const repo2 = await threeCheckpoints();
    deleteRefAndGc(repo2.repo, repo2.c2.sandboxRef);
    writeFiles(repo2.repo, { 'a.txt': 'three\n' });
    const { checkpoint: c3 } = await repo2.sp.checkpoints.create(repo2.plan.planId);
    expect(objectExists(repo2.repo, c3.treeSha)).toBe(true);
    await repo2.sp.rollbacks.rollback({
      planId: repo2.plan.planId,
      checkpointId: repo2.c1.checkpointId,
      confirm: yes,
    });
    expect(readFileSync(path.join(repo2.repo, 'a.txt'), 'utf8')).toBe('one\n');
  });

  it('an older one: every other checkpoint stays restorable; that one is refused, nothing changed', async () => {
    const { repo, sp, plan, c0, c1, c2 } = await threeCheckpoints();
    deleteRefAndGc(repo, c1.sandboxRef);
    expect(objectExists(repo, c1.treeSha)).toBe(false);
    const before = snapshotTree(repo);
    await expectError(
      sp.rollbacks.rollback({
        planId: plan.planId,
        checkpointId: c1.checkpointId,
        dryRun: true,
        confirm: yes,
      }),
      CheckpointObjectsMissingError,
      'CHECKPOINT_OBJECTS_MISSING',
      9,
    );
    expect(snapshotTree(repo)).toEqual(before);
    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: c0.checkpointId, confirm: yes });
    expect(existsSync(path.join(repo, 'n2.txt'))).toBe(false);
    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: c2.checkpointId, confirm: yes });
    expect(snapshotTree(repo)).toEqual(before);
  });

  it('diffTreePairs reports a tree it cannot read instead of answering "no change"', async () => {
    const { repo, c0, c2 } = await threeCheckpoints();
    deleteRefAndGc(repo, c2.sandboxRef);
    const sandbox = await new GitSandboxProvider().open(repo);
    await expect(sandbox.diffTreePairs([[c0.treeSha, c2.treeSha]])).rejects.toMatchObject({
      code: 'GIT_FAILED',
    });
  });
});

/** Waits until process `pid` is stopped (state `T` in /proc/<pid>/stat, proc(5)). */
async function stopped(pid: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) return;
    await sleep(25);
  }
  throw new Error(`process ${pid} did not stop`);
}

/**
 * Runs `savepoint plan rollback <plan> <checkpoint> --yes [--json]` in a separate process that
 * stops itself at fault point `at` (SIGSTOP), runs `during` there, and lets it go on.
 */
function rollbackWith(
  repo: string,
  args: readonly string[],
  at: 'rollback.after-safety' | 'rollback.after-worktree' | 'rollback.after-head',
  during: () => void,
) {
  return cliStoppedAt(repo, ['plan', 'rollback', ...args, '--yes'], at, during);
}

/** Runs the CLI with `argv` in a separate process that stops itself at fault point `at` (SIGSTOP), runs `during` there, and lets it go on. */
async function cliStoppedAt(repo: string, argv: readonly string[], at: string, during: () => void) {
  const child = startCli(repo, argv, {
    SAVEPOINT_FAULT: at,
    SAVEPOINT_FAULT_SIGNAL: 'SIGSTOP',
  });
  const done = finished(child);
  try {
    await stopped(child.pid as number);
    during();
  } finally {
    child.kill('SIGCONT');
  }
  return done;
}

/** A plan whose first checkpoint is at commit C1, then a commit C2 on main and an untracked file. */
async function planBehindHead() {
  const repo = makeRepo({ 'a.txt': 'a\n' });
  const sp = await openSavepoint(repo);
  const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
  writeFiles(repo, { 'b.txt': 'committed after the checkpoint\n' });
  git(repo, 'add', 'b.txt');
  git(repo, 'commit', '-q', '-m', 'C2');
  writeFiles(repo, { 'new.txt': 'untracked, then committed during the rollback\n' });
  sp.close();
  return { repo, plan, checkpoint, c2: git(repo, 'rev-parse', 'HEAD') };
}

describe('a git command run by the user while a rollback runs', () => {
  beforeAll(assertBuilt);

  for (const json of [true, false]) {
    it(`git switch -c before the files are written: HEAD_CHANGED, exit 4, nothing changed${json ? ' (--json)' : ''}`, async () => {
      const { repo, plan, checkpoint, c2 } = await planBehindHead();
      let during: ReturnType<typeof snapshotTree> | undefined;
      const run = await rollbackWith(
        repo,
        [plan.planId, checkpoint.checkpointId, ...(json ? ['--json'] : [])],
        'rollback.after-safety',
        () => {
          git(repo, 'switch', '-q', '-c', 'other');
          during = snapshotTree(repo);
        },
      );
      expect(run.status).toBe(4);
      if (json) {
        expect(JSON.parse(run.stdout)).toMatchObject({
          error: {
            code: 'HEAD_CHANGED',
            exitCode: 4,
            details: {
              stage: 'before-write',
              expectedRef: 'refs/heads/main',
              expectedSha: c2,
              currentRef: 'refs/heads/other',
              currentSha: c2,
            },
          },
        });
      } else {
        expect(run.stdout).toBe('');
        expect(run.stderr).toContain('HEAD_CHANGED');
        expect(run.stderr).toContain('refs/heads/other');
      }
      expect(snapshotTree(repo)).toEqual(during);
      expect(git(repo, 'rev-parse', 'refs/heads/main')).toBe(c2);
      expect(git(repo, 'symbolic-ref', 'HEAD')).toBe('refs/heads/other');
      // Failed before writing: nothing awaits recover, the next rollback runs.
      const next = await runCli(repo, [
        'plan',
        'rollback',
        plan.planId,
        checkpoint.checkpointId,
        '--yes',
        '--head',
        'keep',
        '--json',
      ]);
      expect(next.status).toBe(0);
    }, 30_000);
  }

  it('git commit before the files are written (HEAD already at the target): HEAD_CHANGED, the committed file stays', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
    sp.close();
    writeFiles(repo, { 'new.txt': 'committed during the rollback\n' });
    const run = await rollbackWith(
      repo,
      [plan.planId, checkpoint.checkpointId, '--json'],
      'rollback.after-safety',
      () => {
        git(repo, 'add', 'new.txt');
        git(repo, 'commit', '-q', '-m', 'during');
      },
    );
    expect(run.status).toBe(4);
    expect(JSON.parse(run.stdout)).toMatchObject({
      error: { code: 'HEAD_CHANGED', details: { stage: 'before-write' } },
    });
    expect(readFileSync(path.join(repo, 'new.txt'), 'utf8')).toBe('committed during the rollback\n');
    expect(git(repo, 'status', '--porcelain')).toBe('');
  }, 30_000);

  it('git switch -c after the files were written: ROLLBACK_INCOMPLETE (causeCode HEAD_CHANGED), no branch moved', async () => {
    const { repo, plan, checkpoint, c2 } = await planBehindHead();
    const run = await rollbackWith(
      repo,
      [plan.planId, checkpoint.checkpointId, '--json'],
      'rollback.after-worktree',
      () => {
        git(repo, 'switch', '-q', '-c', 'other');
      },
    );
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      error: { code: 'ROLLBACK_INCOMPLETE', details: { planId: plan.planId, causeCode: 'HEAD_CHANGED' } },
    });
    // Without the check, update-ref would have moved main while HEAD was on `other`.
    expect(git(repo, 'rev-parse', 'refs/heads/main')).toBe(c2);
    expect(git(repo, 'symbolic-ref', 'HEAD')).toBe('refs/heads/other');
    const ops = JSON.parse((await runCli(repo, ['ops', 'list', '--json'])).stdout) as {
      operations: { kind: string; state: string }[];
    };
    expect(ops.operations.find((op) => op.kind === 'rollback')?.state).toBe('incomplete');
  }, 30_000);

  it('git commit after HEAD was moved back: ROLLBACK_INCOMPLETE, not reported restored', async () => {
    const { repo, plan, checkpoint } = await planBehindHead();
    const run = await rollbackWith(
      repo,
      [plan.planId, checkpoint.checkpointId, '--json'],
      'rollback.after-head',
      () => {
        git(repo, 'commit', '-q', '--allow-empty', '-m', 'during');
      },
    );
    expect(run.status).toBe(1);
    const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string; details: object } };
    expect(error).toMatchObject({ code: 'ROLLBACK_INCOMPLETE', details: { causeCode: 'HEAD_CHANGED' } });
    expect(error.message).toContain(
      `the rollback left it at refs/heads/main @ ${checkpoint.headSha?.slice(0, 12)}`,
    );
    expect(git(repo, 'rev-parse', 'HEAD^')).toBe(checkpoint.headSha);
  }, 30_000);

  it('git commit after the files were written (HEAD already at the target): ROLLBACK_INCOMPLETE, not reported restored', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
    sp.close();
    writeFiles(repo, { 'a.txt': 'changed\n' });
    const run = await rollbackWith(
      repo,
      [plan.planId, checkpoint.checkpointId, '--json'],
      'rollback.after-worktree',
      () => {
        git(repo, 'commit', '-q', '--allow-empty', '-m', 'during');
      },
    );
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      error: { code: 'ROLLBACK_INCOMPLETE', details: { causeCode: 'HEAD_CHANGED' } },
    });
  }, 30_000);
});

describe('a kept stat cache that holds a flagged entry (written by an older version)', () => {
  it('assume-unchanged, its state naming it without flagFree: cleared before the walk', async () => {
    const repo = makeRepo({ 'a.txt': 'committed\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    const own = path.join(repo, '.git', 'savepoint');
    const rawIndex = path.join(own, 'raw-index');
    execFileSync('git', ['update-index', '--assume-unchanged', 'a.txt'], {
      cwd: repo,
      env: { ...cleanGitEnv(), GIT_INDEX_FILE: rawIndex },
    });
    // What an older version left: a state that describes this very file, with no flagFree.
    const state = JSON.parse(readFileSync(path.join(own, 'raw-index.state'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(state.flagFree).toBe(true);
    const bytes = readFileSync(rawIndex);
    state.trailer = bytes.subarray(bytes.length - 20).toString('hex');
    delete state.flagFree;
    writeFileSync(path.join(own, 'raw-index.state'), `${JSON.stringify(state)}\n`);
    writeFiles(repo, { 'a.txt': 'edited, hidden by the cache\n' });
    const { checkpoint } = await sp.checkpoints.create(plan.planId);
    expect(inTree(repo, checkpoint.treeSha, 'a.txt')).toBe('edited, hidden by the cache\n');
    expect(flags(repo)).toBe('H a.txt');
  });

  it('skip-worktree: cleared before the walk, the checkpoint holds the bytes on disk', async () => {
    const repo = makeRepo({ 'a.txt': 'committed\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    const rawIndex = path.join(repo, '.git', 'savepoint', 'raw-index');
    execFileSync('git', ['update-index', '--skip-worktree', 'a.txt'], {
      cwd: repo,
      env: { ...cleanGitEnv(), GIT_INDEX_FILE: rawIndex },
    });
    writeFiles(repo, { 'a.txt': 'edited, hidden by the cache\n' });
    const { checkpoint } = await sp.checkpoints.create(plan.planId);
    expect(inTree(repo, checkpoint.treeSha, 'a.txt')).toBe('edited, hidden by the cache\n');
    expect(flags(repo)).toBe('H a.txt');
  });
});

describe('a correction or undo stopped by HEAD_CHANGED before any write', () => {
  /** A plan with two decisions, each after its own change; HEAD never moves. */
  async function withDecisions() {
    const repo = makeRepo({ 'work.txt': 'start\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    const decisions = [];
    for (const n of [1, 2]) {
      writeFiles(repo, { 'work.txt': `before decision ${n}\n` });
      decisions.push(await sp.decisions.record({ planId: plan.planId, summary: `decision ${n}` }));
    }
    writeFiles(repo, { 'work.txt': 'after both\n' });
    return { repo, sp, planId: plan.planId, decisions };
  }
  const commitAfterSafety = (repo: string) => () =>
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'someone commits after the locked scan');
  beforeAll(assertBuilt);

  it('correction revert: the decisions stay as they were', async () => {
    const { repo, sp, planId, decisions } = await withDecisions();
    const rows = sp.decisions.list(planId);
    const run = await cliStoppedAt(
      repo,
      ['correction', 'revert', decisions[0]?.decisionId as string, '--yes', '--json'],
      'rollback.after-safety',
      commitAfterSafety(repo),
    );
    expect(run.status, run.stderr).toBe(4);
    expect(JSON.parse(run.stdout).error.code).toBe('HEAD_CHANGED');
    expect(sp.decisions.list(planId)).toEqual(rows);
    expect(readFileSync(path.join(repo, 'work.txt'), 'utf8')).toBe('after both\n');
  });

  it('undo: the decisions stay as the undone correction left them', async () => {
    const { repo, sp, planId, decisions } = await withDecisions();
    await sp.corrections.revert({ decisionId: decisions[1]?.decisionId as string, confirm: yes });
    // An undo and its undo: one decision's row names a safety checkpoint as reactivatedBy.
    await sp.undo({ planId, confirm: yes });
    await sp.undo({ planId, confirm: yes });
    const rows = sp.decisions.list(planId);
    expect(rows.map((d) => d.state)).toEqual(['active', 'reverted']);
    const run = await cliStoppedAt(
      repo,
      ['undo', '--plan', planId, '--yes', '--json'],
      'rollback.after-safety',
      commitAfterSafety(repo),
    );
    expect(run.status, run.stderr).toBe(4);
    expect(JSON.parse(run.stdout).error.code).toBe('HEAD_CHANGED');
    expect(sp.decisions.list(planId)).toEqual(rows);
    await sp.undo({ planId, confirm: yes });
    expect(sp.decisions.list(planId).map((d) => d.state)).toEqual(['active', 'active']);
  });
});
