import * as Args from '@oclif/core/args';
import { SavepointCommand, waitFlag } from '../../cli/base-command.js';
import type { Plan } from '../../plan/model.js';

/** `--json` result of `plan apply`. */
export type PlanApplyResult = Plan & { finalCheckpointId: string; deduplicated: boolean };

export default class PlanApply extends SavepointCommand<PlanApplyResult> {
  static override summary = 'Take a final checkpoint and mark the plan applied (no rollback after).';

  static override description =
    `The final checkpoint and the state change are one transaction. If another process applied or abandoned the plan meanwhile, nothing is recorded and the persisted state is reported (exit 4). The sandbox's files are left as they are.`;

  static override examples = ['<%= config.bin %> <%= command.id %> 01JD3Q6Z5K8M2N4P6R8T0V2X4Y'];

  static override args = { plan: Args.string({ description: 'Plan id.', required: true }) };

  static override flags = { wait: waitFlag };

  async run(): Promise<PlanApplyResult> {
    const { args, flags } = await this.parse(PlanApply);
    const savepoint = await this.open(flags);
    const { plan, finalCheckpoint } = await savepoint.plans.apply(args.plan);
    const { checkpoint, deduplicated } = finalCheckpoint;
    this.say(`Applied plan ${plan.planId}`);
    this.say(
      `  final checkpoint #${checkpoint.seq} ${checkpoint.checkpointId}${deduplicated ? ' (no change since it)' : ''}`,
    );
    return { ...plan, finalCheckpointId: checkpoint.checkpointId, deduplicated };
  }
}
