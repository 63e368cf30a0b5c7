/**
 * The git adapter of the {@link GitSandbox} and {@link SandboxProvider} ports: snapshots a
 * worktree into trees and commits without touching it, and restores one path-by-path.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, realpath, stat, utimes } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { PathInTheWayError, UnmergedIndexError } from '../checkpoint/errors.js';
import {
  BusyError,
  GitCommandError,
  InternalError,
  SandboxInvalidError,
  SandboxRefusedError,
} from '../core/errors.js';
import type { GitSandbox, HeadState, SandboxProvider, SnapshotScan, TreeChange } from '../core/ports.js';
import { type GitRunOptions, runGit } from './runner.js';
import { trackTempFile } from './temp-files.js';

/** A scan backed by a private index file that matches the worktree at scan time. */
class GitScan implements SnapshotScan {
  constructor(
    readonly treeSha: string,
    readonly indexTreeSha: string,
    readonly head: HeadState,
    readonly indexFile: string,
    private readonly remove: () => Promise<void>,
  ) {}

  dispose(): Promise<void> {
    return this.remove();
  }
}

const LOCK_MESSAGE = /Unable to create '.*\.lock': File exists/;

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

/** Paths git names in "would be overwritten" / "not uptodate" errors, one per tab-indented line or quoted. */
function pathsFromGitError(stderr: string): string[] {
  const paths = new Set<string>();
  for (const match of stderr.matchAll(/^\t(.+)$/gm)) if (match[1]) paths.add(match[1]);
  for (const match of stderr.matchAll(/Entry '(.+)' not uptodate/g)) if (match[1]) paths.add(match[1]);
  return [...paths];
}

/** A git worktree, opened by {@link GitSandboxProvider.open}. */
export class GitWorktree implements GitSandbox {
  constructor(
    readonly path: string,
    readonly commonDir: string,
    /** This worktree's own git dir (differs from `commonDir` in a linked worktree). */
    private readonly gitDir: string,
    /** The real index file of this worktree. */
    private readonly indexFile: string,
  ) {}

  private git(args: readonly string[], options: Omit<GitRunOptions, 'cwd'> = {}) {
    return runGit(args, { cwd: this.path, ...options });
  }

  async head(): Promise<HeadState> {
    const [ref, sha] = await Promise.all([
      this.git(['symbolic-ref', '-q', 'HEAD'], { allowExit: [1] }),
      this.git(['rev-parse', '-q', '--verify', 'HEAD^{commit}'], { allowExit: [1] }),
    ]);
    return { ref: ref.stdout.trim() || null, sha: sha.stdout.trim() || null };
  }

  async scan(): Promise<SnapshotScan> {
    const dir = path.join(this.gitDir, 'savepoint-tmp');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `index-${process.pid}-${randomBytes(6).toString('hex')}`);
    const remove = trackTempFile(file);
    try {
      const headPromise = this.head();
      // Seed from the real index so git's stat cache makes `add -A` O(changed files). Keeping
      // the original mtime keeps git's racy-entry check (entries as new as the index file are
      // re-hashed) exactly as it is for the real index.
      const original = await stat(this.indexFile).catch(() => undefined);
      if (original) {
        await copyFile(this.indexFile, file);
        await utimes(file, original.atime, original.mtime);
      }
      const indexTreeSha = await this.writeTree(file);
      await this.git(['add', '-A', '--', '.'], { indexFile: file });
      const treeSha = await this.writeTree(file);
      return new GitScan(treeSha, indexTreeSha, await headPromise, file, remove);
    } catch (error) {
      await remove();
      throw error;
    }
  }

  private async writeTree(indexFile: string): Promise<string> {
    try {
      return (await this.git(['write-tree'], { indexFile })).stdout.trim();
    } catch (error) {
      if (error instanceof GitCommandError && /unmerged/i.test(String(error.details.stderr))) {
        throw new UnmergedIndexError(this.path);
      }
      throw error;
    }
  }

  async commitScan(scan: SnapshotScan, message: string): Promise<string> {
    const parents = scan.head.sha ? ['-p', scan.head.sha] : [];
    // Like `git stash`: the checkpoint commit's second parent records the staged state.
    const indexCommit = await this.git([
      'commit-tree',
      '--no-gpg-sign',
      ...parents,
      '-m',
      `index of ${message}`,
      scan.indexTreeSha,
    ]);
    const commit = await this.git([
      'commit-tree',
      '--no-gpg-sign',
      ...parents,
      '-p',
      indexCommit.stdout.trim(),
      '-m',
      message,
      scan.treeSha,
    ]);
    return commit.stdout.trim();
  }

  async createRef(ref: string, sha: string): Promise<void> {
    // An empty old value makes update-ref fail if the ref already exists (git-update-ref(1)).
    await this.git(['update-ref', '-m', 'savepoint: checkpoint', ref, sha, '']);
  }

  async deleteRef(ref: string, sha: string): Promise<void> {
    await this.git(['update-ref', '-d', ref, sha]);
  }

  async resolveCommit(ref: string): Promise<string | null> {
    const result = await this.git(['rev-parse', '-q', '--verify', `${ref}^{commit}`], {
      allowExit: [1, 128],
    });
    return result.exitCode === 0 ? result.stdout.trim() : null;
  }

  async diffTrees(fromTree: string, toTree: string): Promise<TreeChange[]> {
    if (fromTree === toTree) return [];
    const { stdout } = await this.git([
      'diff-tree',
      '-r',
      '-z',
      '--no-renames',
      '--name-status',
      fromTree,
      toTree,
    ]);
    const fields = stdout.split('\0');
    const changes: TreeChange[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const status = fields[i];
      const file = fields[i + 1] as string;
      if (status === 'A') changes.push({ path: file, change: 'added' });
      else if (status === 'D') changes.push({ path: file, change: 'deleted' });
      else if (status === 'M' || status === 'T') changes.push({ path: file, change: 'modified' });
      else throw new InternalError(`unexpected diff-tree status ${status ?? '(none)'} for ${file}`);
    }
    return changes;
  }

  async checkoutTree(scan: SnapshotScan, toTree: string): Promise<void> {
    if (!(scan instanceof GitScan)) throw new InternalError('checkoutTree needs a scan made by this adapter');
    if (scan.treeSha === toTree) return;
    try {
      // Two-tree merge on the private index that matches the worktree: git updates only the
      // paths that differ, refuses to overwrite files absent from the index (ignored files),
      // refuses entries whose file changed since the scan, and checks all that before it
      // writes anything (git-read-tree(1), "Two Tree Merge").
      await this.git(['read-tree', '-u', '-m', scan.treeSha, toTree], { indexFile: scan.indexFile });
    } catch (error) {
      if (error instanceof GitCommandError) {
        const stderr = String(error.details.stderr);
        if (/would be (overwritten|removed)|would lose untracked/.test(stderr)) {
          throw new PathInTheWayError(pathsFromGitError(stderr), 'untracked');
        }
        if (/not uptodate/.test(stderr)) throw new PathInTheWayError(pathsFromGitError(stderr), 'changed');
      }
      throw error;
    }
  }

  async resetIndex(indexTree: string): Promise<void> {
    try {
      // `read-tree --reset` is a one-way merge: entries whose content is unchanged keep their
      // stat data, and, unlike `-m`, entries whose file rollback just rewrote do not abort it
      // (git-read-tree(1)). Without `-u` the worktree is not touched. The refresh then records
      // stat data of the rewritten files, so the next `git status` does not re-hash them.
      await this.git(['read-tree', '--reset', indexTree]);
      await this.git(['update-index', '-q', '--refresh'], { allowExit: [1] });
    } catch (error) {
      throw this.lockError(error);
    }
  }

  async moveHead(current: HeadState, target: HeadState, reason: string): Promise<void> {
    if (current.ref !== target.ref) throw new InternalError('moveHead cannot switch branches');
    if (current.sha === target.sha) return;
    try {
      if (current.ref === null) {
        if (!target.sha || !current.sha) throw new InternalError('a detached HEAD always has a commit');
        await this.git(['update-ref', '--no-deref', '-m', reason, 'HEAD', target.sha, current.sha]);
      } else if (target.sha === null) {
        // The checkpoint was taken on an unborn branch: make it unborn again. The commits stay
        // reachable from the safety checkpoint, whose commit has them as parent.
        await this.git(['update-ref', '-d', '-m', reason, current.ref, current.sha ?? '']);
      } else {
        await this.git(['update-ref', '-m', reason, current.ref, target.sha, current.sha ?? '']);
      }
    } catch (error) {
      throw this.lockError(error);
    }
  }

  async indexLocked(): Promise<boolean> {
    return stat(`${this.indexFile}.lock`).then(
      () => true,
      () => false,
    );
  }

  private lockError(error: unknown): unknown {
    if (error instanceof GitCommandError && LOCK_MESSAGE.test(String(error.details.stderr))) {
      return new BusyError(
        `another git process holds a lock in ${this.path}: ${firstLine(String(error.details.stderr))}`,
        {
          cause: error,
        },
      );
    }
    return error;
  }
}

/** Opens sandboxes with git; refuses non-worktrees, bare repositories, `/` and the home directory. */
export class GitSandboxProvider implements SandboxProvider {
  async open(dir: string): Promise<GitSandbox> {
    const absolute = path.resolve(dir);
    const info = await stat(absolute).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new SandboxInvalidError(`sandbox ${absolute} does not exist or is not a directory`, {
        details: { path: absolute },
      });
    }
    let lines: string[];
    try {
      const result = await runGit(
        [
          'rev-parse',
          '--path-format=absolute',
          '--show-toplevel',
          '--git-dir',
          '--git-common-dir',
          '--git-path',
          'index',
        ],
        { cwd: absolute },
      );
      lines = result.stdout.split('\n');
    } catch (error) {
      const reason =
        error instanceof GitCommandError ? firstLine(String(error.details.stderr)) : String(error);
      throw new SandboxInvalidError(`${absolute} is not inside a git worktree (${reason})`, {
        cause: error,
        details: { path: absolute },
      });
    }
    const [toplevel, gitDir, commonDir, indexFile] = lines;
    if (!toplevel || !gitDir || !commonDir || !indexFile) {
      throw new SandboxInvalidError(`${absolute} is not inside a git worktree`, {
        details: { path: absolute },
      });
    }
    const top = await realpath(toplevel);
    const refused = [path.parse(top).root, await realpath(homedir()).catch(() => homedir())];
    if (refused.includes(top)) {
      throw new SandboxRefusedError(
        `refusing to use ${top} as a sandbox: it is the filesystem root or your home directory`,
        {
          details: { path: top },
        },
      );
    }
    return new GitWorktree(top, await realpath(commonDir), gitDir, indexFile);
  }

  async addWorktree(from: GitSandbox, dir: string, branch: string): Promise<GitSandbox> {
    const head = await from.head();
    if (!head.sha) {
      throw new SandboxInvalidError(`cannot add a linked worktree to ${from.path}: HEAD has no commit yet`, {
        details: { path: from.path },
      });
    }
    const target = path.resolve(dir);
    try {
      await runGit(['worktree', 'add', '-b', branch, target, head.sha], { cwd: from.path });
    } catch (error) {
      const reason =
        error instanceof GitCommandError ? firstLine(String(error.details.stderr)) : String(error);
      throw new SandboxInvalidError(`cannot create linked worktree at ${target}: ${reason}`, {
        cause: error,
        details: { path: target, branch },
      });
    }
    return this.open(target);
  }
}
