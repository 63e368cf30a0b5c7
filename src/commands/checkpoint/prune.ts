import * as Flags from '@oclif/core/flags';
import type { PruneResult } from '../../checkpoint/retention-service.js';
import { SavepointCommand, waitFlag } from '../../cli/base-command.js';

export default class CheckpointPrune extends SavepointCommand<PruneResult> {
  static override summary = "Prune a plan's oldest checkpoints down to its retention limit (or --keep N).";

  static override description =
    `Same selection as the automatic pruning after each new checkpoint: the oldest checkpoints go first, but never the first checkpoint, the most recent one, the safety checkpoint of the latest rollback or the checkpoint that rollback restored. When those alone exceed N they are all kept. Rows are deleted in one transaction, then their refs; a ref that cannot be deleted is reported and left for savepoint gc. The commits become unreachable and git's own gc reclaims them.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --dry-run',
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --keep 10 --json',
  ];

  static override flags = {
    wait: waitFlag,
    plan: Flags.string({ char: 'p', summary: 'Plan id.', required: true }),
    keep: Flags.integer({
      summary: "Checkpoints to keep at most (default: the policy's retention.max).",
      min: 1,
    }),
    'dry-run': Flags.boolean({ summary: 'Report what would be pruned; change nothing.' }),
  };

  async run(): Promise<PruneResult> {
    const { flags } = await this.parse(CheckpointPrune);
    const savepoint = await this.open(flags);
    const options: { keep?: number; dryRun: boolean } = { dryRun: flags['dry-run'] };
    if (flags.keep !== undefined) options.keep = flags.keep;
    const result = await savepoint.retention.prune(flags.plan, options);
    const verb = result.dryRun ? 'Would prune' : 'Pruned';
    this.say(
      `${verb} ${result.pruned.length} ${result.pruned.length === 1 ? 'checkpoint' : 'checkpoints'} of plan ${result.planId} (keep ${result.keep}); ${result.remaining} remain`,
    );
    for (const c of result.pruned) this.say(`  #${c.seq} ${c.checkpointId}`);
    for (const ref of result.orphanedRefs) this.note(`could not delete ${ref}; savepoint gc removes it`);
    return result;
  }
}
