/**
 * Observable state of a worktree and its repository, for before/after comparisons: every
 * path outside `.git` with its bytes, permission bits and symlink target; the index as git
 * lists it; HEAD; refs; status.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { git, gitBuffer } from './repo.js';

/** One path of a worktree snapshot. */
export type FsEntry =
  | { type: 'file'; mode: number; content: string }
  | { type: 'symlink'; target: string }
  | { type: 'dir' };

/** Path (relative, `/`-separated) → entry. */
export type FsSnapshot = Record<string, FsEntry>;

/**
 * Every path under `root` except the top-level `.git` (a dir, or a file in a linked
 * worktree): files with base64 bytes and permission bits, symlinks with their target,
 * directories (so a leftover empty directory shows). Symlinks are not followed.
 */
export function snapshotTree(root: string): FsSnapshot {
  const out: FsSnapshot = {};
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (rel === '' && name === '.git') continue;
      const full = path.join(dir, name);
      const key = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(full);
      if (st.isSymbolicLink()) out[key] = { type: 'symlink', target: readlinkSync(full) };
      else if (st.isDirectory()) {
        out[key] = { type: 'dir' };
        walk(full, key);
      } else if (st.isFile()) {
        out[key] = { type: 'file', mode: st.mode & 0o777, content: readFileSync(full).toString('base64') };
      } else throw new Error(`unexpected file type at ${full}`);
    }
  };
  walk(root, '');
  return out;
}

/** Path → mtime (ns, as a string) of every file and symlink under `root` except `.git`. */
export function mtimes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir)) {
      if (rel === '' && name === '.git') continue;
      const full = path.join(dir, name);
      const key = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(full, { bigint: true });
      if (st.isDirectory()) walk(full, key);
      else out[key] = st.mtimeNs.toString();
    }
  };
  walk(root, '');
  return out;
}

/**
 * What a checkpoint's worktree tree should hold for a worktree snapshot: every file and
 * symlink (git modes and bytes), minus the paths listed in `except` (ignored ones).
 */
export function expectedTree(
  tree: FsSnapshot,
  except: readonly string[] = [],
): Record<string, { mode: string; content: string }> {
  const out: Record<string, { mode: string; content: string }> = {};
  for (const [name, entry] of Object.entries(tree)) {
    if (except.some((prefix) => name === prefix || name.startsWith(`${prefix}/`))) continue;
    if (entry.type === 'file') {
      out[name] = { mode: entry.mode & 0o100 ? '100755' : '100644', content: entry.content };
    } else if (entry.type === 'symlink') {
      out[name] = { mode: '120000', content: b64(entry.target) };
    }
  }
  return out;
}

/** The content of a snapshot entry as text (fails the caller's expectation on non-files). */
export function entryText(entry: FsEntry | undefined): string | undefined {
  return entry?.type === 'file' ? Buffer.from(entry.content, 'base64').toString('utf8') : undefined;
}

let cachedUmask: number | undefined;

/** The process umask, read without leaving it changed. */
export function umask(): number {
  if (cachedUmask === undefined) {
    const previous = process.umask(0o022);
    process.umask(previous);
    cachedUmask = previous;
  }
  return cachedUmask;
}

/** Mode git gives an executable file it checks out (0777 & ~umask): what tests set exec files to. */
export function execMode(): number {
  return 0o777 & ~umask();
}

/** Mode git (and writeFileSync) give a plain file (0666 & ~umask). */
export function plainMode(): number {
  return 0o666 & ~umask();
}

/** `git ls-files -s` as lines (NUL-separated internally so odd names survive). */
export function stagedEntries(repo: string): string[] {
  return gitBuffer(repo, 'ls-files', '-s', '-z')
    .toString('utf8')
    .split('\0')
    .filter((line) => line.length > 0);
}

/** `git status --porcelain` (all untracked files listed, no index refresh written). */
export function porcelain(repo: string): string[] {
  return gitBuffer(repo, '--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=all')
    .toString('utf8')
    .split('\0')
    .filter((line) => line.length > 0);
}

/** HEAD as `{ ref, sha }` (ref null when detached, sha null when unborn). */
export function headOf(repo: string): { ref: string | null; sha: string | null } {
  let ref: string | null = null;
  try {
    ref = git(repo, 'symbolic-ref', '-q', 'HEAD') || null;
  } catch {
    ref = null;
  }
  let sha: string | null = null;
  try {
    sha = git(repo, 'rev-parse', '-q', '--verify', 'HEAD^{commit}') || null;
  } catch {
    sha = null;
  }
  return { ref, sha };
}

/** `git for-each-ref` of a namespace: `refname sha` lines. */
export function refs(repo: string, prefix = 'refs/'): string[] {
  const out = git(repo, 'for-each-ref', '--format=%(refname) %(objectname)', prefix);
  return out === '' ? [] : out.split('\n');
}

/** Everything a "changes nothing" assertion compares. */
export interface RepoState {
  tree: FsSnapshot;
  staged: string[];
  status: string[];
  head: { ref: string | null; sha: string | null };
  branches: string[];
  stash: string;
}

/** Captures {@link RepoState} of a worktree. */
export function repoState(repo: string): RepoState {
  return {
    tree: snapshotTree(repo),
    staged: stagedEntries(repo),
    status: porcelain(repo),
    head: headOf(repo),
    branches: refs(repo, 'refs/heads/'),
    stash: git(repo, 'stash', 'list'),
  };
}

/** Files left in a git dir's `savepoint-tmp/` (private index copies). */
export function tempIndexFiles(gitDir: string): string[] {
  const dir = path.join(gitDir, 'savepoint', 'tmp');
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** `git ls-tree -r` of a tree: path → `mode type` plus blob bytes (base64) or symlink target. */
export function treeEntries(repo: string, tree: string): Record<string, { mode: string; content: string }> {
  const out: Record<string, { mode: string; content: string }> = {};
  const listing = gitBuffer(repo, 'ls-tree', '-r', '-z', '--full-tree', tree).toString('utf8');
  for (const record of listing.split('\0')) {
    if (record === '') continue;
    const tab = record.indexOf('\t');
    const [mode, type, sha] = record.slice(0, tab).split(' ');
    const name = record.slice(tab + 1);
    if (!mode || !type || !sha) throw new Error(`cannot parse ls-tree record ${record}`);
    const content = type === 'blob' ? gitBuffer(repo, 'cat-file', 'blob', sha).toString('base64') : sha;
    out[name] = { mode, content };
  }
  return out;
}

/** Base64 of a string's UTF-8 bytes, to compare with {@link treeEntries} / {@link snapshotTree}. */
export function b64(text: string | Buffer): string {
  return (typeof text === 'string' ? Buffer.from(text, 'utf8') : text).toString('base64');
}
