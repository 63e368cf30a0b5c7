import * as Flags from '@oclif/core/flags';
import { SavepointCommand, waitFlag } from '../cli/base-command.js';
import {
  confirmRollback,
  describeDone,
  describeRollback,
  rollbackChoices,
  rollbackFlags,
  skippedNotes,
} from '../cli/rollback-view.js';
import type { UndoPreview, UndoReport } from '../decision/correction-service.js';

function decisionLines(preview: UndoPreview): string[] {
  const lines: string[] = [];
  if (preview.reactivatedDecisionIds.length > 0)
    lines.push(`decisions active again: ${preview.reactivatedDecisionIds.join(', ')}`);
  if (preview.revertedDecisionIds.length > 0)
    lines.push(`decisions reverted again: ${preview.revertedDecisionIds.join(', ')}`);
  return lines;
}

export default class Undo extends SavepointCommand<UndoReport> {
  static override summary = "Undo the plan's latest rollback or correction (an undo of an undo redoes it).";

  static override description =
    `Rolls the plan's sandbox back to the safety checkpoint of its latest rollback (plan rollback, correction revert or undo, or a recover that rewrote files: then the state recover found), through the same rollback: same guards, its own safety checkpoint, the same report and confirmation rule (off a terminal --yes is required, exit 8 otherwise). Decisions the undone correction reverted become active again; decisions an undone undo re-activated are reverted again. Files the undone rollback moved aside with --force are put back where they were (returnedFromAside; one whose path something unsnapshotted has taken since stays aside, listed in leftAside with where it lies). Running undo twice therefore returns to where the first undo started.

Without --plan, the plan is the active plan of the sandbox containing the current directory (or --cwd). A plan that was never rolled back has nothing to undo (exit 4, NOTHING_TO_UNDO).`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --yes --json',
  ];

  static override flags = {
    wait: waitFlag,
    plan: Flags.string({ char: 'p', summary: 'Plan id (default: the active plan of the current sandbox).' }),
    ...rollbackFlags('the safety checkpoint'),
  };

  async run(): Promise<UndoReport> {
    const { flags } = await this.parse(Undo);
    const savepoint = await this.open(flags);
    const request: Parameters<typeof savepoint.undo>[0] = {
      ...rollbackChoices(flags),
      confirm: confirmRollback(
        flags.yes,
        (preview: UndoPreview) => [
          `Undoing the rollback to ${preview.undone.rollbackTarget} returns plan ${preview.planId} to its safety checkpoint ${preview.checkpointId} and will restore`,
          ...describeRollback(preview).map((line) => `  ${line}`),
          ...decisionLines(preview),
        ],
        'Undo now? (a safety checkpoint makes the undo undoable too)',
      ),
    };
    if (flags.plan !== undefined) request.planId = flags.plan;
    const report = await savepoint.undo(request);
    for (const line of skippedNotes(report.skippedPaths)) this.note(line);
    if (report.dryRun) {
      this.say(
        `Dry run: undoing the rollback to ${report.undone.rollbackTarget} would return plan ${report.planId} to checkpoint ${report.checkpointId} and restore`,
      );
      for (const line of describeRollback(report)) this.say(`  ${line}`);
      for (const line of decisionLines(report)) this.say(`  ${line}`);
      this.say('Nothing was changed.');
    } else {
      this.say(
        `Undid the rollback to ${report.undone.rollbackTarget}: plan ${report.planId} is back at checkpoint ${report.checkpointId}`,
      );
      for (const line of describeDone(report)) this.say(line);
      for (const line of decisionLines(report)) this.say(`  ${line}`);
      this.say(`  undo this undo with: ${this.config.bin} undo --plan ${report.planId} --yes`);
      this.say(`  took ${report.durationMs} ms`);
    }
    return report;
  }
}
