/**
 * Adversarial paths: a checkpoint whose tree was tampered with to hold `..` or `.git`
 * entries is refused before anything touches the filesystem (dry run too), and doctor
 * flags it; a sandbox that contains a user's home is refused (see plan-service.test.ts).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointUnsafePathError } from '../src/checkpoint/errors.js';
import { unsafeTreePathReason, unsafeTreePaths } from '../src/checkpoint/tree-paths.js';
import { DoctorProblemsError } from '../src/ledger/errors.js';
import { refs, repoState } from './helpers/fs-snapshot.js';
import { makeRepo, writeFiles } from './helpers/repo.js';
import { expectError, openSavepoint, yes } from './helpers/savepoint.js';
import { tamperCheckpoint } from './helpers/tamper.js';

describe('unsafeTreePathReason', () => {
  it('accepts ordinary paths', () => {
    for (const file of ['a.txt', 'src/x/y.ts', '.gitignore', 'sub/.github/ci.yml', '..a', 'a..b/c', '.git2'])
      expect(unsafeTreePathReason(file), file).toBeNull();
  });

  it('refuses .., absolute, empty components and .git in any case', () => {
    for (const file of [
      '',
      '/etc/passwd',
      'C:/x',
      '../x',
      'a/../../x',
      'a/..',
      './a',
      'a//b',
      'a/',
      '.git/hooks/post-checkout',
      'sub/.GIT/config',
      'sub/.Git',
      'a\\..\\b',
    ])
      expect(unsafeTreePathReason(file), file).not.toBeNull();
    expect(unsafeTreePaths(['ok', '../no', 'sub/.gIt/x'])).toEqual(['../no', 'sub/.gIt/x']);
  });
});

async function tampered() {
  const repo = makeRepo({ 'a.txt': 'a\n' });
  const sp = await openSavepoint(repo);
  const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
  const escaped = `escaped-${path.basename(repo)}.txt`;
  tamperCheckpoint(repo, sp.dbPath, checkpoint.checkpointId, { top: '..', file: escaped, text: 'pwned\n' });
  writeFiles(repo, { 'a.txt': 'changed\n' });
  const outside = path.join(path.dirname(repo), escaped);
  return { repo, sp, plan, checkpoint, escaped, outside };
}

describe('a checkpoint tree with unsafe paths', () => {
  for (const dryRun of [false, true]) {
    it(`is refused by rollback${dryRun ? ' --dry-run' : ''}: CHECKPOINT_UNSAFE_PATH, exit 9, nothing written`, async () => {
      const { repo, sp, plan, checkpoint, escaped, outside } = await tampered();
      const before = repoState(repo);
      const refsBefore = refs(repo, 'refs/savepoint/');

      const error = await expectError(
        sp.rollbacks.rollback({
          planId: plan.planId,
          checkpointId: checkpoint.checkpointId,
          dryRun,
          confirm: yes,
        }),
        CheckpointUnsafePathError,
        'CHECKPOINT_UNSAFE_PATH',
        9,
      );
      expect(error.details).toEqual({
        checkpointId: checkpoint.checkpointId,
        paths: [`../${escaped}`, 'sub/.GIT/config'],
      });
      expect(existsSync(outside)).toBe(false);
      expect(existsSync(path.join(repo, 'sub'))).toBe(false);
      expect(repoState(repo)).toEqual(before);
      expect(refs(repo, 'refs/savepoint/')).toEqual(refsBefore);
      // No safety checkpoint was recorded.
      expect(sp.checkpoints.list(plan.planId)).toHaveLength(1);
    });
  }

  it('is flagged by doctor as unsafe-path', async () => {
    const { sp, checkpoint, escaped } = await tampered();
    const error = await expectError(sp.doctor.check(), DoctorProblemsError, 'DOCTOR_PROBLEMS', 9);
    const problems = (error.details as { problems: { kind: string; details: unknown }[] }).problems;
    expect(problems).toEqual([
      expect.objectContaining({
        kind: 'unsafe-path',
        fixed: false,
        details: { checkpointId: checkpoint.checkpointId, paths: [`../${escaped}`, 'sub/.GIT/config'] },
      }),
    ]);
  });

  it('leaves doctor clean on an untampered checkpoint', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n', 'dir/.github/x.yml': 'x\n' });
    const sp = await openSavepoint(repo);
    await sp.plans.create({ sandbox: repo });
    expect(await sp.doctor.check()).toMatchObject({ clean: true });
  });
});
