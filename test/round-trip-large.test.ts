/**
 * A realistic round trip: ~2,000 files in nested directories, ~80 paths changed (modified,
 * added, deleted, exec bits, symlinks, staged, committed), rollback, full comparison; then
 * the undo, full comparison again.
 */
import { chmodSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { execMode, mtimes, repoState } from './helpers/fs-snapshot.js';
import { commitAll, git, makeRepo, writeFiles } from './helpers/repo.js';
import { openSavepoint, yes } from './helpers/savepoint.js';

/** Deterministic pseudo-random numbers (LCG), so every run builds the same repository. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
}

const FILES = 2000;

function fileName(i: number): string {
  return `pkg${i % 10}/mod${Math.floor(i / 10) % 20}/sub${i % 3}/file-${i}.txt`;
}

function content(i: number, rand: () => number, version = 0): string {
  const lines = [`file ${i} v${version}`];
  const n = 1 + (rand() % 12);
  for (let l = 0; l < n; l++) lines.push(`line ${l}: ${rand().toString(36)}`);
  return `${lines.join('\n')}\n`;
}

describe('large round trip', () => {
  it('rolls ~80 changes back on a 2,000-file repository byte-identically, and the undo restores them', async () => {
    const rand = lcg(42);
    const files: Record<string, string> = { '.gitignore': '*.tmp\nbuild/\n' };
    for (let i = 0; i < FILES; i++) files[fileName(i)] = content(i, rand);
    const repo = makeRepo(files);
    writeFiles(repo, { 'build/output.bin': 'ignored build output\n', 'scratch.tmp': 'ignored\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
    const atCheckpoint = repoState(repo);
    expect(Object.keys(atCheckpoint.tree).filter((k) => k.endsWith('.txt'))).toHaveLength(FILES);

    // ~80 changed paths.
    const at = (name: string) => path.join(repo, name);
    for (let k = 0; k < 30; k++) {
      const i = (k * 67) % FILES;
      writeFiles(repo, { [fileName(i)]: content(i, rand, 1) });
    }
    for (let k = 0; k < 5; k++) {
      // Same size, different bytes: only a content check can see it.
      const i = 1000 + k;
      const name = fileName(i);
      const old = files[name] ?? '';
      writeFiles(repo, { [name]: `${old.slice(0, -2)}#\n` });
    }
    for (let k = 0; k < 20; k++) rmSync(at(fileName((k * 97 + 13) % FILES)), { force: true });
    for (let k = 0; k < 15; k++) writeFiles(repo, { [`new/area${k % 4}/deep/n-${k}.txt`]: `new ${k}\n` });
    for (let k = 0; k < 5; k++) writeFiles(repo, { [`pkg${k}/added-${k}.txt`]: `added ${k}\n` });
    for (let k = 0; k < 5; k++) chmodSync(at(fileName(1500 + k)), execMode());
    for (let k = 0; k < 3; k++) symlinkSync(fileName(k), at(`link-${k}`));
    // Staged changes and a commit in the middle of it.
    git(repo, 'add', fileName(0), fileName(67), 'new/area0');
    commitAll(repo, 'part of the work');
    writeFiles(repo, { [fileName(1999)]: 'staged, not committed\n', 'pkg9/staged-new.txt': 'staged new\n' });
    git(repo, 'add', fileName(1999), 'pkg9/staged-new.txt');
    writeFiles(repo, { 'build/output.bin': 'rebuilt, still ignored\n' });
    const later = repoState(repo);
    const ignoredTimes = mtimes(repo);

    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: checkpoint.checkpointId,
      confirm: yes,
    });

    expect(report.restored.total).toBeGreaterThanOrEqual(75);
    expect(report.restored.total).toBeLessThanOrEqual(90);
    expect(report.restored).toEqual({
      added: 20,
      modified: 35 + 5 + 1,
      deleted: 15 + 5 + 3 + 1,
      total: report.paths.length,
    });
    const after = repoState(repo);
    const { 'build/output.bin': afterBuild, ...afterRest } = after.tree;
    const { 'build/output.bin': _checkpointBuild, ...checkpointRest } = atCheckpoint.tree;
    expect(afterRest).toEqual(checkpointRest);
    expect(afterBuild).toEqual(later.tree['build/output.bin']);
    expect(mtimes(repo)['build/output.bin']).toBe(ignoredTimes['build/output.bin']);
    expect(after.staged).toEqual(atCheckpoint.staged);
    expect(after.status).toEqual(atCheckpoint.status);
    expect(after.head).toEqual(atCheckpoint.head);

    await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: report.safetyCheckpointId ?? '',
      confirm: yes,
    });
    expect(repoState(repo)).toEqual(later);
  });
});
