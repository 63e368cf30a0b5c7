/**
 * Patch checkpoints and `checkpoint export`: git's gc made to forget everything no ref
 * reaches, a base commit rewritten away, and exported patches applied with plain `git apply`
 * in a fresh clone.
 */
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { Given, Then, When } from '@cucumber/cucumber';
import { expect, expectEqual } from '../support/expect.js';
import { git, tryGit } from '../support/git.js';
import type { SavepointWorld } from '../support/world.js';

Given('the agent takes a patch checkpoint {string}', function (this: SavepointWorld, name: string) {
  const json = this.runOk('savepoint checkpoint create --plan <plan> --type patch');
  expectEqual(json.deduplicated, false, 'the sandbox did not change since the latest checkpoint');
  expectEqual(json.checkpointType, 'patch');
  this.checkpoints.set(name, String(json.checkpointId));
});

/** What `git gc` eventually does: every object no ref (reflogs expired) or index reaches is deleted. */
function pruneUnreachable(world: SavepointWorld): void {
  world.git(['reflog', 'expire', '--expire=now', '--all']);
  world.git(['gc', '-q', '--prune=now']);
}

When('git gc prunes every object no ref reaches', function (this: SavepointWorld) {
  pruneUnreachable(this);
});

Then(
  'the worktree tree of checkpoint {string} is gone from the object database',
  function (this: SavepointWorld, name: string) {
    const { treeSha } = this.runOk(`savepoint checkpoint show ${this.checkpoint(name)}`);
    const probe = tryGit(this.repo, this.home, ['cat-file', '-e', String(treeSha)]);
    expect(probe.exitCode !== 0, `tree ${String(treeSha)} of checkpoint "${name}" is still there`);
  },
);

Given(
  "the plan's base commit is rewritten and nothing keeps the old one alive",
  function (this: SavepointWorld) {
    const { baseCommit } = this.runOk('savepoint plan show <plan>');
    const { sandboxRef } = this.runOk(`savepoint checkpoint show ${this.checkpoint('first')}`);
    this.git(['commit', '-q', '--amend', '-m', 'rewritten base']);
    // Checkpoint #1's commit has the base commit as parent; its ref is what keeps it alive.
    this.git(['update-ref', '-d', String(sandboxRef)]);
    pruneUnreachable(this);
    const probe = tryGit(this.repo, this.home, ['cat-file', '-e', String(baseCommit)]);
    expect(probe.exitCode !== 0, `base commit ${String(baseCommit)} is still there`);
  },
);

Then(
  "applying {string} with plain git apply in a fresh clone at the plan's base commit gives the tree of checkpoint {string}",
  function (this: SavepointWorld, file: string, name: string) {
    const { baseCommit } = this.runOk('savepoint plan show <plan>');
    const { treeSha } = this.runOk(`savepoint checkpoint show ${this.checkpoint(name)}`);
    const clone = path.join(mkdtempSync(path.join(this.tmp, 'clone-')), 'clone');
    git(this.tmp, this.home, ['clone', '-q', '--no-checkout', this.repo, clone]);
    git(clone, this.home, ['checkout', '-q', '--detach', String(baseCommit)]);
    git(clone, this.home, ['apply', this.resolvePath(file)]);
    // The clone's own index then holds every file the patch wrote: its tree must be the checkpoint's.
    git(clone, this.home, ['add', '-A']);
    expectEqual(git(clone, this.home, ['write-tree']), String(treeSha), `tree of the clone at ${clone}`);
  },
);
