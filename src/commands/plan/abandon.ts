import * as Args from '@oclif/core/args';
import { SavepointCommand, waitFlag } from '../../cli/base-command.js';
import type { Plan } from '../../plan/model.js';

export default class PlanAbandon extends SavepointCommand<Plan> {
  static override summary = 'Mark the plan abandoned; its sandbox is left as it is.';

  static override description = `To also undo the plan's changes, roll back to checkpoint #1 first:
  savepoint plan rollback <plan> <first-checkpoint> --yes`;

  static override examples = ['<%= config.bin %> <%= command.id %> 01JD3Q6Z5K8M2N4P6R8T0V2X4Y'];

  static override args = { plan: Args.string({ description: 'Plan id.', required: true }) };

  static override flags = { wait: waitFlag };

  async run(): Promise<Plan> {
    const { args, flags } = await this.parse(PlanAbandon);
    const savepoint = await this.open(flags);
    const plan = await savepoint.plans.abandon(args.plan);
    this.say(`Abandoned plan ${plan.planId}`);
    return plan;
  }
}
