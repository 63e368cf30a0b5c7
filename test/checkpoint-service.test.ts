/**
 * Checkpoint create against real temp repositories: what a snapshot captures, that it
 * disturbs nothing of the user's, the objects and refs it writes, deduplication, odd HEAD
 * states and worktrees, temp-file hygiene and unmerged indexes.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CheckpointNotFoundError,
  CheckpointNotInPlanError,
  UnmergedIndexError,
} from '../src/checkpoint/errors.js';
import { SAVEPOINT_IDENTITY } from '../src/git/runner.js';
import { PlanNotActiveError, PlanNotFoundError } from '../src/plan/errors.js';
import { IGNORED, makeRichChanges, makeRichRepo, ODD_NAMES } from './helpers/fixtures.js';
import {
  b64,
  expectedTree,
  mtimes,
  refs,
  repoState,
  snapshotTree,
  tempIndexFiles,
  treeEntries,
} from './helpers/fs-snapshot.js';
import { commitAll, git, gitStatusCode, makeRepo, tempDir, writeFiles } from './helpers/repo.js';
import { expectError, openSavepoint, yes } from './helpers/savepoint.js';

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

describe('what a checkpoint captures', () => {
  it('records every non-ignored file: untracked, deleted, exec bits, symlinks, deep dirs, odd names', async () => {
    const repo = makeRichRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    makeRichChanges(repo);

    const { checkpoint, deduplicated } = await sp.checkpoints.create(plan.planId, { reason: 'everything' });

    expect(deduplicated).toBe(false);
    const tree = treeEntries(repo, checkpoint.treeSha);
    expect(tree).toEqual(expectedTree(snapshotTree(repo), IGNORED));
    // Spot checks, so the comparison above cannot pass vacuously.
    expect(tree['old.txt']).toBeUndefined();
    expect(tree['gone/only.txt']).toBeUndefined();
    expect(tree['debug.log']).toBeUndefined();
    expect(tree['ignored/cache.bin']).toBeUndefined();
    expect(tree['sub/trace.log']).toBeUndefined();
    expect(tree['sub/kept.txt']).toEqual({ mode: '100644', content: b64('not ignored\n') });
    expect(tree['tool.py']?.mode).toBe('100755');
    expect(tree['bin/run.sh']?.mode).toBe('100644');
    expect(tree.dangling).toEqual({ mode: '120000', content: b64('no/such/file') });
    expect(tree['link-to-dir']).toEqual({ mode: '120000', content: b64('src') });
    expect(tree.typechange).toEqual({ mode: '120000', content: b64('README.md') });
    expect(tree['a/b/c/d/e.txt']).toEqual({ mode: '100644', content: b64('deep\n') });
    expect(tree.empty).toEqual({ mode: '100644', content: '' });
    expect(tree['data.bin']?.content).toBe(
      Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('base64'),
    );
    for (const name of ODD_NAMES)
      expect(tree[name]?.content).toBe(b64(`content of ${JSON.stringify(name)}\n`));
  });

  it('records the staged state separately from the worktree, and HEAD', async () => {
    const repo = makeRepo({ 'a.txt': 'a0\n', 'b.txt': 'b0\n', 'c.txt': 'c0\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'a-staged\n', 'new.txt': 'new staged\n' });
    git(repo, 'add', 'a.txt', 'new.txt');
    git(repo, 'rm', '-q', '--cached', 'b.txt');
    writeFiles(repo, { 'a.txt': 'a-unstaged\n', 'c.txt': 'c-unstaged\n' });

    const { checkpoint } = await sp.checkpoints.create(plan.planId);

    expect(checkpoint.indexTreeSha).toBe(git(repo, 'write-tree'));
    const index = treeEntries(repo, checkpoint.indexTreeSha);
    expect(Object.keys(index).sort()).toEqual(['a.txt', 'c.txt', 'new.txt']);
    expect(index['a.txt']?.content).toBe(b64('a-staged\n'));
    expect(index['c.txt']?.content).toBe(b64('c0\n'));
    const work = treeEntries(repo, checkpoint.treeSha);
    expect(Object.keys(work).sort()).toEqual(['a.txt', 'b.txt', 'c.txt', 'new.txt']);
    expect(work['a.txt']?.content).toBe(b64('a-unstaged\n'));
    expect(work['c.txt']?.content).toBe(b64('c-unstaged\n'));
    expect(checkpoint.headRef).toBe('refs/heads/main');
    expect(checkpoint.headSha).toBe(git(repo, 'rev-parse', 'HEAD'));
    expect(checkpoint.filesystemPath).toBe(repo);
    expect(checkpoint.metadata).toEqual({ kind: 'manual' });
  });

  it('stores the caller context (reason, tool, phase) and numbers checkpoints', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'x.txt': 'x\n' });
    const result = await sp.checkpoints.create(plan.planId, {
      reason: 'before edit',
      tool: 'Edit',
      phase: 'pre',
    });
    if (result.skipped) throw new Error('Edit is not declared skip');
    const { checkpoint } = result;
    expect(checkpoint.seq).toBe(2);
    expect(checkpoint.metadata).toEqual({
      kind: 'manual',
      reason: 'before edit',
      tool: 'Edit',
      phase: 'pre',
    });
    expect(sp.checkpoints.get(checkpoint.checkpointId)).toEqual(checkpoint);
    expect(sp.checkpoints.get(checkpoint.checkpointId.toLowerCase())).toEqual(checkpoint);
    expect(sp.checkpoints.list(plan.planId).map((c) => c.seq)).toEqual([1, 2]);
  });
});

describe('a checkpoint disturbs nothing', () => {
  it('leaves worktree, index file bytes, HEAD, branches, stash, status and mtimes exactly as they were', async () => {
    const repo = makeRichRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'README.md': '# stashed\n' });
    git(repo, 'stash', 'push', '-q', '-m', 'user stash');
    git(repo, 'branch', 'feature');
    makeRichChanges(repo);
    writeFiles(repo, { 'staged.txt': 'staged\n' });
    git(repo, 'add', 'staged.txt', 'src/app.js');
    writeFiles(repo, { 'src/app.js': 'console.log(3);\n' });
    git(repo, 'status', '--porcelain'); // let git refresh its own index before we look
    const indexFile = path.join(repo, '.git', 'index');
    const indexBefore = readFileSync(indexFile);
    const before = repoState(repo);
    const timesBefore = mtimes(repo);
    const refsBefore = refs(repo, 'refs/heads/').concat(refs(repo, 'refs/stash'));
    const reflogBefore = git(repo, 'reflog', '--format=%H %gs');
    expect(before.stash).toContain('user stash');
    expect(before.status.length).toBeGreaterThan(10);

    await sp.checkpoints.create(plan.planId);

    expect(readFileSync(indexFile).equals(indexBefore)).toBe(true);
    expect(repoState(repo)).toEqual(before);
    expect(mtimes(repo)).toEqual(timesBefore);
    expect(refs(repo, 'refs/heads/').concat(refs(repo, 'refs/stash'))).toEqual(refsBefore);
    expect(git(repo, 'reflog', '--format=%H %gs')).toBe(reflogBefore);
    expect(tempIndexFiles(path.join(repo, '.git'))).toEqual([]);
  });
});

describe('checkpoint objects', () => {
  it('writes refs/savepoint/<plan>/<checkpoint> at a commit whose parents are HEAD and an index commit', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'staged\n' });
    git(repo, 'add', 'a.txt');
    writeFiles(repo, { 'a.txt': 'worktree\n', 'b.txt': 'b\n' });
    const head = git(repo, 'rev-parse', 'HEAD');

    const { checkpoint } = await sp.checkpoints.create(plan.planId);

    expect(checkpoint.checkpointType).toBe('commit');
    expect(checkpoint.sandboxRef).toBe(`refs/savepoint/${plan.planId}/${checkpoint.checkpointId}`);
    expect(git(repo, 'rev-parse', `refs/savepoint/${plan.planId}/${checkpoint.checkpointId}`)).toBe(
      checkpoint.commitSha,
    );
    const commit = checkpoint.commitSha ?? '';
    const [self, parent1, parent2, ...more] = git(repo, 'rev-list', '--parents', '-n', '1', commit).split(
      ' ',
    );
    expect(self).toBe(commit);
    expect(parent1).toBe(head);
    expect(more).toEqual([]);
    expect(git(repo, 'rev-parse', `${commit}^{tree}`)).toBe(checkpoint.treeSha);
    expect(git(repo, 'rev-parse', `${parent2}^{tree}`)).toBe(checkpoint.indexTreeSha);
    expect(git(repo, 'rev-list', '--parents', '-n', '1', parent2 ?? '')).toBe(`${parent2} ${head}`);
    expect(git(repo, 'log', '-1', '--format=%an <%ae>|%cn <%ce>', commit)).toBe(
      `${SAVEPOINT_IDENTITY.name} <${SAVEPOINT_IDENTITY.email}>|${SAVEPOINT_IDENTITY.name} <${SAVEPOINT_IDENTITY.email}>`,
    );
    // Both checkpoints of the plan have their refs, and nothing else was added under refs/.
    expect(refs(repo, `refs/savepoint/${plan.planId}/`)).toEqual(
      [first, checkpoint].map((c) => `${c.sandboxRef} ${c.commitSha}`).sort(),
    );
    expect(refs(repo, 'refs/heads/')).toEqual([`refs/heads/main ${head}`]);
  });

  it('survives git gc --prune=now: the ref keeps the commit, its trees and blobs', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'untracked.txt': 'only in the checkpoint\n' });
    const { checkpoint } = await sp.checkpoints.create(plan.planId);
    rmSync(path.join(repo, 'untracked.txt'));
    git(repo, 'reflog', 'expire', '--expire=now', '--all');
    git(repo, 'gc', '-q', '--prune=now');

    expect(git(repo, 'fsck', '--no-dangling', '--no-progress')).toBe('');
    expect(treeEntries(repo, checkpoint.treeSha)['untracked.txt']?.content).toBe(
      b64('only in the checkpoint\n'),
    );
    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes });
    expect(readFileSync(path.join(repo, 'untracked.txt'), 'utf8')).toBe('only in the checkpoint\n');
  });
});

describe('deduplication', () => {
  it('returns the latest checkpoint with deduplicated true when nothing changed; force makes a new one', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });

    const again = await sp.checkpoints.create(plan.planId);
    expect(again.deduplicated).toBe(true);
    expect(again.checkpoint).toEqual(first);
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(1);

    const forced = await sp.checkpoints.create(plan.planId, { force: true });
    expect(forced.deduplicated).toBe(false);
    expect(forced.checkpoint.checkpointId).not.toBe(first.checkpointId);
    expect(forced.checkpoint.seq).toBe(2);
    expect(forced.checkpoint.treeSha).toBe(first.treeSha);
    expect(git(repo, 'rev-parse', forced.checkpoint.sandboxRef ?? '')).toBe(forced.checkpoint.commitSha);

    const third = await sp.checkpoints.create(plan.planId);
    expect(third).toEqual({
      checkpoint: forced.checkpoint,
      deduplicated: true,
      skippedPaths: [],
      prunedCheckpointIds: [],
      skipped: false,
    });
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(2);
    expect(refs(repo, `refs/savepoint/${plan.planId}/`)).toHaveLength(2);
  });

  it('does not deduplicate when only the staged state or only HEAD changed', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'changed\n' });
    const worktreeOnly = await sp.checkpoints.create(plan.planId);
    expect(worktreeOnly.deduplicated).toBe(false);

    git(repo, 'add', 'a.txt'); // same worktree tree, different index tree
    const staged = await sp.checkpoints.create(plan.planId);
    expect(staged.deduplicated).toBe(false);
    expect(staged.checkpoint.treeSha).toBe(worktreeOnly.checkpoint.treeSha);
    expect(staged.checkpoint.indexTreeSha).not.toBe(worktreeOnly.checkpoint.indexTreeSha);

    git(repo, 'commit', '-q', '-m', 'commit it'); // same worktree and index trees, HEAD moved
    const committed = await sp.checkpoints.create(plan.planId);
    expect(committed.deduplicated).toBe(false);
    expect(committed.checkpoint.treeSha).toBe(staged.checkpoint.treeSha);
    expect(committed.checkpoint.indexTreeSha).toBe(staged.checkpoint.indexTreeSha);
    expect(committed.checkpoint.headSha).toBe(git(repo, 'rev-parse', 'HEAD'));
    expect(sp.checkpoints.list(plan.planId).map((c) => c.seq)).toEqual([1, 2, 3, 4]);
  });

  it('does not deduplicate a change of an ignored file away (ignored files are not part of the state)', async () => {
    const repo = makeRepo({ '.gitignore': '*.log\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'x.log': 'ignored\n' });
    const result = await sp.checkpoints.create(plan.planId);
    expect(result.deduplicated).toBe(true);
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(1);
  });
});

describe('HEAD states and worktrees', () => {
  it('works on an unborn HEAD: commit with only the index commit as parent, headSha null', async () => {
    const repo = makeRepo({});
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    expect(plan.baseCommit).toBeNull();
    expect(first.treeSha).toBe(EMPTY_TREE);
    expect(first.indexTreeSha).toBe(EMPTY_TREE);
    writeFiles(repo, { 'a.txt': 'a\n', 'dir/b.txt': 'b\n' });
    git(repo, 'add', 'a.txt');

    const { checkpoint } = await sp.checkpoints.create(plan.planId);

    expect(checkpoint.headSha).toBeNull();
    expect(checkpoint.headRef).toBe('refs/heads/main');
    const commit = checkpoint.commitSha ?? '';
    const [, indexCommit, ...more] = git(repo, 'rev-list', '--parents', '-n', '1', commit).split(' ');
    expect(more).toEqual([]);
    expect(git(repo, 'rev-list', '--parents', '-n', '1', indexCommit ?? '')).toBe(indexCommit);
    expect(Object.keys(treeEntries(repo, checkpoint.treeSha)).sort()).toEqual(['a.txt', 'dir/b.txt']);
    expect(Object.keys(treeEntries(repo, checkpoint.indexTreeSha))).toEqual(['a.txt']);
    expect(gitStatusCode(repo, 'rev-parse', '-q', '--verify', 'HEAD')).not.toBe(0);
    expect(refs(repo, 'refs/heads/')).toEqual([]);
  });

  it('works on a detached HEAD: headRef null, HEAD commit as first parent, HEAD left detached', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    writeFiles(repo, { 'a.txt': 'second\n' });
    commitAll(repo, 'second');
    git(repo, 'checkout', '-q', '--detach', 'HEAD~1');
    const detached = git(repo, 'rev-parse', 'HEAD');
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'b.txt': 'b\n' });

    const { checkpoint } = await sp.checkpoints.create(plan.planId);

    expect(checkpoint.headRef).toBeNull();
    expect(checkpoint.headSha).toBe(detached);
    expect(git(repo, 'rev-parse', `${checkpoint.commitSha}^1`)).toBe(detached);
    expect(gitStatusCode(repo, 'symbolic-ref', '-q', 'HEAD')).not.toBe(0);
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(detached);
  });

  it('works in a linked worktree: own index and temp dir, shared database and refs, main worktree untouched', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const wt = path.join(tempDir(), 'linked wt');
    git(repo, 'worktree', 'add', '-q', '-b', 'feature', wt);
    writeFiles(repo, { 'main-only.txt': 'in the main worktree\n' });
    const mainState = repoState(repo);
    const mainIndex = readFileSync(path.join(repo, '.git', 'index'));

    const sp = await openSavepoint(wt);
    expect(sp.dbPath).toBe(path.join(repo, '.git', 'savepoint', 'state.db'));
    const { plan } = await sp.plans.create({ sandbox: wt });
    expect(plan.sandboxPath).toBe(wt);
    expect(plan.gitDir).toBe(path.join(repo, '.git'));
    writeFiles(wt, { 'a.txt': 'changed in wt\n', 'wt-new.txt': 'new\n' });
    const wtIndexFile = git(wt, 'rev-parse', '--path-format=absolute', '--git-path', 'index');
    const wtIndex = readFileSync(wtIndexFile);

    const { checkpoint } = await sp.checkpoints.create(plan.planId);

    expect(checkpoint.headRef).toBe('refs/heads/feature');
    expect(checkpoint.filesystemPath).toBe(wt);
    const tree = treeEntries(repo, checkpoint.treeSha);
    expect(Object.keys(tree).sort()).toEqual(['a.txt', 'wt-new.txt']);
    expect(tree['a.txt']?.content).toBe(b64('changed in wt\n'));
    expect(git(repo, 'rev-parse', checkpoint.sandboxRef ?? '')).toBe(checkpoint.commitSha);
    expect(readFileSync(wtIndexFile).equals(wtIndex)).toBe(true);
    expect(readFileSync(path.join(repo, '.git', 'index')).equals(mainIndex)).toBe(true);
    expect(repoState(repo)).toEqual(mainState);
    expect(tempIndexFiles(path.dirname(wtIndexFile))).toEqual([]);
    expect(tempIndexFiles(path.join(repo, '.git'))).toEqual([]);
    expect(path.dirname(wtIndexFile).startsWith(path.join(repo, '.git', 'worktrees'))).toBe(true);

    // And the rollback in the linked worktree restores it there.
    writeFiles(wt, { 'a.txt': 'later\n' });
    rmSync(path.join(wt, 'wt-new.txt'));
    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: checkpoint.checkpointId,
      confirm: yes,
    });
    expect(report.restored).toEqual({ added: 1, modified: 1, deleted: 0, total: 2 });
    expect(readFileSync(path.join(wt, 'a.txt'), 'utf8')).toBe('changed in wt\n');
    expect(readFileSync(path.join(wt, 'wt-new.txt'), 'utf8')).toBe('new\n');
    expect(repoState(repo)).toEqual(mainState);
  });
});

describe('temp files and failures', () => {
  it('leaves no private index files after create, rollback and a failing call', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const gitDir = path.join(repo, '.git');
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    expect(tempIndexFiles(gitDir)).toEqual([]);
    writeFiles(repo, { 'a.txt': 'b\n' });
    await sp.checkpoints.create(plan.planId);
    expect(tempIndexFiles(gitDir)).toEqual([]);
    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: first.checkpointId, confirm: yes });
    expect(tempIndexFiles(gitDir)).toEqual([]);
    await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: first.checkpointId,
      dryRun: true,
      confirm: yes,
    });
    expect(tempIndexFiles(gitDir)).toEqual([]);
    // A rollback refused after its scan (HEAD on another branch) …
    git(repo, 'switch', '-q', '-c', 'elsewhere');
    writeFiles(repo, { 'a.txt': 'c\n' });
    await expect(
      sp.rollbacks.rollback({ planId: plan.planId, checkpointId: first.checkpointId, confirm: yes }),
    ).rejects.toMatchObject({ code: 'HEAD_MOVED' });
    expect(tempIndexFiles(gitDir)).toEqual([]);
    // … and a declined one.
    git(repo, 'switch', '-q', 'main');
    await expect(
      sp.rollbacks.rollback({
        planId: plan.planId,
        checkpointId: first.checkpointId,
        confirm: async () => false,
      }),
    ).rejects.toMatchObject({ code: 'CONFIRMATION_DECLINED' });
    expect(tempIndexFiles(gitDir)).toEqual([]);
  });

  it('refuses an index with unresolved merge conflicts: INDEX_UNMERGED, nothing recorded, no temp files', async () => {
    const repo = makeRepo({ 'f.txt': 'base\n' });
    git(repo, 'switch', '-q', '-c', 'other');
    writeFiles(repo, { 'f.txt': 'other side\n' });
    commitAll(repo, 'other');
    git(repo, 'switch', '-q', 'main');
    writeFiles(repo, { 'f.txt': 'main side\n' });
    commitAll(repo, 'main');
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    expect(gitStatusCode(repo, 'merge', '-q', 'other')).not.toBe(0);
    const indexBefore = readFileSync(path.join(repo, '.git', 'index'));
    const stateBefore = repoState(repo);
    const refsBefore = refs(repo);

    const error = await expectError(
      sp.checkpoints.create(plan.planId),
      UnmergedIndexError,
      'INDEX_UNMERGED',
      4,
    );
    expect(error.details).toEqual({ sandboxPath: repo });

    expect(sp.checkpoints.list(plan.planId)).toHaveLength(1);
    expect(refs(repo)).toEqual(refsBefore);
    expect(readFileSync(path.join(repo, '.git', 'index')).equals(indexBefore)).toBe(true);
    expect(repoState(repo)).toEqual(stateBefore);
    expect(tempIndexFiles(path.join(repo, '.git'))).toEqual([]);
  });

  it('refuses to create a plan while the index is unmerged, and records no plan', async () => {
    const repo = makeRepo({ 'f.txt': 'base\n' });
    git(repo, 'switch', '-q', '-c', 'other');
    writeFiles(repo, { 'f.txt': 'other side\n' });
    commitAll(repo, 'other');
    git(repo, 'switch', '-q', 'main');
    writeFiles(repo, { 'f.txt': 'main side\n' });
    commitAll(repo, 'main');
    expect(gitStatusCode(repo, 'merge', '-q', 'other')).not.toBe(0);
    const sp = await openSavepoint(repo);

    await expectError(sp.plans.create({ sandbox: repo }), UnmergedIndexError, 'INDEX_UNMERGED', 4);
    expect(sp.plans.list()).toEqual([]);
    expect(refs(repo, 'refs/savepoint/')).toEqual([]);
    expect(tempIndexFiles(path.join(repo, '.git'))).toEqual([]);
  });
});

describe('lookups and guards', () => {
  it('reports unknown plans and checkpoints, checkpoints of other plans, and inactive plans', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan: first, checkpoint: firstCheckpoint } = await sp.plans.create({ sandbox: repo });
    await sp.plans.abandon(first.planId);
    const { plan: second } = await sp.plans.create({ sandbox: repo });
    const missing = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

    await expectError(sp.checkpoints.create(missing), PlanNotFoundError, 'PLAN_NOT_FOUND', 3);
    await expectError(() => sp.checkpoints.list(missing), PlanNotFoundError, 'PLAN_NOT_FOUND', 3);
    await expectError(() => sp.checkpoints.get(missing), CheckpointNotFoundError, 'CHECKPOINT_NOT_FOUND', 3);
    await expectError(
      () => sp.checkpoints.getInPlan(second.planId, firstCheckpoint.checkpointId),
      CheckpointNotInPlanError,
      'CHECKPOINT_NOT_IN_PLAN',
      4,
    );
    writeFiles(repo, { 'x.txt': 'x\n' });
    await expectError(sp.checkpoints.create(first.planId), PlanNotActiveError, 'PLAN_NOT_ACTIVE', 4);
    expect(sp.checkpoints.list(first.planId)).toHaveLength(1);
    expect(refs(repo, `refs/savepoint/${first.planId}/`)).toHaveLength(1);
  });
});
