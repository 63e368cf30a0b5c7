/**
 * Hooks (after cucumber-js's own features/support/hooks.ts): the World's temp directories
 * go away after every scenario, and a scenario whose last run failed without any step
 * asserting its exit code fails ("a failing run was never asserted").
 */
import { After, Before, Status, setDefaultTimeout, setWorldConstructor } from '@cucumber/cucumber';
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

// Scenarios tagged @bug describe what savepoint should do but does not yet (each one names
// its reproduction). They are skipped so the suite stays green; run them with
// SAVEPOINT_RUN_BUGS=1 to see whether a fix landed.
Before({ tags: '@bug' }, () => (process.env.SAVEPOINT_RUN_BUGS ? undefined : 'skipped'));
