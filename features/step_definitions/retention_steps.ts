/**
 * Retention, gc and policy: many checkpoints made fast through the built library in one
 * child process, refs compared with rows, rollbacks to every surviving checkpoint, and refs
 * or rows left behind the way a failure or another tool leaves them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Given, Then, When } from '@cucumber/cucumber';
import Database from 'better-sqlite3';
import { ulid } from 'ulid';
import { expect, expectEqual } from '../support/expect.js';
import { git, gitEnv } from '../support/git.js';
import { PROJECT_ROOT, type SavepointWorld } from '../support/world.js';

interface ListedCheckpoint {
  checkpointId: string;
  seq: number;
  checkpointType: 'commit' | 'patch';
  treeSha: string;
  sandboxRef: string | null;
  commitSha: string | null;
}

function checkpointsOf(world: SavepointWorld): ListedCheckpoint[] {
  return world.runOk(`savepoint checkpoint list --plan ${world.plan().planId}`)
    .checkpoints as ListedCheckpoint[];
}

/**
 * `count` checkpoints, each of a different worktree (a counter file, and every third one a
 * file added or deleted), taken through the built library (dist/) in one child process with
 * the scenario's environment: 200 CLI runs would take most of a minute. `patch` makes them
 * all patch checkpoints, `mixed` alternates patch and commit; otherwise the policy decides.
 */
When(
  /^the agent takes (\d+) (patch |mixed )?checkpoints of different states through the library$/,
  function (this: SavepointWorld, countText: string, kind: string | undefined) {
    const count = Number(countText);
    const mode = kind?.trim() ?? 'default';
    const script = `
      import { writeFileSync, rmSync } from 'node:fs';
      import path from 'node:path';
      const { Savepoint } = await import(${JSON.stringify(path.join(PROJECT_ROOT, 'dist', 'index.js'))});
      const [sandbox, planId, count, mode] = process.argv.slice(1);
      const sp = await Savepoint.open({ cwd: sandbox });
      try {
        for (let i = 0; i < Number(count); i++) {
          writeFileSync(path.join(sandbox, 'counter.txt'), i + '\\n');
          const extra = path.join(sandbox, 'extra-' + (i % 5) + '.txt');
          if (i % 3 === 0) writeFileSync(extra, 'step ' + i + '\\n');
          else if (i % 3 === 1) rmSync(extra, { force: true });
          const request = { reason: 'step ' + i };
          if (mode === 'patch') request.type = 'patch';
          if (mode === 'mixed') request.type = i % 2 === 0 ? 'patch' : 'commit';
          const result = await sp.checkpoints.create(planId, request);
          if (mode !== 'default' && result.checkpoint.checkpointType !== request.type)
            throw new Error('step ' + i + ' is a ' + result.checkpoint.checkpointType + ' checkpoint');
          if (result.deduplicated) throw new Error('step ' + i + ' was deduplicated');
        }
      } finally {
        sp.close();
      }
    `;
    const plan = this.plan();
    const result = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', script, plan.sandboxPath, plan.planId, String(count), mode],
      { cwd: plan.sandboxPath, env: this.childEnv(), encoding: 'utf8', timeout: 120_000 },
    );
    expectEqual(result.status, 0, `the library loop failed:\n${result.stderr}`);
  },
);

When(
  /^I remember the (\d+)(?:st|nd|rd|th) checkpoint of the plan as "([^"]*)"$/,
  function (this: SavepointWorld, position: string, name: string) {
    const checkpoint = checkpointsOf(this)[Number(position) - 1];
    expect(checkpoint, `the plan has fewer than ${position} checkpoints`);
    this.checkpoints.set(name, checkpoint.checkpointId);
  },
);

Then('the plan keeps the checkpoints {string}', function (this: SavepointWorld, names: string) {
  const ids = checkpointsOf(this).map((c) => c.checkpointId);
  for (const name of names.split(',').map((n) => n.trim())) {
    expect(ids.includes(this.checkpoint(name)), `checkpoint "${name}" was pruned; left: ${ids.join(', ')}`);
  }
});

Then('the plan no longer has the checkpoint {string}', function (this: SavepointWorld, name: string) {
  const ids = checkpointsOf(this).map((c) => c.checkpointId);
  expect(!ids.includes(this.checkpoint(name)), `checkpoint "${name}" is still there`);
});

Then(
  "the refs under refs\\/savepoint\\/ are exactly the plans' checkpoints",
  function (this: SavepointWorld) {
    const refs = this.git(['for-each-ref', '--format=%(refname) %(objectname)', 'refs/savepoint/'])
      .split('\n')
      .filter(Boolean)
      .sort();
    const rows = [...this.plans.values()]
      .flatMap(
        (plan) =>
          this.runOk(`savepoint checkpoint list --plan ${plan.planId}`).checkpoints as ListedCheckpoint[],
      )
      .flatMap((c) => {
        // A patch checkpoint lives in its row alone: no ref, no commit.
        if (c.checkpointType === 'patch') {
          expectEqual([c.sandboxRef, c.commitSha], [null, null], `patch checkpoint ${c.checkpointId}`);
          return [];
        }
        return [`${c.sandboxRef} ${c.commitSha}`];
      })
      .sort();
    expectEqual(refs, rows);
  },
);

/** Tree of every non-ignored file on disk, computed by plain git on a scratch index. */
function worktreeTree(world: SavepointWorld, dir: string): string {
  const scratch = mkdtempSync(path.join(world.tmp, 'index-'));
  try {
    const env = { ...gitEnv(world.home), GIT_INDEX_FILE: path.join(scratch, 'index') };
    for (const args of [['add', '-A'], ['write-tree']]) {
      const result = spawnSync('git', args, { cwd: dir, env, encoding: 'utf8' });
      expectEqual(result.status, 0, `git ${args.join(' ')}: ${result.stderr}`);
      if (args[0] === 'write-tree') return result.stdout.trim();
    }
    throw new Error('unreachable');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

Then(
  'rolling back to every checkpoint of the plan restores its tree exactly',
  function (this: SavepointWorld) {
    const plan = this.plan();
    const survivors = checkpointsOf(this);
    // Newest first, so every rollback really changes files.
    for (const checkpoint of [...survivors].reverse()) {
      this.runOk(`savepoint plan rollback ${plan.planId} ${checkpoint.checkpointId} --yes`);
      expectEqual(
        worktreeTree(this, plan.sandboxPath),
        checkpoint.treeSha,
        `after rolling back to #${checkpoint.seq} ${checkpoint.checkpointId}`,
      );
    }
  },
);

Given(
  'a ref {string} that no checkpoint owns, made {int} minutes ago',
  function (this: SavepointWorld, name: string, minutes: number) {
    const id = ulid(Date.now() - minutes * 60 * 1000);
    const ref = `refs/savepoint/${this.plan().planId}/${id}`;
    git(this.repo, this.home, ['update-ref', ref, 'HEAD']);
    this.checkpoints.set(name, id);
  },
);

Then('the ref of checkpoint {string} is gone', function (this: SavepointWorld, name: string) {
  const refs = this.git(['for-each-ref', '--format=%(refname)', 'refs/savepoint/']);
  expect(!refs.includes(this.checkpoint(name)), `a ref of ${name} is still there:\n${refs}`);
});

When("the plan's row is deleted from the database behind savepoint's back", function (this: SavepointWorld) {
  const file = path.join(this.repo, '.git', 'savepoint', 'state.db');
  const db = new Database(file);
  db.pragma('foreign_keys = OFF');
  const deleted = db.prepare('DELETE FROM plans WHERE plan_id = ?').run(this.plan().planId).changes;
  db.close();
  expectEqual(deleted, 1);
});

Then('stdout is one line', function (this: SavepointWorld) {
  const { stdout } = this.last();
  expect(/^[^\n]+\n$/.test(stdout), `stdout should be exactly one line\n${this.describeRun()}`);
});
