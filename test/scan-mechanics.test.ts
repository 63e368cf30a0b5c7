/**
 * The mechanisms that keep scans and rollbacks O(changed files) (issue 7), each checked for
 * what it must never do: miss a change. Real git on temp repositories.
 *
 * - the raw index (savepoint's stat cache) against git's racy-entry rule;
 * - the membership shortcut (a remembered tree keyed by the raw index's checksum) against the
 *   full listing of both indexes it replaces, including when its tree is gone or wrong;
 * - rollback's targeted index refresh: `git status` after a rollback is what it was at the
 *   checkpoint, and the stat data of the rewritten files is fresh;
 * - the provider's per-directory memo of `rev-parse` against a repository replaced under it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_UNTRACKED_SIZE_CAP } from '../src/checkpoint/checkpoint-service.js';
import { SandboxInvalidError } from '../src/core/errors.js';
import type { GitSandbox } from '../src/core/ports.js';
import { GitSandboxProvider, TARGETED_REFRESH_LIMIT } from '../src/git/sandbox.js';
import { expectedTree, porcelain, snapshotTree, tempIndexFiles, treeEntries } from './helpers/fs-snapshot.js';
import { cleanGitEnv, commitAll, git, makeRepo, writeFiles } from './helpers/repo.js';
import { expectError, openSavepoint } from './helpers/savepoint.js';

const SCAN = { untrackedSizeCap: DEFAULT_UNTRACKED_SIZE_CAP };
const yes = () => Promise.resolve(true);

/** Worktree tree of one scan (disposed: its raw index becomes the kept stat cache). */
async function scanTree(sandbox: GitSandbox): Promise<string> {
  const scan = await sandbox.scan(SCAN);
  await scan.dispose();
  return scan.treeSha;
}

const stateFile = (repo: string) => path.join(repo, '.git', 'savepoint', 'raw-index.state');
const rawIndexFile = (repo: string) => path.join(repo, '.git', 'savepoint', 'raw-index');

describe('the raw index as a stat cache', () => {
  it('sees a same-size rewrite whose stat matches the cached entry exactly (racy git)', async () => {
    const repo = makeRepo({ 'a.txt': 'aaaa\n', 'b.txt': 'b\n' });
    // Make stat comparison as weak as git allows: only size and whole-second mtime then tell
    // a rewrite apart, and git's racy-entry rule is all that is left to catch it.
    git(repo, 'config', 'core.trustctime', 'false');
    git(repo, 'config', 'core.checkStat', 'minimal');
    const sandbox = await new GitSandboxProvider().open(repo);
    const second = Math.floor(Date.now() / 1000) - 100;
    utimesSync(path.join(repo, 'a.txt'), second, second);
    const first = await scanTree(sandbox);
    expect(treeEntries(repo, first)['a.txt']?.content).toBe(Buffer.from('aaaa\n').toString('base64'));

    // Rewritten in place (same inode, same size) in the very second the kept index was written.
    writeFileSync(path.join(repo, 'a.txt'), 'AAAA\n');
    utimesSync(path.join(repo, 'a.txt'), second, second);
    utimesSync(rawIndexFile(repo), second, second);

    const next = await scanTree(sandbox);
    expect(treeEntries(repo, next)['a.txt']?.content).toBe(Buffer.from('AAAA\n').toString('base64'));
  });

  it('re-reads a file whose stat changed but whose bytes did not, and caches its stat again', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sandbox = await new GitSandboxProvider().open(repo);
    const first = await scanTree(sandbox);
    utimesSync(path.join(repo, 'a.txt'), new Date(Date.now() - 50_000), new Date(Date.now() - 50_000));
    expect(await scanTree(sandbox)).toBe(first);
    // The touched entry was refreshed in the kept index: git no longer reports it.
    const diffFiles = execFileSync('git', ['diff-files', '--name-only'], {
      cwd: repo,
      env: { ...cleanGitEnv(), GIT_INDEX_FILE: rawIndexFile(repo) },
      encoding: 'utf8',
    });
    expect(diffFiles).toBe('');
  });
});

describe('the raw index of a clean worktree shares the real index', () => {
  it('is a hard link to the real index until git replaces that, and scans stay exact throughout', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n', 'dir/b.txt': 'b\n' });
    const realIndex = path.join(repo, '.git', 'index');
    const sandbox = await new GitSandboxProvider().open(repo);
    const first = await scanTree(sandbox);
    expect(statSync(rawIndexFile(repo)).ino).toBe(statSync(realIndex).ino);
    // (read-only git calls from here on: `git write-tree` may rewrite the index, racy entries)
    expect(first).toBe(git(repo, 'rev-parse', 'HEAD^{tree}'));
    expect(await scanTree(sandbox)).toBe(first);

    // git writes a new index file (lock and rename): the kept raw index is the old one, intact.
    writeFiles(repo, { 'a.txt': 'changed\n', 'c.txt': 'new\n' });
    git(repo, 'add', 'c.txt');
    expect(statSync(rawIndexFile(repo)).ino).not.toBe(statSync(realIndex).ino);
    const next = await scanTree(sandbox);
    const entries = treeEntries(repo, next);
    expect(entries['a.txt']?.content).toBe(Buffer.from('changed\n').toString('base64'));
    expect(entries['c.txt']?.content).toBe(Buffer.from('new\n').toString('base64'));
  });

  it('is a copy of its own when the first scan finds anything to change', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    writeFiles(repo, { 'u.txt': 'untracked\n' });
    const sandbox = await new GitSandboxProvider().open(repo);
    await scanTree(sandbox);
    expect(statSync(rawIndexFile(repo)).ino).not.toBe(statSync(path.join(repo, '.git', 'index')).ino);
    expect(statSync(rawIndexFile(repo)).nlink).toBe(1);
  });
});

describe('raw index membership from a remembered tree', () => {
  /** Ignored files, a tracked ignored file, untracked files coming and going, a deletion, a D/F swap. */
  const steps: Array<(repo: string) => void> = [
    (repo) => writeFiles(repo, { 'new.txt': 'n\n', 'dir/u.txt': 'u\n', 'build/out.log': 'o\n' }),
    (repo) => {
      git(repo, 'add', '-f', 'build/out.log');
      writeFiles(repo, { 'build/out.log': 'tracked now\n' });
    },
    (repo) => writeFiles(repo, { '.gitignore': 'build/\n*.tmp\nnew.txt\n', 'x.tmp': 'x\n' }),
    (repo) => {
      rmSync(path.join(repo, 'a.txt'));
      rmSync(path.join(repo, 'dir'), { recursive: true });
      writeFiles(repo, { dir: 'now a file\n', 'a.txt/inner.txt': 'a is a directory\n' });
    },
    (repo) => {
      // A tracked file's directory becomes a symbolic link to a directory holding that name.
      rmSync(path.join(repo, 'lnk'), { recursive: true });
      writeFiles(repo, { 'target/t.txt': 'behind a link\n' });
      symlinkSync('target', path.join(repo, 'lnk'));
    },
    (repo) => {
      git(repo, 'add', '-A');
      commitAll(repo, 'all');
      writeFiles(repo, { '.gitignore': '' });
    },
  ];

  it('gives the same trees as listing both indexes, step by step', async () => {
    const repo = makeRepo({
      'a.txt': 'a\n',
      'dir/t.txt': 't\n',
      'lnk/t.txt': 'l\n',
      '.gitignore': 'build/\n',
    });
    const sandbox = await new GitSandboxProvider().open(repo);
    await scanTree(sandbox);
    /** The membership a state may remember, from listing both indexes (what it stands in for). */
    const listedMembership = () => {
      const list = (env: NodeJS.ProcessEnv) =>
        execFileSync('git', ['ls-files', '-z', '-c'], { cwd: repo, env, encoding: 'utf8' })
          .split('\0')
          .filter(Boolean);
      const raw = new Set(list({ ...cleanGitEnv(), GIT_INDEX_FILE: rawIndexFile(repo) }));
      const tracked = new Set(list(cleanGitEnv()));
      return {
        untrackedInRaw: [...raw].filter((p) => !tracked.has(p)).sort(),
        forced: [...tracked].filter((p) => !raw.has(p)).sort(),
      };
    };
    let carried = 0;
    for (const step of steps) {
      step(repo);
      const viaState = await scanTree(sandbox);
      const state = JSON.parse(readFileSync(stateFile(repo), 'utf8')) as {
        tree: string;
        membership?: { untrackedInRaw: string[]; forced: string[] };
      };
      expect(state.tree).toBe(viaState);
      // A membership carried forward through this scan's changes is exactly what listing gives.
      if (state.membership) {
        carried++;
        expect({
          untrackedInRaw: [...state.membership.untrackedInRaw].sort(),
          forced: [...state.membership.forced].sort(),
        }).toEqual(listedMembership());
      }
      // Nothing changed: this scan leaves the raw index byte for byte as it was (no update, no
      // rebuild from scratch) and remembers the membership…
      const kept = readFileSync(rawIndexFile(repo));
      expect(await scanTree(sandbox)).toBe(viaState);
      expect(readFileSync(rawIndexFile(repo)).equals(kept)).toBe(true);
      const memo = JSON.parse(readFileSync(stateFile(repo), 'utf8')) as {
        membership?: { indexTree: string };
      };
      expect(memo.membership?.indexTree).toBe(git(repo, 'write-tree'));
      // …which the next one uses instead of asking git.
      expect(await scanTree(sandbox)).toBe(viaState);
      rmSync(stateFile(repo));
      const viaListing = await scanTree(sandbox);
      expect(viaListing).toBe(viaState);
      const ignored = git(repo, 'ls-files', '-o', '-i', '--exclude-standard', '--directory')
        .split('\n')
        .filter(Boolean)
        .map((p) => p.replace(/\/$/, ''))
        .filter((p) => git(repo, 'ls-files', '--', p) === '');
      expect(treeEntries(repo, viaState)).toEqual(expectedTree(snapshotTree(repo), ignored));
    }
    // Not vacuous: some steps (untracked files coming and going) carry the membership.
    expect(carried).toBeGreaterThan(0);
  });

  it('falls back to listing when the remembered tree is gone or names other paths', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n', '.gitignore': '*.log\n' });
    writeFiles(repo, { 'u.txt': 'u\n' });
    const sandbox = await new GitSandboxProvider().open(repo);
    await scanTree(sandbox);
    const state = JSON.parse(readFileSync(stateFile(repo), 'utf8')) as { trailer: string; tree: string };
    // A tree id no object has: diff-tree fails, the scan lists both indexes instead.
    writeFileSync(stateFile(repo), JSON.stringify({ ...state, tree: 'f'.repeat(40) }));
    writeFiles(repo, { 'u.txt': 'ignored soon\n', '.gitignore': '*.log\nu.txt\n' });
    const tree = await scanTree(sandbox);
    expect(Object.keys(treeEntries(repo, tree)).sort()).toEqual(['.gitignore', 'a.txt']);
    // A damaged state file is no state.
    writeFileSync(stateFile(repo), '{not json');
    expect(await scanTree(sandbox)).toBe(tree);
  });

  it('keeps an intent-to-add file an ignore rule matches (a version 3 index: no shortcut)', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n', '.gitignore': '*.log\n' });
    const sandbox = await new GitSandboxProvider().open(repo);
    await scanTree(sandbox);
    writeFiles(repo, { 'keep.log': 'precious\n' });
    git(repo, 'add', '-N', '-f', 'keep.log');
    for (let i = 0; i < 2; i++) {
      const tree = await scanTree(sandbox);
      expect(treeEntries(repo, tree)['keep.log']?.content).toBe(Buffer.from('precious\n').toString('base64'));
    }
  });
});

describe('an unchanged state named without writing its trees again', () => {
  const objectExists = (repo: string, sha: string) =>
    execFileSync('git', ['cat-file', '-e', sha], { cwd: repo, env: cleanGitEnv(), stdio: 'ignore' }) !==
    undefined;
  const exists = (repo: string, sha: string) => {
    try {
      return objectExists(repo, sha);
    } catch {
      return false;
    }
  };

  it('reuses remembered trees only when knownTrees vouches for them, and writes them again after gc otherwise', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    // A staged file and an untracked one: both trees (and their subtrees) are new objects no
    // ref keeps.
    writeFiles(repo, { 'd/staged.txt': 's\n', 'd/untracked.txt': 'u\n' });
    git(repo, 'add', 'd/staged.txt');
    const sandbox = await new GitSandboxProvider().open(repo);
    const first = await sandbox.scan(SCAN);
    await first.dispose();
    const trees = [first.treeSha, first.indexTreeSha];
    const state = JSON.parse(readFileSync(stateFile(repo), 'utf8')) as {
      tree: string;
      real?: { tree: string };
    };
    expect([state.tree, state.real?.tree]).toEqual(trees);

    // As if `git gc --prune=now` had taken them (git keeps the real index's trees, so remove
    // the loose objects by hand): nothing vouches for them, and the scan writes both again.
    const prune = () => {
      for (const sha of trees) rmSync(path.join(repo, '.git', 'objects', sha.slice(0, 2), sha.slice(2)));
      expect(trees.map((sha) => exists(repo, sha))).toEqual([false, false]);
    };
    prune();
    const again = await sandbox.scan(SCAN);
    await again.dispose();
    expect([again.treeSha, again.indexTreeSha]).toEqual(trees);
    expect(trees.map((sha) => exists(repo, sha))).toEqual([true, true]);

    // Vouched for (as the latest commit checkpoint's trees are, by its ref) and there, they are
    // named without a write: their subtrees, removed by hand, stay gone, which shows no
    // write-tree ran (it writes every tree object that is missing).
    const subtrees = trees.map((sha) => git(repo, 'rev-parse', `${sha}:d`));
    for (const sha of subtrees) rmSync(path.join(repo, '.git', 'objects', sha.slice(0, 2), sha.slice(2)));
    const vouched = await sandbox.scan({ ...SCAN, knownTrees: new Set(trees) });
    await vouched.dispose();
    expect([vouched.treeSha, vouched.indexTreeSha]).toEqual(trees);
    expect(subtrees.map((sha) => exists(repo, sha))).toEqual([false, false]);

    // Vouched for but gone (the ref deleted behind savepoint's back, then gc): written again.
    for (const sha of subtrees)
      rmSync(path.join(repo, '.git', 'objects', sha.slice(0, 2), sha.slice(2)), { force: true });
    prune();
    const gone = await sandbox.scan({ ...SCAN, knownTrees: new Set(trees) });
    await gone.dispose();
    expect([gone.treeSha, gone.indexTreeSha]).toEqual(trees);
    expect([...trees, ...subtrees].map((sha) => exists(repo, sha))).toEqual([true, true, true, true]);

    // Any change to the real index (a different checksum) is written again, vouched or not.
    git(repo, 'reset', '-q', 'd/staged.txt');
    const changed = await sandbox.scan({ ...SCAN, knownTrees: new Set(trees) });
    await changed.dispose();
    expect(changed.indexTreeSha).toBe(git(repo, 'write-tree'));
    expect(changed.treeSha).toBe(first.treeSha);
  });

  it('leaves the kept raw index (the same file) and its state untouched when nothing changed', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n', 'dir/b.txt': 'b\n' });
    writeFiles(repo, { 'new.txt': 'n\n', 'a.txt': 'changed\n' });
    const sandbox = await new GitSandboxProvider().open(repo);
    // The second scan learns the membership; from then on the state stays as it is.
    await scanTree(sandbox);
    const first = await sandbox.scan(SCAN);
    await first.dispose();
    const known = new Set([first.treeSha, first.indexTreeSha]);
    const before = statSync(rawIndexFile(repo));
    const stateBefore = statSync(stateFile(repo));
    const scan = await sandbox.scan({ ...SCAN, knownTrees: known });
    await scan.dispose();
    expect([scan.treeSha, scan.indexTreeSha]).toEqual([first.treeSha, first.indexTreeSha]);
    const after = statSync(rawIndexFile(repo));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(statSync(stateFile(repo)).mtimeMs).toBe(stateBefore.mtimeMs);
    expect(tempIndexFiles(path.join(repo, '.git'))).toEqual([]);
    // A change made after it is seen by the next scan, on the very same kept file.
    writeFiles(repo, { 'dir/b.txt': 'B\n' });
    const next = await sandbox.scan({ ...SCAN, knownTrees: known });
    await next.dispose();
    expect(treeEntries(repo, next.treeSha)['dir/b.txt']?.content).toBe(Buffer.from('B\n').toString('base64'));
  });

  it('matches ignore rules against the untracked files it remembers as git does: negation, ignored directories, odd names', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n', '.gitignore': '' });
    writeFiles(repo, {
      'keep.log': 'k\n',
      'drop.log': 'd\n',
      'build/deep/x.txt': 'x\n',
      ':odd.txt': 'o\n',
      '[glob].txt': 'g\n',
      'plain.txt': 'p\n',
    });
    const sandbox = await new GitSandboxProvider().open(repo);
    const all = Object.keys(treeEntries(repo, await scanTree(sandbox))).sort();
    expect(all).toEqual([
      '.gitignore',
      ':odd.txt',
      '[glob].txt',
      'a.txt',
      'build/deep/x.txt',
      'drop.log',
      'keep.log',
      'plain.txt',
    ]);
    const expectSnapshot = async () => {
      const tree = await scanTree(sandbox);
      const ignored = git(repo, 'ls-files', '-o', '-i', '--exclude-standard', '--directory')
        .split('\n')
        .filter(Boolean)
        .map((p) => p.replace(/\/$/, ''));
      expect(treeEntries(repo, tree)).toEqual(expectedTree(snapshotTree(repo), ignored));
      return Object.keys(treeEntries(repo, tree)).sort();
    };
    writeFiles(repo, { '.gitignore': '*.log\n!keep.log\nbuild/\n[[]glob].txt\n' });
    expect(await expectSnapshot()).toEqual(['.gitignore', ':odd.txt', 'a.txt', 'keep.log', 'plain.txt']);
    // A name starting with ":" (pathspec magic to check-ignore) is matched by the other route.
    writeFiles(repo, { '.gitignore': '*.log\n!keep.log\nbuild/\n[[]glob].txt\n:odd.txt\n' });
    expect(await expectSnapshot()).toEqual(['.gitignore', 'a.txt', 'keep.log', 'plain.txt']);
    writeFiles(repo, { '.gitignore': '' });
    expect(await expectSnapshot()).toEqual(all);
  });

  it('asks again without the remembered untracked files a symbolic link now hides (check-ignore refuses them)', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n', '.gitignore': '*.log\n' });
    writeFiles(repo, { 'build/deep/x.txt': 'x\n', 'build/y.txt': 'y\n', 'other.log': 'o\n', 'u.txt': 'u\n' });
    const sandbox = await new GitSandboxProvider().open(repo);
    await scanTree(sandbox);
    await scanTree(sandbox);
    rmSync(path.join(repo, 'build'), { recursive: true });
    writeFiles(repo, { 'elsewhere/deep/x.txt': 'x\n', '.gitignore': '*.log\nu.txt\n' });
    symlinkSync('elsewhere', path.join(repo, 'build'));
    const tree = await scanTree(sandbox);
    // Answered without starting over from an empty cache (which would also be right, slowly):
    // the state still carries the membership forward.
    const state = JSON.parse(readFileSync(stateFile(repo), 'utf8')) as {
      membership?: { untrackedInRaw: string[] };
    };
    expect(state.membership?.untrackedInRaw.sort()).toEqual(['build', 'elsewhere/deep/x.txt']);
    // u.txt became ignored (the check still ran for it); build/ is now a link to elsewhere/.
    expect(Object.keys(treeEntries(repo, tree)).sort()).toEqual([
      '.gitignore',
      'a.txt',
      'build',
      'elsewhere/deep/x.txt',
    ]);
  });
});

describe('rollback and the real index', () => {
  it('leaves git status as it was at the checkpoint with fresh stat data, past the targeted refresh limit too', async () => {
    const many = TARGETED_REFRESH_LIMIT + 20;
    const files: Record<string, string> = { 'a.txt': 'a\n' };
    for (let i = 0; i < many; i++) files[`f/${i}.txt`] = `${i}\n`;
    const repo = makeRepo(files);
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });

    for (const count of [3, many]) {
      writeFiles(repo, { 'a.txt': `staged ${count}\n` });
      git(repo, 'add', 'a.txt');
      writeFiles(repo, { 'a.txt': `worktree ${count}\n`, 'u.txt': 'u\n' });
      const status = porcelain(repo);
      const { checkpoint } = await sp.checkpoints.create(plan.planId);
      for (let i = 0; i < count; i++) writeFiles(repo, { [`f/${i}.txt`]: `changed ${i}\n` });
      git(repo, 'add', '-A');

      await sp.rollbacks.rollback({
        planId: plan.planId,
        checkpointId: checkpoint.checkpointId,
        confirm: yes,
      });

      expect(porcelain(repo)).toEqual(status);
      // Plumbing that never refreshes sees only the real worktree change: the stat data is fresh.
      expect(git(repo, 'diff-files', '--name-only')).toBe('a.txt');
    }
  });
});

describe('checkpoint commits written by hash-object', () => {
  it('are byte for byte what commit-tree writes, with HEAD and the index commit as parents, and pass fsck --strict', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    writeFiles(repo, { 'a.txt': 'staged\n' });
    git(repo, 'add', 'a.txt');
    writeFiles(repo, { 'a.txt': 'worktree\n', 'u.txt': 'u\n' });
    const sandbox = await new GitSandboxProvider().open(repo);
    const scan = await sandbox.scan(SCAN);
    const commit = await sandbox.commitScan(scan, 'savepoint checkpoint X of plan Y');
    await scan.dispose();
    const [head, indexCommit] = git(repo, 'rev-list', '--parents', '-n', '1', commit).split(' ').slice(1);
    expect(head).toBe(git(repo, 'rev-parse', 'HEAD'));
    expect(git(repo, 'rev-parse', `${indexCommit}^{tree}`)).toBe(scan.indexTreeSha);
    expect(git(repo, 'rev-parse', `${commit}^{tree}`)).toBe(scan.treeSha);
    const date = /^author .* (\d+ \+0000)$/m.exec(git(repo, 'cat-file', 'commit', commit))?.[1];
    const env = {
      ...cleanGitEnv(),
      GIT_AUTHOR_NAME: 'savepoint',
      GIT_AUTHOR_EMAIL: 'savepoint@localhost',
      GIT_COMMITTER_NAME: 'savepoint',
      GIT_COMMITTER_EMAIL: 'savepoint@localhost',
      GIT_AUTHOR_DATE: `@${date}`,
      GIT_COMMITTER_DATE: `@${date}`,
    };
    const commitTree = (...args: string[]) =>
      execFileSync('git', ['commit-tree', ...args], { cwd: repo, env, encoding: 'utf8' }).trim();
    const viaIndex = commitTree(
      '-p',
      head as string,
      '-m',
      'index of savepoint checkpoint X of plan Y',
      scan.indexTreeSha,
    );
    expect(viaIndex).toBe(indexCommit);
    expect(
      commitTree(
        '-p',
        head as string,
        '-p',
        viaIndex,
        '-m',
        'savepoint checkpoint X of plan Y',
        scan.treeSha,
      ),
    ).toBe(commit);
    git(repo, 'update-ref', 'refs/savepoint/test', commit);
    git(repo, 'fsck', '--strict', '--no-dangling');
  });
});

describe('GitSandboxProvider remembers what git said per directory', () => {
  it('reuses it while the repository is the same, and asks git again once it is replaced or gone', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const provider = new GitSandboxProvider();
    const first = await provider.open(repo);
    expect(await provider.open(repo)).toBe(first);

    rmSync(path.join(repo, '.git'), { recursive: true });
    await expectError(provider.open(repo), SandboxInvalidError, 'SANDBOX_INVALID', 5);

    git(repo, 'init', '-q', '-b', 'main');
    const again = await provider.open(repo);
    expect(again).not.toBe(first);
    expect(await again.head()).toEqual({ ref: 'refs/heads/main', sha: null });
    expect(statSync(path.join(repo, '.git')).isDirectory()).toBe(true);
  });

  it('reads HEAD on a branch, detached and unborn', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sandbox = await new GitSandboxProvider().open(repo);
    const sha = git(repo, 'rev-parse', 'HEAD');
    expect(await sandbox.head()).toEqual({ ref: 'refs/heads/main', sha });
    git(repo, 'checkout', '-q', '--detach');
    expect(await sandbox.head()).toEqual({ ref: null, sha });
    git(repo, 'checkout', '-q', '--orphan', 'fresh');
    expect(await sandbox.head()).toEqual({ ref: 'refs/heads/fresh', sha: null });
  });
});
