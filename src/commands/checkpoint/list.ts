import { Flags } from '@oclif/core';
import type { Checkpoint } from '../../checkpoint/model.js';
import { SavepointCommand } from '../../cli/base-command.js';
import { age, short, table } from '../../cli/render.js';

/** `--json` result of `checkpoint list`. */
export interface CheckpointListResult {
  planId: string;
  checkpoints: Checkpoint[];
}

export default class CheckpointList extends SavepointCommand<CheckpointListResult> {
  static override summary = 'List the checkpoints of a plan, oldest first.';

  static override examples = ['<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y'];

  static override flags = {
    plan: Flags.string({ char: 'p', summary: 'Plan id.', required: true }),
  };

  async run(): Promise<CheckpointListResult> {
    const { flags } = await this.parse(CheckpointList);
    const savepoint = await this.open(flags);
    const checkpoints = savepoint.checkpoints.list(flags.plan);
    this.say(
      table(
        ['#', 'CHECKPOINT', 'AGE', 'KIND', 'TREE', 'REASON / TOOL'],
        checkpoints.map((c) => [
          String(c.seq),
          c.checkpointId,
          age(c.createdAt),
          c.metadata.kind,
          short(c.treeSha),
          [
            c.metadata.reason,
            c.metadata.tool && `tool ${c.metadata.tool}`,
            c.metadata.phase && `phase ${c.metadata.phase}`,
          ]
            .filter(Boolean)
            .join(' · '),
        ]),
      ),
    );
    return { planId: flags.plan.toUpperCase(), checkpoints };
  }
}
