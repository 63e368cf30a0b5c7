/**
 * Recovery's own safety checkpoint (issue 12): the checkpoint `savepoint recover` reports for
 * a recovered operation, read from its `--json` result or from its human output, and the
 * bytes a checkpoint holds for a file.
 */
import { Then, When } from '@cucumber/cucumber';
import { expect, expectEqual } from '../support/expect.js';
import { type SavepointWorld, withEscapes } from '../support/world.js';

/**
 * The safety checkpoint the last `recover` reports for its first operation, and (`--json`)
 * the checkpoint it restored the sandbox to.
 */
function recoverSafety(world: SavepointWorld): { id: string; target?: string } {
  const run = world.last();
  if (run.jsonMode) {
    const json = run.json as
      | { operations?: { safetyCheckpointId?: unknown; restoredTo?: unknown }[] }
      | undefined;
    const [first] = json?.operations ?? [];
    const id = first?.safetyCheckpointId;
    expect(typeof id === 'string', `the last run reported no safetyCheckpointId\n${world.describeRun()}`);
    return typeof first?.restoredTo === 'string' ? { id, target: first.restoredTo } : { id };
  }
  const match = /safety checkpoint ([0-9A-HJKMNP-TV-Z]{26}) holds the sandbox as recover found it/.exec(
    run.stdout,
  );
  expect(match?.[1], `stdout names no safety checkpoint of recover\n${world.describeRun()}`);
  return { id: match[1] };
}

When("I remember recover's safety checkpoint as {string}", function (this: SavepointWorld, name: string) {
  const { id, target } = recoverSafety(this);
  this.checkpoints.set(name, id);
  if (target !== undefined) this.checkpoints.set(`${name}:target`, target);
});

Then(
  'the checkpoint {string} holds {string} in {string}',
  function (this: SavepointWorld, name: string, content: string, file: string) {
    const show = this.runOk(`savepoint checkpoint show ${this.checkpoint(name)}`) as { treeSha?: unknown };
    expect(typeof show.treeSha === 'string', `checkpoint show printed no treeSha\n${this.describeRun()}`);
    const bytes = this.git(['cat-file', 'blob', `${show.treeSha}:${this.expand(file)}`]);
    // The world's git output is trimmed: compare without trailing whitespace.
    expectEqual(
      bytes.trimEnd(),
      withEscapes(this.expand(content)).trimEnd(),
      `${file} in checkpoint ${name}`,
    );
  },
);

Then(
  "the checkpoint {string} is the plan's latest checkpoint, a safety checkpoint",
  function (this: SavepointWorld, name: string) {
    const json = this.runOk(`savepoint checkpoint list --plan ${this.plan().planId}`) as {
      checkpoints: { checkpointId: string; metadata: { kind: string; rollbackTarget?: string } }[];
    };
    const latest = json.checkpoints.at(-1);
    expectEqual(latest?.checkpointId, this.checkpoint(name), this.describeRun());
    expectEqual(latest?.metadata.kind, 'safety');
    // Its rollbackTarget is what recover restored (undo shows it as the rollback it undoes).
    const target = this.checkpoints.get(`${name}:target`);
    if (target !== undefined) expectEqual(latest?.metadata.rollbackTarget, target);
  },
);
