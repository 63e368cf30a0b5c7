/**
 * Real git repositories in temp directories, for tests. One helper makes them all the same
 * way: branch main, an identity, no gpg, no automatic gc; removed when the test finishes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';

/**
 * Environment for the test's own git calls: no inherited GIT_* variables, no system or
 * global config (the machine's `~/.gitconfig` must not change what a test sees).
 */
export function cleanGitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v;
  return { ...env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LC_ALL: 'C' };
}

/** Runs git in `cwd`, returns trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    env: cleanGitEnv(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** Runs git in `cwd`, returns stdout as bytes (for blobs and `-z` output). */
export function gitBuffer(cwd: string, ...args: string[]): Buffer {
  return execFileSync('git', args, { cwd, env: cleanGitEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs git in `cwd` and returns its exit status instead of throwing. */
export function gitStatusCode(cwd: string, ...args: string[]): number {
  try {
    execFileSync('git', args, { cwd, env: cleanGitEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    return 0;
  } catch (error) {
    const status = (error as { status?: number | null }).status;
    return typeof status === 'number' ? status : -1;
  }
}

/** A fresh temp directory, removed when the current test finishes. */
export function tempDir(prefix = 'savepoint-test-'): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes files (creating directories) relative to `root`. */
export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

/** Options of {@link makeRepo}. */
export interface MakeRepoOptions {
  /** Set `user.name` / `user.email` in the repository config (default true). */
  identity?: boolean;
  /** Where to create the repository (default: a fresh {@link tempDir}). */
  dir?: string;
}

/**
 * A new repository with `files` committed (no commit when `files` is empty: unborn HEAD).
 * Identity set (unless `identity: false`), branch `main`, `gc.auto 0`, no gpg signing.
 */
export function makeRepo(
  files: Record<string, string | Buffer> = { 'README.md': '# test\n' },
  options: MakeRepoOptions = {},
): string {
  const dir = options.dir ?? tempDir();
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  const identity = options.identity ?? true;
  if (identity) {
    git(dir, 'config', 'user.name', 'Test');
    git(dir, 'config', 'user.email', 'test@example.com');
  }
  git(dir, 'config', 'gc.auto', '0');
  git(dir, 'config', 'commit.gpgSign', 'false');
  if (Object.keys(files).length > 0) {
    writeFiles(dir, files);
    git(dir, 'add', '-A');
    const who = identity ? [] : ['-c', 'user.name=Test', '-c', 'user.email=test@example.com'];
    git(dir, ...who, 'commit', '-q', '-m', 'initial');
  }
  return dir;
}

/** Commits everything in the worktree (`git add -A && git commit`); returns the new HEAD. */
export function commitAll(dir: string, message = 'change'): string {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '--allow-empty', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}
