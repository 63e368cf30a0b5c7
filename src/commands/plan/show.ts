import * as Args from '@oclif/core/args';
import type { Checkpoint } from '../../checkpoint/model.js';
import { SavepointCommand } from '../../cli/base-command.js';
import { short, table } from '../../cli/render.js';
import type { Plan } from '../../plan/model.js';

/** `--json` result of `plan show`. */
export type PlanShowResult = Plan & { checkpointCount: number; latestCheckpoint: Checkpoint | null };

export default class PlanShow extends SavepointCommand<PlanShowResult> {
  static override summary = 'Show one plan: state, sandbox, base commit, checkpoints.';

  static override examples = ['<%= config.bin %> <%= command.id %> 01JD3Q6Z5K8M2N4P6R8T0V2X4Y'];

  static override args = { plan: Args.string({ description: 'Plan id.', required: true }) };

  async run(): Promise<PlanShowResult> {
    const { args, flags } = await this.parse(PlanShow);
    const savepoint = await this.open(flags);
    const { plan, checkpointCount, latestCheckpoint } = savepoint.plans.show(args.plan);
    const rows = [
      ['plan', plan.planId],
      ['name', plan.name ?? ''],
      ['state', plan.state],
      ['sandbox', plan.sandboxPath + (plan.managedWorktree ? ' (linked worktree made by savepoint)' : '')],
      ['repository', plan.gitDir],
      ['base commit', short(plan.baseCommit)],
      ['created', plan.createdAt],
      ['applied', plan.appliedAt ?? ''],
      ['checkpoints', String(checkpointCount)],
      ['latest', latestCheckpoint ? `#${latestCheckpoint.seq} ${latestCheckpoint.checkpointId}` : ''],
    ];
    this.say(() => table(['FIELD', 'VALUE'], rows));
    return { ...plan, checkpointCount, latestCheckpoint };
  }
}
