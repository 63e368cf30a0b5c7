/**
 * Tampering with a checkpoint the way an attacker with write access to the repository and
 * the database could: a tree git itself never writes (`git mktree` accepts any entry name),
 * a commit of it, and the checkpoint's row and ref pointed at them. No vitest imports: the
 * Cucumber steps use it too.
 */
import { execFileSync } from 'node:child_process';
import Database from 'better-sqlite3';

function run(cwd: string, args: string[], input?: string): string {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v;
  return execFileSync('git', args, {
    cwd,
    env: { ...env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LC_ALL: 'C' },
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  }).trim();
}

/**
 * Rewrites checkpoint `checkpointId` (a commit checkpoint) of the database at `dbPath` so its
 * worktree and index trees hold, besides their own entries, `<top>/<file>` with `text`
 * (e.g. top `..`: `../escaped.txt`, a path outside the sandbox) and `sub/.GIT/config`.
 * Returns the new tree's id.
 */
export function tamperCheckpoint(
  repo: string,
  dbPath: string,
  checkpointId: string,
  entry: { top: string; file: string; text: string },
): string {
  const raw = new Database(dbPath);
  try {
    const row = raw
      .prepare('SELECT tree_sha, sandbox_ref FROM checkpoints WHERE checkpoint_id = ?')
      .get(checkpointId) as { tree_sha: string; sandbox_ref: string | null };
    const blob = run(repo, ['hash-object', '-w', '--stdin'], entry.text);
    const inner = run(repo, ['mktree'], `100644 blob ${blob}\t${entry.file}\n`);
    const config = run(repo, ['mktree'], `100644 blob ${blob}\tconfig\n`);
    const sub = run(repo, ['mktree'], `040000 tree ${config}\t.GIT\n`);
    const own = run(repo, ['ls-tree', row.tree_sha]);
    const tree = run(
      repo,
      ['mktree'],
      `${own ? `${own}\n` : ''}040000 tree ${inner}\t${entry.top}\n040000 tree ${sub}\tsub\n`,
    );
    const commit = run(repo, [
      '-c',
      'user.name=T',
      '-c',
      'user.email=t@example.com',
      'commit-tree',
      tree,
      '-m',
      'tampered',
    ]);
    raw
      .prepare(
        'UPDATE checkpoints SET tree_sha = ?, index_tree_sha = ?, commit_sha = ? WHERE checkpoint_id = ?',
      )
      .run(tree, tree, commit, checkpointId);
    if (row.sandbox_ref) run(repo, ['update-ref', row.sandbox_ref, commit]);
    return tree;
  } finally {
    raw.close();
  }
}
