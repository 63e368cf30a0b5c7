import * as Flags from '@oclif/core/flags';
import { SavepointCommand, waitFlag } from '../../cli/base-command.js';
import type { DecisionRecorded } from '../../decision/decision-service.js';

export default class DecisionRecord extends SavepointCommand<DecisionRecorded> {
  static override summary = 'Record a decision of the agent, linked to the checkpoint taken just before it.';

  static override description =
    `Without --checkpoint, savepoint takes a checkpoint of the sandbox now (deduplicated: when nothing changed since the plan's latest checkpoint, that one is reused and deduplicated is true) and records the decision in the same transaction. With --checkpoint, the decision links to that checkpoint of the plan.

While a decision is active its checkpoint is pinned: retention never prunes it. Revert a decision (and every later one) with savepoint correction revert <decision>. The plan must be active.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --summary "use a hand-written parser" --json',
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --summary "drop Python 3.8" --checkpoint 01JD3QA1B2C3D4E5F6G7H8J9K0',
  ];

  static override flags = {
    wait: waitFlag,
    plan: Flags.string({ char: 'p', summary: 'Plan id.', required: true }),
    summary: Flags.string({ char: 's', summary: 'What was decided (1 to 4096 characters).', required: true }),
    checkpoint: Flags.string({
      char: 'c',
      summary: 'Link to this checkpoint of the plan instead of taking one now.',
    }),
  };

  async run(): Promise<DecisionRecorded> {
    const { flags } = await this.parse(DecisionRecord);
    const savepoint = await this.open(flags);
    const request: Parameters<typeof savepoint.decisions.record>[0] = {
      planId: flags.plan,
      summary: flags.summary,
    };
    if (flags.checkpoint !== undefined) request.checkpointId = flags.checkpoint;
    const decision = await savepoint.decisions.record(request);
    const how =
      decision.deduplicated === undefined
        ? 'given'
        : decision.deduplicated
          ? 'reused: nothing changed since it'
          : 'taken now';
    this.say(`Decision #${decision.seq} ${decision.decisionId} of plan ${decision.planId}`);
    this.say(`  checkpoint ${decision.checkpointId} (${how})`);
    this.say(`  revert with: ${this.config.bin} correction revert ${decision.decisionId} --yes`);
    return decision;
  }
}
