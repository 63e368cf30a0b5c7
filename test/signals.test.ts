/**
 * SIGINT and SIGTERM sent to the built CLI (issue 12): exit 130 / 143, a plain message (no
 * stack trace, no INTERNAL), the running operation closed `cancelled` when it had changed
 * nothing, and the next mutating command not blocked; an operation that may have changed the
 * sandbox (its safety checkpoint recorded) stays `interrupted` for `savepoint recover`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { lockPath } from '../src/lock/sandbox-locks.js';
import { assertBuilt, type CliRun, cliJson, finished, runCli, startCli } from './helpers/cli.js';
import { makeRepo, writeFiles } from './helpers/repo.js';
import { openSavepoint } from './helpers/savepoint.js';

beforeAll(assertBuilt);

interface OpView {
  opId: string;
  kind: string;
  state: string;
  error: { code: string; message: string } | null;
}

/** Waits until process `pid` is stopped (state `T` in /proc/<pid>/stat, proc(5)). */
async function stopped(pid: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) return;
    await sleep(25);
  }
  throw new Error(`process ${pid} did not stop`);
}

async function planWithChange(files: Record<string, string> = { 'a.txt': 'changed\n' }) {
  const repo = makeRepo({ 'a.txt': 'base\n' });
  const sp = await openSavepoint(repo);
  const { plan, checkpoint } = await sp.plans.create({ sandbox: repo });
  sp.close();
  writeFiles(repo, files);
  return { repo, plan, first: checkpoint, lockDir: lockPath(plan.gitDir, plan.sandboxPath) };
}

async function ops(repo: string, state?: string): Promise<OpView[]> {
  const args = ['ops', 'list', ...(state ? ['--state', state] : [])];
  return (await cliJson<{ operations: OpView[] }>(repo, args)).operations;
}

/** No stack trace, no INTERNAL, nothing in red. */
function expectPlain(run: CliRun): void {
  expect(run.stderr).not.toMatch(/\n\s+at |INTERNAL|Error \[/);
  expect(run.signal).toBeNull();
}

/** Stops the CLI at `point` (SIGSTOP), sends `signal`, lets it go on, returns how it ended. */
async function signalAt(
  repo: string,
  args: string[],
  point: string,
  signal: 'SIGINT' | 'SIGTERM',
): Promise<CliRun> {
  const child = startCli(repo, args, { SAVEPOINT_FAULT: point, SAVEPOINT_FAULT_SIGNAL: 'SIGSTOP' });
  const done = finished(child);
  await stopped(child.pid as number);
  // A signal sent to a stopped process is delivered when it continues (signal(7)).
  child.kill(signal);
  child.kill('SIGCONT');
  return done;
}

describe('a signal before anything changed: exit 130/143, operation cancelled, nothing blocked', () => {
  it('SIGTERM during checkpoint create (after its intent): exit 143, cancelled, lock released, doctor clean', async () => {
    const { repo, plan, lockDir } = await planWithChange();
    const run = await signalAt(
      repo,
      ['checkpoint', 'create', '--plan', plan.planId],
      'checkpoint.after-intent',
      'SIGTERM',
    );
    expect(run.status).toBe(143);
    expect(run.stderr).toBe('stopped by SIGTERM; nothing was changed\n');
    expectPlain(run);
    const [op] = await ops(repo, 'cancelled');
    expect(op).toMatchObject({ kind: 'checkpoint.create', state: 'cancelled', error: { code: 'CANCELLED' } });
    expect(await ops(repo, 'interrupted')).toEqual([]);
    expect(existsSync(lockDir)).toBe(false);
    const next = await runCli(repo, ['checkpoint', 'create', '--plan', plan.planId, '--json']);
    expect(next.status).toBe(0);
    expect((await runCli(repo, ['doctor'])).status).toBe(0);
  });

  it('SIGINT during a rollback before its safety checkpoint, --json: the envelope, exit 130, files untouched', async () => {
    const { repo, plan, first } = await planWithChange();
    const run = await signalAt(
      repo,
      ['plan', 'rollback', plan.planId, first.checkpointId, '--yes', '--json'],
      'rollback.after-intent',
      'SIGINT',
    );
    expect(run.status).toBe(130);
    expectPlain(run);
    const envelope = JSON.parse(run.stdout) as { error: Record<string, unknown> };
    expect(envelope.error).toMatchObject({
      code: 'CANCELLED',
      exitCode: 130,
      details: { signal: 'SIGINT', operations: [{ kind: 'rollback', state: 'cancelled' }] },
    });
    expect(readFileSync(`${repo}/a.txt`, 'utf8')).toBe('changed\n');
    const [op] = await ops(repo, 'cancelled');
    expect(op).toMatchObject({ kind: 'rollback', error: { code: 'CANCELLED' } });
    const again = await runCli(repo, ['plan', 'rollback', plan.planId, first.checkpointId, '--yes']);
    expect(again.status).toBe(0);
    expect(readFileSync(`${repo}/a.txt`, 'utf8')).toBe('base\n');
  });

  it('SIGTERM while a checkpoint of a 3000-file repository scans: exit 143, cancelled, the next checkpoint works', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) files[`src/d${i % 30}/f${i}.txt`] = `${i}\n`.repeat(400);
    const { repo, plan } = await planWithChange(files);
    const child = startCli(repo, ['checkpoint', 'create', '--plan', plan.planId]);
    const done = finished(child);
    // The intent row is written before the scan starts.
    const sp = await openSavepoint(repo);
    for (let i = 0; i < 400 && sp.ops.list({ limit: 1 })[0]?.kind !== 'checkpoint.create'; i++)
      await sleep(5);
    sp.close();
    const sent = Date.now();
    child.kill('SIGTERM');
    const run = await done;
    const exitMs = Date.now() - sent;
    expect(run.status).toBe(143);
    expectPlain(run);
    expect(exitMs).toBeLessThan(1000);
    const [op] = await ops(repo);
    expect(op).toMatchObject({ kind: 'checkpoint.create', state: 'cancelled' });
    const next = await runCli(repo, ['checkpoint', 'create', '--plan', plan.planId, '--json']);
    expect(next.status).toBe(0);
    expect(JSON.parse(next.stdout)).toMatchObject({ deduplicated: false });
    // No temp file, lock or unresolved operation left behind.
    const doctor = await runCli(repo, ['doctor', '--json']);
    expect(doctor.status, doctor.stdout).toBe(0);
  });
});

describe('a signal after the sandbox may have changed: left for recover', () => {
  it('SIGTERM after the safety checkpoint: exit 143, interrupted, the next command exits 7, recover finishes it', async () => {
    const { repo, plan, first } = await planWithChange();
    const run = await signalAt(
      repo,
      ['plan', 'rollback', plan.planId, first.checkpointId, '--yes'],
      'rollback.after-safety',
      'SIGTERM',
    );
    expect(run.status).toBe(143);
    expectPlain(run);
    expect(run.stderr).toMatch(
      /^stopped by SIGTERM while rollback \w+ may have changed the sandbox; run `savepoint recover`\n/,
    );
    const [op] = await ops(repo, 'interrupted');
    expect(op).toMatchObject({ kind: 'rollback', state: 'interrupted' });
    const blocked = await runCli(repo, ['checkpoint', 'create', '--plan', plan.planId, '--json']);
    expect(blocked.status).toBe(7);
    expect((await runCli(repo, ['recover'])).status).toBe(0);
    expect(readFileSync(`${repo}/a.txt`, 'utf8')).toBe('base\n');
    expect((await runCli(repo, ['checkpoint', 'create', '--plan', plan.planId])).status).toBe(0);
  });
});
