/**
 * Plans and checkpoints made the way an agent makes them (each helper run must succeed), and
 * checks that look at the store through the binary without replacing the last run.
 */
import { rmSync } from 'node:fs';
import { Given, Then, When } from '@cucumber/cucumber';
import { expect, expectEqual } from '../support/expect.js';
import type { SavepointWorld } from '../support/world.js';

Given('an active plan', function (this: SavepointWorld) {
  this.runOk('savepoint plan create --name "the plan"');
});

Given('an active plan on a linked worktree', function (this: SavepointWorld) {
  this.runOk('savepoint plan create --worktree');
});

Given('a second plan {string} on a linked worktree', function (this: SavepointWorld, name: string) {
  this.runOk(`savepoint plan create --worktree --name ${name}`, name);
});

Given('the agent takes a checkpoint {string}', function (this: SavepointWorld, name: string) {
  const json = this.runOk('savepoint checkpoint create --plan <plan>');
  expectEqual(json.deduplicated, false, 'the sandbox did not change since the latest checkpoint');
  this.checkpoints.set(name, String(json.checkpointId));
});

Given('the plan is applied', function (this: SavepointWorld) {
  this.runOk('savepoint plan apply <plan>');
});

Given('the plan is abandoned', function (this: SavepointWorld) {
  this.runOk('savepoint plan abandon <plan>');
});

Given('savepoint keeps its database in {string}', function (this: SavepointWorld, file: string) {
  this.env.SAVEPOINT_DB = this.expand(file);
});

Given(
  'the environment variable {word} is {string}',
  function (this: SavepointWorld, name: string, value: string) {
    this.env[name] = this.expand(value);
  },
);

When('I remember the checkpoint as {string}', function (this: SavepointWorld, name: string) {
  const json = this.last().json as { checkpointId?: unknown } | undefined;
  expect(
    typeof json?.checkpointId === 'string',
    `the last run printed no checkpointId\n${this.describeRun()}`,
  );
  this.checkpoints.set(name, json.checkpointId);
});

When("the plan's sandbox directory is deleted", function (this: SavepointWorld) {
  rmSync(this.plan().sandboxPath, { recursive: true, force: true });
});

// ------------------------------------------------------------------------ assertions

function checkpointsOf(world: SavepointWorld, plan = '') {
  const json = world.runOk(`savepoint checkpoint list --plan ${world.plan(plan).planId}`);
  return json.checkpoints as { checkpointId: string; seq: number; metadata: { kind: string } }[];
}

Then(/^the plan has (\d+) checkpoints?$/, function (this: SavepointWorld, count: string) {
  expectEqual(checkpointsOf(this).length, Number(count));
});

Then("the plan's latest checkpoint is a {string} checkpoint", function (this: SavepointWorld, kind: string) {
  expectEqual(checkpointsOf(this).at(-1)?.metadata.kind, kind);
});

Then('the safety checkpoint on stdout is the latest checkpoint of the plan', function (this: SavepointWorld) {
  const match = /safety checkpoint ([0-9A-Z]{26})/.exec(this.last().stdout);
  expect(match?.[1], `stdout names no safety checkpoint\n${this.describeRun()}`);
  const latest = checkpointsOf(this).at(-1);
  expectEqual(latest?.checkpointId, match[1]);
  expectEqual(latest?.metadata.kind, 'safety');
});

Then('the plan is {string}', function (this: SavepointWorld, state: string) {
  expectEqual(this.runOk('savepoint plan show <plan>').state, state);
});

Then(
  'the checkpoints {string} and {string} are the same',
  function (this: SavepointWorld, a: string, b: string) {
    expectEqual(this.checkpoint(a), this.checkpoint(b));
  },
);

Then('the checkpoints {string} and {string} differ', function (this: SavepointWorld, a: string, b: string) {
  expect(this.checkpoint(a) !== this.checkpoint(b), `checkpoints "${a}" and "${b}" should differ`);
});

Then(
  "the plan's sandbox is a linked worktree on the branch {string}",
  function (this: SavepointWorld, branch: string) {
    const sandbox = this.plan().sandboxPath;
    expect(sandbox !== this.repo, 'the sandbox should not be the main worktree');
    expectEqual(this.git(['symbolic-ref', 'HEAD'], sandbox), `refs/heads/${this.expand(branch)}`);
    expectEqual(this.git(['rev-parse', '--show-toplevel'], sandbox), sandbox);
    const worktrees = this.git(['worktree', 'list', '--porcelain']).split('\n');
    expect(worktrees.includes(`worktree ${sandbox}`), `git worktree list lacks ${sandbox}`);
  },
);
