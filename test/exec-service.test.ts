/**
 * `savepoint exec` through the library against real temp repositories, a real SQLite file
 * and real child processes (`node -e`): outcomes, exit codes, rollback on failure, timeout,
 * skip-declared tools, and the attempt log (list filters, stats).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/core/errors.js';
import { CommandNotStartedError } from '../src/exec/errors.js';
import { attemptExitCode, nearestRank } from '../src/exec/exec-service.js';
import { PlanNotFoundError } from '../src/plan/errors.js';
import { assertBuilt, type CliRun, finished, startCli } from './helpers/cli.js';
import { repoState } from './helpers/fs-snapshot.js';
import { git, makeRepo, tempDir, writeFiles } from './helpers/repo.js';
import { expectError, openSavepoint } from './helpers/savepoint.js';

const node = (script: string) => [process.execPath, '-e', script];

async function setUp(policy = {}) {
  const repo = makeRepo();
  const sp = await openSavepoint(repo);
  const { plan } = await sp.plans.create({ sandbox: repo, policy });
  return { repo, sp, planId: plan.planId };
}

describe('exec', () => {
  it('checkpoints first, runs the command in the sandbox and records a success', async () => {
    const { repo, sp, planId } = await setUp();
    writeFiles(repo, { 'before.txt': 'pending edit\n' });
    const result = await sp.exec({
      planId,
      tool: 'Bash',
      argv: node('require("fs").writeFileSync("made.txt", process.cwd())'),
    });
    expect(result).toMatchObject({ outcome: 'success', exitCode: 0, signal: null, processExitCode: 0 });
    expect(readFileSync(path.join(repo, 'made.txt'), 'utf8')).toBe(repo);
    const latest = sp.checkpoints.list(planId).at(-1);
    expect(latest?.checkpointId).toBe(result.checkpointId);
    expect(latest?.metadata).toMatchObject({ tool: 'Bash', reason: 'before exec Bash' });
    const { timedOut: _, processExitCode: __, ...stored } = result;
    expect(sp.attempts.list({ planId })).toEqual([stored]);
  });

  it('propagates a non-zero exit as failed and leaves the changes without --rollback-on-failure', async () => {
    const { repo, sp, planId } = await setUp();
    const result = await sp.exec({
      planId,
      tool: 'Bash',
      argv: node('require("fs").writeFileSync("half.txt", "x"); process.exit(7)'),
    });
    expect(result).toMatchObject({ outcome: 'failed', exitCode: 7, processExitCode: 7 });
    expect(readFileSync(path.join(repo, 'half.txt'), 'utf8')).toBe('x');
  });

  it('rolls back to the pre-call checkpoint on failure, byte for byte, index included', async () => {
    const { repo, sp, planId } = await setUp();
    writeFiles(repo, { 'README.md': 'edited before the call\n', 'new.txt': 'untracked\n' });
    git(repo, 'add', 'new.txt');
    const statusBefore = git(repo, 'status', '--porcelain=v2');
    const result = await sp.exec({
      planId,
      tool: 'Codemod',
      rollbackOnFailure: true,
      argv: node(
        'const fs=require("fs"); fs.writeFileSync("README.md","mangled"); fs.rmSync("new.txt"); fs.writeFileSync("junk.txt","j"); process.exit(1)',
      ),
    });
    expect(result).toMatchObject({ outcome: 'rolled_back', exitCode: 1, processExitCode: 1 });
    expect(result.rollbackSafetyCheckpointId).not.toBeNull();
    expect(readFileSync(path.join(repo, 'README.md'), 'utf8')).toBe('edited before the call\n');
    expect(readFileSync(path.join(repo, 'new.txt'), 'utf8')).toBe('untracked\n');
    expect(git(repo, 'status', '--porcelain=v2')).toBe(statusBefore);
    // The rollback is undoable: its safety checkpoint holds the failed call's result.
    await sp.undo({ planId, confirm: async () => true });
    expect(readFileSync(path.join(repo, 'README.md'), 'utf8')).toBe('mangled');
  });

  it('kills a command that outlives its timeout: exit 124, timeout outcome, rolled back when asked', async () => {
    const { repo, sp, planId } = await setUp();
    const plain = await sp.exec({
      planId,
      tool: 'Slow',
      timeoutMs: 300,
      argv: node('setTimeout(() => {}, 60000)'),
    });
    expect(plain).toMatchObject({
      outcome: 'timeout',
      exitCode: null,
      signal: 'SIGTERM',
      processExitCode: 124,
    });
    expect(plain.elapsedMs).toBeGreaterThanOrEqual(250);
    expect(plain.elapsedMs).toBeLessThan(10_000);
    const rolled = await sp.exec({
      planId,
      tool: 'Slow',
      timeoutMs: 300,
      rollbackOnFailure: true,
      argv: node('require("fs").writeFileSync("partial.txt", "p"); setTimeout(() => {}, 60000)'),
    });
    expect(rolled).toMatchObject({ outcome: 'rolled_back', timedOut: true, processExitCode: 124 });
    expect(() => readFileSync(path.join(repo, 'partial.txt'))).toThrow();
  });

  it('maps death by a signal to 128 + its number', async () => {
    const { sp, planId } = await setUp();
    const result = await sp.exec({
      planId,
      tool: 'Bash',
      argv: node('process.kill(process.pid, "SIGKILL")'),
    });
    expect(result).toMatchObject({
      outcome: 'failed',
      exitCode: null,
      signal: 'SIGKILL',
      processExitCode: 137,
    });
    expect(attemptExitCode({ exitCode: 3, signal: null, timedOut: false })).toBe(3);
  });

  it('takes no checkpoint for a tool declared skip, and refuses --rollback-on-failure for it before running', async () => {
    const { repo, sp, planId } = await setUp({ tools: { 'Read*': 'skip' } });
    const count = sp.checkpoints.list(planId).length;
    writeFiles(repo, { 'x.txt': 'changed\n' });
    const result = await sp.exec({ planId, tool: 'ReadFile', argv: node('') });
    expect(result).toMatchObject({ outcome: 'success', checkpointId: null });
    expect(sp.checkpoints.list(planId)).toHaveLength(count);
    await expectError(
      sp.exec({
        planId,
        tool: 'ReadFile',
        rollbackOnFailure: true,
        argv: node('require("fs").writeFileSync("ran.txt", "")'),
      }),
      UsageError,
      'USAGE',
      2,
    );
    expect(() => readFileSync(path.join(repo, 'ran.txt'))).toThrow();
    expect(sp.attempts.list({ planId })).toHaveLength(1);
  });

  it('refuses bad input and unknown plans before running anything; a missing program records nothing', async () => {
    const { sp, planId } = await setUp();
    await expectError(sp.exec({ planId, tool: 'Bash', argv: [] }), UsageError, 'USAGE', 2);
    await expectError(sp.exec({ planId, tool: ' ', argv: node('') }), UsageError, 'USAGE', 2);
    await expectError(sp.exec({ planId, tool: 'B', timeoutMs: 0, argv: node('') }), UsageError, 'USAGE', 2);
    await expectError(
      sp.exec({ planId: '01JD3Q6Z5K8M2N4P6R8T0V2X4Y', tool: 'B', argv: node('') }),
      PlanNotFoundError,
      'PLAN_NOT_FOUND',
      3,
    );
    await expectError(
      sp.exec({ planId, tool: 'B', argv: ['savepoint-no-such-program-xyz'] }),
      CommandNotStartedError,
      'COMMAND_NOT_STARTED',
      3,
    );
    expect(sp.attempts.list({})).toEqual([]);
  });
});

describe('attempts and retention', () => {
  it('keeps the attempt when retention prunes its checkpoint: checkpointId becomes null', async () => {
    const { repo, sp, planId } = await setUp({ retention: { max: 2 } });
    writeFiles(repo, { 'pre.txt': 'so the first call takes a new checkpoint, not the initial one\n' });
    const first = await sp.exec({
      planId,
      tool: 'Edit',
      argv: node('require("fs").writeFileSync("f.txt", "1")'),
    });
    for (const n of [2, 3, 4]) {
      await sp.exec({ planId, tool: 'Edit', argv: node(`require("fs").writeFileSync("f.txt", "${n}")`) });
    }
    expect(sp.checkpoints.list(planId).map((c) => c.checkpointId)).not.toContain(first.checkpointId);
    const [stored] = sp.attempts.list({ planId });
    expect(stored).toMatchObject({ attemptId: first.attemptId, checkpointId: null, outcome: 'success' });
  });
});

describe('a running attempt', () => {
  it('is recorded running while its command runs, and pins its pre-call checkpoint against retention', async () => {
    const { repo, sp, planId } = await setUp({ retention: { max: 2 } });
    writeFiles(repo, { 'work.txt': 'before the call\n' });
    const before = repoState(repo);
    const started = path.join(tempDir(), 'started');
    const go = path.join(tempDir(), 'go');
    const call = sp.exec({
      planId,
      tool: 'Codemod',
      rollbackOnFailure: true,
      argv: node(`const fs = require("fs");
        fs.writeFileSync(${JSON.stringify(started)}, "");
        const wait = () => fs.existsSync(${JSON.stringify(go)}) ? process.exit(1) : setTimeout(wait, 20);
        wait();`),
    });
    while (!existsSync(started)) await sleep(20);
    const [running] = sp.attempts.list({ planId });
    expect(running).toMatchObject({
      outcome: 'running',
      exitCode: null,
      elapsedMs: null,
      finishedAt: null,
      pid: process.pid,
      hostname: hostname(),
    });
    expect(sp.attempts.list({ planId, outcome: 'running' })).toHaveLength(1);
    const preCall = running?.checkpointId;
    // Meanwhile other savepoint calls checkpoint 4 times: retention 2 keeps the pinned one too.
    for (const n of [1, 2, 3, 4]) {
      writeFiles(repo, { 'work.txt': `meanwhile ${n}\n` });
      await sp.checkpoints.create(planId);
    }
    const kept = sp.checkpoints.list(planId).map((c) => c.checkpointId);
    expect(kept).toContain(preCall);
    expect(kept).toHaveLength(3);
    expect(sp.checkpoints.pinned(planId)).toEqual(new Set([preCall]));
    writeFileSync(go, '');
    const result = await call;
    expect(result).toMatchObject({ outcome: 'rolled_back', exitCode: 1, checkpointId: preCall });
    expect(repoState(repo)).toEqual(before);
    // Finished: the attempt pins nothing (retention now keeps it as the rollback's target).
    expect(sp.checkpoints.pinned(planId).size).toBe(0);
  });

  it('is reported interrupted when the savepoint process running it was killed; it pins nothing then', async () => {
    assertBuilt();
    const { repo, sp, planId } = await setUp();
    const pidFile = path.join(tempDir(), 'pid');
    const child = startCli(repo, [
      'exec',
      '--plan',
      planId,
      '--tool',
      'Slow',
      '--',
      process.execPath,
      '-e',
      `require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setTimeout(() => {}, 60000)`,
    ]);
    const ended = finished(child);
    let exited: CliRun | undefined;
    void ended.then((run) => (exited = run));
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8') === '') {
      if (exited) throw new Error(`savepoint exec ended early: ${JSON.stringify(exited)}`);
      await sleep(20);
    }
    expect(sp.attempts.list({ planId }).map((a) => a.outcome)).toEqual(['running']);
    child.kill('SIGKILL');
    // The command holds the pipes savepoint had: end it too before waiting for them to close.
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    expect((await ended).signal).toBe('SIGKILL');
    const [attempt] = sp.attempts.list({ planId });
    expect(attempt).toMatchObject({
      outcome: 'interrupted',
      exitCode: null,
      elapsedMs: null,
      finishedAt: null,
    });
    expect(sp.attempts.list({ outcome: 'interrupted' }).map((a) => a.attemptId)).toEqual([
      attempt?.attemptId,
    ]);
    expect(sp.attempts.list({ outcome: 'running' })).toEqual([]);
    expect(sp.attempts.stats({ planId })).toEqual([]);
    expect(sp.checkpoints.pinned(planId).size).toBe(0);
    // Not a ledger operation: nothing to recover, the next call runs.
    expect((await sp.exec({ planId, tool: 'Slow', argv: node('') })).outcome).toBe('success');
  });
});

describe('attempts list and stats', () => {
  it('filters by plan, tool, outcome and since, and computes count, mean and nearest-rank p95', async () => {
    const { sp, planId } = await setUp();
    await sp.exec({ planId, tool: 'A', argv: node('') });
    await sp.exec({ planId, tool: 'A', argv: node('process.exit(2)') });
    await sp.exec({ planId, tool: 'B', argv: node('') });
    expect(sp.attempts.list({ tool: 'A' }).map((a) => a.outcome)).toEqual(['success', 'failed']);
    expect(sp.attempts.list({ outcome: 'success' }).map((a) => a.tool)).toEqual(['A', 'B']);
    expect(sp.attempts.list({ planId: planId.toLowerCase(), since: '1h' })).toHaveLength(3);
    expect(sp.attempts.list({ since: '2099-01-01' })).toEqual([]);
    expect(() => sp.attempts.list({ outcome: 'meh' })).toThrow(UsageError);
    expect(() => sp.attempts.list({ since: 'yesterday' })).toThrow(UsageError);
    const stats = sp.attempts.stats({ planId });
    expect(stats.map((s) => [s.tool, s.outcome, s.count])).toEqual([
      ['A', 'failed', 1],
      ['A', 'success', 1],
      ['B', 'success', 1],
    ]);
    const a = sp.attempts.list({ tool: 'A', outcome: 'success' })[0];
    expect(stats[1]).toMatchObject({ meanMs: a?.elapsedMs, p95Ms: a?.elapsedMs });
  });

  it('nearest-rank p95 is the smallest value at or above 95 % of the values', () => {
    const values = Array.from({ length: 20 }, (_, i) => 20 - i); // 1..20, shuffled order
    expect(nearestRank(values, 95)).toBe(19);
    expect(nearestRank([5], 95)).toBe(5);
    expect(
      nearestRank(
        Array.from({ length: 100 }, (_, i) => i + 1),
        95,
      ),
    ).toBe(95);
  });
});
