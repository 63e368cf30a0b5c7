/**
 * Adversarial index and repository settings (issue 16): entries flagged assume-unchanged or
 * skip-worktree, `core.ignoreStat=true` and legacy (non-cone) sparse checkout hide files from
 * git's own walk; a checkpoint must still hold the bytes on disk, a rollback must write them
 * back exactly, and the real index keeps its flags.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { snapshotTree } from './helpers/fs-snapshot.js';
import { git, makeRepo, writeFiles } from './helpers/repo.js';
import { openSavepoint, yes } from './helpers/savepoint.js';

/** `ls-files -v`: every entry with its tag (lowercase: assume-unchanged, `S`: skip-worktree). */
function flags(repo: string): string {
  return git(repo, 'ls-files', '-v');
}

/** The content of `file` in `tree`. */
function inTree(repo: string, tree: string, file: string): string {
  return `${git(repo, 'cat-file', 'blob', `${tree}:${file}`)}\n`;
}

const HIDING = {
  'skip-worktree': (repo: string) => git(repo, 'update-index', '--skip-worktree', 'a.txt'),
  'assume-unchanged': (repo: string) => git(repo, 'update-index', '--assume-unchanged', 'a.txt'),
  'core.ignoreStat=true': (repo: string) => {
    git(repo, 'config', 'core.ignoreStat', 'true');
    // With ignoreStat, git marks the entries it writes assume-unchanged.
    writeFiles(repo, { 'a.txt': 'committed\nagain\n' });
    git(repo, 'add', 'a.txt');
    git(repo, 'commit', '-q', '-m', 'again');
  },
} as const;

describe('files hidden from git status by index flags or core.ignoreStat', () => {
  for (const [name, hide] of Object.entries(HIDING)) {
    for (const when of ['before plan create', 'after plan create'] as const) {
      it(`${name} (${when}): checkpoints hold the bytes on disk, rollback writes them back and keeps the flags`, async () => {
        const repo = makeRepo({ 'a.txt': 'committed\n', 'b.txt': 'b\n' });
        const sp = await openSavepoint(repo);
        if (when === 'before plan create') hide(repo);
        const { plan } = await sp.plans.create({ sandbox: repo });
        if (when === 'after plan create') hide(repo);
        writeFiles(repo, { 'a.txt': 'a local edit\n' });
        const flagged = flags(repo);
        expect(flagged).not.toBe('H a.txt\nH b.txt');
        const status = git(repo, 'status', '--porcelain');
        const { checkpoint: first } = await sp.checkpoints.create(plan.planId);
        expect(inTree(repo, first.treeSha, 'a.txt')).toBe('a local edit\n');
        expect(inTree(repo, first.indexTreeSha, 'a.txt')).toMatch(/^committed\n/);

        writeFiles(repo, { 'a.txt': 'a second, longer local edit\n' });
        const { checkpoint: second } = await sp.checkpoints.create(plan.planId);
        expect(second.checkpointId).not.toBe(first.checkpointId);
        expect(inTree(repo, second.treeSha, 'a.txt')).toBe('a second, longer local edit\n');

        const report = await sp.rollbacks.rollback({
          planId: plan.planId,
          checkpointId: first.checkpointId,
          confirm: yes,
        });
        expect(report.paths).toEqual([{ path: 'a.txt', change: 'modified' }]);
        expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a local edit\n');
        expect(flags(repo)).toBe(flagged);
        expect(git(repo, 'status', '--porcelain')).toBe(status);

        // The safety checkpoint held the second edit: undo brings it back.
        await sp.undo({ planId: plan.planId, confirm: yes });
        expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a second, longer local edit\n');
        expect(flags(repo)).toBe(flagged);
      });
    }
  }
});

describe('legacy (non-cone) sparse checkout', () => {
  it('rollback and undo write new files inside and outside the patterns; absent files stay absent', async () => {
    const repo = makeRepo({ 'in/a.txt': 'a\n', 'out/b.txt': 'b\n', 'top.txt': 't\n' });
    git(repo, 'config', 'core.sparseCheckout', 'true');
    writeFiles(repo, { '.git/info/sparse-checkout': '/in/\n/top.txt\n' });
    git(repo, 'read-tree', '-m', '-u', 'HEAD');
    expect(existsSync(path.join(repo, 'out/b.txt'))).toBe(false);
    const flagged = flags(repo);
    expect(flagged).toBe('H in/a.txt\nS out/b.txt\nH top.txt');
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: base } = await sp.plans.create({ sandbox: repo });
    // The worktree tree holds what is on disk: no out/b.txt. The index tree keeps it.
    expect(git(repo, 'ls-tree', '-r', '--name-only', base.treeSha)).toBe('in/a.txt\ntop.txt');
    expect(git(repo, 'ls-tree', '-r', '--name-only', base.indexTreeSha)).toBe('in/a.txt\nout/b.txt\ntop.txt');

    const created = {
      'in/new.txt': 'new inside\n',
      'out/new.txt': 'new outside\n',
      'new.txt': 'new at top\n',
    };
    writeFiles(repo, created);
    const withNew = snapshotTree(repo);
    const { checkpoint } = await sp.checkpoints.create(plan.planId);
    expect(git(repo, 'ls-tree', '-r', '--name-only', checkpoint.treeSha)).toBe(
      'in/a.txt\nin/new.txt\nnew.txt\nout/new.txt\ntop.txt',
    );

    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: base.checkpointId, confirm: yes });
    for (const file of Object.keys(created)) expect(existsSync(path.join(repo, file)), file).toBe(false);
    expect(flags(repo)).toBe(flagged);

    await sp.undo({ planId: plan.planId, confirm: yes });
    expect(snapshotTree(repo)).toEqual(withNew);
    expect(flags(repo)).toBe(flagged);

    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: base.checkpointId, confirm: yes });
    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes });
    expect(snapshotTree(repo)).toEqual(withNew);
    expect(existsSync(path.join(repo, 'out/b.txt'))).toBe(false);
    expect(flags(repo)).toBe(flagged);
  });
});
