/**
 * The git adapter (src/git/sandbox.ts) on its own, against real temp repositories: opening
 * sandboxes, scans and their private index files, refs with compare-and-set, tree diffs,
 * path-by-path checkout that refuses to clobber, index reset and HEAD moves under locks.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_UNTRACKED_SIZE_CAP } from '../src/checkpoint/checkpoint-service.js';
import { PathInTheWayError } from '../src/checkpoint/errors.js';
import { BusyError, GitCommandError, SandboxInvalidError } from '../src/core/errors.js';
import type { GitSandbox } from '../src/core/ports.js';
import { GitSandboxProvider } from '../src/git/sandbox.js';
import {
  execMode,
  headOf,
  refs,
  repoState,
  snapshotTree,
  stagedEntries,
  tempIndexFiles,
} from './helpers/fs-snapshot.js';
import { cleanGitEnv, commitAll, git, makeRepo, tempDir, writeFiles } from './helpers/repo.js';
import { expectError } from './helpers/savepoint.js';

const provider = new GitSandboxProvider();
const SCAN = { untrackedSizeCap: DEFAULT_UNTRACKED_SIZE_CAP };

async function open(dir: string): Promise<GitSandbox> {
  return provider.open(dir);
}

describe('GitSandboxProvider.open', () => {
  it('resolves any directory inside the worktree to its canonical top level and common dir', async () => {
    const repo = makeRepo({ 'deep/er/file.txt': 'x\n' });
    const link = path.join(tempDir(), 'via-symlink');
    symlinkSync(repo, link);
    for (const dir of [repo, path.join(repo, 'deep', 'er'), path.join(link, 'deep')]) {
      const sandbox = await open(dir);
      expect(sandbox.path).toBe(repo);
      expect(sandbox.commonDir).toBe(path.join(repo, '.git'));
    }
  });

  it('is SANDBOX_INVALID for a missing path, a file and a non-repository', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'f.txt': 'x' });
    for (const target of [path.join(dir, 'nope'), path.join(dir, 'f.txt'), dir]) {
      const error = await expectError(open(target), SandboxInvalidError, 'SANDBOX_INVALID', 5);
      expect(error.details).toMatchObject({ path: target });
    }
  });
});

describe('scan', () => {
  it('writes worktree and index trees through a private index it removes on dispose (idempotent)', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    writeFiles(repo, { 'a.txt': 'staged\n' });
    git(repo, 'add', 'a.txt');
    writeFiles(repo, { 'a.txt': 'worktree\n', 'u.txt': 'untracked\n' });
    const sandbox = await open(repo);
    const indexTree = git(repo, 'write-tree'); // (writes the cache tree into the index: do it first)
    const indexBytes = readFileSync(path.join(repo, '.git', 'index'));

    const scan = await sandbox.scan(SCAN);
    expect(tempIndexFiles(path.join(repo, '.git'))).toHaveLength(1);
    expect(scan.indexTreeSha).toBe(indexTree);
    expect(git(repo, 'show', `${scan.treeSha}:a.txt`)).toBe('worktree');
    expect(git(repo, 'show', `${scan.treeSha}:u.txt`)).toBe('untracked');
    expect(scan.head).toEqual({ ref: 'refs/heads/main', sha: git(repo, 'rev-parse', 'HEAD') });
    await scan.dispose();
    await scan.dispose();
    expect(tempIndexFiles(path.join(repo, '.git'))).toEqual([]);
    expect(readFileSync(path.join(repo, '.git', 'index')).equals(indexBytes)).toBe(true);
  });

  it('gives equal trees for equal states (deduplication relies on it)', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    writeFiles(repo, { 'b.txt': 'b\n' });
    const sandbox = await open(repo);
    const one = await sandbox.scan(SCAN);
    const two = await sandbox.scan(SCAN);
    await one.dispose();
    await two.dispose();
    expect([two.treeSha, two.indexTreeSha]).toEqual([one.treeSha, one.indexTreeSha]);
  });
});

describe('temp files on signals', () => {
  it('removes the private index of a live scan when the process is killed by SIGTERM', () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
    const script = `
      import { readdirSync } from 'node:fs';
      const { GitSandboxProvider } = await import(${JSON.stringify(path.join(root, 'src', 'git', 'sandbox.ts'))});
      const sandbox = await new GitSandboxProvider().open(${JSON.stringify(repo)});
      await sandbox.scan({ untrackedSizeCap: 1e9 });
      console.log(JSON.stringify(readdirSync(${JSON.stringify(path.join(repo, '.git', 'savepoint', 'tmp'))})));
      process.kill(process.pid, 'SIGTERM');
      setTimeout(() => console.log('still alive'), 10000);`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      env: cleanGitEnv(),
      encoding: 'utf8',
    });

    const lines = child.stdout.trim().split('\n');
    expect(JSON.parse(lines[0] ?? '[]')).toHaveLength(1); // the scan's index existed while it ran
    expect(lines).toHaveLength(1);
    expect(child.signal).toBe('SIGTERM'); // re-raised: the exit still says "killed by SIGTERM"
    expect(tempIndexFiles(path.join(repo, '.git'))).toEqual([]);
  });
});

describe('refs', () => {
  it('createRef refuses to overwrite, deleteRef only deletes at the expected commit, resolveCommit is null when gone', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const first = git(repo, 'rev-parse', 'HEAD');
    writeFiles(repo, { 'a.txt': 'b\n' });
    const second = commitAll(repo, 'second');
    const sandbox = await open(repo);
    const ref = 'refs/savepoint/TEST/ONE';

    await sandbox.createRef(ref, first);
    expect(await sandbox.resolveCommit(ref)).toBe(first);
    await expectError(sandbox.createRef(ref, second), GitCommandError, 'GIT_FAILED', 1);
    expect(git(repo, 'rev-parse', ref)).toBe(first);

    await expect(sandbox.deleteRef(ref, second)).rejects.toBeInstanceOf(GitCommandError);
    expect(git(repo, 'rev-parse', ref)).toBe(first);
    await sandbox.deleteRef(ref, first);
    expect(refs(repo, 'refs/savepoint/')).toEqual([]);
    expect(await sandbox.resolveCommit(ref)).toBeNull();
  });

  it('listRefs lists every ref under a prefix with its object id, loose and packed, and nothing else', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const head = git(repo, 'rev-parse', 'HEAD');
    const tree = git(repo, 'rev-parse', 'HEAD^{tree}');
    const sandbox = await open(repo);
    expect(await sandbox.listRefs('refs/savepoint/')).toEqual([]);
    git(repo, 'update-ref', 'refs/savepoint/P/packed', head);
    git(repo, 'pack-refs', '--all');
    git(repo, 'update-ref', 'refs/savepoint/P/loose', head);
    git(repo, 'update-ref', 'refs/savepoint/odd-name', tree);
    git(repo, 'update-ref', 'refs/savepointless/x', head);
    expect(await sandbox.listRefs('refs/savepoint/')).toEqual([
      { ref: 'refs/savepoint/P/loose', sha: head },
      { ref: 'refs/savepoint/P/packed', sha: head },
      { ref: 'refs/savepoint/odd-name', sha: tree },
    ]);
  });
});

describe('diffTrees', () => {
  it('names added, deleted and modified paths (content, mode and type changes), unquoted', async () => {
    const repo = makeRepo({
      'same.txt': 's\n',
      'mod.txt': 'm\n',
      'gone.txt': 'g\n',
      'mode.sh': 'x\n',
      type: 't\n',
    });
    const sandbox = await open(repo);
    const from = git(repo, 'rev-parse', 'HEAD^{tree}');
    writeFiles(repo, { 'mod.txt': 'M\n', 'dir/ünï code.txt': 'n\n' });
    rmSync(path.join(repo, 'gone.txt'));
    chmodSync(path.join(repo, 'mode.sh'), execMode());
    rmSync(path.join(repo, 'type'));
    symlinkSync('same.txt', path.join(repo, 'type'));
    const to = commitAll(repo, 'changes');

    const changes = await sandbox.diffTrees(from, git(repo, 'rev-parse', `${to}^{tree}`));

    expect([...changes].sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'dir/ünï code.txt', change: 'added' },
      { path: 'gone.txt', change: 'deleted' },
      { path: 'mod.txt', change: 'modified' },
      { path: 'mode.sh', change: 'modified' },
      { path: 'type', change: 'modified' },
    ]);
    expect(await sandbox.diffTrees(from, from)).toEqual([]);
  });
});

describe('checkoutTree', () => {
  it('refuses, before writing anything, when a file it must rewrite changed after the scan', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n' });
    const target = git(repo, 'rev-parse', 'HEAD^{tree}');
    writeFiles(repo, { 'a.txt': 'edited\n', 'b.txt': 'edited too\n' });
    const sandbox = await open(repo);
    const scan = await sandbox.scan(SCAN);
    try {
      writeFiles(repo, { 'a.txt': 'edited again, after the scan, longer\n' });
      const before = snapshotTree(repo);

      const error = await expectError(
        sandbox.checkoutTree(scan, target),
        PathInTheWayError,
        'PATH_IN_THE_WAY',
        4,
      );
      expect(error.details).toEqual({ paths: ['a.txt'], reason: 'changed' });
      expect(snapshotTree(repo)).toEqual(before);
    } finally {
      await scan.dispose();
    }
  });

  it('rewrites only the differing paths: an untouched file edited after the scan keeps its edit', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n', 'other.txt': 'o\n' });
    const target = git(repo, 'rev-parse', 'HEAD^{tree}');
    writeFiles(repo, { 'a.txt': 'edited\n' });
    const sandbox = await open(repo);
    const scan = await sandbox.scan(SCAN);
    try {
      writeFiles(repo, { 'other.txt': 'edited after the scan\n' });
      await sandbox.checkoutTree(scan, target);
      expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a\n');
      expect(readFileSync(path.join(repo, 'other.txt'), 'utf8')).toBe('edited after the scan\n');
    } finally {
      await scan.dispose();
    }
  });
});

describe('resetIndex and moveHead', () => {
  it('resetIndex sets the index to a tree and leaves the worktree alone', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const base = git(repo, 'rev-parse', 'HEAD^{tree}');
    writeFiles(repo, { 'a.txt': 'staged\n', 'n.txt': 'n\n' });
    git(repo, 'add', '-A');
    const tree = snapshotTree(repo);
    const sandbox = await open(repo);

    await sandbox.resetIndex(base);

    expect(git(repo, 'write-tree')).toBe(base);
    expect(snapshotTree(repo)).toEqual(tree);
  });

  it('resetIndex and moveHead report a held lock as BUSY (exit 6) and change nothing', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const first = git(repo, 'rev-parse', 'HEAD');
    writeFiles(repo, { 'a.txt': 'b\n' });
    const second = commitAll(repo, 'second');
    const sandbox = await open(repo);
    writeFileSync(path.join(repo, '.git', 'index.lock'), '');
    writeFileSync(path.join(repo, '.git', 'refs', 'heads', 'main.lock'), '');
    const staged = stagedEntries(repo);
    expect(await sandbox.indexLocked()).toBe(true);

    await expectError(sandbox.resetIndex(git(repo, 'rev-parse', `${first}^{tree}`)), BusyError, 'BUSY', 6);
    await expectError(
      sandbox.moveHead(
        { ref: 'refs/heads/main', sha: second },
        { ref: 'refs/heads/main', sha: first },
        'test',
      ),
      BusyError,
      'BUSY',
      6,
    );
    expect(stagedEntries(repo)).toEqual(staged);
    expect(headOf(repo)).toEqual({ ref: 'refs/heads/main', sha: second });
    rmSync(path.join(repo, '.git', 'index.lock'));
    expect(await sandbox.indexLocked()).toBe(false);
  });

  it('moveHead is a compare-and-set: a branch that moved meanwhile is not overwritten', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const first = git(repo, 'rev-parse', 'HEAD');
    writeFiles(repo, { 'a.txt': 'b\n' });
    const second = commitAll(repo, 'second');
    writeFiles(repo, { 'a.txt': 'c\n' });
    const third = commitAll(repo, 'third (someone else)');
    const sandbox = await open(repo);
    const state = repoState(repo);

    await expectError(
      sandbox.moveHead(
        { ref: 'refs/heads/main', sha: second },
        { ref: 'refs/heads/main', sha: first },
        'test',
      ),
      GitCommandError,
      'GIT_FAILED',
      1,
    );
    expect(headOf(repo)).toEqual({ ref: 'refs/heads/main', sha: third });
    expect(repoState(repo)).toEqual(state);
  });

  it('moveHead on a detached HEAD moves HEAD only, not any branch', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const first = git(repo, 'rev-parse', 'HEAD');
    writeFiles(repo, { 'a.txt': 'b\n' });
    const second = commitAll(repo, 'second');
    git(repo, 'checkout', '-q', '--detach');
    const sandbox = await open(repo);

    await sandbox.moveHead({ ref: null, sha: second }, { ref: null, sha: first }, 'test');

    expect(headOf(repo)).toEqual({ ref: null, sha: first });
    expect(git(repo, 'rev-parse', 'refs/heads/main')).toBe(second);
    expect(existsSync(path.join(repo, '.git', 'savepoint', 'tmp'))).toBe(false);
  });
});
