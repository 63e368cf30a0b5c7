/**
 * The sandbox lock against real signals (issue 16), with the built CLI as the holder: a
 * SIGSTOPped holder is alive and keeps its lock however old the lock's mtime; a SIGKILLed
 * holder's lock is removed by the next mutating command and by `doctor --fix`.
 */
import { existsSync, readFileSync, utimesSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { lockPath } from '../src/lock/sandbox-locks.js';
import { assertBuilt, finished, runCli, startCli } from './helpers/cli.js';
import { makeRepo, writeFiles } from './helpers/repo.js';
import { openSavepoint } from './helpers/savepoint.js';

beforeAll(assertBuilt);

/** Waits until process `pid` is stopped (state `T` in /proc/<pid>/stat, proc(5)). */
async function stopped(pid: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) return;
    await sleep(25);
  }
  throw new Error(`process ${pid} did not stop`);
}

async function planWithChange() {
  const repo = makeRepo();
  const sp = await openSavepoint(repo);
  const { plan } = await sp.plans.create({ sandbox: repo });
  sp.close();
  writeFiles(repo, { 'a.txt': 'changed\n' });
  return { repo, plan, lockDir: lockPath(plan.gitDir, plan.sandboxPath) };
}

describe('a stopped lock holder is alive', () => {
  it('SIGSTOPped after its intent, lock mtime 60 s old: the next call is BUSY, recover does not resolve it; SIGCONT, it finishes', async () => {
    const { repo, plan, lockDir } = await planWithChange();
    const holder = startCli(repo, ['checkpoint', 'create', '--plan', plan.planId, '--json'], {
      SAVEPOINT_FAULT: 'checkpoint.after-intent',
      SAVEPOINT_FAULT_SIGNAL: 'SIGSTOP',
    });
    const done = finished(holder);
    try {
      await stopped(holder.pid as number);
      const old = new Date(Date.now() - 60_000);
      utimesSync(lockDir, old, old);

      const busy = await runCli(repo, [
        'checkpoint',
        'create',
        '--plan',
        plan.planId,
        '--force',
        '--wait',
        '0.3',
        '--json',
      ]);
      expect(busy.status).toBe(6);
      expect(JSON.parse(busy.stdout)).toMatchObject({
        error: { code: 'BUSY', details: { holder: { pid: holder.pid } } },
      });
      expect(existsSync(lockDir)).toBe(true);

      const recover = await runCli(repo, ['recover', '--plan', plan.planId, '--wait', '0.3', '--json']);
      expect(recover.status).toBe(6);
      expect(JSON.parse(recover.stdout)).toMatchObject({ error: { code: 'BUSY' } });
      const ops = JSON.parse((await runCli(repo, ['ops', 'list', '--json'])).stdout) as {
        operations: { kind: string; state: string; pid: number }[];
      };
      expect(ops.operations.find((op) => op.pid === holder.pid)).toMatchObject({
        kind: 'checkpoint.create',
        state: 'running',
      });

      const doctor = await runCli(repo, ['doctor', '--fix', '--json']);
      expect(doctor.stdout).not.toContain('stale-lock');
      expect(existsSync(lockDir)).toBe(true);
    } finally {
      holder.kill('SIGCONT');
    }
    const run = await done;
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      planId: plan.planId,
      deduplicated: false,
      filesChanged: 1,
    });
    const after = await runCli(repo, [
      'checkpoint',
      'create',
      '--plan',
      plan.planId,
      '--force',
      '--wait',
      '0',
      '--json',
    ]);
    expect(after.status).toBe(0);
  }, 30_000);
});

describe("a killed holder's lock", () => {
  it('SIGKILLed after its intent: doctor reports the lock, the next mutating command takes it over and removes it', async () => {
    const { repo, plan, lockDir } = await planWithChange();
    // Its operation is recorded, so the next command refuses (7), after it took the dead
    // holder's lock over and released it.
    const killed = await runCli(repo, ['checkpoint', 'create', '--plan', plan.planId], {
      SAVEPOINT_FAULT: 'checkpoint.after-intent',
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(lockDir)).toBe(true);
    const report = await runCli(repo, ['doctor', '--json']);
    expect(report.status).toBe(9);
    expect(report.stdout).toContain('stale-lock');

    const next = await runCli(repo, [
      'checkpoint',
      'create',
      '--plan',
      plan.planId,
      '--force',
      '--wait',
      '0',
      '--json',
    ]);
    expect(next.status).toBe(7);
    expect(JSON.parse(next.stdout)).toMatchObject({ error: { code: 'OPERATION_INTERRUPTED' } });
    expect(existsSync(lockDir)).toBe(false);
  }, 30_000);

  it('SIGKILLed: doctor --fix removes the lock', async () => {
    const { repo, plan, lockDir } = await planWithChange();
    const killed = await runCli(repo, ['checkpoint', 'create', '--plan', plan.planId], {
      SAVEPOINT_FAULT: 'checkpoint.after-intent',
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(lockDir)).toBe(true);
    const fixed = await runCli(repo, ['doctor', '--fix', '--json']);
    expect(fixed.status).toBe(0);
    expect(existsSync(lockDir)).toBe(false);
    expect((await runCli(repo, ['doctor', '--json'])).status).toBe(0);
  }, 30_000);
});
