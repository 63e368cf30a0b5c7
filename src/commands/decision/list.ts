import * as Flags from '@oclif/core/flags';
import { SavepointCommand } from '../../cli/base-command.js';
import { age, table } from '../../cli/render.js';
import type { Decision } from '../../decision/model.js';

/** `--json` result of `decision list`. */
export interface DecisionListResult {
  planId: string;
  decisions: Decision[];
}

export default class DecisionList extends SavepointCommand<DecisionListResult> {
  static override summary = 'List the decisions of a plan, in the order they were recorded.';

  static override examples = [
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y',
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --state active --json',
  ];

  static override flags = {
    plan: Flags.string({ char: 'p', summary: 'Plan id.', required: true }),
    state: Flags.string({
      summary: 'Only decisions in this state.',
      options: ['active', 'reverted'] as const,
    }),
  };

  async run(): Promise<DecisionListResult> {
    const { flags } = await this.parse(DecisionList);
    const savepoint = await this.open(flags);
    const filter = flags.state === undefined ? {} : { state: flags.state as 'active' | 'reverted' };
    const decisions = savepoint.decisions.list(flags.plan, filter);
    this.say(() =>
      table(
        ['#', 'DECISION', 'AGE', 'STATE', 'CHECKPOINT', 'SUMMARY'],
        decisions.map((d) => [
          String(d.seq),
          d.decisionId,
          age(d.createdAt),
          d.state,
          d.checkpointId ?? '(pruned)',
          d.summary.length > 60 ? `${d.summary.slice(0, 59)}…` : d.summary,
        ]),
      ),
    );
    return { planId: flags.plan.toUpperCase(), decisions };
  }
}
