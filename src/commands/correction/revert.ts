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
import type { CorrectionPreview, CorrectionReport } from '../../decision/correction-service.js';

function revertedLines(preview: CorrectionPreview): string[] {
  return [`decisions reverted: ${preview.revertedDecisionIds.join(', ')}`];
}

export default class CorrectionRevert extends SavepointCommand<CorrectionReport> {
  static override summary =
    'Revert a decision: roll the sandbox back to its checkpoint and mark it and every later decision reverted.';

  static override description =
    `The rollback is the same as savepoint plan rollback to the decision's checkpoint: the same guards before anything changes, the same safety checkpoint, the same report, the same confirmation rule (off a terminal --yes is required, exit 8 otherwise). Then the decision and every later active decision of the plan are marked reverted, their revertedBy naming the safety checkpoint. savepoint undo returns the sandbox to that safety checkpoint and makes those decisions active again.

A decision that is already reverted is refused (exit 4, DECISION_NOT_ACTIVE). Preview with --dry-run.`;

  static override examples = [
    {
      description: 'Preview what reverting a decision would restore and revert',
      command: '<%= config.bin %> <%= command.id %> 01JD3QC7D8E9F0G1H2J3K4M5N6 --dry-run',
    },
    {
      description: 'Revert without asking, machine-readable',
      command: '<%= config.bin %> <%= command.id %> 01JD3QC7D8E9F0G1H2J3K4M5N6 --yes --json',
    },
  ];

  static override args = {
    decision: Args.string({ description: 'Decision id.', required: true }),
  };

  static override flags = {
    wait: waitFlag,
    ...rollbackFlags('the checkpoint'),
  };

  async run(): Promise<CorrectionReport> {
    const { args, flags } = await this.parse(CorrectionRevert);
    const savepoint = await this.open(flags);
    const request: Parameters<typeof savepoint.corrections.revert>[0] = {
      decisionId: args.decision,
      ...rollbackChoices(flags),
      confirm: confirmRollback(
        flags.yes,
        (preview: CorrectionPreview) => [
          `Reverting decision ${preview.decisionId} rolls plan ${preview.planId} back to checkpoint ${preview.checkpointId} and will restore`,
          ...describeRollback(preview).map((line) => `  ${line}`),
          ...revertedLines(preview),
        ],
        'Revert now? (a safety checkpoint makes it undoable)',
      ),
    };
    const report = await savepoint.corrections.revert(request);
    for (const line of skippedNotes(report.skippedPaths)) this.note(line);
    if (report.dryRun) {
      this.say(
        `Dry run: reverting decision ${report.decisionId} would roll plan ${report.planId} back to checkpoint ${report.checkpointId} and restore`,
      );
      for (const line of describeRollback(report)) this.say(`  ${line}`);
      this.say(`  ${revertedLines(report).join('')}`);
      this.say('Nothing was changed.');
    } else {
      this.say(
        `Reverted decision ${report.decisionId}: rolled plan ${report.planId} back to checkpoint ${report.checkpointId}`,
      );
      for (const line of describeDone(report)) this.say(line);
      this.say(`  ${revertedLines(report).join('')}`);
      this.say(`  undo with: ${this.config.bin} undo --plan ${report.planId} --yes`);
      this.say(`  took ${report.durationMs} ms`);
    }
    return report;
  }
}
