/**
 * The pure rules of rollback over plain data: counting changes and deciding what happens to HEAD.
 */
import { describe, expect, it } from 'vitest';
import type { HeadState, TreeChange } from '../src/core/ports.js';
import { HeadMovedError } from '../src/plan/errors.js';
import {
  countChanges,
  decideHead,
  deletedPaths,
  ignoreCandidates,
  keepable,
  overlaps,
  rulesChanged,
} from '../src/plan/rollback-rules.js';
import { expectError } from './helpers/savepoint.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const MAIN = 'refs/heads/main';
const OTHER = 'refs/heads/other';

describe('countChanges', () => {
  it('is all zero for no changes', () => {
    expect(countChanges([])).toEqual({ added: 0, modified: 0, deleted: 0, total: 0 });
  });

  it('counts each kind and the total', () => {
    const changes: TreeChange[] = [
      { path: 'a', change: 'added' },
      { path: 'b', change: 'modified' },
      { path: 'c', change: 'deleted' },
      { path: 'd', change: 'added' },
      { path: 'e/f', change: 'added' },
      { path: 'g', change: 'deleted' },
    ];
    expect(countChanges(changes)).toEqual({ added: 3, modified: 1, deleted: 2, total: 6 });
  });
});

describe('decideHead', () => {
  const cases: Array<[string, HeadState, HeadState]> = [
    ['same branch, same commit', { ref: MAIN, sha: A }, { ref: MAIN, sha: A }],
    ['detached at the same commit', { ref: null, sha: A }, { ref: null, sha: A }],
    ['unborn branch, still unborn', { ref: MAIN, sha: null }, { ref: MAIN, sha: null }],
  ];

  it.each(cases)('leaves HEAD alone when it is where the checkpoint was (%s)', (_name, recorded, current) => {
    expect(decideHead(recorded, current, 'restore')).toEqual({ action: 'unchanged' });
    expect(decideHead(recorded, current, 'keep')).toEqual({ action: 'unchanged' });
  });

  it('moves the same branch back to the recorded commit', () => {
    const recorded = { ref: MAIN, sha: A };
    const current = { ref: MAIN, sha: B };
    expect(decideHead(recorded, current, 'restore')).toEqual({ action: 'move', from: current, to: recorded });
  });

  it('moves a detached HEAD back to the recorded commit', () => {
    const recorded = { ref: null, sha: A };
    const current = { ref: null, sha: B };
    expect(decideHead(recorded, current, 'restore')).toEqual({ action: 'move', from: current, to: recorded });
  });

  it('makes a branch unborn again when the checkpoint was taken before its first commit', () => {
    const recorded = { ref: MAIN, sha: null };
    const current = { ref: MAIN, sha: B };
    expect(decideHead(recorded, current, 'restore')).toEqual({ action: 'move', from: current, to: recorded });
  });

  it('refuses to switch from another branch: HEAD_MOVED, exit 4, naming both refs', async () => {
    const error = await expectError(
      () => decideHead({ ref: MAIN, sha: A }, { ref: OTHER, sha: A }, 'restore'),
      HeadMovedError,
      'HEAD_MOVED',
      4,
    );
    expect(error.details).toEqual({ recordedRef: MAIN, currentRef: OTHER });
  });

  it('refuses when the checkpoint was on a branch and HEAD is now detached, and the reverse', async () => {
    await expectError(
      () => decideHead({ ref: MAIN, sha: A }, { ref: null, sha: B }, 'restore'),
      HeadMovedError,
      'HEAD_MOVED',
      4,
    );
    await expectError(
      () => decideHead({ ref: null, sha: A }, { ref: MAIN, sha: A }, 'restore'),
      HeadMovedError,
      'HEAD_MOVED',
      4,
    );
  });

  it('keep mode leaves HEAD where it is whatever branch it is on', () => {
    expect(decideHead({ ref: MAIN, sha: A }, { ref: OTHER, sha: B }, 'keep')).toEqual({ action: 'kept' });
    expect(decideHead({ ref: MAIN, sha: A }, { ref: MAIN, sha: B }, 'keep')).toEqual({ action: 'kept' });
    expect(decideHead({ ref: null, sha: A }, { ref: MAIN, sha: A }, 'keep')).toEqual({ action: 'kept' });
  });
});

describe('ignore-rule helpers of rollback', () => {
  const changes = [
    { path: 'a.txt', change: 'deleted' as const },
    { path: 'build', change: 'added' as const },
    { path: 'build/x.o', change: 'deleted' as const },
    { path: 'src/.gitignore', change: 'modified' as const },
  ];

  it('rulesChanged is true only when a .gitignore file differs', () => {
    expect(rulesChanged(changes)).toBe(true);
    expect(rulesChanged(changes.slice(0, 3))).toBe(false);
    expect(rulesChanged([{ path: 'not.gitignore', change: 'modified' }])).toBe(false);
  });

  it('deletedPaths lists what the rollback removes', () => {
    expect(deletedPaths(changes)).toEqual(['a.txt', 'build/x.o']);
  });

  it('ignoreCandidates asks only about tracked paths, unless the rules differ or tracking is unknown', () => {
    const deleted = ['new.txt', 'tracked.log', 'dir/new.ts'];
    const untracked = new Set(['new.txt', 'dir/new.ts', 'elsewhere.txt']);
    expect(ignoreCandidates(deleted, false, untracked)).toEqual(['tracked.log']);
    expect(ignoreCandidates(deleted, true, untracked)).toEqual(deleted);
    expect(ignoreCandidates(deleted, false, null)).toEqual(deleted);
    expect(ignoreCandidates([], false, untracked)).toEqual([]);
  });

  it('keepable drops ignored files under a path the rollback turns into a file', () => {
    expect(keepable(changes, ['a.txt', 'build/x.o'])).toEqual(['a.txt']);
    expect(keepable(changes, [])).toEqual([]);
  });

  it('overlaps is true for the same path and for either one inside the other', () => {
    expect(overlaps('vendor/lib', 'vendor/lib')).toBe(true);
    expect(overlaps('vendor/lib/a.txt', 'vendor/lib')).toBe(true);
    expect(overlaps('vendor', 'vendor/lib')).toBe(true);
    expect(overlaps('vendor/libx', 'vendor/lib')).toBe(false);
  });
});
