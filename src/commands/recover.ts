import * as Flags from '@oclif/core/flags';
import { SavepointCommand, waitFlag } from '../cli/base-command.js';
import { visible } from '../cli/render.js';
import type { RecoverReport } from '../ledger/recovery-service.js';

export default class Recover extends SavepointCommand<RecoverReport> {
  static override summary = 'Finish (or with --abort undo) operations that were interrupted on a sandbox.';

  static override description =
    `An operation whose process died (kill -9, crash, power loss) leaves an intent without outcome in the ledger; until it is resolved, every mutating command on that sandbox refuses with exit 7. recover inspects the world (is the safety checkpoint recorded, does the ref exist, does the row) and resolves each such operation, oldest first:

- rollback, correction revert, undo: first a new safety checkpoint of the sandbox as it is now (edits and new files saved since the interruption included; safetyCheckpointId), then forward finishes it (the files, index and HEAD of the rollback's target); --abort returns to its safety checkpoint, the state before the rollback, and puts back the files a --force rollback moved aside. savepoint undo afterwards returns to the new safety checkpoint. A rollback that died before its safety checkpoint was recorded had changed nothing: it is closed in both modes, with no new safety checkpoint.
- checkpoint create, plan create/apply/abandon, policy set, prune, gc: they never change sandbox files; recover removes refs no row owns and closes them (committed when their database change landed, else failed).

Afterwards the sandbox equals the operation's pre- or post-state, and the ledger records recovered: forward|abort (savepoint ops show).`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --abort --json',
    '<%= config.bin %> <%= command.id %> --dry-run',
  ];

  static override flags = {
    wait: waitFlag,
    plan: Flags.string({
      char: 'p',
      summary: "Recover this plan's sandbox (default: the worktree of the current directory).",
    }),
    abort: Flags.boolean({ summary: 'Return to the state before each operation instead of finishing it.' }),
    'dry-run': Flags.boolean({ summary: 'Say what would be done; change nothing.' }),
  };

  async run(): Promise<RecoverReport> {
    const { flags } = await this.parse(Recover);
    const savepoint = await this.open(flags);
    const request: Parameters<typeof savepoint.recovery.recover>[0] = {
      abort: flags.abort,
      dryRun: flags['dry-run'],
    };
    if (flags.plan !== undefined) request.planId = flags.plan;
    const report = await savepoint.recovery.recover(request);
    if (report.operations.length === 0) this.say(`Nothing to recover in ${visible(report.sandboxPath)}.`);
    for (const op of report.operations) {
      this.say(
        `${report.dryRun ? 'Would recover' : 'Recovered'} ${op.kind} ${op.opId} (${op.recovery}): ${visible(op.summary)}`,
      );
      this.say(`  sandbox ${report.dryRun ? 'would end' : 'is'} in the operation's ${op.endState}-state`);
      if (op.safetyCheckpointId !== null && op.planId !== null) {
        this.say(`  safety checkpoint ${op.safetyCheckpointId} holds the sandbox as recover found it`);
        this.say(`  undo with: ${this.config.bin} undo --plan ${op.planId} --yes`);
      }
      for (const ref of op.removedRefs) this.say(`  removed orphan ref ${ref}`);
    }
    return report;
  }
}
