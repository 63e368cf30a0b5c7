/**
 * Hooks (after cucumber-js's own features/support/hooks.ts): the World's temp directories
 * go away after every scenario, and a scenario whose last run failed without any step
 * asserting its exit code fails ("a failing run was never asserted").
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { After, Before, Status, setDefaultTimeout, setWorldConstructor } from '@cucumber/cucumber';
import { heldLocks } from '../step_definitions/recovery_steps.js';
import { SavepointWorld } from './world.js';

setWorldConstructor(SavepointWorld);

// One CLI run takes ~0.5 s; a step may run a few of them on a loaded machine.
setDefaultTimeout(60_000);

// After hooks run in reverse order of definition: this one runs last.
After(function (this: SavepointWorld) {
  this.cleanup();
});

After(function (this: SavepointWorld, { result }) {
  if (result?.status === Status.PASSED) this.assertLastRunHandled();
});

After(async () => {
  for (const lock of heldLocks) await lock.release();
  heldLocks.clear();
});

// The "doctor reports clean after the whole suite's scenarios": every passing
// scenario that used savepoint in its repository must leave it clean. A scenario that
// damages the repository or database on purpose says so with @leaves-damage.
After({ tags: 'not @leaves-damage' }, function (this: SavepointWorld, { result }) {
  if (result?.status !== Status.PASSED) return;
  if (!existsSync(path.join(this.repo, '.git', 'savepoint', 'state.db'))) return;
  // Doctor runs with a plain environment: a scenario's bad setting (e.g. a size cap of
  // "lots") was about that scenario's command, not about the repository's state.
  for (const key of Object.keys(this.env)) if (key !== 'SAVEPOINT_DB') delete this.env[key];
  const run = this.exec('savepoint doctor --json', this.repo);
  if (run.exitCode !== 0) throw new Error(`doctor is not clean after the scenario\n${this.describeRun(run)}`);
});

// Scenarios tagged @bug describe what savepoint should do but does not yet (each one names
// its reproduction). They are skipped so the suite stays green; run them with
// SAVEPOINT_RUN_BUGS=1 to see whether a fix landed.
Before({ tags: '@bug' }, () => (process.env.SAVEPOINT_RUN_BUGS ? undefined : 'skipped'));
