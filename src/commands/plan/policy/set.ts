import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { SavepointCommand, waitFlag } from '../../../cli/base-command.js';
import { table } from '../../../cli/render.js';
import { UsageError } from '../../../core/errors.js';
import type { CheckpointType, PolicyChanges, ToolDeclaration } from '../../../plan/model.js';
import { type PlanPolicyResult, policyRows } from './show.js';

/**
 * Parses `--tool NAME=checkpoint|skip` values (split at the last `=`).
 *
 * @throws {UsageError} `USAGE` (exit 2): no `=`, an empty name, or another declaration
 */
export function parseToolFlags(values: readonly string[]): Record<string, ToolDeclaration> {
  const tools: Record<string, ToolDeclaration> = {};
  for (const value of values) {
    const at = value.lastIndexOf('=');
    const name = at < 0 ? '' : value.slice(0, at);
    const declaration = at < 0 ? '' : value.slice(at + 1);
    if (name === '' || (declaration !== 'checkpoint' && declaration !== 'skip')) {
      throw new UsageError(`--tool expects NAME=checkpoint or NAME=skip, got "${value}"`, {
        details: { tool: value },
      });
    }
    tools[name] = declaration;
  }
  return tools;
}

export default class PlanPolicySet extends SavepointCommand<PlanPolicyResult> {
  static override summary = "Change fields of an active plan's policy; fields not given stay as they are.";

  static override description =
    `--tool NAME=checkpoint|skip declares whether a call of tool NAME needs a checkpoint first; NAME may be a glob (* any characters, ? one), e.g. 'Read*=skip'. An exact name wins over globs, then the most specific glob. --tool may be repeated; declarations are merged into the existing ones.

Every value is validated before anything is written (exit 2 on a bad value). Lowering --retention-max prunes at the next new checkpoint (or run savepoint checkpoint prune).`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --retention-max 20',
    "<%= config.bin %> <%= command.id %> 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --tool 'Read*=skip' --tool Edit=checkpoint --json",
    '<%= config.bin %> <%= command.id %> 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --head keep --untracked-size-cap 10485760',
    '<%= config.bin %> <%= command.id %> 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --default-type patch',
  ];

  static override args = { plan: Args.string({ description: 'Plan id.', required: true }) };

  static override flags = {
    wait: waitFlag,
    'retention-max': Flags.integer({ summary: 'Checkpoints to keep at most (≥ 1).', min: 1 }),
    tool: Flags.string({
      summary: 'A tool declaration NAME=checkpoint|skip (NAME may be a glob); repeatable.',
      multiple: true,
    }),
    'untracked-size-cap': Flags.integer({
      summary: "Untracked files over this many bytes are skipped by this plan's snapshots.",
      min: 0,
    }),
    head: Flags.string({
      summary: 'Default of plan rollback --head: restore or keep.',
      options: ['restore', 'keep'] as const,
    }),
    'default-type': Flags.string({
      summary: 'Type of checkpoints taken without --type: commit or patch.',
      options: ['commit', 'patch'] as const,
    }),
  };

  async run(): Promise<PlanPolicyResult> {
    const { args, flags } = await this.parse(PlanPolicySet);
    const changes: PolicyChanges = {};
    if (flags['retention-max'] !== undefined) changes.retentionMax = flags['retention-max'];
    if (flags.tool !== undefined) changes.tools = parseToolFlags(flags.tool);
    if (flags['untracked-size-cap'] !== undefined) changes.untrackedSizeCap = flags['untracked-size-cap'];
    if (flags.head !== undefined) changes.head = flags.head as 'restore' | 'keep';
    if (flags['default-type'] !== undefined) changes.defaultType = flags['default-type'] as CheckpointType;
    if (Object.keys(changes).length === 0) {
      throw new UsageError(
        'nothing to set: give --retention-max, --tool, --untracked-size-cap, --head or --default-type',
      );
    }
    const savepoint = await this.open(flags);
    const result = await savepoint.plans.setPolicy(args.plan, changes);
    this.say(`Updated the policy of plan ${result.planId}`);
    this.say(() => table(['FIELD', 'VALUE'], policyRows(result.policy)));
    return result;
  }
}
