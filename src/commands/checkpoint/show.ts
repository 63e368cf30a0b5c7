import { Args } from '@oclif/core';
import type { Checkpoint } from '../../checkpoint/model.js';
import { SavepointCommand } from '../../cli/base-command.js';
import { table } from '../../cli/render.js';

export default class CheckpointShow extends SavepointCommand<Checkpoint> {
  static override summary = 'Show one checkpoint: what it recorded and where it lives.';

  static override examples = ['<%= config.bin %> <%= command.id %> 01JD3QA1B2C3D4E5F6G7H8J9K0 --json'];

  static override args = { checkpoint: Args.string({ description: 'Checkpoint id.', required: true }) };

  async run(): Promise<Checkpoint> {
    const { args, flags } = await this.parse(CheckpointShow);
    const savepoint = await this.open(flags);
    const c = savepoint.checkpoints.get(args.checkpoint);
    this.say(
      table(
        ['FIELD', 'VALUE'],
        [
          ['checkpoint', c.checkpointId],
          ['plan', `${c.planId} (#${c.seq})`],
          ['kind', c.metadata.kind],
          ['created', c.createdAt],
          ['type', c.checkpointType],
          ['ref', c.sandboxRef ?? ''],
          ['commit', c.commitSha ?? ''],
          ['worktree tree', c.treeSha],
          ['index tree', c.indexTreeSha],
          ['HEAD', `${c.headRef ?? '(detached)'} ${c.headSha ?? '(no commit yet)'}`],
          ['sandbox', c.filesystemPath],
          ['reason', c.metadata.reason ?? ''],
          ['tool', c.metadata.tool ?? ''],
          ['phase', c.metadata.phase ?? ''],
        ],
      ),
    );
    return c;
  }
}
