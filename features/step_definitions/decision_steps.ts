/**
 * Decisions made the way an agent makes them (each helper run must succeed), and checks of
 * their states through the binary without replacing the last run.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type DataTable, Given, Then, When } from '@cucumber/cucumber';
import { expect, expectEqual } from '../support/expect.js';
import type { SavepointWorld } from '../support/world.js';

interface ListedDecision {
  decisionId: string;
  summary: string;
  state: string;
  checkpointId: string | null;
}

function decisionsOf(world: SavepointWorld): ListedDecision[] {
  return world.runOk(`savepoint decision list --plan ${world.plan().planId}`).decisions as ListedDecision[];
}

// Takes (or reuses) a checkpoint; remembers the decision by its summary and its checkpoint as
// "before <summary>".
Given('the agent records the decision {string}', function (this: SavepointWorld, summary: string) {
  const json = this.runOk(`savepoint decision record --plan <plan> --summary "${summary}"`);
  this.decisions.set(summary, String(json.decisionId));
  this.checkpoints.set(`before ${summary}`, String(json.checkpointId));
});

Given(
  'the agent records the decision {string} on the checkpoint {string}',
  function (this: SavepointWorld, summary: string, checkpoint: string) {
    const json = this.runOk(
      `savepoint decision record --plan <plan> --summary "${summary}" --checkpoint <checkpoint:${checkpoint}>`,
    );
    this.decisions.set(summary, String(json.decisionId));
  },
);

Given("the plan's retention is {int}", function (this: SavepointWorld, max: number) {
  this.runOk(`savepoint plan policy set <plan> --retention-max ${max}`);
});

Then('the decisions of the plan are:', function (this: SavepointWorld, table: DataTable) {
  const actual = decisionsOf(this).map((d) => ({ summary: d.summary, state: d.state }));
  const expected = table.hashes().map((row) => ({ summary: row.summary ?? '', state: row.state ?? '' }));
  expectEqual(actual, expected, 'decisions of the plan');
});

Then(
  'the decision {string} points to no checkpoint any more',
  function (this: SavepointWorld, summary: string) {
    const json = this.runOk(`savepoint decision show ${this.decision(summary)}`);
    expectEqual(json.checkpointId, null, `decision "${summary}"`);
  },
);

Then(
  'the JSON {string} names the decisions {string}',
  function (this: SavepointWorld, where: string, names: string) {
    let value: unknown = this.last().json;
    for (const key of where.split('.')) value = (value as Record<string, unknown>)[key];
    expect(Array.isArray(value), `JSON "${where}" should be a list\n${this.describeRun()}`);
    const expected = names
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean)
      .map((n) => this.decision(n));
    expectEqual(value, expected, `JSON "${where}"\n${this.describeRun()}`);
  },
);

/**
 * The agent loop of issue 6 through the binary with --json: before each of `calls` tool
 * calls a checkpoint ("call N") and a noted sandbox state ("before call N"); before every
 * `every`-th call a decision ("call N") linked to that checkpoint; each call then edits
 * `work.txt` and adds `call-N.txt`.
 */
When(
  'the agent makes {int} checkpointed tool calls through the CLI, recording a decision before every {int}th',
  function (this: SavepointWorld, calls: number, every: number) {
    for (let call = 1; call <= calls; call++) {
      const taken = this.runOk(
        `savepoint checkpoint create --plan <plan> --tool Edit --reason "call ${call}"`,
      );
      expectEqual(taken.skipped, false, `call ${call} was not checkpointed`);
      this.checkpoints.set(`call ${call}`, String(taken.checkpointId));
      this.states.set(`before call ${call}`, this.captureState());
      if (call % every === 0) {
        const decision = this.runOk(
          `savepoint decision record --plan <plan> --summary "call ${call}" --checkpoint ${String(taken.checkpointId)}`,
        );
        this.decisions.set(`call ${call}`, String(decision.decisionId));
      }
      writeFileSync(path.join(this.repo, 'work.txt'), `after call ${call}\n`);
      writeFileSync(path.join(this.repo, `call-${call}.txt`), `${call}\n`);
    }
  },
);
