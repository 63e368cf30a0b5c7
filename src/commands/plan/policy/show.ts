import * as Args from '@oclif/core/args';
import { SavepointCommand } from '../../../cli/base-command.js';
import { table } from '../../../cli/render.js';
import type { PlanPolicy } from '../../../plan/model.js';
import type { PlanPolicyResult } from '../../../plan/plan-service.js';

/** `--json` result of `plan policy show` and `plan policy set`: `{ planId, policy }`. */
export type { PlanPolicyResult };

/** Human rendering of a policy: one row per field, one per tool declaration. */
export function policyRows(policy: PlanPolicy): string[][] {
  const tools = Object.entries(policy.tools);
  return [
    ['retention.max', String(policy.retention.max)],
    ['head', policy.head],
    ['defaultType', policy.defaultType],
    [
      'untrackedSizeCap',
      policy.untrackedSizeCap === undefined ? '(default)' : `${policy.untrackedSizeCap} bytes`,
    ],
    ...(tools.length === 0
      ? [['tools', '(none: every tool checkpoints)']]
      : tools.map(([pattern, declaration]) => [`tools.${pattern}`, declaration])),
  ];
}

export default class PlanPolicyShow extends SavepointCommand<PlanPolicyResult> {
  static override summary =
    "Show a plan's policy: retention, tool declarations, size cap, HEAD mode, default checkpoint type.";

  static override description =
    `Fields never set show their defaults: retention.max 50, tools {} (every tool checkpoints), untrackedSizeCap unset (SAVEPOINT_UNTRACKED_SIZE_CAP, else 100 MiB), head restore, defaultType commit.`;

  static override examples = ['<%= config.bin %> <%= command.id %> 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --json'];

  static override args = { plan: Args.string({ description: 'Plan id.', required: true }) };

  async run(): Promise<PlanPolicyResult> {
    const { args, flags } = await this.parse(PlanPolicyShow);
    const savepoint = await this.open(flags);
    const result = savepoint.plans.policy(args.plan);
    this.say(`Policy of plan ${result.planId}`);
    this.say(() => table(['FIELD', 'VALUE'], policyRows(result.policy)));
    return result;
  }
}
