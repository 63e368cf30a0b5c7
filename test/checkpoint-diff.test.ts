/**
 * Checkpoint accounting (filesChanged, sizeBytes), caller metadata through the service, and
 * the read-only comparisons (`show --stat/--diff`, `checkpoint diff`) on real temp repos.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CheckpointNotFoundError,
  CheckpointNotInPlanError,
  CheckpointObjectsMissingError,
} from '../src/checkpoint/errors.js';
import { MetadataInvalidError } from '../src/checkpoint/metadata.js';
import { GitSandboxProvider } from '../src/git/sandbox.js';
import { refs, repoState, tempIndexFiles } from './helpers/fs-snapshot.js';
import { cleanGitEnv, git, makeRepo, tempDir, writeFiles } from './helpers/repo.js';
import { expectError, openSavepoint, yes } from './helpers/savepoint.js';

const bytes = (text: string | Buffer) => Buffer.byteLength(text);

/** The tree `git apply --cached` makes of `patch` on top of `fromTree`, in a scratch index. */
function applyPatch(repo: string, fromTree: string, patch: Buffer): string {
  const dir = tempDir();
  const file = path.join(dir, 'change.patch');
  writeFileSync(file, patch);
  const env = { ...cleanGitEnv(), GIT_INDEX_FILE: path.join(dir, 'index') };
  const run = (...args: string[]) =>
    execFileSync('git', args, { cwd: repo, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  run('read-tree', fromTree);
  run('apply', '--cached', '--binary', file);
  return run('write-tree');
}

describe('accounting: filesChanged and sizeBytes', () => {
  it('checkpoint #1 counts what differs from the base commit; a clean start counts nothing', async () => {
    const clean = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(clean);
    const { checkpoint } = await sp.plans.create({ sandbox: clean });
    expect({ files: checkpoint.filesChanged, size: checkpoint.sizeBytes }).toEqual({ files: 0, size: 0 });

    const dirty = makeRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n' });
    writeFiles(dirty, { 'a.txt': 'changed a\n', 'new.txt': 'brand new\n' });
    unlinkSync(path.join(dirty, 'b.txt'));
    const sp2 = await openSavepoint(dirty);
    const { checkpoint: first } = await sp2.plans.create({ sandbox: dirty });
    expect(first.filesChanged).toBe(3);
    expect(first.sizeBytes).toBe(bytes('changed a\n') + bytes('brand new\n'));
  });

  it('checkpoint #1 on an unborn branch counts every file against the empty tree', async () => {
    const repo = makeRepo({});
    writeFiles(repo, { 'a.txt': 'hello\n', 'dir/b.txt': 'world!\n' });
    const sp = await openSavepoint(repo);
    const { checkpoint } = await sp.plans.create({ sandbox: repo });
    expect(checkpoint.filesChanged).toBe(2);
    expect(checkpoint.sizeBytes).toBe(13);
  });

  it('counts added, modified, deleted, mode-only and symlink paths; each distinct new blob once', async () => {
    const repo = makeRepo({
      'keep.txt': 'keep\n',
      'mod.txt': 'old\n',
      'gone.txt': 'gone\n',
      'run.sh': 'echo\n',
    });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'mod.txt': 'new content\n', 'copy1.txt': 'same\n', 'deep/copy2.txt': 'same\n' });
    unlinkSync(path.join(repo, 'gone.txt'));
    chmodSync(path.join(repo, 'run.sh'), 0o755);
    symlinkSync('keep.txt', path.join(repo, 'link'));

    const { checkpoint } = await sp.checkpoints.create(plan.planId);

    // mod, copy1, copy2, gone, run.sh (mode only), link
    expect(checkpoint.filesChanged).toBe(6);
    // new content of mod.txt, "same\n" once, and the symlink's target
    expect(checkpoint.sizeBytes).toBe(bytes('new content\n') + bytes('same\n') + bytes('keep.txt'));
    expect(sp.checkpoints.get(checkpoint.checkpointId)).toEqual(checkpoint);
  });

  it('measures against the latest checkpoint, not the base commit; a reused checkpoint keeps its numbers', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'b.txt': 'bb\n' });
    const second = await sp.checkpoints.create(plan.planId);
    writeFiles(repo, { 'c.txt': 'ccc\n' });
    const third = await sp.checkpoints.create(plan.planId);
    expect([third.checkpoint.filesChanged, third.checkpoint.sizeBytes]).toEqual([1, 4]);
    const again = await sp.checkpoints.create(plan.planId);
    expect(again.deduplicated).toBe(true);
    expect(again.checkpoint).toEqual(third.checkpoint);
    expect([second.checkpoint.filesChanged, second.checkpoint.sizeBytes]).toEqual([1, 3]);
  });

  it("a rollback's safety checkpoint is measured too", async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'edited\n', 'b.txt': 'b\n' });
    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: first.checkpointId,
      confirm: yes,
    });
    const safety = sp.checkpoints.get(report.safetyCheckpointId as string);
    expect([safety.filesChanged, safety.sizeBytes]).toEqual([2, bytes('edited\n') + bytes('b\n')]);
  });

  it('over a thousand changed paths: every one counted (one listing of the tree instead of pathspecs)', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    const files: Record<string, string> = {};
    for (let i = 0; i < 1200; i++) files[`many/f${i}.txt`] = `file number ${i}\n`;
    writeFiles(repo, files);
    const { checkpoint } = await sp.checkpoints.create(plan.planId);
    expect(checkpoint.filesChanged).toBe(1200);
    expect(checkpoint.sizeBytes).toBe(Object.values(files).reduce((sum, text) => sum + bytes(text), 0));
  });
});

describe('GitSandbox.treeDelta', () => {
  it('sizes from the worktree (with the scan) equal sizes from the tree; a path gone since the scan is sized from the tree', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sandbox = await new GitSandboxProvider().open(repo);
    const base = git(repo, 'rev-parse', 'HEAD');
    const files: Record<string, string> = { 'a.txt': 'changed\n', 'gone-later.txt': 'twelve bytes' };
    for (let i = 0; i < 1100; i++) files[`many/f${i}.txt`] = `n${i}\n`;
    writeFiles(repo, files);
    symlinkSync('a.txt', path.join(repo, 'link'));
    const expected = {
      filesChanged: 1103,
      addedBlobBytes: Object.values(files).reduce((sum, text) => sum + bytes(text), 0) + bytes('a.txt'),
    };
    const scan = await sandbox.scan({ untrackedSizeCap: 1 << 20 });
    try {
      unlinkSync(path.join(repo, 'gone-later.txt'));
      expect(await sandbox.treeDelta(base, scan.treeSha, scan)).toEqual(expected);
      // Without the scan: ls-tree, one listing of the whole tree (over 1000 paths) …
      expect(await sandbox.treeDelta(base, scan.treeSha)).toEqual(expected);
      expect(await sandbox.treeDelta(scan.treeSha, scan.treeSha)).toEqual({
        filesChanged: 0,
        addedBlobBytes: 0,
      });
    } finally {
      await scan.dispose();
    }
    // … or pathspecs for a few paths; null is the empty tree.
    const small = makeRepo({});
    writeFiles(small, { 'x.txt': 'xyz\n', 'y/z.txt': 'xyz\n' });
    const smallSandbox = await new GitSandboxProvider().open(small);
    const smallScan = await smallSandbox.scan({ untrackedSizeCap: 1 << 20 });
    await smallScan.dispose();
    expect(await smallSandbox.treeDelta(null, smallScan.treeSha)).toEqual({
      filesChanged: 2,
      addedBlobBytes: 4,
    });
  });
});

describe('caller metadata', () => {
  it('stores resourceId and meta pairs under metadata.meta', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'a\n' });
    const outcome = await sp.checkpoints.create(plan.planId, {
      tool: 'Edit',
      resourceId: 'src/a.ts',
      meta: { ticket: 'PAR-12', attempt: '2' },
    });
    if (outcome.skipped) throw new Error('Edit is not declared skip');
    expect(sp.checkpoints.get(outcome.checkpoint.checkpointId)).toMatchObject({
      resourceId: 'src/a.ts',
      metadata: { kind: 'manual', tool: 'Edit', meta: { ticket: 'PAR-12', attempt: '2' } },
    });
  });

  it('refuses bad metadata before scanning: no commit, no ref, no row, nothing on disk changed', async () => {
    const repo = makeRepo();
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'a\n' });
    const before = { state: repoState(repo), refs: refs(repo), objects: git(repo, 'count-objects') };
    const error = await expectError(
      sp.checkpoints.create(plan.planId, { meta: { kind: 'sneaky', 'bad key': 'x' } }),
      MetadataInvalidError,
      'METADATA_INVALID',
      2,
    );
    expect(error.details.issues).toHaveLength(2);
    expect({ state: repoState(repo), refs: refs(repo), objects: git(repo, 'count-objects') }).toEqual(before);
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(1);
  });
});

describe('checkpoint show --stat / --diff', () => {
  it('lists per-path line counts against the previous checkpoint; binary and type changes included', async () => {
    const repo = makeRepo({ 'a.txt': 'one\ntwo\n', 'img.bin': Buffer.from([0, 1, 2, 3]), swap: 'file\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, {
      'a.txt': 'one\nTWO\nthree\n',
      'img.bin': Buffer.from([0, 9, 9]),
      'new.txt': 'x\ny\n',
    });
    unlinkSync(path.join(repo, 'swap'));
    symlinkSync('a.txt', path.join(repo, 'swap'));
    const { checkpoint } = await sp.checkpoints.create(plan.planId);

    const result = await sp.diffs.changes(checkpoint.checkpointId, { stat: true });

    expect(result.comparedWith).toEqual({ checkpointId: first.checkpointId, seq: 1, baseCommit: null });
    expect(result.stat).toEqual([
      { path: 'a.txt', change: 'modified', added: 2, removed: 1, binary: false },
      { path: 'img.bin', change: 'modified', added: 0, removed: 0, binary: true },
      { path: 'new.txt', change: 'added', added: 2, removed: 0, binary: false },
      { path: 'swap', change: 'modified', added: 1, removed: 1, binary: false },
    ]);
    expect(result.patch).toBeUndefined();
  });

  it('checkpoint #1 is compared with the base commit; after pruning, with the earlier checkpoint still held', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const base = git(repo, 'rev-parse', 'HEAD');
    writeFiles(repo, { 'a.txt': 'a\nb\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    const one = await sp.diffs.changes(first.checkpointId, { stat: true });
    expect(one.comparedWith).toEqual({ checkpointId: null, seq: null, baseCommit: base });
    expect(one.stat).toEqual([{ path: 'a.txt', change: 'modified', added: 1, removed: 0, binary: false }]);

    writeFiles(repo, { 'b.txt': 'b\n' });
    const second = (await sp.checkpoints.create(plan.planId)).checkpoint;
    writeFiles(repo, { 'c.txt': 'c\n' });
    const third = (await sp.checkpoints.create(plan.planId)).checkpoint;
    await sp.retention.prune(plan.planId, { keep: 2, dryRun: false });
    expect(sp.checkpoints.list(plan.planId).map((c) => c.seq)).toEqual([1, 3]);
    expect(second.seq).toBe(2);
    const after = await sp.diffs.changes(third.checkpointId, { stat: true });
    expect(after.comparedWith.checkpointId).toBe(first.checkpointId);
    expect(after.stat?.map((e) => e.path)).toEqual(['b.txt', 'c.txt']);
  });

  it('the patch is byte-exact whatever the user configured: applying it to the previous tree gives the checkpoint tree', async () => {
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]); // "café\n" in Latin-1: not UTF-8
    const repo = makeRepo({
      'crlf.txt': 'a\r\nb\r\n',
      'latin1.txt': latin1,
      'blob.bin': Buffer.from([0, 255, 0, 255]),
      '.gitattributes': '*.txt diff=shout\n',
    });
    git(repo, 'config', 'diff.shout.textconv', 'tr a-z A-Z');
    git(repo, 'config', 'diff.external', '/bin/false');
    git(repo, 'config', 'color.ui', 'always');
    git(repo, 'config', 'color.diff', 'always');
    git(repo, 'config', 'diff.noprefix', 'true');
    git(repo, 'config', 'core.autocrlf', 'true');
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, {
      'crlf.txt': 'a\r\nB\r\nc\r\n',
      'latin1.txt': Buffer.concat([latin1, Buffer.from([0xff, 0x0a])]),
      'blob.bin': Buffer.from([1, 2, 3, 0, 4]),
      'added.txt': 'new\n',
    });
    const { checkpoint } = await sp.checkpoints.create(plan.planId);

    const { patch } = await sp.diffs.changes(checkpoint.checkpointId, { patch: true });

    expect(patch).toBeInstanceOf(Buffer);
    const text = (patch as Buffer).toString('latin1');
    expect(text).not.toContain('\u001b[');
    expect(text).toContain('diff --git a/crlf.txt b/crlf.txt');
    expect(text).toContain('+B\r\n');
    expect(text).toContain('GIT binary patch');
    // No textconv (it would upper-case the context line), raw bytes of a non-UTF-8 file.
    expect(text).toContain(' a\r\n');
    expect((patch as Buffer).includes(Buffer.concat([Buffer.from(' '), latin1]))).toBe(true);
    expect((patch as Buffer).includes(Buffer.from([0x2b, 0xff, 0x0a]))).toBe(true);
    expect(applyPatch(repo, first.treeSha, patch as Buffer)).toBe(checkpoint.treeSha);
  });

  it('an unknown checkpoint is CHECKPOINT_NOT_FOUND; a tree gone from the object store is CHECKPOINT_OBJECTS_MISSING', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo });
    await expectError(
      sp.diffs.changes('01ARZ3NDEKTSV4RRFFQ69G5FAV', { stat: true }),
      CheckpointNotFoundError,
      'CHECKPOINT_NOT_FOUND',
      3,
    );
    writeFiles(repo, { 'only-here.txt': 'content no other tree holds\n' });
    const { checkpoint } = await sp.checkpoints.create(plan.planId);
    git(repo, 'update-ref', '-d', checkpoint.sandboxRef as string);
    rmSync(path.join(repo, '.git', 'savepoint', 'raw-index'), { force: true });
    git(repo, 'reflog', 'expire', '--expire=now', '--all');
    git(repo, 'gc', '-q', '--prune=now');
    const error = await expectError(
      sp.diffs.changes(checkpoint.checkpointId, { stat: true }),
      CheckpointObjectsMissingError,
      'CHECKPOINT_OBJECTS_MISSING',
      9,
    );
    expect(error.message).toContain('cannot be compared');
  });
});

describe('checkpoint diff', () => {
  it('names the changed paths and counts between two checkpoints of a plan, either way round', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'A\n', 'c.txt': 'c\n' });
    unlinkSync(path.join(repo, 'b.txt'));
    const { checkpoint: second } = await sp.checkpoints.create(plan.planId);

    const forward = await sp.diffs.compare(first.checkpointId, second.checkpointId.toLowerCase());
    expect(forward).toEqual({
      planId: plan.planId,
      from: first.checkpointId,
      to: second.checkpointId,
      changes: [
        { path: 'a.txt', change: 'modified' },
        { path: 'b.txt', change: 'deleted' },
        { path: 'c.txt', change: 'added' },
      ],
      counts: { added: 1, modified: 1, deleted: 1, total: 3 },
    });
    const backward = await sp.diffs.compare(second.checkpointId, first.checkpointId);
    expect(backward.counts).toEqual({ added: 1, modified: 1, deleted: 1, total: 3 });
    expect(backward.changes.find((c) => c.path === 'c.txt')?.change).toBe('deleted');
    expect((await sp.diffs.compare(first.checkpointId, first.checkpointId)).counts.total).toBe(0);
  });

  it('compares a checkpoint with the live sandbox without disturbing it', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n' });
    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'staged\n' });
    git(repo, 'add', 'a.txt');
    writeFiles(repo, { 'a.txt': 'worktree\n', 'untracked.txt': 'u\n' });
    unlinkSync(path.join(repo, 'b.txt'));
    const before = { state: repoState(repo), index: readFileSync(path.join(repo, '.git', 'index')) };

    const result = await sp.diffs.compare(first.checkpointId);

    expect(result.to).toBe('sandbox');
    expect(result.changes).toEqual([
      { path: 'a.txt', change: 'modified' },
      { path: 'b.txt', change: 'deleted' },
      { path: 'untracked.txt', change: 'added' },
    ]);
    expect({ state: repoState(repo), index: readFileSync(path.join(repo, '.git', 'index')) }).toEqual(before);
    expect(tempIndexFiles(path.join(repo, '.git'))).toEqual([]);
    expect(sp.checkpoints.list(plan.planId)).toHaveLength(1);
  });

  it('refuses checkpoints of two different plans with CHECKPOINT_NOT_IN_PLAN', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const sp = await openSavepoint(repo);
    const { plan: mainPlan, checkpoint: a } = await sp.plans.create({ sandbox: repo });
    const { plan: other, checkpoint: b } = await sp.plans.create({ sandbox: repo, worktree: true });
    const error = await expectError(
      sp.diffs.compare(a.checkpointId, b.checkpointId),
      CheckpointNotInPlanError,
      'CHECKPOINT_NOT_IN_PLAN',
      4,
    );
    expect(error.details).toEqual({
      checkpointId: b.checkpointId,
      planId: mainPlan.planId,
      ownerPlanId: other.planId,
    });
    await expectError(
      sp.diffs.compare(a.checkpointId, '01ARZ3NDEKTSV4RRFFQ69G5FAV'),
      CheckpointNotFoundError,
      'CHECKPOINT_NOT_FOUND',
      3,
    );
  });
});
