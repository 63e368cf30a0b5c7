/**
 * Crashes and concurrency: a run killed at a named fault point (SAVEPOINT_FAULT), the
 * sandbox lock held by "another process", and doctor's verdict.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Given, Then, When } from '@cucumber/cucumber';
import type { HeldLock } from '../../src/core/ports.js';
import { FileSandboxLocks } from '../../src/lock/sandbox-locks.js';
import { expectEqual } from '../support/expect.js';
import { type SavepointWorld, splitWords } from '../support/world.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/run.js');

/** Locks held by a scenario, released by the After hook in hooks.ts. */
export const heldLocks = new Set<HeldLock>();

When(
  'I run {string} and it is killed at {string}',
  function (this: SavepointWorld, command: string, point: string) {
    const args = splitWords(command)
      .slice(1)
      .map((word) => this.expand(word));
    const result = spawnSync(process.execPath, [BIN, ...args], {
      cwd: this.cwd,
      env: { ...this.childEnv(), SAVEPOINT_FAULT: point },
      encoding: 'utf8',
      input: '',
      timeout: 120_000,
    });
    expectEqual(result.signal, 'SIGKILL', `expected ${command} to be killed at ${point}\n${result.stderr}`);
  },
);

Given("another savepoint process holds the plan's sandbox lock", async function (this: SavepointWorld) {
  const plan = this.plan();
  const commonDir = this.git(['rev-parse', '--path-format=absolute', '--git-common-dir']);
  heldLocks.add(await new FileSandboxLocks().acquire(commonDir, plan.sandboxPath, 0));
});

Then('doctor reports the repository clean', function (this: SavepointWorld) {
  const run = this.exec('savepoint doctor --json');
  expectEqual(run.exitCode, 0, `doctor is not clean\n${this.describeRun(run)}`);
});
