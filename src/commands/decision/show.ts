import * as Args from '@oclif/core/args';
import { SavepointCommand } from '../../cli/base-command.js';
import { table } from '../../cli/render.js';
import type { Decision } from '../../decision/model.js';

export default class DecisionShow extends SavepointCommand<Decision> {
  static override summary = 'Show one decision: its plan, checkpoint, state and summary.';

  static override examples = ['<%= config.bin %> <%= command.id %> 01JD3QC7D8E9F0G1H2J3K4M5N6 --json'];

  static override args = { decision: Args.string({ description: 'Decision id.', required: true }) };

  async run(): Promise<Decision> {
    const { args, flags } = await this.parse(DecisionShow);
    const savepoint = await this.open(flags);
    const d = savepoint.decisions.get(args.decision);
    this.say(() =>
      table(
        ['FIELD', 'VALUE'],
        [
          ['decision', d.decisionId],
          ['plan', `${d.planId} (#${d.seq})`],
          ['state', d.state],
          ['checkpoint', d.checkpointId ?? '(pruned)'],
          ['created', d.createdAt],
          ['reverted', d.revertedAt ? `${d.revertedAt} (safety checkpoint ${d.revertedBy})` : ''],
          ['re-activated by', d.reactivatedBy ?? ''],
          ['summary', d.summary],
        ],
      ),
    );
    return d;
  }
}
