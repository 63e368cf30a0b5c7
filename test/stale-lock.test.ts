/**
 * Stale sandbox locks (issue 16), with the built CLI: what a SIGKILLed savepoint process of
 * this host leaves in the repository's locks directory is removed by the next mutating
 * command on any sandbox of the repository, not only by one on the same sandbox (that
 * takeover, `recover` and `doctor --fix`: `test/lock-signals.test.ts`).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lockPath } from '../src/lock/sandbox-locks.js';
import { assertBuilt, cliJson, runCli } from './helpers/cli.js';
import { makeRepo, tempDir, writeFiles } from './helpers/repo.js';

beforeAll(assertBuilt);

/** The pid of a process that ran and exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('close', resolve));
  return child.pid as number;
}

interface PlanJson {
  planId: string;
  sandboxPath: string;
  gitDir: string;
}

async function twoSandboxes() {
  const repo = makeRepo({ 'a.txt': 'one\n' });
  const main = await cliJson<PlanJson>(repo, ['plan', 'create']);
  const other = await cliJson<PlanJson>(repo, [
    'plan',
    'create',
    '--worktree-path',
    path.join(tempDir(), 'linked'),
  ]);
  return { repo, main, other };
}

describe("a killed process's lock on another sandbox of the repository", () => {
  it("SIGKILLed checkpoint on sandbox A: a checkpoint on sandbox B removes A's lock; doctor reports no stale lock", async () => {
    const { repo, main, other } = await twoSandboxes();
    writeFiles(repo, { 'a.txt': 'two\n' });
    const killed = await runCli(repo, ['checkpoint', 'create', '--plan', main.planId, '--json'], {
      SAVEPOINT_FAULT: 'checkpoint.after-intent',
    });
    expect(killed.signal).toBe('SIGKILL');
    const lockA = lockPath(main.gitDir, main.sandboxPath);
    expect(existsSync(lockA)).toBe(true);
    const before = await runCli(repo, ['doctor', '--json']);
    expect(before.status).toBe(9);
    expect(JSON.stringify(JSON.parse(before.stdout).error.details.problems)).toContain('stale-lock');

    writeFiles(other.sandboxPath, { 'b.txt': 'b\n' });
    await cliJson(other.sandboxPath, ['checkpoint', 'create', '--plan', other.planId]);
    expect(existsSync(lockA)).toBe(false);
    const after = await runCli(repo, ['doctor', '--json']);
    const kinds = (JSON.parse(after.stdout).error.details.problems as Array<{ kind: string }>).map(
      (p) => p.kind,
    );
    // The interrupted operation still awaits `recover`; the lock is gone.
    expect(kinds).toEqual(['unresolved-operation']);
    await cliJson(repo, ['recover', '--plan', main.planId]);
    expect((await runCli(repo, ['doctor', '--json'])).status).toBe(0);
  }, 120_000);

  it('a half-removed lock (`.stale-<pid>-<ms>`) of a dead remover is removed by the next mutating command', async () => {
    const { repo, main } = await twoSandboxes();
    const pid = await deadPid();
    const tomb = `${lockPath(main.gitDir, '/elsewhere')}.stale-${pid}-${Date.now()}`;
    mkdirSync(tomb, { recursive: true });
    writeFileSync(path.join(tomb, 'owner.json'), JSON.stringify({ pid, hostname: hostname() }));
    const before = await runCli(repo, ['doctor', '--json']);
    expect(before.status).toBe(9);
    writeFiles(repo, { 'a.txt': 'two\n' });
    await cliJson(repo, ['checkpoint', 'create', '--plan', main.planId]);
    expect(existsSync(tomb)).toBe(false);
    expect((await runCli(repo, ['doctor', '--json'])).status).toBe(0);
  }, 120_000);

  it("a live holder's lock on another sandbox stays", async () => {
    const { repo, main, other } = await twoSandboxes();
    const { FileSandboxLocks } = await import('../src/lock/sandbox-locks.js');
    const held = await new FileSandboxLocks().acquire(main.gitDir, main.sandboxPath, 0);
    try {
      writeFiles(other.sandboxPath, { 'b.txt': 'b\n' });
      await cliJson(other.sandboxPath, ['checkpoint', 'create', '--plan', other.planId]);
      expect(existsSync(lockPath(main.gitDir, main.sandboxPath))).toBe(true);
      const busy = await runCli(repo, ['checkpoint', 'create', '--plan', main.planId, '--wait', '0']);
      expect(busy.status).toBe(6);
      expect(busy.stderr).toContain('[BUSY]');
    } finally {
      await held.release();
    }
  }, 120_000);
});
