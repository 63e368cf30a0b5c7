/**
 * Patch checkpoints against real temp repositories: what the row holds, round trips through
 * `git gc --prune=now` (binary files, deletions, exec bits, symlinks, empty files, CRLF bytes,
 * type changes, a partly staged index), exports applied with plain `git apply` in a fresh
 * clone, unborn HEADs, and every way a patch can stop applying.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CheckpointObjectsMissingError, PatchDoesNotApplyError } from '../src/checkpoint/errors.js';
import {
  decodePatchBundle,
  encodePatchBundle,
  MalformedPatchBundleError,
} from '../src/checkpoint/patch-bundle.js';
import type { Savepoint } from '../src/savepoint.js';
import { makeRichChanges, makeRichRepo } from './helpers/fixtures.js';
import { execMode, refs, repoState, snapshotTree } from './helpers/fs-snapshot.js';
import { cleanGitEnv, commitAll, git, gitStatusCode, makeRepo, tempDir, writeFiles } from './helpers/repo.js';
import { expectError, openSavepoint, yes } from './helpers/savepoint.js';

/** Makes every object no ref or index reaches disappear, as `git gc` eventually does. */
function pruneUnreachable(repo: string): void {
  git(repo, 'reflog', 'expire', '--expire=now', '--all');
  git(repo, 'gc', '-q', '--prune=now');
}

function objectExists(repo: string, sha: string): boolean {
  return gitStatusCode(repo, 'cat-file', '-e', sha) === 0;
}

/** Tree of every non-ignored file of a worktree, by plain git on a scratch index. */
function worktreeTree(dir: string): string {
  const env = { ...cleanGitEnv(), GIT_INDEX_FILE: path.join(tempDir('index-'), 'index') };
  execFileSync('git', ['add', '-A'], { cwd: dir, env });
  return execFileSync('git', ['write-tree'], { cwd: dir, env, encoding: 'utf8' }).trim();
}

/** Changes worktree and index away from any checkpoint, without a rollback (no safety checkpoint). */
function scramble(repo: string): void {
  git(repo, 'reset', '-q');
  git(repo, 'checkout', '-q', '--', '.');
  git(repo, 'clean', '-qfd');
  writeFiles(repo, { 'README.md': 'scrambled\n', 'later.txt': 'written after the checkpoint\n' });
}

function patchRow(sp: Savepoint, checkpointId: string): Buffer {
  const raw = new Database(sp.dbPath, { readonly: true });
  try {
    return (
      raw.prepare('SELECT patch FROM checkpoints WHERE checkpoint_id = ?').get(checkpointId) as {
        patch: Buffer;
      }
    ).patch;
  } finally {
    raw.close();
  }
}

function setPatchRow(sp: Savepoint, checkpointId: string, bytes: Buffer): void {
  const raw = new Database(sp.dbPath);
  try {
    raw.prepare('UPDATE checkpoints SET patch = ? WHERE checkpoint_id = ?').run(bytes, checkpointId);
  } finally {
    raw.close();
  }
}

describe('the patch bundle', () => {
  it('round-trips both parts, an index equal to the worktree, and the empty tree as base', () => {
    const worktree = Buffer.from('diff --git a/x b/x\n\x00\xff\r\n');
    const index = Buffer.from('');
    const base = 'a'.repeat(40);
    expect(decodePatchBundle(encodePatchBundle({ base, worktree, index }))).toEqual({
      base,
      worktree,
      index,
    });
    expect(decodePatchBundle(encodePatchBundle({ base: null, worktree, index: 'worktree' }))).toEqual({
      base: null,
      worktree,
      index: 'worktree',
    });
  });

  it('refuses bytes that are not a bundle', () => {
    const good = encodePatchBundle({ base: null, worktree: Buffer.from('abc'), index: Buffer.from('de') });
    for (const bad of [
      Buffer.from(''),
      Buffer.from('savepoint-patch 2\nbase -\nworktree 0\nindex 0\n'),
      Buffer.from('savepoint-patch 1\nbase HEAD\nworktree 0\nindex 0\n'),
      good.subarray(0, good.length - 1),
      Buffer.concat([good, Buffer.from('x')]),
    ]) {
      expect(() => decodePatchBundle(bad)).toThrow(MalformedPatchBundleError);
    }
  });
});

describe('checkpoint create --type patch', () => {
  it('stores a verified bundle in the row: no commit, no ref, sizeBytes is the bundle size', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    const refsBefore = refs(repo, 'refs/savepoint/');
    writeFiles(repo, { 'a.txt': 'changed\n', 'b.txt': 'new\n' });
    git(repo, 'add', 'b.txt');

    const { checkpoint, deduplicated } = await sp.checkpoints.create(plan.planId, { type: 'patch' });

    expect(deduplicated).toBe(false);
    expect(checkpoint).toMatchObject({ checkpointType: 'patch', sandboxRef: null, commitSha: null });
    expect(refs(repo, 'refs/savepoint/')).toEqual(refsBefore);
    const stored = patchRow(sp, checkpoint.checkpointId);
    expect(checkpoint.sizeBytes).toBe(stored.byteLength);
    const bundle = decodePatchBundle(stored);
    expect(bundle.base).toBe(plan.baseCommit);
    expect(Buffer.from(bundle.worktree).toString()).toContain('+changed');
    expect(Buffer.from(bundle.index as Uint8Array).toString()).toContain('b/b.txt');
    expect(Buffer.from(bundle.index as Uint8Array).toString()).not.toContain('a.txt');

    // Nothing staged: the index tree is the base tree, stored as an empty index patch.
    git(repo, 'reset', '-q');
    const unstaged = await sp.checkpoints.create(plan.planId, { type: 'patch' });
    const second = decodePatchBundle(patchRow(sp, unstaged.checkpoint.checkpointId));
    expect(second.index).toEqual(Buffer.alloc(0));
    expect(second.worktree.byteLength).toBeGreaterThan(0);
  });

  it('takes the plan policy default, keeps #1 and safety checkpoints commits, and applies the default at apply', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({
      sandbox: repo,
      policy: { defaultType: 'patch' },
    });
    expect(first.checkpointType).toBe('commit');
    writeFiles(repo, { 'a.txt': 'b\n' });
    const { checkpoint } = await sp.checkpoints.create(plan.planId);
    expect(checkpoint.checkpointType).toBe('patch');
    writeFiles(repo, { 'a.txt': 'c\n' });
    const explicit = await sp.checkpoints.create(plan.planId, { type: 'commit' });
    expect(explicit.checkpoint.checkpointType).toBe('commit');
    writeFiles(repo, { 'a.txt': 'd\n' });
    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: checkpoint.checkpointId,
      confirm: yes,
    });
    expect(sp.checkpoints.get(report.safetyCheckpointId as string).checkpointType).toBe('commit');
    writeFiles(repo, { 'a.txt': 'e\n' });
    const { finalCheckpoint } = await sp.plans.apply(plan.planId);
    expect(finalCheckpoint.checkpoint.checkpointType).toBe('patch');
  });

  it('deduplicates against the latest checkpoint whatever its type, unless forced', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'b\n' });
    const { checkpoint } = await sp.checkpoints.create(plan.planId, { type: 'patch' });
    const again = await sp.checkpoints.create(plan.planId, { type: 'commit' });
    expect(again).toMatchObject({
      deduplicated: true,
      checkpoint: { checkpointId: checkpoint.checkpointId },
    });
    const forced = await sp.checkpoints.create(plan.planId, { type: 'patch', force: true });
    expect(forced.deduplicated).toBe(false);
    expect(forced.checkpoint.treeSha).toBe(checkpoint.treeSha);
  });

  it('retention prunes patch rows by deleting the row; refs stay those of the commit rows', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo, policy: { retention: { max: 3 } } });
    const taken = [];
    for (let i = 0; i < 6; i++) {
      writeFiles(repo, { 'a.txt': `${i}\n` });
      taken.push(
        (await sp.checkpoints.create(plan.planId, { type: i % 2 === 0 ? 'patch' : 'commit' })).checkpoint,
      );
    }
    const rows = sp.checkpoints.list(plan.planId);
    expect(rows.map((c) => c.seq)).toEqual([1, 6, 7]);
    expect(refs(repo, 'refs/savepoint/').sort()).toEqual(
      rows
        .filter((c) => c.checkpointType === 'commit')
        .map((c) => `${c.sandboxRef} ${c.commitSha}`)
        .sort(),
    );
    const gc = await sp.retention.gc();
    expect(gc.removedRefs).toEqual([]);
    expect(sp.checkpoints.list(plan.planId)).toEqual(rows);
  });
});

describe('rollback to a patch checkpoint', () => {
  it('restores worktree, index and HEAD exactly after git gc --prune=now removed the snapshot objects', async () => {
    const repo = makeRichRepo();
    git(repo, 'config', 'core.autocrlf', 'input');
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    makeRichChanges(repo);
    writeFiles(repo, {
      'crlf.txt': Buffer.from('one\r\ntwo\r\nmixed\n\r\n'),
      'src/app.js': 'console.log("staged");\n',
      'partly.txt': 'staged version\n',
    });
    git(repo, 'add', 'src/app.js', 'partly.txt', 'crlf.txt');
    writeFiles(repo, { 'partly.txt': 'worktree version\n' });
    const before = repoState(repo);

    const { checkpoint } = await sp.checkpoints.create(plan.planId, { type: 'patch' });
    expect(checkpoint.indexTreeSha).not.toBe(checkpoint.treeSha);
    scramble(repo);
    pruneUnreachable(repo);
    expect(objectExists(repo, checkpoint.treeSha)).toBe(false);
    expect(objectExists(repo, checkpoint.indexTreeSha)).toBe(false);

    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: checkpoint.checkpointId,
      confirm: yes,
    });

    expect(report.restored.total).toBeGreaterThan(10);
    expect(repoState(repo)).toEqual(before);
    expect(readFileSync(path.join(repo, 'crlf.txt')).equals(Buffer.from('one\r\ntwo\r\nmixed\n\r\n'))).toBe(
      true,
    );
    expect(git(repo, 'write-tree')).toBe(checkpoint.indexTreeSha);
  });

  it('restores type changes: file → directory, directory → file, symlink → directory, and an exec-bit flip', async () => {
    const repo = makeRepo({ a: 'a file\n', 'd/f': 'in a dir\n', 'x.sh': '#!/bin/sh\n' });
    symlinkSync('a', path.join(repo, 'l'));
    commitAll(repo, 'symlink');
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    rmSync(path.join(repo, 'a'));
    rmSync(path.join(repo, 'd'), { recursive: true });
    rmSync(path.join(repo, 'l'));
    writeFiles(repo, { 'a/inner': 'now a dir\n', d: 'now a file\n', 'l/x': 'was a symlink\n', empty: '' });
    chmodSync(path.join(repo, 'x.sh'), execMode());
    const before = snapshotTree(repo);
    const { checkpoint } = await sp.checkpoints.create(plan.planId, { type: 'patch' });
    scramble(repo);
    pruneUnreachable(repo);

    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes });

    expect(snapshotTree(repo)).toEqual(before);
  });

  it('works on a plan begun on an unborn branch: the patch applies to the empty tree', async () => {
    const repo = makeRepo({});
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    expect(plan.baseCommit).toBeNull();
    writeFiles(repo, { 'a.txt': 'a\n', 'bin.dat': Buffer.from([0, 1, 2, 255]) });
    const before = snapshotTree(repo);
    const { checkpoint } = await sp.checkpoints.create(plan.planId, { type: 'patch' });
    expect(decodePatchBundle(patchRow(sp, checkpoint.checkpointId)).base).toBeNull();
    rmSync(path.join(repo, 'a.txt'));
    pruneUnreachable(repo);

    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes });

    expect(snapshotTree(repo)).toEqual(before);
  });

  it('refuses with PATCH_DOES_NOT_APPLY (exit 9) when the base commit is gone, and changes nothing', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'patched\n' });
    const { checkpoint } = await sp.checkpoints.create(plan.planId, { type: 'patch' });
    // Rewrite the only commit and drop everything that kept the old one alive, ref of #1 included.
    git(repo, 'commit', '-q', '--amend', '-m', 'rewritten');
    git(repo, 'update-ref', '-d', first.sandboxRef as string);
    pruneUnreachable(repo);
    expect(objectExists(repo, plan.baseCommit as string)).toBe(false);
    const before = repoState(repo);

    const error = await expectError(
      sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes }),
      PatchDoesNotApplyError,
      'PATCH_DOES_NOT_APPLY',
      9,
    );
    expect(error.details).toMatchObject({ reason: 'base-missing', baseCommit: plan.baseCommit });
    expect(error.message).toContain(`base commit ${plan.baseCommit} is gone`);
    expect(repoState(repo)).toEqual(before);
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(2);

    await expectError(
      sp.checkpoints.export(checkpoint.checkpointId),
      PatchDoesNotApplyError,
      'PATCH_DOES_NOT_APPLY',
      9,
    );
    writeFiles(repo, { 'a.txt': 'new\n' });
    const taking = await expectError(
      sp.checkpoints.create(plan.planId, { type: 'patch' }),
      PatchDoesNotApplyError,
      'PATCH_DOES_NOT_APPLY',
      9,
    );
    expect(taking.message).toContain(`cannot take a patch checkpoint of plan ${plan.planId}`);
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(2);
  });

  it('refuses a damaged or non-applying stored patch with PATCH_DOES_NOT_APPLY, and changes nothing', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'patched\n' });
    const { checkpoint } = await sp.checkpoints.create(plan.planId, { type: 'patch' });
    writeFiles(repo, { 'a.txt': 'later\n' });
    const before = repoState(repo);
    const rollback = () =>
      sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes });

    setPatchRow(sp, checkpoint.checkpointId, Buffer.from('not a bundle'));
    const malformed = await expectError(rollback, PatchDoesNotApplyError, 'PATCH_DOES_NOT_APPLY', 9);
    expect(malformed.details.reason).toBe('malformed');

    const wrongContext =
      'diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-not what is there\n+x\n';
    setPatchRow(
      sp,
      checkpoint.checkpointId,
      encodePatchBundle({
        base: plan.baseCommit,
        worktree: Buffer.from(wrongContext),
        index: Buffer.from(''),
      }),
    );
    const refused = await expectError(rollback, PatchDoesNotApplyError, 'PATCH_DOES_NOT_APPLY', 9);
    expect(refused.details.reason).toBe('does-not-apply');

    // Applies, but to another tree than the one recorded.
    const other = 'diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+other\n';
    setPatchRow(
      sp,
      checkpoint.checkpointId,
      encodePatchBundle({ base: plan.baseCommit, worktree: Buffer.from(other), index: Buffer.from('') }),
    );
    const mismatch = await expectError(rollback, PatchDoesNotApplyError, 'PATCH_DOES_NOT_APPLY', 9);
    expect(mismatch.details.reason).toBe('tree-mismatch');
    expect(repoState(repo)).toEqual(before);
  });

  it('refuses with CHECKPOINT_OBJECTS_MISSING when the HEAD commit to restore is gone; --head keep still restores', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'b\n' });
    const lost = commitAll(repo, 'a commit the agent later drops');
    writeFiles(repo, { 'a.txt': 'patched\n' });
    const { checkpoint } = await sp.checkpoints.create(plan.planId, { type: 'patch' });
    git(repo, 'reset', '-q', '--hard', plan.baseCommit as string);
    pruneUnreachable(repo);
    expect(objectExists(repo, lost)).toBe(false);

    await expectError(
      sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes }),
      CheckpointObjectsMissingError,
      'CHECKPOINT_OBJECTS_MISSING',
      9,
    );
    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a\n');
    await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: checkpoint.checkpointId,
      head: 'keep',
      confirm: yes,
    });
    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('patched\n');
  });
});

describe('checkpoint export', () => {
  /** Applies `patch` with plain `git apply` in a fresh clone checked out at `base`; returns the clone. */
  function applyInClone(repo: string, base: string, patch: Buffer): string {
    const clone = path.join(tempDir('clone-'), 'clone');
    git(path.dirname(clone), 'clone', '-q', '--no-checkout', repo, clone);
    git(clone, 'checkout', '-q', '--detach', base);
    const file = path.join(path.dirname(clone), 'work.patch');
    writeFileSync(file, patch);
    git(clone, 'apply', file);
    return clone;
  }

  it('writes a patch plain git apply applies in a fresh clone at the base commit, for both types, byte for byte', async () => {
    const repo = makeRichRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    makeRichChanges(repo);
    writeFiles(repo, { 'crlf.txt': Buffer.from('one\r\ntwo\r\n') });
    const patchCheckpoint = (await sp.checkpoints.create(plan.planId, { type: 'patch' })).checkpoint;
    const commitCheckpoint = (await sp.checkpoints.create(plan.planId, { type: 'commit', force: true }))
      .checkpoint;

    const fromPatch = await sp.checkpoints.export(patchCheckpoint.checkpointId);
    const fromCommit = await sp.checkpoints.export(commitCheckpoint.checkpointId);

    expect(fromPatch).toMatchObject({ checkpointType: 'patch', base: plan.baseCommit, planId: plan.planId });
    expect(fromCommit).toMatchObject({ checkpointType: 'commit', base: plan.baseCommit });
    expect(fromCommit.patch.equals(fromPatch.patch)).toBe(true);
    const clone = applyInClone(repo, plan.baseCommit as string, fromCommit.patch);
    expect(worktreeTree(clone)).toBe(commitCheckpoint.treeSha);
    const expected = snapshotTree(repo);
    for (const ignored of ['ignored', 'ignored/cache.bin', 'debug.log', 'sub/trace.log'])
      delete expected[ignored];
    expect(snapshotTree(clone)).toEqual(expected);
  });

  it('exports against the empty tree for a plan begun on an unborn branch, and an empty patch for an unchanged tree', async () => {
    const repo = makeRepo({});
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'a\n' });
    const { checkpoint } = await sp.checkpoints.create(plan.planId);
    const exported = await sp.checkpoints.export(checkpoint.checkpointId);
    expect(exported.base).toBeNull();
    const fresh = makeRepo({});
    writeFileSync(path.join(fresh, '..', 'empty-base.patch'), exported.patch);
    git(fresh, 'apply', path.join(fresh, '..', 'empty-base.patch'));
    expect(readFileSync(path.join(fresh, 'a.txt'), 'utf8')).toBe('a\n');
    expect((await sp.checkpoints.export(first.checkpointId)).patch.byteLength).toBe(0);
  });

  it('refuses a commit checkpoint whose ref is gone with CHECKPOINT_OBJECTS_MISSING (exit 9)', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'b\n' });
    const { checkpoint } = await sp.checkpoints.create(plan.planId);
    git(repo, 'update-ref', '-d', checkpoint.sandboxRef as string);
    await expectError(
      sp.checkpoints.export(checkpoint.checkpointId),
      CheckpointObjectsMissingError,
      'CHECKPOINT_OBJECTS_MISSING',
      9,
    );
  });
});

describe('sha256 repositories', () => {
  it('round-trips a patch checkpoint on an unborn sha256 repository (its own empty tree id)', async () => {
    const repo = tempDir();
    git(repo, 'init', '-q', '-b', 'main', '--object-format=sha256');
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'a\n' });
    const before = snapshotTree(repo);
    const { checkpoint } = await sp.checkpoints.create(plan.planId, { type: 'patch' });
    expect(checkpoint.treeSha).toHaveLength(64);
    writeFiles(repo, { 'a.txt': 'later\n' });
    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: checkpoint.checkpointId, confirm: yes });
    expect(snapshotTree(repo)).toEqual(before);
  });
});
