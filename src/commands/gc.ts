import * as Flags from '@oclif/core/flags';
import type { GcResult } from '../checkpoint/retention-service.js';
import { SavepointCommand, waitFlag } from '../cli/base-command.js';

export default class Gc extends SavepointCommand<GcResult> {
  static override summary =
    'Remove refs under refs/savepoint/ that no checkpoint owns, and checkpoints whose plan is gone.';

  static override description =
    `Works on the repository of the current directory (or --cwd). First deletes checkpoint rows whose plan row no longer exists, then every ref under refs/savepoint/ that no checkpoint row owns (for example a ref whose deletion failed after pruning). A ref whose checkpoint id is less than 10 minutes old is left alone: a checkpoint being recorded right now writes its ref just before its row. The commits those refs kept alive become unreachable; git's own gc reclaims them.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> --json',
  ];

  static override flags = {
    wait: waitFlag,
    'dry-run': Flags.boolean({ summary: 'Report what would be removed; change nothing.' }),
  };

  async run(): Promise<GcResult> {
    const { flags } = await this.parse(Gc);
    const savepoint = await this.open(flags);
    const result = await savepoint.retention.gc({ dryRun: flags['dry-run'] });
    const verb = result.dryRun ? 'Would remove' : 'Removed';
    this.say(
      `${verb} ${result.removedRefs.length} unowned ${result.removedRefs.length === 1 ? 'ref' : 'refs'} and ${result.removedCheckpoints.length} ${result.removedCheckpoints.length === 1 ? 'checkpoint' : 'checkpoints'} whose plan is gone`,
    );
    for (const { ref } of result.removedRefs) this.say(`  ref ${ref}`);
    for (const c of result.removedCheckpoints) this.say(`  checkpoint ${c.checkpointId} (plan ${c.planId})`);
    for (const ref of result.recentRefs) this.note(`left ${ref}: too recent, may be being recorded`);
    return result;
  }
}
