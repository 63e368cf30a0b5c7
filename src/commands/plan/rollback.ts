import * as Args from '@oclif/core/args';
import { SavepointCommand, waitFlag } from '../../cli/base-command.js';
import {
  confirmRollback,
  describeDone,
  describeRollback,
  rollbackChoices,
  rollbackFlags,
  skippedNotes,
} from '../../cli/rollback-view.js';
import type { RollbackReport } from '../../plan/rollback-service.js';

export default class PlanRollback extends SavepointCommand<RollbackReport> {
  static override summary = "Roll the plan's sandbox back to one of its checkpoints (undoable).";

  static override description =
    `Every guard runs before anything changes. Then savepoint takes a safety checkpoint of the current state (roll back to it to undo this rollback), rewrites only the paths that differ from the checkpoint, sets the index to the checkpoint's staged state and moves HEAD back to the checkpoint's commit. Ignored files are never touched; a checkpoint file that would overwrite an ignored file stops the rollback before any change (exit 4), unless --force moves that file aside into .git/savepoint/aside/<safety-checkpoint>/; rolling back to that safety checkpoint (savepoint undo) puts such files back. A symbolic link is never followed: a directory of the checkpoint that is now a link is replaced by the directory. Nested repositories are never entered, moved or overwritten. A git command that moves HEAD (git switch, git commit) after the rollback's scan stops it before any file changes (HEAD_CHANGED, exit 4).

Off a terminal, --yes is required (exit 8 otherwise). On a terminal the question is asked without holding the sandbox lock; if the sandbox changed before the rollback takes it, the new preview is shown and asked again. "n" exits 8, Ctrl-C 130, SIGTERM 143; nothing is changed. Preview with --dry-run.`;

  static override examples = [
    {
      description: 'Preview what a rollback would change',
      command:
        '<%= config.bin %> <%= command.id %> 01JD3Q6Z5K8M2N4P6R8T0V2X4Y 01JD3QA1B2C3D4E5F6G7H8J9K0 --dry-run',
    },
    {
      description: 'Roll back without asking, machine-readable',
      command:
        '<%= config.bin %> <%= command.id %> 01JD3Q6Z5K8M2N4P6R8T0V2X4Y 01JD3QA1B2C3D4E5F6G7H8J9K0 --yes --json',
    },
  ];

  static override args = {
    plan: Args.string({ description: 'Plan id.', required: true }),
    checkpoint: Args.string({ description: 'Checkpoint id (of this plan) to restore.', required: true }),
  };

  static override flags = {
    wait: waitFlag,
    ...rollbackFlags('the checkpoint'),
  };

  async run(): Promise<RollbackReport> {
    const { args, flags } = await this.parse(PlanRollback);
    const savepoint = await this.open(flags);
    const request: Parameters<typeof savepoint.rollbacks.rollback>[0] = {
      planId: args.plan,
      checkpointId: args.checkpoint,
      ...rollbackChoices(flags),
      confirm: confirmRollback(
        flags.yes,
        (preview) => [
          `Rolling back plan ${preview.planId} to checkpoint ${preview.checkpointId} will restore`,
          ...describeRollback(preview).map((line) => `  ${line}`),
        ],
        'Roll back now? (a safety checkpoint makes it undoable)',
      ),
    };
    const report = await savepoint.rollbacks.rollback(request);
    for (const line of skippedNotes(report.skippedPaths)) this.note(line);
    if (report.dryRun) {
      this.say(
        `Dry run: rolling back plan ${report.planId} to checkpoint ${report.checkpointId} would restore`,
      );
      for (const line of describeRollback(report)) this.say(`  ${line}`);
      this.say('Nothing was changed.');
    } else {
      this.say(`Rolled back plan ${report.planId} to checkpoint ${report.checkpointId}`);
      for (const line of describeDone(report)) this.say(line);
      this.say(
        `  undo with: ${this.config.bin} plan rollback ${report.planId} ${report.safetyCheckpointId} --yes`,
      );
      this.say(`  took ${report.durationMs} ms`);
    }
    return report;
  }
}
