/**
 * savepoint's git environment is isolated from the caller's: no identity needed, inherited
 * GIT_DIR / GIT_WORK_TREE / GIT_INDEX_FILE ignored, no user config required.
 *
 * src/git/runner.ts builds its environment from process.env once, at its first git call, so
 * this file sets HOME, XDG_CONFIG_HOME and the stray GIT_* variables in beforeAll, before
 * any savepoint call (vitest runs each test file in its own worker).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAVEPOINT_IDENTITY } from '../src/git/runner.js';
import { repoState, snapshotTree } from './helpers/fs-snapshot.js';
import { cleanGitEnv, git, gitStatusCode, makeRepo, tempDir, writeFiles } from './helpers/repo.js';
import { openSavepoint, yes } from './helpers/savepoint.js';

const saved: Record<string, string | undefined> = {};
let emptyHome = '';
let decoy = '';
const overrides = (): Record<string, string | undefined> => ({
  HOME: emptyHome,
  XDG_CONFIG_HOME: path.join(emptyHome, '.config'),
  EMAIL: undefined,
  GIT_AUTHOR_NAME: undefined,
  GIT_AUTHOR_EMAIL: undefined,
  GIT_COMMITTER_NAME: undefined,
  GIT_COMMITTER_EMAIL: undefined,
  // Stray variables an agent's shell might leak: they must not redirect savepoint's git.
  GIT_DIR: path.join(decoy, '.git'),
  GIT_WORK_TREE: decoy,
  GIT_INDEX_FILE: path.join(decoy, 'stray-index'),
});

beforeAll(() => {
  emptyHome = realpathSync(mkdtempSync(path.join(tmpdir(), 'savepoint-home-')));
  decoy = realpathSync(mkdtempSync(path.join(tmpdir(), 'savepoint-decoy-')));
  execFileSync('git', ['init', '-q', '-b', 'main', decoy], { env: cleanGitEnv() });
  for (const [key, value] of Object.entries(overrides())) {
    saved[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

afterAll(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  rmSync(emptyHome, { recursive: true, force: true });
  rmSync(decoy, { recursive: true, force: true });
});

describe('isolated git environment', () => {
  it('checkpoints and rolls back in a repository without user.name/user.email, with a fixed identity', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' }, { identity: false });
    git(repo, 'config', 'user.useConfigOnly', 'true');
    // The setup is meaningful: git itself cannot commit here without an identity.
    expect(git(repo, 'config', '--get-regexp', '^user\\.').split('\n')).toEqual(['user.useconfigonly true']);
    expect(gitStatusCode(repo, 'commit', '-q', '--allow-empty', '-m', 'needs identity')).not.toBe(0);

    const sp = await openSavepoint(repo);
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    writeFiles(repo, { 'a.txt': 'changed\n', 'b.txt': 'new\n' });
    const { checkpoint } = await sp.checkpoints.create(plan.planId);
    expect(git(repo, 'log', '-1', '--format=%an <%ae>', checkpoint.commitSha ?? '')).toBe(
      `${SAVEPOINT_IDENTITY.name} <${SAVEPOINT_IDENTITY.email}>`,
    );

    const report = await sp.rollbacks.rollback({
      planId: plan.planId,
      checkpointId: first.checkpointId,
      confirm: yes,
    });
    expect(report.restored).toEqual({ added: 0, modified: 1, deleted: 1, total: 2 });
    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a\n');
    expect(existsSync(path.join(repo, 'b.txt'))).toBe(false);
  });

  it('ignores inherited GIT_DIR, GIT_WORK_TREE and GIT_INDEX_FILE', async () => {
    expect(process.env.GIT_DIR).toBe(path.join(decoy, '.git'));
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const decoyBefore = repoState(decoy);
    const decoyFiles = snapshotTree(path.join(decoy, '.git'));

    const sp = await openSavepoint(repo);
    expect(sp.dbPath).toBe(path.join(repo, '.git', 'savepoint', 'state.db'));
    const { plan, checkpoint: first } = await sp.plans.create({ sandbox: repo });
    expect(plan.sandboxPath).toBe(repo);
    expect(plan.gitDir).toBe(path.join(repo, '.git'));
    writeFiles(repo, { 'a.txt': 'changed\n' });
    git(repo, 'add', 'a.txt');
    await sp.checkpoints.create(plan.planId);
    await sp.rollbacks.rollback({ planId: plan.planId, checkpointId: first.checkpointId, confirm: yes });

    expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('a\n');
    expect(git(repo, 'diff', '--cached', '--name-only')).toBe('');
    expect(existsSync(path.join(decoy, 'stray-index'))).toBe(false);
    expect(repoState(decoy)).toEqual(decoyBefore);
    expect(snapshotTree(path.join(decoy, '.git'))).toEqual(decoyFiles);
  });
});

describe('environment variables simple-git refuses', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

  /** Runs `Savepoint.open` + `plans.create` in a fresh node process with `env`; returns its JSON line. */
  function runInChild(repo: string, env: Record<string, string>): { planId?: string; code?: string } {
    const script = `
      const { Savepoint } = await import(${JSON.stringify(path.join(root, 'src', 'savepoint.ts'))});
      try {
        const sp = await Savepoint.open({ cwd: ${JSON.stringify(repo)} });
        const { plan } = await sp.plans.create({ sandbox: ${JSON.stringify(repo)} });
        sp.close();
        console.log(JSON.stringify({ planId: plan.planId }));
      } catch (error) {
        console.log(JSON.stringify({ code: error.code, message: error.message }));
      }`;
    const childEnv: NodeJS.ProcessEnv = { ...cleanGitEnv(), ...env };
    delete childEnv.GIT_CONFIG_GLOBAL;
    delete childEnv.GIT_CONFIG_NOSYSTEM;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      env: childEnv,
      encoding: 'utf8',
    });
    return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { planId?: string; code?: string };
  }

  it('a control run without them works', () => {
    const repo = makeRepo();
    const result = runInChild(repo, {});
    expect(result.code).toBeUndefined();
    expect(result.planId).toMatch(/^[0-9A-Z]{26}$/);
  });

  it.each([
    ['EDITOR', 'vi'],
    ['PAGER', 'less'],
    ['SSH_ASKPASS', '/bin/false'],
  ])('works when %s is set in the caller environment', (key, value) => {
    const repo = tempDir();
    makeRepo(undefined, { dir: repo });
    const result = runInChild(repo, { [key]: value });
    expect(result.code).toBeUndefined();
    expect(result.planId).toMatch(/^[0-9A-Z]{26}$/);
  });
});
