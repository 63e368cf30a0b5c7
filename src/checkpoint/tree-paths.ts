/**
 * The path rules every tree path of a checkpoint must pass before rollback, `savepoint
 * recover` or a dry run touches the filesystem with it. git itself never records such
 * paths, but a tree built by hand (`git mktree`) and a tampered checkpoint row can hold them:
 * `..` would write outside the sandbox, and `.git` (in any case, as a component anywhere)
 * would write into a repository's own directory.
 */

/**
 * Why `file` (a slash-separated tree path, as `git diff-tree` and `git ls-tree` print it) is
 * unsafe to write under a sandbox, or null when it is safe. Unsafe: empty, absolute (leading
 * `/`), or a component that is empty, `.`, `..`, or `.git` in any case (`.GIT`, `.Git`...).
 * A backslash counts as a separator too, since it is one on Windows.
 */
export function unsafeTreePathReason(file: string): string | null {
  if (file.length === 0) return 'empty path';
  if (file.startsWith('/') || file.startsWith('\\') || /^[A-Za-z]:/.test(file)) return 'absolute path';
  if (file.includes('\0')) return 'NUL in path';
  for (const part of file.split(/[/\\]/)) {
    if (part === '') return 'empty component';
    if (part === '.' || part === '..') return `"${part}" component`;
    if (part.toLowerCase() === '.git') return `"${part}" component`;
  }
  return null;
}

/** The unsafe paths among `files`, in their order (see {@link unsafeTreePathReason}). */
export function unsafeTreePaths(files: Iterable<string>): string[] {
  const unsafe: string[] = [];
  for (const file of files) if (unsafeTreePathReason(file) !== null) unsafe.push(file);
  return unsafe;
}
