/**
 * A picture of everything a user could notice about a sandbox: every file and directory
 * outside `.git` (bytes, exec bit, symlink target), the raw index file, and what git itself
 * says about the index, HEAD, the stash and the status. Scenarios note one before an action
 * and compare after it ("nothing changed", "every file back byte-for-byte").
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { git, tryGit } from './git.js';

/** One entry of the worktree. */
export type Entry =
  | { kind: 'dir' }
  | { kind: 'file'; executable: boolean; bytes: Buffer }
  | { kind: 'symlink'; target: string };

/** The git commands whose output is part of a noted state. */
export const GIT_VIEWS = {
  'git status --porcelain': ['status', '--porcelain=v1', '--untracked-files=all'],
  'git rev-parse HEAD': ['rev-parse', '-q', '--verify', 'HEAD'],
  'git symbolic-ref HEAD': ['symbolic-ref', '-q', 'HEAD'],
  'git stash list': ['stash', 'list'],
  'git ls-files -s': ['ls-files', '-s'],
  'git diff --cached': ['diff', '--cached', '--no-ext-diff', '--binary'],
  'git diff': ['diff', '--no-ext-diff', '--binary'],
  'git branch': ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads'],
} as const satisfies Record<string, readonly string[]>;

export type GitView = keyof typeof GIT_VIEWS;

export interface SandboxState {
  root: string;
  entries: Map<string, Entry>;
  /** Raw bytes of the worktree's index file (absent on a repository that never had one). */
  indexFile: Buffer | null;
  git: Record<GitView, string>;
}

function walk(root: string, dir: string, entries: Map<string, Entry>): void {
  for (const dirent of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, dirent.name);
    const rel = path.relative(root, full).split(path.sep).join('/');
    if (rel === '.git') continue;
    const stat = lstatSync(full);
    if (stat.isSymbolicLink()) entries.set(rel, { kind: 'symlink', target: readlinkSync(full) });
    else if (stat.isDirectory()) {
      entries.set(rel, { kind: 'dir' });
      walk(root, full, entries);
    } else {
      entries.set(rel, { kind: 'file', executable: (stat.mode & 0o111) !== 0, bytes: readFileSync(full) });
    }
  }
}

/** Notes the current state of the worktree at `root`. */
export function captureState(root: string, home: string): SandboxState {
  const entries = new Map<string, Entry>();
  walk(root, root, entries);
  const indexPath = git(root, home, ['rev-parse', '--path-format=absolute', '--git-path', 'index']);
  let indexFile: Buffer | null = null;
  try {
    indexFile = readFileSync(indexPath);
  } catch {
    indexFile = null;
  }
  const views = {} as Record<GitView, string>;
  for (const [name, args] of Object.entries(GIT_VIEWS) as [GitView, readonly string[]][]) {
    const result = tryGit(root, home, args);
    views[name] = `${result.stdout}${result.exitCode === 0 ? '' : `(exit ${result.exitCode})`}`;
  }
  return { root, entries, indexFile, git: views };
}

function describe(entry: Entry | undefined): string {
  if (!entry) return 'absent';
  if (entry.kind === 'dir') return 'a directory';
  if (entry.kind === 'symlink') return `a symlink to ${JSON.stringify(entry.target)}`;
  const preview =
    entry.bytes.length <= 80 ? JSON.stringify(entry.bytes.toString('utf8')) : `${entry.bytes.length} bytes`;
  return `a${entry.executable ? 'n executable' : ''} file ${preview}`;
}

function sameEntry(a: Entry | undefined, b: Entry | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.kind === 'dir' || b.kind === 'dir') return a.kind === b.kind;
  if (a.kind === 'symlink' || b.kind === 'symlink') {
    return a.kind === 'symlink' && b.kind === 'symlink' && a.target === b.target;
  }
  return a.executable === b.executable && a.bytes.equals(b.bytes);
}

/**
 * Differences between the worktree files of two states, one line each; `except` paths (and
 * everything under them) are left out.
 */
export function fileDifferences(
  expected: SandboxState,
  actual: SandboxState,
  except: readonly string[] = [],
): string[] {
  const skipped = (p: string) => except.some((e) => p === e || p.startsWith(`${e}/`));
  const paths = new Set([...expected.entries.keys(), ...actual.entries.keys()]);
  const lines: string[] = [];
  for (const p of [...paths].sort()) {
    if (skipped(p)) continue;
    const want = expected.entries.get(p);
    const got = actual.entries.get(p);
    if (!sameEntry(want, got)) lines.push(`${p}: expected ${describe(want)}, found ${describe(got)}`);
  }
  return lines;
}

/** Differences in what git reports (index, HEAD, stash, status), one block per command. */
export function gitDifferences(
  expected: SandboxState,
  actual: SandboxState,
  views?: readonly GitView[],
): string[] {
  const lines: string[] = [];
  for (const view of views ?? (Object.keys(GIT_VIEWS) as GitView[])) {
    if (expected.git[view] !== actual.git[view]) {
      lines.push(
        `${view}:\n  expected: ${JSON.stringify(expected.git[view])}\n  found:    ${JSON.stringify(actual.git[view])}`,
      );
    }
  }
  return lines;
}
