import * as Args from '@oclif/core/args';
import type { CheckpointComparison } from '../../checkpoint/diff-service.js';
import { SavepointCommand } from '../../cli/base-command.js';
import { changeLetter, visible } from '../../cli/render.js';

export default class CheckpointDiff extends SavepointCommand<CheckpointComparison> {
  static override summary =
    'Name the paths that differ between two checkpoints, or between a checkpoint and the sandbox now.';

  static override description =
    `Both checkpoints must belong to the same plan (else CHECKPOINT_NOT_IN_PLAN, exit 4). Without <to>, the plan's sandbox is scanned the way rollback scans it (worktree, index and HEAD are not touched) and compared with <from>: what a rollback to <from> would change, seen from <from>. Changes are "added" (only in <to>), "deleted" (only in <from>) or "modified" (content, mode or type), one per path, no rename detection.

--json result: {planId, from, to, changes: [{path, change}], counts: {added, modified, deleted, total}}, where to is a checkpoint id or "sandbox".`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> 01JD3QA1B2C3D4E5F6G7H8J9K0 01JD3QB7Y8Z9A0B1C2D3E4F5G6',
    '<%= config.bin %> <%= command.id %> 01JD3QA1B2C3D4E5F6G7H8J9K0 --json',
  ];

  static override args = {
    from: Args.string({ description: 'Checkpoint id to compare from.', required: true }),
    to: Args.string({ description: 'Checkpoint id to compare to (default: the sandbox as it is now).' }),
  };

  async run(): Promise<CheckpointComparison> {
    const { args, flags } = await this.parse(CheckpointDiff);
    const savepoint = await this.open(flags);
    const result = await savepoint.diffs.compare(args.from, args.to);
    for (const { path, change } of result.changes) this.say(`${changeLetter[change]}\t${visible(path)}`);
    const { added, modified, deleted, total } = result.counts;
    this.say(
      `${total} ${total === 1 ? 'path differs' : 'paths differ'} from ${result.from} to ${result.to}: ${added} added, ${modified} modified, ${deleted} deleted`,
    );
    return result;
  }
}
