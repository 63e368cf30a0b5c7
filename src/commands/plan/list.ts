import * as Flags from '@oclif/core/flags';
import { SavepointCommand } from '../../cli/base-command.js';
import { age, table } from '../../cli/render.js';
import type { Plan } from '../../plan/model.js';

export default class PlanList extends SavepointCommand<{ plans: Plan[] }> {
  static override summary = 'List the plans of this repository.';

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --state active --json',
  ];

  static override flags = {
    state: Flags.string({
      summary: 'Only plans in this state.',
      options: ['active', 'applied', 'abandoned'] as const,
    }),
  };

  async run(): Promise<{ plans: Plan[] }> {
    const { flags } = await this.parse(PlanList);
    const savepoint = await this.open(flags);
    const plans = savepoint.plans.list(flags.state ? { state: flags.state as Plan['state'] } : {});
    if (plans.length === 0) this.say('No plans.');
    else {
      this.say(() =>
        table(
          ['PLAN', 'STATE', 'NAME', 'CREATED', 'SANDBOX'],
          plans.map((p) => [p.planId, p.state, p.name ?? '', age(p.createdAt), p.sandboxPath]),
        ),
      );
    }
    return { plans };
  }
}
