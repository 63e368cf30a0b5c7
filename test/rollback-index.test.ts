/**
 * Rollback's index step (src/git/sandbox.ts `resetIndex`, `diffTreePairs`, `indexStamp`) and
 * the rollback service's use of it, against real temp repositories: writing only the entries
 * that differ gives, entry for entry and stat for stat, the index `read-tree --reset` gives,
 * and every case where that is not provable falls back to `read-tree --reset`.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  lutimesSync,
  mkdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GitSandbox, IndexDelta } from '../src/core/ports.js';
import { GitSandboxProvider } from '../src/git/sandbox.js';
import { porcelain, stagedEntries } from './helpers/fs-snapshot.js';
import { cleanGitEnv, git, makeRepo, tempDir, writeFiles } from './helpers/repo.js';
import { openSavepoint, yes } from './helpers/savepoint.js';

const provider = new GitSandboxProvider();

/** Runs git on `repo` with another index file (`GIT_INDEX_FILE`); returns trimmed stdout. */
function gitWith(repo: string, indexFile: string, ...args: string[]): string {
  const result = spawnSync('git', args, {
    cwd: repo,
    env: { ...cleanGitEnv(), GIT_INDEX_FILE: indexFile },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

/** Every entry of an index file with its stage, stat data and flags (`ls-files -s --debug`). */
function dump(repo: string, indexFile = path.join(repo, '.git', 'index')): string {
  return gitWith(repo, indexFile, 'ls-files', '-s', '--debug');
}

/** `git status` as seen through an index file, without writing it. */
function statusWith(repo: string, indexFile: string): string {
  return gitWith(repo, indexFile, '--no-optional-locks', 'status', '--porcelain=v1', '--untracked-files=all');
}

/** A copy of the real index with its mtime (git's racy-entry rule reads it). */
function copyIndex(repo: string): string {
  const real = path.join(repo, '.git', 'index');
  const copy = path.join(tempDir('savepoint-index-'), 'index');
  copyFileSync(real, copy);
  const { atime, mtime } = statSync(real);
  utimesSync(copy, atime, mtime);
  return copy;
}

/** Sets every worktree entry's mtime a minute back, so no index entry is racily clean. */
function age(repo: string, files: readonly string[]): void {
  const past = new Date(Date.now() - 60_000);
  for (const file of files) lutimesSync(path.join(repo, file), past, past);
}

/** A blob holding `text`. */
function blob(repo: string, text: string): string {
  const result = spawnSync('git', ['hash-object', '-w', '--stdin'], {
    cwd: repo,
    env: cleanGitEnv(),
    input: text,
    encoding: 'utf8',
  });
  return result.stdout.trim();
}

/**
 * A repository whose real index (every entry with stat data, none racy) differs from a target
 * tree in every way an entry can: content, mode, symlink target, file→directory,
 * directory→file, added, removed, and a gitlink. Returns both trees.
 */
function repoWithTarget(): { repo: string; from: string; target: string } {
  const repo = makeRepo({
    'a.txt': 'a\n',
    'exec.sh': '#!/bin/sh\n',
    'swap.txt': 'a file that becomes a directory\n',
    'dir/f.txt': 'a directory that becomes a file\n',
    'gone.txt': 'removed in the target\n',
    'keep/one.txt': '1\n',
    'keep/two.txt': '2\n',
    'odd\tname\nwith newline.txt': 'odd\n',
  });
  chmodSync(path.join(repo, 'exec.sh'), 0o755);
  symlinkSync('a.txt', path.join(repo, 'link'));
  writeFiles(repo, { 'staged.txt': 'staged only\n' });
  git(repo, 'add', '-A');
  age(repo, [
    'a.txt',
    'exec.sh',
    'swap.txt',
    'dir/f.txt',
    'gone.txt',
    'keep/one.txt',
    'keep/two.txt',
    'link',
    'odd\tname\nwith newline.txt',
    'staged.txt',
  ]);
  git(repo, 'update-index', '--really-refresh');
  const from = git(repo, 'write-tree');
  const scratch = copyIndex(repo);
  const head = git(repo, 'rev-parse', 'HEAD');
  gitWith(repo, scratch, 'update-index', '--cacheinfo', `100644,${blob(repo, 'changed\n')},a.txt`);
  gitWith(repo, scratch, 'update-index', '--cacheinfo', `100644,${blob(repo, '#!/bin/sh\n')},exec.sh`);
  gitWith(repo, scratch, 'update-index', '--cacheinfo', `120000,${blob(repo, 'keep/one.txt')},link`);
  gitWith(repo, scratch, 'update-index', '--force-remove', 'swap.txt', 'dir/f.txt', 'gone.txt');
  gitWith(
    repo,
    scratch,
    'update-index',
    '--add',
    '--cacheinfo',
    `100644,${blob(repo, 'inner\n')},swap.txt/inner.txt`,
  );
  gitWith(repo, scratch, 'update-index', '--add', '--cacheinfo', `100755,${blob(repo, 'now a file\n')},dir`);
  gitWith(repo, scratch, 'update-index', '--add', '--cacheinfo', `100644,${blob(repo, 'new\n')},new.txt`);
  gitWith(repo, scratch, 'update-index', '--add', '--cacheinfo', `160000,${head},sub`);
  gitWith(
    repo,
    scratch,
    'update-index',
    '--cacheinfo',
    `100644,${blob(repo, 'odd, changed\n')},odd\tname\nwith newline.txt`,
  );
  const target = gitWith(repo, scratch, 'write-tree');
  return { repo, from, target };
}

/** The delta from the real index's tree to `target`, stamped now. */
async function deltaTo(sandbox: GitSandbox, from: string, target: string): Promise<IndexDelta> {
  const stamp = await sandbox.indexStamp();
  const [changes = []] = await sandbox.diffTreePairs([[from, target]]);
  return { fromTree: from, toTree: target, stamp, changes };
}

/** What `read-tree --reset <tree>` makes of a copy of the real index as it is now. */
function expectedReset(repo: string, tree: string): { index: string; status: string } {
  const copy = copyIndex(repo);
  gitWith(repo, copy, 'read-tree', '--reset', tree);
  return { index: dump(repo, copy), status: statusWith(repo, copy) };
}

describe('diffTreePairs', () => {
  it('answers several pairs in one call, in order, with the second tree entry of each path', async () => {
    const { repo, from, target } = repoWithTarget();
    const sandbox = await provider.open(repo);
    writeFiles(repo, { 'another\todd\nname.txt': 'x\n' });
    git(repo, 'add', '-A');
    const withOdd = git(repo, 'write-tree');

    const [forward = [], same = [], odd = []] = await sandbox.diffTreePairs([
      [from, target],
      [target, target],
      [from, withOdd],
    ]);

    // What plain `diff-tree -r -z --raw` says for the first pair, record by record.
    const fields = spawnSync('git', ['diff-tree', '-r', '-z', '--no-renames', '--raw', from, target], {
      cwd: repo,
      env: cleanGitEnv(),
      encoding: 'utf8',
    }).stdout.split('\0');
    const expected = [];
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const [, mode, , sha, status] = (fields[i] as string).slice(1).split(' ');
      const change = status === 'A' ? 'added' : status === 'D' ? 'deleted' : 'modified';
      expected.push({ path: fields[i + 1], change, mode, sha });
    }
    expect(forward).toEqual(expected);
    expect(forward.map((c) => c.path)).toContain('sub');
    expect(forward.find((c) => c.path === 'gone.txt')).toMatchObject({ change: 'deleted', mode: '000000' });
    expect(same).toEqual([]);
    expect(odd).toEqual([
      { path: 'another\todd\nname.txt', change: 'added', mode: '100644', sha: blob(repo, 'x\n') },
    ]);
  });
});

describe('resetIndex with an index delta', () => {
  it('gives exactly the index read-tree --reset gives: entries, stat data, flags, status', async () => {
    const { repo, from, target } = repoWithTarget();
    const sandbox = await provider.open(repo);
    const delta = await deltaTo(sandbox, from, target);
    expect(delta.stamp.version).toBe(2);
    const expected = expectedReset(repo, target);

    await sandbox.resetIndex(target, [], delta);

    expect(dump(repo)).toBe(expected.index);
    expect(statusWith(repo, path.join(repo, '.git', 'index'))).toBe(expected.status);
    expect(git(repo, 'write-tree')).toBe(target);
    // Entries the delta left alone kept their stat data: git sees them unchanged without hashing.
    expect(dump(repo)).toMatch(/keep\/one\.txt\n {2}ctime: [1-9]/);
  });

  it('writes only the differing entries: the target tree object itself is never read', async () => {
    const { repo, from, target } = repoWithTarget();
    const sandbox = await provider.open(repo);
    const delta = await deltaTo(sandbox, from, target);
    const expected = expectedReset(repo, target);
    // Without the root tree object, read-tree --reset fails; the delta does not need it.
    rmSync(path.join(repo, '.git', 'objects', target.slice(0, 2), target.slice(2)));

    await sandbox.resetIndex(target, [], delta);

    expect(dump(repo)).toBe(expected.index);
  });

  it('refreshes the rewritten paths after writing the entries', async () => {
    const { repo, from, target } = repoWithTarget();
    const sandbox = await provider.open(repo);
    const delta = await deltaTo(sandbox, from, target);
    writeFiles(repo, { 'a.txt': 'changed\n' });

    await sandbox.resetIndex(target, ['a.txt'], delta);

    // Fresh stat data: diff-files (which never hashes) no longer lists a.txt.
    const dirty = git(repo, '--no-optional-locks', 'diff-files', '--name-only').split('\n');
    expect(dirty).not.toContain('a.txt');
    expect(dirty).toContain('exec.sh');
  });

  it('falls back to read-tree --reset when the index changed since the stamp', async () => {
    const { repo, from, target } = repoWithTarget();
    const sandbox = await provider.open(repo);
    const delta = await deltaTo(sandbox, from, target);
    writeFiles(repo, { 'later.txt': 'staged after the scan\n' });
    git(repo, 'add', 'later.txt');
    const expected = expectedReset(repo, target);

    await sandbox.resetIndex(target, [], delta);

    expect(dump(repo)).toBe(expected.index);
    expect(stagedEntries(repo).some((line) => line.endsWith('\tlater.txt'))).toBe(false);
  });

  it('falls back to read-tree --reset for an intent-to-add entry (a version 3 index)', async () => {
    const { repo, from, target } = repoWithTarget();
    writeFiles(repo, { 'intent.txt': 'git add -N\n' });
    git(repo, 'add', '-N', 'intent.txt');
    const sandbox = await provider.open(repo);
    expect(git(repo, 'write-tree')).toBe(from);
    const delta = await deltaTo(sandbox, from, target);
    expect(delta.stamp.version).toBe(3);
    const expected = expectedReset(repo, target);

    await sandbox.resetIndex(target, [], delta);

    expect(dump(repo)).toBe(expected.index);
    expect(stagedEntries(repo).some((line) => line.endsWith('\tintent.txt'))).toBe(false);
  });

  it('falls back to read-tree --reset for a version 4 index and for a sparse checkout', async () => {
    for (const setup of ['v4', 'sparse'] as const) {
      const { repo, from, target } = repoWithTarget();
      if (setup === 'v4') git(repo, 'update-index', '--index-version', '4');
      else {
        git(repo, 'config', 'core.sparseCheckout', 'true');
        mkdirSync(path.join(repo, '.git', 'info'), { recursive: true });
        writeFiles(path.join(repo, '.git', 'info'), { 'sparse-checkout': '/*\n' });
      }
      const sandbox = await provider.open(repo);
      const delta = await deltaTo(sandbox, from, target);
      const expected = expectedReset(repo, target);
      // A missing target tree proves which way the index was written: read-tree needs it.
      const object = path.join(repo, '.git', 'objects', target.slice(0, 2), target.slice(2));
      const saved = `${object}.saved`;
      copyFileSync(object, saved);
      rmSync(object, { force: true });
      await expect(sandbox.resetIndex(target, [], delta), setup).rejects.toThrow(/read-tree/);
      copyFileSync(saved, object);

      await sandbox.resetIndex(target, [], delta);

      expect(dump(repo), setup).toBe(expected.index);
    }
  });
});

describe('rollback through the index delta', () => {
  it('restores a checkpoint with staged changes: the index read-tree --reset and the refresh would give', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n', 'c/d.txt': 'd\n', 'e.txt': 'e\n' });
    // The checkpoint: a staged edit, a staged new file, a staged deletion, an unstaged edit on
    // top of a staged one, an untracked file.
    writeFiles(repo, { 'a.txt': 'a staged\n', 'new.txt': 'staged new\n', 'u.txt': 'untracked\n' });
    git(repo, 'add', 'a.txt', 'new.txt');
    git(repo, 'rm', '-q', 'e.txt');
    writeFiles(repo, { 'b.txt': 'b staged\n' });
    git(repo, 'add', 'b.txt');
    writeFiles(repo, { 'b.txt': 'b staged, then edited\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    const atCheckpoint = { staged: stagedEntries(repo), status: porcelain(repo) };

    // Later: other staged and unstaged changes, a file becoming a directory.
    writeFiles(repo, { 'a.txt': 'later\n', 'c/d.txt': 'later d\n', 'later.txt': 'later\n' });
    git(repo, 'add', '-A');
    rmSync(path.join(repo, 'new.txt'));
    writeFiles(repo, { 'new.txt/inside.txt': 'a directory now\n', 'b.txt': 'unstaged later\n' });
    const before = copyIndex(repo);

    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: first.checkpointId,
      confirm: yes,
    });

    expect(git(repo, 'write-tree')).toBe(first.indexTreeSha);
    expect(stagedEntries(repo)).toEqual(atCheckpoint.staged);
    expect(porcelain(repo)).toEqual(atCheckpoint.status);
    // The same index, stat data included, as read-tree --reset of the checkpoint's index tree
    // on the index before the rollback, then the same targeted refresh.
    const rewritten = report.paths.filter((c) => c.change !== 'deleted').map((c) => c.path);
    gitWith(repo, before, 'read-tree', '--reset', first.indexTreeSha);
    spawnSync('git', ['status', '--porcelain', '-uno', '--', ...rewritten.map((p) => `:(literal)${p}`)], {
      cwd: repo,
      env: { ...cleanGitEnv(), GIT_INDEX_FILE: before, GIT_OPTIONAL_LOCKS: '1' },
    });
    expect(dump(repo)).toBe(dump(repo, before));
    sp.close();
  });

  it('still preserves a tracked file the ignore rules match when the rules did not change', async () => {
    const repo = makeRepo({ '.gitignore': '*.log\n', 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    // Tracked although ignored (add -f), and absent from the checkpoint: an ignored file is
    // none of the checkpoint's business, rollback leaves it on disk.
    writeFiles(repo, {
      'forced.log': 'tracked despite the rules\n',
      'plain.txt': 'untracked, not ignored\n',
    });
    git(repo, 'add', '-f', 'forced.log');

    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: first.checkpointId,
      confirm: yes,
    });

    expect(report.preserved).toEqual(['forced.log']);
    expect(report.paths).toEqual([{ path: 'plain.txt', change: 'deleted' }]);
    expect(git(repo, 'ls-files', '--others', '--ignored', '--exclude-standard')).toBe('forced.log');
    expect(git(repo, 'ls-files', 'plain.txt')).toBe('');
    sp.close();
  });
});
