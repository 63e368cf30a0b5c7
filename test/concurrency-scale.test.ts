/**
 * Concurrency at scale (issue 12): many CLI processes checkpointing one plan of a large
 * repository at once all succeed at default settings, because waiters are served in arrival
 * order (the lock's wait queue) and the default wait is sized for it. The full 27k-file ×
 * 8 × 20 run is `bench/concurrency.ts`; here the same 8 processes on a 6,000-file tree.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateRepo } from '../bench/lib/repo.js';
import { FileSandboxLocks, lockPath } from '../src/lock/sandbox-locks.js';
import { assertBuilt, BIN, type CliRun, finished } from './helpers/cli.js';
import { cleanGitEnv, makeRepo, tempDir } from './helpers/repo.js';
import { openSavepoint } from './helpers/savepoint.js';

beforeAll(assertBuilt);

const PROCESSES = 8;
const EACH = 4;

/** `savepoint <args>` at default settings: no `--wait`, no `SAVEPOINT_WAIT`. */
function cli(cwd: string, args: readonly string[]): Promise<CliRun> {
  const env = cleanGitEnv();
  delete env.SAVEPOINT_WAIT;
  delete env.SAVEPOINT_FAULT;
  return finished(spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

async function worker(repo: string, planId: string, n: number): Promise<CliRun[]> {
  const runs: CliRun[] = [];
  for (let i = 0; i < EACH; i++) {
    writeFileSync(path.join(repo, `worker-${n}.txt`), `${i}\n`);
    runs.push(await cli(repo, ['checkpoint', 'create', '--plan', planId, '--force', '--json']));
  }
  return runs;
}

describe('many processes, one plan, a large tree, default settings', () => {
  it(`${PROCESSES} CLI processes × ${EACH} checkpoint create on a 6,000-file repository: 0 errors, one row per command`, async () => {
    const repo = path.join(tempDir(), 'repo');
    generateRepo(repo, 6_000, 7);
    const sp = await openSavepoint(repo);
    const { plan } = await sp.plans.create({ sandbox: repo, policy: { retention: { max: 1000 } } });
    const runs = (
      await Promise.all(Array.from({ length: PROCESSES }, (_, n) => worker(repo, plan.planId, n)))
    ).flat();
    for (const run of runs) expect(run.status, run.stdout + run.stderr).toBe(0);
    const ids = runs.map((run) => (JSON.parse(run.stdout) as { checkpointId: string }).checkpointId);
    expect(new Set(ids).size).toBe(PROCESSES * EACH);
    const rows = sp.checkpoints.list(plan.planId);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    expect(rows).toHaveLength(PROCESSES * EACH + 1);
    // Every waiter left the queue: no ticket and no queue directory stays behind.
    const lockDir = lockPath(plan.gitDir, plan.sandboxPath);
    expect(existsSync(`${lockDir}.queue`)).toBe(false);
    expect(await sp.doctor.check()).toMatchObject({ clean: true });
    sp.close();
  }, 300_000);
});

describe('the wait queue', () => {
  it('waiters get the lock in arrival order, not in polling order', async () => {
    const repo = makeRepo();
    const gitDir = path.join(repo, '.git');
    const locks = new FileSandboxLocks();
    const held = await locks.acquire(gitDir, repo, 0);
    const order: number[] = [];
    const waiters: Promise<void>[] = [];
    for (let n = 0; n < 4; n++) {
      waiters.push(
        locks.acquire(gitDir, repo, 20_000).then(async (lock) => {
          order.push(n);
          await sleep(30);
          await lock.release();
        }),
      );
      // Each waiter has taken its ticket before the next one arrives.
      await sleep(150);
    }
    expect(readdirSync(`${lockPath(gitDir, repo)}.queue`)).toHaveLength(4);
    await held.release();
    await Promise.all(waiters);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(existsSync(`${lockPath(gitDir, repo)}.queue`)).toBe(false);
  });

  it("a dead waiter's ticket ahead in the queue does not block the next waiter", async () => {
    const repo = makeRepo();
    const gitDir = path.join(repo, '.git');
    const queue = `${lockPath(gitDir, repo)}.queue`;
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.on('close', resolve));
    const locks = new FileSandboxLocks();
    const held = await locks.acquire(gitDir, repo, 0);
    const { mkdirSync } = await import('node:fs');
    const { hostname } = await import('node:os');
    mkdirSync(queue, { recursive: true });
    writeFileSync(
      path.join(queue, `000000000000001-${dead.pid}-00000000`),
      JSON.stringify({ pid: dead.pid, hostname: hostname() }),
    );
    const waiting = locks.acquire(gitDir, repo, 5_000);
    await sleep(200);
    const started = Date.now();
    await held.release();
    const lock = await waiting;
    expect(Date.now() - started).toBeLessThan(2_000);
    await lock.release();
    expect(existsSync(queue)).toBe(false);
  });

  it('a waiter that gives up (BUSY) leaves the queue', async () => {
    const repo = makeRepo();
    const gitDir = path.join(repo, '.git');
    const locks = new FileSandboxLocks();
    const held = await locks.acquire(gitDir, repo, 0);
    await expect(locks.acquire(gitDir, repo, 300)).rejects.toMatchObject({ code: 'BUSY', exitCode: 6 });
    expect(existsSync(`${lockPath(gitDir, repo)}.queue`)).toBe(false);
    await held.release();
  });
});
