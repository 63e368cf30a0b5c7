/**
 * Rollback against real temp repositories: byte-identical restores of worktree, index and
 * HEAD, only differing paths touched, ignored files left alone, the report, undo (and undo
 * of the undo), dry runs and declined confirmations.
 */
import { chmodSync, existsSync, lstatSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfirmationError } from '../src/plan/errors.js';
import type { RollbackPreview } from '../src/plan/rollback-service.js';
import { IGNORED, makeRichChanges, makeRichRepo } from './helpers/fixtures.js';
import {
  entryText,
  execMode,
  type FsSnapshot,
  headOf,
  mtimes,
  plainMode,
  porcelain,
  refs,
  repoState,
  snapshotTree,
  stagedEntries,
  tempIndexFiles,
} from './helpers/fs-snapshot.js';
import { commitAll, git, gitBuffer, gitStatusCode, makeRepo, writeFiles } from './helpers/repo.js';
import { expectError, no, openSavepoint, yes } from './helpers/savepoint.js';

/** The snapshot without the paths under `prefixes` (ignored files are compared on their own). */
function without(snapshot: FsSnapshot, prefixes: readonly string[]): FsSnapshot {
  return Object.fromEntries(
    Object.entries(snapshot).filter(
      ([name]) => !prefixes.some((p) => name === p || name.startsWith(`${p}/`)),
    ),
  );
}

/** Only the paths under `prefixes`. */
function only(snapshot: FsSnapshot, prefixes: readonly string[]): FsSnapshot {
  return Object.fromEntries(
    Object.entries(snapshot).filter(([name]) => prefixes.some((p) => name === p || name.startsWith(`${p}/`))),
  );
}

/** Changes after the checkpoint of the rich fixture: every kind again, staged ones and a commit. */
function makeLaterChanges(repo: string): void {
  const at = (name: string) => path.join(repo, name);
  writeFiles(repo, {
    'README.md': '# changed after the checkpoint\n',
    'src/app.js': 'console.log(9);\n',
    'added top.txt': 'added later\n',
  });
  git(repo, 'add', 'README.md', 'added top.txt', 'src/app.js');
  git(repo, 'commit', '-q', '-m', 'a commit after the checkpoint');
  writeFiles(repo, {
    'notes/new file.txt': 'changed later\n',
    'data.bin': Buffer.from('no longer binary\n'),
    'newdir/x/y.txt': 'in a new directory\n',
    'newdir2/z.txt': 'untracked next to an ignored file\n',
    'newdir2/keep.log': 'ignored, must survive\n',
    'debug.log': 'ignored log, changed after the checkpoint\n',
    'ignored/new.bin': 'new ignored file\n',
    'src/lib/util.js': 'export const x = 2;\n',
  });
  git(repo, 'add', 'src/lib/util.js');
  // Whole directories, so no empty directory is left (git, and so a checkpoint, has none).
  rmSync(at('ünïcödé'), { recursive: true });
  rmSync(at('a'), { recursive: true });
  chmodSync(at('tool.py'), plainMode());
  rmSync(at('link-to-app'));
  symlinkSync('README.md', at('link-to-app'));
  rmSync(at('dangling'));
  writeFiles(repo, { dangling: 'a file where a symlink was\n' });
  rmSync(at('typechange'));
  writeFiles(repo, { typechange: 'a file again\n' });
  rmSync(at('link-to-dir'));
  writeFiles(repo, { 'link-to-dir/inside.txt': 'a directory where a symlink to a directory was\n' });
}

const LATER_IGNORED = [...IGNORED, 'newdir2/keep.log'];

describe('rolling back restores the checkpoint exactly', () => {
  it('restores worktree, index and HEAD byte-identically; the safety checkpoint undoes it, and the undo can be undone', async () => {
    const repo = makeRichRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    makeRichChanges(repo);
    const { checkpoint } = await sp.checkpoints.create(plan.planId, { reason: 'rich state' });
    const atCheckpoint = repoState(repo);
    makeLaterChanges(repo);
    const later = repoState(repo);
    const ignoredBefore = only(later.tree, LATER_IGNORED);
    const ignoredTimes = Object.fromEntries(
      Object.entries(mtimes(repo)).filter(([name]) => Object.hasOwn(ignoredBefore, name)),
    );
    expect(Object.keys(ignoredTimes).sort()).toEqual(
      ['debug.log', 'ignored/cache.bin', 'ignored/new.bin', 'newdir2/keep.log', 'sub/trace.log'].sort(),
    );
    expect(later.head.sha).not.toBe(atCheckpoint.head.sha);

    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: checkpoint.checkpointId,
      confirm: yes,
    });

    const after = repoState(repo);
    // newdir2/ stays only because of its ignored file; it is checked on its own below.
    expect(without(after.tree, [...LATER_IGNORED, 'newdir2'])).toEqual(
      without(atCheckpoint.tree, LATER_IGNORED),
    );
    expect(only(after.tree, LATER_IGNORED)).toEqual(ignoredBefore);
    const timesAfter = mtimes(repo);
    for (const [name, time] of Object.entries(ignoredTimes)) expect(timesAfter[name], name).toBe(time);
    expect(after.staged).toEqual(atCheckpoint.staged);
    expect(after.head).toEqual(atCheckpoint.head);
    expect(after.branches).toEqual(atCheckpoint.branches);
    expect(after.status).toEqual(atCheckpoint.status.filter((line) => !line.includes('newdir2')));
    expect(after.tree.newdir).toBeUndefined(); // emptied directories are removed …
    expect(after.tree.newdir2).toEqual({ type: 'dir' }); // … but not one that still holds an ignored file
    expect(after.tree['newdir2/z.txt']).toBeUndefined();
    expect(report.head).toEqual({ action: 'move', from: later.head.sha, to: atCheckpoint.head.sha });
    expect(report.dryRun).toBe(false);
    expect(tempIndexFiles(path.join(repo, '.git'))).toEqual([]);

    // Undo: back to the state just before the rollback, exactly.
    const safetyId = report.safetyCheckpointId ?? '';
    const safety = sp.checkpoints.get(safetyId);
    expect(safety.metadata).toMatchObject({ kind: 'safety', rollbackTarget: checkpoint.checkpointId });
    const undo = await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: safetyId, confirm: yes });
    expect(repoState(repo)).toEqual(later);
    expect(undo.restored).toEqual({
      added: report.restored.deleted,
      modified: report.restored.modified,
      deleted: report.restored.added,
      total: report.restored.total,
    });

    // Undo of the undo: the checkpoint state again.
    await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: undo.safetyCheckpointId ?? '',
      confirm: yes,
    });
    const again = repoState(repo);
    expect(without(again.tree, [...LATER_IGNORED, 'newdir2'])).toEqual(
      without(atCheckpoint.tree, LATER_IGNORED),
    );
    expect(again.staged).toEqual(atCheckpoint.staged);
    expect(again.head).toEqual(atCheckpoint.head);
    expect(tempIndexFiles(path.join(repo, '.git'))).toEqual([]);
  });

  it('reports counts and paths of what it changed, seen from the current state, and records the safety checkpoint', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n', 'd.sh': '#!/bin/sh\n', 'keep.txt': 'same\n' });
    symlinkSync('a.txt', path.join(repo, 'e'));
    commitAll(repo, 'symlink');
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'A\n', 'c/new.txt': 'c\n' });
    rmSync(path.join(repo, 'b.txt'));
    chmodSync(path.join(repo, 'd.sh'), execMode());
    rmSync(path.join(repo, 'e'));
    symlinkSync('b.txt', path.join(repo, 'e'));
    const before = snapshotTree(repo);

    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: first.checkpointId,
      confirm: yes,
    });

    expect(report.planId).toBe(plan.planId);
    expect(report.checkpointId).toBe(first.checkpointId);
    expect(report.restored).toEqual({ added: 1, modified: 3, deleted: 1, total: 5 });
    expect([...report.paths].sort((x, y) => x.path.localeCompare(y.path))).toEqual([
      { path: 'a.txt', change: 'modified' },
      { path: 'b.txt', change: 'added' },
      { path: 'c/new.txt', change: 'deleted' },
      { path: 'd.sh', change: 'modified' },
      { path: 'e', change: 'modified' },
    ]);
    expect(report.head).toEqual({ action: 'unchanged', from: first.headSha, to: first.headSha });
    expect(report.dryRun).toBe(false);
    expect(report.durationMs).toBeGreaterThanOrEqual(0);
    const checkpoints = sp.checkpoints.list(plan.planId);
    expect(checkpoints.map((c) => [c.seq, c.metadata.kind])).toEqual([
      [1, 'initial'],
      [2, 'safety'],
    ]);
    const safety = checkpoints[1];
    expect(safety?.checkpointId).toBe(report.safetyCheckpointId);
    expect(safety?.metadata).toMatchObject({ rollbackTarget: first.checkpointId });
    expect(git(repo, 'rev-parse', safety?.sandboxRef ?? '')).toBe(safety?.commitSha);
    // The safety checkpoint holds exactly the state before the rollback.
    await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: safety?.checkpointId ?? '',
      confirm: yes,
    });
    expect(snapshotTree(repo)).toEqual(before);
  });

  it('with nothing to change reports zero paths and still records a safety checkpoint (the undo handle)', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    const before = repoState(repo);

    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: first.checkpointId,
      confirm: yes,
    });

    expect(report.restored).toEqual({ added: 0, modified: 0, deleted: 0, total: 0 });
    expect(report.paths).toEqual([]);
    const checkpoints = sp.checkpoints.list(plan.planId);
    expect(checkpoints).toHaveLength(2);
    expect(checkpoints[1]).toMatchObject({
      checkpointId: report.safetyCheckpointId,
      treeSha: first.treeSha,
      metadata: { kind: 'safety', rollbackTarget: first.checkpointId },
    });
    expect(repoState(repo)).toEqual(before);
  });

  it('restores the staged state of every kind and the status git showed at checkpoint time', async () => {
    const repo = makeRepo({
      'mod.txt': 'm0\n',
      'mm.txt': 'mm0\n',
      'del.txt': 'd0\n',
      'rmcached.txt': 'r0\n',
      'clean.txt': 'clean\n',
    });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, {
      'mod.txt': 'm-staged\n',
      'mm.txt': 'mm-staged\n',
      'added.txt': 'a\n',
      'ad.txt': 'ad\n',
    });
    git(repo, 'add', 'mod.txt', 'mm.txt', 'added.txt', 'ad.txt');
    git(repo, 'rm', '-q', 'del.txt');
    git(repo, 'rm', '-q', '--cached', 'rmcached.txt');
    writeFiles(repo, { 'mm.txt': 'mm-worktree\n', 'untracked.txt': 'u\n' });
    rmSync(path.join(repo, 'ad.txt'));
    const statusAtCheckpoint = porcelain(repo);
    expect(statusAtCheckpoint).toEqual([
      'AD ad.txt',
      'A  added.txt',
      'D  del.txt',
      'MM mm.txt',
      'M  mod.txt',
      'D  rmcached.txt',
      '?? rmcached.txt',
      '?? untracked.txt',
    ]);
    const stagedAtCheckpoint = stagedEntries(repo);
    const treeAtCheckpoint = snapshotTree(repo);
    const { checkpoint } = await sp.checkpoints.create(plan.planId);

    git(repo, 'add', '-A');
    commitAll(repo, 'everything');
    writeFiles(repo, { 'clean.txt': 'dirty now\n', 'mod.txt': 'again\n' });
    git(repo, 'add', 'mod.txt');

    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes });

    expect(porcelain(repo)).toEqual(statusAtCheckpoint);
    expect(stagedEntries(repo)).toEqual(stagedAtCheckpoint);
    expect(snapshotTree(repo)).toEqual(treeAtCheckpoint);
    // The index carries fresh stat data: without refreshing, git sees only the real worktree changes.
    expect(git(repo, 'diff-files', '--name-only').split('\n').sort()).toEqual(['ad.txt', 'mm.txt']);
  });
});

describe('HEAD', () => {
  it('moves the same branch back, with a reflog entry, and keeps the later commit reachable from the safety checkpoint', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'committed later\n' });
    const later = commitAll(repo, 'later');

    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: first.checkpointId,
      confirm: yes,
    });

    expect(headOf(repo)).toEqual({ ref: 'refs/heads/main', sha: first.headSha });
    expect(report.head).toEqual({ action: 'move', from: later, to: first.headSha });
    expect(git(repo, 'reflog', '-1', '--format=%gs', 'refs/heads/main')).toBe(
      `savepoint: rollback to checkpoint ${first.checkpointId}`,
    );
    const safety = sp.checkpoints.get(report.safetyCheckpointId ?? '');
    expect(safety.headSha).toBe(later);
    expect(git(repo, 'rev-parse', `${safety.commitSha}^1`)).toBe(later);
    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a\n');
    expect(porcelain(repo)).toEqual([]);
  });

  it('moves a detached HEAD back and leaves it detached', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    git(repo, 'checkout', '-q', '--detach');
    const start = git(repo, 'rev-parse', 'HEAD');
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'detached commit\n' });
    commitAll(repo, 'on a detached HEAD');
    const mainBefore = git(repo, 'rev-parse', 'refs/heads/main');

    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: first.checkpointId, confirm: yes });

    expect(headOf(repo)).toEqual({ ref: null, sha: start });
    expect(git(repo, 'rev-parse', 'refs/heads/main')).toBe(mainBefore);
    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a\n');
    expect(porcelain(repo)).toEqual([]);
  });

  it('makes an unborn branch unborn again, and the undo brings the commit back', async () => {
    const repo = makeRepo({});
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'first commit\n', 'dir/b.txt': 'b\n' });
    const commit = commitAll(repo, 'first');
    const later = repoState(repo);

    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: first.checkpointId,
      confirm: yes,
    });

    expect(headOf(repo)).toEqual({ ref: 'refs/heads/main', sha: null });
    expect(gitStatusCode(repo, 'rev-parse', '-q', '--verify', 'refs/heads/main')).not.toBe(0);
    expect(snapshotTree(repo)).toEqual({});
    expect(stagedEntries(repo)).toEqual([]);

    await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: report.safetyCheckpointId ?? '',
      confirm: yes,
    });
    expect(repoState(repo)).toEqual(later);
    expect(headOf(repo)).toEqual({ ref: 'refs/heads/main', sha: commit });
  });
});

describe('dry run and confirmation', () => {
  it('dry run previews the same changes and changes nothing: no files, index, HEAD, checkpoint or ref', async () => {
    const repo = makeRichRepo();
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    makeRichChanges(repo);
    writeFiles(repo, { 'README.md': '# staged\n' });
    git(repo, 'add', 'README.md');
    commitAll(repo, 'moves HEAD');
    const before = repoState(repo);
    const indexBefore = readFileSync(path.join(repo, '.git', 'index'));
    const refsBefore = refs(repo);

    const preview = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: first.checkpointId,
      dryRun: true,
      confirm: no,
    });

    expect(preview.dryRun).toBe(true);
    expect(preview.safetyCheckpointId).toBeNull();
    expect(preview.restored.total).toBeGreaterThan(15);
    expect(preview.head.action).toBe('move');
    expect(repoState(repo)).toEqual(before);
    expect(readFileSync(path.join(repo, '.git', 'index')).equals(indexBefore)).toBe(true);
    expect(refs(repo)).toEqual(refsBefore);
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(1);

    const real = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: first.checkpointId,
      confirm: yes,
    });
    expect(real.paths).toEqual(preview.paths);
    expect(real.restored).toEqual(preview.restored);
    expect(real.head).toEqual(preview.head);
  });

  it('a declined confirmation is CONFIRMATION_DECLINED (exit 8) and changes nothing; the preview it saw is accurate', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'changed\n', 'new.txt': 'new\n' });
    git(repo, 'add', 'new.txt');
    const before = repoState(repo);
    const refsBefore = refs(repo);
    const seen: RollbackPreview[] = [];

    await expectError(
      sp.rollbacks.rollback({
        planId: plan.planId,
        checkpointId: first.checkpointId,
        confirm: async (preview) => {
          seen.push(preview);
          return false;
        },
      }),
      ConfirmationError,
      'CONFIRMATION_DECLINED',
      8,
    );

    expect(repoState(repo)).toEqual(before);
    expect(refs(repo)).toEqual(refsBefore);
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.restored).toEqual({ added: 0, modified: 1, deleted: 1, total: 2 });
    expect(seen[0]?.paths).toEqual([
      { path: 'a.txt', change: 'modified' },
      { path: 'new.txt', change: 'deleted' },
    ]);
  });

  it('a confirm callback that throws stops the rollback with that error and changes nothing', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'changed\n' });
    const before = repoState(repo);

    await expectError(
      sp.rollbacks.rollback({
        planId: plan.planId,
        checkpointId: first.checkpointId,
        confirm: async () => {
          throw new ConfirmationError(false);
        },
      }),
      ConfirmationError,
      'CONFIRMATION_REQUIRED',
      8,
    );
    expect(repoState(repo)).toEqual(before);
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(1);
  });
});

describe('snapshot rules from DESIGN §4', () => {
  const conversions: Array<[string, Record<string, string>, string, Buffer]> = [
    [
      'core.autocrlf=input and a CRLF file',
      { 'core.autocrlf': 'input' },
      'crlf.txt',
      Buffer.from('a\r\nb\r\n'),
    ],
    ['core.autocrlf=true and an LF file', { 'core.autocrlf': 'true' }, 'lf.txt', Buffer.from('a\nb\n')],
    ['a text eol=crlf attribute and an LF file', {}, 'attr.txt', Buffer.from('a\nb\n')],
  ];

  it.each(conversions)('restores files byte-exact with %s', async (_name, config, file, bytes) => {
    const repo = makeRepo({ 'README.md': '# r\n' });
    for (const [key, value] of Object.entries(config)) git(repo, 'config', key, value);
    if (file === 'attr.txt') {
      writeFiles(repo, { '.gitattributes': '*.txt text eol=crlf\n' });
      commitAll(repo, 'attributes');
    }
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { [file]: bytes, 'also/sub.txt': bytes });
    const { checkpoint } = await sp.checkpoints.create(plan.planId);
    rmSync(path.join(repo, file));
    writeFiles(repo, { 'also/sub.txt': 'changed\n' });

    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes });

    expect(readFileSync(path.join(repo, file)).equals(bytes)).toBe(true);
    expect(readFileSync(path.join(repo, 'also/sub.txt')).equals(bytes)).toBe(true);
  });

  it('round-trips CRLF files byte-exact when no conversion is configured', async () => {
    const repo = makeRepo({ 'README.md': '# r\n' });
    git(repo, 'config', 'core.autocrlf', 'false');
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    const bytes = Buffer.from('a\r\nb\r\nmixed\n\r\n');
    writeFiles(repo, { 'crlf.txt': bytes });
    const { checkpoint } = await sp.checkpoints.create(plan.planId);
    writeFiles(repo, { 'crlf.txt': 'a\nb\n' });
    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes });
    expect(readFileSync(path.join(repo, 'crlf.txt')).equals(bytes)).toBe(true);
  });

  it('never deletes or rewrites a nested repository created after the checkpoint', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    const nested = path.join(repo, 'vendor', 'lib');
    makeRepo({ 'lib.txt': 'nested repo file\n' }, { dir: nested });
    writeFiles(nested, { 'wip.txt': 'uncommitted work in the nested repo\n' });
    writeFiles(repo, { 'a.txt': 'changed\n' });
    const nestedBefore = snapshotTree(nested);
    const nestedGitBefore = snapshotTree(path.join(nested, '.git'));

    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: first.checkpointId, confirm: yes });

    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a\n');
    expect(snapshotTree(nested)).toEqual(nestedBefore);
    expect(snapshotTree(path.join(nested, '.git'))).toEqual(nestedGitBefore);
  });

  it('never rewrites the files of a nested repository that existed at checkpoint time', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const nested = path.join(repo, 'vendor', 'lib');
    makeRepo({ 'lib.txt': 'nested v1\n' }, { dir: nested });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    writeFiles(nested, { 'lib.txt': 'nested v2\n', 'more.txt': 'more\n' });
    commitAll(nested, 'nested moves on');
    writeFiles(repo, { 'a.txt': 'changed\n' });
    const nestedBefore = snapshotTree(nested);
    const nestedHead = git(nested, 'rev-parse', 'HEAD');

    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: first.checkpointId, confirm: yes });

    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a\n');
    expect(snapshotTree(nested)).toEqual(nestedBefore);
    expect(git(nested, 'rev-parse', 'HEAD')).toBe(nestedHead);
  });

  it('does not delete a file that was ignored at checkpoint time and is not ignored now', async () => {
    const repo = makeRepo({ '.gitignore': '*.log\n', 'a.txt': 'a\n' });
    writeFiles(repo, { 'notes.log': 'precious, was ignored\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { '.gitignore': '# no more rules\n', 'a.txt': 'changed\n' });

    await sp.rollbacks
      .rollback({ planId: plan.planId, checkpointId: first.checkpointId, confirm: yes })
      .catch(() => undefined);

    expect(existsSync(path.join(repo, 'notes.log'))).toBe(true);
    expect(readFileSync(path.join(repo, 'notes.log'), 'utf8')).toBe('precious, was ignored\n');
  });

  it('restores a symlink without following it, and a directory that replaced a symlink', async () => {
    const repo = makeRepo({ 'target/file.txt': 't\n' });
    symlinkSync('target', path.join(repo, 'link'));
    commitAll(repo, 'link to a directory');
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    rmSync(path.join(repo, 'link'));
    writeFiles(repo, { 'link/own.txt': 'a real directory now\n' });
    const before = snapshotTree(repo);
    expect(before.link).toEqual({ type: 'dir' });

    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: first.checkpointId, confirm: yes });

    expect(lstatSync(path.join(repo, 'link')).isSymbolicLink()).toBe(true);
    expect(entryText(snapshotTree(repo)['target/file.txt'])).toBe('t\n');
    expect(gitBuffer(repo, 'cat-file', '-p', 'HEAD:link').toString()).toBe('target');
    expect(porcelain(repo)).toEqual([]);
  });
});
