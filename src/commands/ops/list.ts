import * as Flags from '@oclif/core/flags';
import { SavepointCommand } from '../../cli/base-command.js';
import { age, table } from '../../cli/render.js';
import { OPERATION_STATES } from '../../ledger/operation-state.js';
import type { OperationView } from '../../ledger/ops-service.js';

export default class OpsList extends SavepointCommand<{ operations: OperationView[] }> {
  static override summary = 'List the operation ledger: every mutating command, newest first.';

  static override description =
    `Each row is one operation: its intent was written before it changed anything, its outcome after. STATE is derived: running (no outcome, its process is alive), interrupted (no outcome, its process is gone: run savepoint recover), incomplete (failed after changing the sandbox: run savepoint recover), committed, failed, cancelled (stopped by Ctrl-C, SIGTERM or a sandbox changed since the preview before it changed anything), recovered (savepoint recover resolved it; see ops show for forward/abort).`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --state interrupted --json',
  ];

  static override flags = {
    plan: Flags.string({ char: 'p', summary: 'Only operations of this plan.' }),
    state: Flags.string({
      summary: 'Only operations in this state.',
      options: OPERATION_STATES,
    }),
    limit: Flags.integer({ summary: 'At most this many operations.', default: 50, min: 1 }),
  };

  async run(): Promise<{ operations: OperationView[] }> {
    const { flags } = await this.parse(OpsList);
    const savepoint = await this.open(flags);
    const filter: Parameters<typeof savepoint.ops.list>[0] = { limit: flags.limit };
    if (flags.plan !== undefined) filter.planId = flags.plan;
    if (flags.state !== undefined) filter.state = flags.state as OperationView['state'];
    const operations = savepoint.ops.list(filter);
    if (operations.length === 0) this.say('No operations.');
    else {
      this.say(() =>
        table(
          ['OPERATION', 'KIND', 'STATE', 'PLAN', 'STARTED', 'PID', 'ERROR'],
          operations.map((op) => [
            op.opId,
            op.kind,
            op.recovery ? `recovered (${op.recovery})` : op.state,
            op.planId ?? '',
            age(op.intentAt),
            String(op.pid),
            op.error?.code ?? '',
          ]),
        ),
      );
    }
    return { operations };
  }
}
