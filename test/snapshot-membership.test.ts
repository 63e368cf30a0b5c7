/**
 * What a snapshot holds as the worktree changes between scans (savepoint keeps its own stat
 * cache, the raw index): files that grow over the size cap, directories that become nested
 * repositories, files that become ignored, and ignored files the user starts to track.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanGitEnv, git, makeRepo, writeFiles } from './helpers/repo.js';
import { openSavepoint } from './helpers/savepoint.js';

/** Paths of a tree, recursively. */
function treePaths(repo: string, tree: string): string[] {
  return git(repo, 'ls-tree', '-r', '-z', '--name-only', tree).split('\0').filter(Boolean);
}

/** True when the object store holds a blob with exactly these bytes. */
function hasBlob(repo: string, bytes: Buffer): boolean {
  const sha = execFileSync('git', ['hash-object', '--stdin'], { cwd: repo, input: bytes, env: cleanGitEnv() })
    .toString()
    .trim();
  try {
    git(repo, 'cat-file', '-e', sha);
    return true;
  } catch {
    return false;
  }
}

describe('snapshot membership across scans', () => {
  it('an untracked file that grows over the size cap leaves the snapshot and is never hashed', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    writeFiles(repo, { 'data.bin': Buffer.alloc(500, 1) });
    const sp = await openSavepoint(repo, { untrackedSizeCap: 1000 });
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    expect(treePaths(repo, first.treeSha)).toContain('data.bin');

    const big = Buffer.alloc(5000, 2);
    writeFileSync(path.join(repo, 'data.bin'), big);
    const second = await sp.checkpoints.create(plan.planId, {});

    expect(second.skippedPaths).toEqual([{ path: 'data.bin', reason: 'too-large', sizeBytes: 5000 }]);
    expect(treePaths(repo, second.checkpoint.treeSha)).not.toContain('data.bin');
    expect(hasBlob(repo, big)).toBe(false);
  });

  it('an untracked directory that becomes a nested repository leaves the snapshot', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    writeFiles(repo, { 'lib/one.txt': '1\n', 'lib/two.txt': '2\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    expect(treePaths(repo, first.treeSha)).toEqual(expect.arrayContaining(['lib/one.txt', 'lib/two.txt']));

    git(path.join(repo, 'lib'), 'init', '-q');
    const second = await sp.checkpoints.create(plan.planId, {});

    expect(second.skippedPaths).toEqual([{ path: 'lib', reason: 'nested-repository' }]);
    expect(treePaths(repo, second.checkpoint.treeSha).filter((file) => file.startsWith('lib'))).toEqual([]);
  });

  it('an untracked file that becomes ignored leaves the snapshot; one the user then tracks comes back', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    writeFiles(repo, { 'notes.txt': 'notes\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    expect(treePaths(repo, first.treeSha)).toContain('notes.txt');

    writeFiles(repo, { '.gitignore': 'notes.txt\n' });
    const ignored = await sp.checkpoints.create(plan.planId, {});
    expect(treePaths(repo, ignored.checkpoint.treeSha)).not.toContain('notes.txt');

    git(repo, 'add', '-f', 'notes.txt');
    const tracked = await sp.checkpoints.create(plan.planId, {});
    expect(treePaths(repo, tracked.checkpoint.treeSha)).toContain('notes.txt');
  });
});
