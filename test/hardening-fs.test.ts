/**
 * Adversarial file-system states (issues 12 and 16), with real git and real files: a
 * directory of the checkpoint that is now a symbolic link to a directory outside the sandbox
 * (nothing is read, moved or written through it), files a `--force` rollback moved aside
 * (undo and `recover --abort` put them back).
 */
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PathNotUtf8Error } from '../src/checkpoint/errors.js';
import type { RecoverReport } from '../src/ledger/recovery-service.js';
import { assertBuilt, cliJson, runCli } from './helpers/cli.js';
import { headOf, refs, snapshotTree, stagedEntries } from './helpers/fs-snapshot.js';
import { git, makeRepo, tempDir, writeFiles } from './helpers/repo.js';
import { expectError, openSavepoint, yes } from './helpers/savepoint.js';

function sandboxState(repo: string) {
  return { tree: snapshotTree(repo), staged: stagedEntries(repo), head: headOf(repo) };
}

/** A directory outside the sandbox with files (and, when `repo`, a `.git` of its own). */
function outsideDir(repo = false): string {
  const dir = tempDir('savepoint-outside-');
  writeFiles(dir, { 'a.txt': 'OUTSIDE a\n', 'c.txt': 'OUTSIDE c\n', 'sub/d.txt': 'OUTSIDE d\n' });
  if (repo) git(dir, 'init', '-q');
  return dir;
}

/** Checkpoint #1 has directory `d` (tracked files, an untracked one, an ignored one); then `d` becomes a link to `outside`. */
async function linkedAway(outside: string) {
  const repo = makeRepo({ 'd/a.txt': 'a\n', 'd/b.txt': 'b\n', 'top.txt': 't\n', '.gitignore': '*.log\n' });
  writeFiles(repo, { 'd/new.txt': 'untracked\n', 'd/x.log': 'ignored\n' });
  const sp = await openSavepoint(repo);
  const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
  const atCheckpoint = snapshotTree(repo);
  rmSync(path.join(repo, 'd'), { recursive: true });
  symlinkSync(outside, path.join(repo, 'd'));
  return { repo, sp, plan, checkpoint, atCheckpoint };
}

describe('a directory of the checkpoint that is now a symlink to a directory outside the sandbox', () => {
  for (const force of [false, true]) {
    it(`rollback${force ? ' --force' : ''} replaces the link by the directory; nothing outside is read, moved or written; undo brings the link back`, async () => {
      const outside = outsideDir();
      const outsideBefore = snapshotTree(outside);
      const { repo, sp, plan, checkpoint, atCheckpoint } = await linkedAway(outside);
      const linked = snapshotTree(repo);

      const preview = await sp.rollbacks.rollback({
        planId: plan.planId,
        checkpointId: checkpoint.checkpointId,
        dryRun: true,
        confirm: yes,
      });
      expect(preview.inTheWay).toEqual([]);

      const report = await sp.rollbacks.rollback({
        planId: plan.planId,
        checkpointId: checkpoint.checkpointId,
        force,
        confirm: yes,
      });
      expect(report.movedAside).toEqual([]);
      expect(report.paths).toEqual([
        { path: 'd', change: 'deleted' },
        { path: 'd/a.txt', change: 'added' },
        { path: 'd/b.txt', change: 'added' },
        { path: 'd/new.txt', change: 'added' },
      ]);
      expect(snapshotTree(outside)).toEqual(outsideBefore);
      const { 'd/x.log': _ignored, ...restorable } = atCheckpoint;
      expect(snapshotTree(repo)).toEqual(restorable);
      expect(existsSync(path.join(repo, '.git', 'savepoint', 'aside'))).toBe(false);

      const undo = await sp.undo({ planId: plan.planId, confirm: yes, force });
      expect(undo.movedAside).toEqual([]);
      expect(snapshotTree(repo)).toEqual(linked);
      expect(snapshotTree(outside)).toEqual(outsideBefore);
    });
  }

  it('the scan records the link as a link, never looking through it (an outside repository is no nested repository)', async () => {
    const outside = outsideDir(true);
    const { repo, sp, plan } = await linkedAway(outside);
    const { checkpoint, skippedPaths } = await sp.checkpoints.create(plan.planId);
    expect(skippedPaths).toEqual([]);
    expect(git(repo, 'ls-tree', checkpoint.treeSha, 'd')).toMatch(/^120000 blob [0-9a-f]+\td$/);
    expect(git(repo, 'cat-file', '-p', `${checkpoint.treeSha}:d`)).toBe(outside);
    expect(git(repo, 'ls-tree', '-r', '--name-only', checkpoint.treeSha)).not.toMatch(/^d\//m);
  });

  it('a leading directory of an in-the-way path that is a link is never followed by --force', async () => {
    // The checkpoint has `e/f/g.txt`; now `e` is a link to a directory outside holding `f/g.txt`.
    const repo = makeRepo({ 'e/f/g.txt': 'g\n', 'top.txt': 't\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
    const outside = tempDir('savepoint-outside-');
    writeFiles(outside, { 'f/g.txt': 'OUTSIDE g\n' });
    const outsideBefore = snapshotTree(outside);
    rmSync(path.join(repo, 'e'), { recursive: true });
    symlinkSync(outside, path.join(repo, 'e'));
    git(repo, 'add', '-A');
    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: checkpoint.checkpointId,
      force: true,
      confirm: yes,
    });
    expect(report.movedAside).toEqual([]);
    expect(readFileSync(path.join(repo, 'e/f/g.txt'), 'utf8')).toBe('g\n');
    expect(snapshotTree(outside)).toEqual(outsideBefore);
  });
});

describe('an ignored symlink to a directory outside, where the checkpoint has a directory', () => {
  it('is in the way; --force moves the link itself (not what it points to); undo puts the link back', async () => {
    const repo = makeRepo({ 'd/a.txt': 'a\n', 'top.txt': 't\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
    const outside = outsideDir();
    const outsideBefore = snapshotTree(outside);
    git(repo, 'rm', '-rq', 'd');
    writeFiles(repo, { '.gitignore': 'd\n' });
    symlinkSync(outside, path.join(repo, 'd'));
    const before = sandboxState(repo);

    const refused = await sp.rollbacks
      .rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({
      code: 'PATH_IN_THE_WAY',
      details: { paths: ['d'], reason: 'untracked' },
    });
    expect(sandboxState(repo)).toEqual(before);

    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: checkpoint.checkpointId,
      force: true,
      confirm: yes,
    });
    expect(report.movedAside.map((m) => m.path)).toEqual(['d']);
    expect(readFileSync(path.join(repo, 'd/a.txt'), 'utf8')).toBe('a\n');
    expect(snapshotTree(outside)).toEqual(outsideBefore);

    const undo = await sp.undo({ planId: plan.planId, confirm: yes });
    expect(undo.returnedFromAside.map((m) => m.path)).toEqual(['d']);
    expect(sandboxState(repo)).toEqual(before);
    expect(snapshotTree(outside)).toEqual(outsideBefore);
  });
});

/** An ignored file stands where checkpoint #1 has a file: `--force` moves it aside. */
async function ignoredInTheWay() {
  const repo = makeRepo({ 'keep.txt': 'k\n' });
  writeFiles(repo, { 'build/out.bin': 'checkpoint content\n' });
  const sp = await openSavepoint(repo);
  const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
  rmSync(path.join(repo, 'build'), { recursive: true });
  writeFiles(repo, { '.gitignore': 'build/\n', 'build/out.bin': 'ignored, precious\n', 'later.txt': 'l\n' });
  await sp.checkpoints.create(plan.planId);
  return { repo, sp, plan, checkpoint, before: sandboxState(repo) };
}

describe('files a --force rollback moved aside', () => {
  it('undo says where they are and puts them back; the aside directory goes', async () => {
    const { repo, sp, plan, checkpoint, before } = await ignoredInTheWay();
    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: checkpoint.checkpointId,
      force: true,
      confirm: yes,
    });
    const aside = path.join(repo, '.git', 'savepoint', 'aside', report.safetyCheckpointId ?? '');
    expect(report.movedAside).toEqual([
      { path: 'build/out.bin', movedTo: path.join(aside, 'build/out.bin') },
    ]);
    expect(readFileSync(path.join(repo, 'build/out.bin'), 'utf8')).toBe('checkpoint content\n');

    const preview = await sp.undo({ planId: plan.planId, confirm: yes, dryRun: true });
    expect(preview.aside).toEqual(report.movedAside);
    expect(preview.returnedFromAside).toEqual([]);

    const undo = await sp.undo({ planId: plan.planId, confirm: yes });
    expect(undo.aside).toEqual(report.movedAside);
    expect(undo.returnedFromAside).toEqual([
      { path: 'build/out.bin', movedFrom: path.join(aside, 'build/out.bin') },
    ]);
    expect(undo.leftAside).toEqual([]);
    expect(sandboxState(repo)).toEqual(before);
    expect(existsSync(aside)).toBe(false);

    // The undo is itself undoable: the checkpoint's file comes back, the ignored one goes aside again.
    const again = await sp.undo({ planId: plan.planId, confirm: yes, force: true });
    expect(again.movedAside.map((m) => m.path)).toEqual(['build/out.bin']);
    expect(readFileSync(path.join(repo, 'build/out.bin'), 'utf8')).toBe('checkpoint content\n');
  });

  it('a path taken by a file no snapshot holds keeps the file aside, reported in leftAside', async () => {
    const { repo, sp, plan, checkpoint } = await ignoredInTheWay();
    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: checkpoint.checkpointId,
      force: true,
      confirm: yes,
    });
    const [moved] = report.movedAside;
    // The file standing there now is ignored again, so no snapshot holds it: it is not replaced.
    writeFiles(repo, { '.gitignore': 'build/\n', 'build/out.bin': 'made after the rollback\n' });
    const undo = await sp.undo({ planId: plan.planId, confirm: yes });
    expect(undo.returnedFromAside).toEqual([]);
    expect(undo.leftAside).toEqual([moved]);
    expect(readFileSync(moved?.movedTo ?? '', 'utf8')).toBe('ignored, precious\n');
    expect(readFileSync(path.join(repo, 'build/out.bin'), 'utf8')).toBe('made after the rollback\n');
  });

  it('a file the target tracks although ignored now is replaced by the aside one (it is in the undo safety checkpoint)', async () => {
    // checkpoint #1 tracks build/out.bin (force-added); later it is untracked and ignored.
    const repo = makeRepo({ 'keep.txt': 'k\n', '.gitignore': 'build/\n' });
    writeFiles(repo, { 'build/out.bin': 'tracked content\n' });
    git(repo, 'add', '-f', 'build/out.bin');
    const sp = await openSavepoint(repo);
    const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
    git(repo, 'rm', '-q', '--cached', 'build/out.bin');
    writeFiles(repo, { 'build/out.bin': 'ignored, precious\n' });
    const before = sandboxState(repo);
    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: checkpoint.checkpointId,
      force: true,
      confirm: yes,
    });
    expect(report.movedAside.map((m) => m.path)).toEqual(['build/out.bin']);
    const undo = await sp.undo({ planId: plan.planId, confirm: yes });
    expect(undo.preserved).toEqual([]);
    expect(undo.returnedFromAside.map((m) => m.path)).toEqual(['build/out.bin']);
    expect(sandboxState(repo)).toEqual(before);
  });
});

describe('recover --abort of an interrupted --force rollback', () => {
  beforeAll(assertBuilt);

  for (const point of ['rollback.after-worktree', 'rollback.after-head', 'rollback.before-outcome']) {
    it(`killed at ${point}: the moved-aside files go back`, async () => {
      const { repo, plan, checkpoint, before } = await ignoredInTheWay();
      const killed = await runCli(
        repo,
        ['plan', 'rollback', plan.planId, checkpoint.checkpointId, '--yes', '--force'],
        {
          SAVEPOINT_FAULT: point,
        },
      );
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      const recovered = await cliJson<RecoverReport>(repo, ['recover', '--abort']);
      expect(recovered.operations.map((op) => op.endState)).toEqual(['pre']);
      expect(recovered.operations[0]?.summary).toMatch(/; put back build\/out\.bin from .*\/aside\//);
      expect(sandboxState(repo)).toEqual(before);
      const asideRoot = path.join(repo, '.git', 'savepoint', 'aside');
      expect(existsSync(asideRoot) ? readdirSync(asideRoot) : []).toEqual([]);
    });
  }
});

describe('core.ignoreCase=true on a case-sensitive file system', () => {
  async function caseRepo() {
    const repo = makeRepo({ README: 'original\n', 'src/Main.txt': 'main\n', '.gitignore': '*.LOG\n' });
    git(repo, 'config', 'core.ignoreCase', 'true');
    const sp = await openSavepoint(repo);
    const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
    return { repo, sp, plan, first: checkpoint, initial: sandboxState(repo) };
  }

  it('a rename README → readme plus an edit is captured byte for byte; rollbacks go both ways', async () => {
    const { repo, sp, plan, first, initial } = await caseRepo();
    rmSync(path.join(repo, 'README'));
    rmSync(path.join(repo, 'src/Main.txt'));
    writeFiles(repo, { readme: 'renamed and edited\n', 'src/main.txt': 'lower\n' });
    const renamed = sandboxState(repo);
    const { checkpoint: second } = await sp.checkpoints.create(plan.planId);
    expect(git(repo, 'ls-tree', '-r', '--name-only', second.treeSha).split('\n')).toEqual([
      '.gitignore',
      'readme',
      'src/main.txt',
    ]);
    expect(git(repo, 'cat-file', '-p', `${second.treeSha}:readme`)).toBe('renamed and edited');

    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: first.checkpointId, confirm: yes });
    expect(sandboxState(repo)).toEqual(initial);
    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: second.checkpointId, confirm: yes });
    expect(snapshotTree(repo)).toEqual(renamed.tree);
  });

  it('ignore rules still match as the repository says (case-insensitively): such a file is left alone', async () => {
    const { repo, sp, plan, first } = await caseRepo();
    writeFiles(repo, { 'debug.log': 'ignored by *.LOG\n', 'new.txt': 'n\n' });
    expect(git(repo, 'status', '--porcelain')).toBe('?? new.txt');
    const { checkpoint } = await sp.checkpoints.create(plan.planId);
    expect(git(repo, 'ls-tree', '-r', '--name-only', checkpoint.treeSha)).not.toMatch(/debug\.log/);
    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: first.checkpointId, confirm: yes });
    expect(readFileSync(path.join(repo, 'debug.log'), 'utf8')).toBe('ignored by *.LOG\n');
    expect(existsSync(path.join(repo, 'new.txt'))).toBe(false);
  });
});

/** Top-level files of `dir` as [name bytes, content bytes] in hex: names need not be UTF-8. */
function byteListing(dir: string): string[][] {
  return readdirSync(dir, { encoding: 'buffer' })
    .filter((name) => name.toString('latin1') !== '.git')
    .map((name) => [
      name.toString('hex'),
      readFileSync(Buffer.concat([Buffer.from(`${dir}/`), name])).toString('hex'),
    ])
    .sort();
}

describe('file names that are not valid UTF-8', () => {
  /** `café.txt` with é as the single Latin-1 byte 0xE9: not UTF-8. */
  const latin1 = Buffer.from('caf\xe9.txt', 'latin1');

  it('an untracked one: checkpoint create refuses with PATH_NOT_UTF8 (4) and records nothing', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFileSync(Buffer.concat([Buffer.from(`${repo}/`), latin1]), 'latin-1 name\n');
    const refsBefore = refs(repo, 'refs/savepoint/');
    const error = await expectError(sp.checkpoints.create(plan.planId), PathNotUtf8Error, 'PATH_NOT_UTF8', 4);
    expect(error.details).toEqual({ sandboxPath: repo, paths: ['caf\uFFFD.txt'] });
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(1);
    expect(refs(repo, 'refs/savepoint/')).toEqual(refsBefore);
  });

  it('rollback refuses before any change: no safety checkpoint, the worktree as it was', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'changed\n' });
    writeFileSync(Buffer.concat([Buffer.from(`${repo}/`), latin1]), 'latin-1 name\n');
    const before = { files: byteListing(repo), staged: stagedEntries(repo), head: headOf(repo) };
    await expectError(
      sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes }),
      PathNotUtf8Error,
      'PATH_NOT_UTF8',
      4,
    );
    expect({ files: byteListing(repo), staged: stagedEntries(repo), head: headOf(repo) }).toEqual(before);
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(1);
  });

  it('a tracked one that the first scan must re-hash (line-ending conversion configured) is refused, not lost', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    writeFileSync(Buffer.concat([Buffer.from(`${repo}/`), latin1]), 'latin-1 name\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'latin-1');
    git(repo, 'config', 'core.autocrlf', 'true');
    const sp = await openSavepoint(repo);
    await expectError(sp.plans.create({ sandbox: repo }), PathNotUtf8Error, 'PATH_NOT_UTF8', 4);
    expect(sp.plans.list()).toEqual([]);
  });

  it('a tracked one git carries unchanged is kept exactly through checkpoints and rollbacks of other files', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const name = Buffer.concat([Buffer.from(`${repo}/`), latin1]);
    writeFileSync(name, 'latin-1 name\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'latin-1');
    const sp = await openSavepoint(repo);
    const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'changed\n' });
    await sp.checkpoints.create(plan.planId);
    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes });
    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a\n');
    expect(readFileSync(name, 'utf8')).toBe('latin-1 name\n');
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });
});
