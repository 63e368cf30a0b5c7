/**
 * Checkpoint metadata and history: checkpoints taken with flags, checkpoints made older in
 * the database (for `--since`), and checks on table lines and the patch on stdout.
 */
import path from 'node:path';
import { Given, Then } from '@cucumber/cucumber';
import Database from 'better-sqlite3';
import { expect, expectEqual } from '../support/expect.js';
import type { SavepointWorld } from '../support/world.js';

// `the agent takes a checkpoint "edit-1" with "--tool Edit --phase edit"`
Given(
  'the agent takes a checkpoint {string} with {string}',
  function (this: SavepointWorld, name: string, flags: string) {
    const json = this.runOk(`savepoint checkpoint create --plan <plan> ${flags}`);
    expectEqual(json.deduplicated, false, 'the sandbox did not change since the latest checkpoint');
    this.checkpoints.set(name, String(json.checkpointId));
  },
);

/** No clock can be pinned in a child process: the row's timestamp is moved back instead. */
Given(
  'the checkpoint {string} was taken {int} days ago',
  function (this: SavepointWorld, name: string, days: number) {
    const db = new Database(path.join(this.repo, '.git', 'savepoint', 'state.db'));
    try {
      const at = new Date(Date.now() - days * 86_400_000).toISOString();
      const changed = db
        .prepare('UPDATE checkpoints SET created_at = ? WHERE checkpoint_id = ?')
        .run(at, this.checkpoint(name)).changes;
      expectEqual(changed, 1, `checkpoint ${name} has no row`);
    } finally {
      db.close();
    }
  },
);

// `stdout has a line matching "^2 +<checkpoint:second> .* 2 +8 B"`: placeholders expanded, then a regex per line.
Then('stdout has a line matching {string}', function (this: SavepointWorld, pattern: string) {
  const regex = new RegExp(this.expand(pattern));
  expect(
    this.last()
      .stdout.split('\n')
      .some((line) => regex.test(line)),
    `no line of stdout matches /${regex.source}/\n${this.describeRun()}`,
  );
});
