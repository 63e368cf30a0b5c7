import * as Args from '@oclif/core/args';
import { SavepointCommand } from '../../cli/base-command.js';
import { visible } from '../../cli/render.js';
import type { OperationView } from '../../ledger/ops-service.js';

export default class OpsShow extends SavepointCommand<OperationView> {
  static override summary =
    'Show one operation of the ledger: what ran, by which pid and host, when, with what result.';

  static override examples = ['<%= config.bin %> <%= command.id %> 01JD3QB7Y8Z9A0B1C2D3E4F5G6 --json'];

  static override args = { operation: Args.string({ description: 'Operation id.', required: true }) };

  async run(): Promise<OperationView> {
    const { args, flags } = await this.parse(OpsShow);
    const savepoint = await this.open(flags);
    const op = savepoint.ops.show(args.operation);
    const lines: Array<[string, string]> = [
      ['operation', op.opId],
      ['kind', op.kind],
      ['state', op.state],
      ['plan', op.planId ?? '-'],
      ['sandbox', op.sandboxPath],
      ['process', `pid ${op.pid} on ${op.hostname}`],
      ['intent', op.intentAt],
      ['outcome', op.outcomeAt ? `${op.outcomeAt} (${op.status})` : '-'],
      ['args', JSON.stringify(op.args)],
      ['progress', JSON.stringify(op.progress)],
      ['result', op.result === null ? '-' : JSON.stringify(op.result)],
      ['error', op.error ? `[${op.error.code}] ${op.error.message}` : '-'],
      ['recovery', op.recovery ? `${op.recovery} at ${op.recoveredAt} by ${op.recoveredBy}` : '-'],
    ];
    for (const [key, value] of lines) this.say(`${key.padEnd(10)} ${visible(value)}`);
    return op;
  }
}
