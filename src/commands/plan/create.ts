import path from 'node:path';
import * as Flags from '@oclif/core/flags';
import { SavepointCommand, waitFlag } from '../../cli/base-command.js';
import { color, visible } from '../../cli/render.js';
import type { CheckpointType, Plan, PlanPolicyInput } from '../../plan/model.js';

/** `--json` result of `plan create`. */
export type PlanCreateResult = Plan & { checkpointId: string };

export default class PlanCreate extends SavepointCommand<PlanCreateResult> {
  static override summary = 'Create a plan on a sandbox and take checkpoint #1 of its starting state.';

  static override description =
    `The sandbox is the git worktree containing --sandbox (default: the current directory). It must be a git worktree, not / or your home directory, and have no other active plan. With --worktree, savepoint adds a linked worktree on a new branch savepoint/<planId> (next to the repository, or at --worktree-path) and uses it as the sandbox, so the agent's work stays isolated from yours.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> --name "refactor parser"',
    '<%= config.bin %> <%= command.id %> --sandbox ../my-repo --json',
    '<%= config.bin %> <%= command.id %> --worktree --worktree-path ../my-repo-agent',
    '<%= config.bin %> <%= command.id %> --retention-max 20',
    '<%= config.bin %> <%= command.id %> --default-type patch',
  ];

  static override flags = {
    wait: waitFlag,
    sandbox: Flags.directory({
      summary: 'A directory inside the worktree to work in (default: current directory).',
    }),
    name: Flags.string({ summary: 'A name for the plan.' }),
    worktree: Flags.boolean({
      summary: 'Create a linked worktree on branch savepoint/<planId> and use it as the sandbox.',
    }),
    'worktree-path': Flags.string({ summary: 'Where to create the linked worktree (implies --worktree).' }),
    'retention-max': Flags.integer({
      summary: 'Checkpoints to keep at most (policy retention.max, default 50); older ones are pruned.',
      min: 1,
    }),
    'default-type': Flags.string({
      summary:
        'Type of checkpoints taken without --type (policy defaultType): commit or patch. Checkpoint #1 is always a commit.',
      options: ['commit', 'patch'] as const,
    }),
  };

  async run(): Promise<PlanCreateResult> {
    const { flags } = await this.parse(PlanCreate);
    const cwd = path.resolve(flags.cwd ?? process.cwd());
    const sandbox = path.resolve(cwd, flags.sandbox ?? '.');
    // The database is the sandbox's repository's, wherever the command runs from.
    const savepoint = await this.open(flags, sandbox);
    const options: Parameters<typeof savepoint.plans.create>[0] = { sandbox };
    if (flags.name !== undefined) options.name = flags.name;
    if (flags.worktree || flags['worktree-path'] !== undefined) options.worktree = true;
    if (flags['worktree-path'] !== undefined)
      options.worktreePath = path.resolve(cwd, flags['worktree-path']);
    const policy: PlanPolicyInput = {};
    if (flags['retention-max'] !== undefined) policy.retention = { max: flags['retention-max'] };
    if (flags['default-type'] !== undefined) policy.defaultType = flags['default-type'] as CheckpointType;
    if (Object.keys(policy).length > 0) options.policy = policy;
    const { plan, checkpoint } = await savepoint.plans.create(options);
    this.say(
      `Created plan ${color.bold(plan.planId)}${plan.name ? ` "${visible(plan.name)}"` : ''} (${plan.state})`,
    );
    this.say(
      `  sandbox     ${visible(plan.sandboxPath)}${plan.managedWorktree ? ` (linked worktree, branch savepoint/${plan.planId})` : ''}`,
    );
    this.say(`  checkpoint  #${checkpoint.seq} ${checkpoint.checkpointId} (starting state)`);
    this.say(`Next: ${this.config.bin} checkpoint create --plan ${plan.planId}`);
    return { ...plan, checkpointId: checkpoint.checkpointId };
  }
}
