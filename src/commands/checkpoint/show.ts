import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import type { ComparedWith } from '../../checkpoint/diff-service.js';
import type { Checkpoint } from '../../checkpoint/model.js';
import { SavepointCommand } from '../../cli/base-command.js';
import { changeLetter, humanBytes, short, table } from '../../cli/render.js';
import type { DiffStatEntry } from '../../core/ports.js';

/** `--json` result of `checkpoint show`: the checkpoint, what it is compared with, and the stat/diff asked for. */
export type CheckpointShowResult = Checkpoint & {
  comparedWith: ComparedWith;
  stat?: DiffStatEntry[];
  /** The patch as UTF-8 text (bytes that are not UTF-8 become U+FFFD; human mode prints the exact bytes). */
  diff?: string;
};

export default class CheckpointShow extends SavepointCommand<CheckpointShowResult> {
  static override summary = 'Show one checkpoint: what it recorded and where it lives.';

  static override description =
    `--stat lists the paths the checkpoint changed since the previous checkpoint of its plan, with lines added and removed (binary files: no line counts); --diff prints that change as a patch. The previous checkpoint is the latest earlier one retention still holds; checkpoint #1 is compared with the plan's base commit (or the empty tree on an unborn branch). The patch is byte-exact: binary files as git binary patches, no textconv, no external diff, no colour, whatever the user's git configuration says. With --json, stat is [{path, change, added, removed, binary}] and diff is the patch as a string.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> 01JD3QA1B2C3D4E5F6G7H8J9K0 --json',
    '<%= config.bin %> <%= command.id %> 01JD3QA1B2C3D4E5F6G7H8J9K0 --stat',
    '<%= config.bin %> <%= command.id %> 01JD3QA1B2C3D4E5F6G7H8J9K0 --diff',
  ];

  static override args = { checkpoint: Args.string({ description: 'Checkpoint id.', required: true }) };

  static override flags = {
    stat: Flags.boolean({ summary: 'Per-path changed line counts since the previous checkpoint.' }),
    diff: Flags.boolean({ summary: 'The patch since the previous checkpoint.' }),
  };

  async run(): Promise<CheckpointShowResult> {
    const { args, flags } = await this.parse(CheckpointShow);
    const savepoint = await this.open(flags);
    const {
      checkpoint: c,
      comparedWith,
      stat,
      patch,
    } = await savepoint.diffs.changes(args.checkpoint, {
      stat: flags.stat,
      patch: flags.diff,
    });
    const against = comparedWith.checkpointId
      ? `#${comparedWith.seq} ${comparedWith.checkpointId}`
      : comparedWith.baseCommit
        ? `base commit ${short(comparedWith.baseCommit)}`
        : 'the empty tree';
    const rows: string[][] = [
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
      ['files changed', `${c.filesChanged ?? '-'} (since ${against})`],
      ['size', `${humanBytes(c.sizeBytes)}${c.sizeBytes === null ? '' : ` (${c.sizeBytes} bytes)`}`],
      ['reason', c.metadata.reason ?? ''],
      ['tool', c.metadata.tool ?? ''],
      ['phase', c.metadata.phase ?? ''],
      ['resource', c.resourceId ?? ''],
      ...Object.entries(c.metadata.meta ?? {}).map(([key, value]) => [`meta ${key}`, value]),
    ];
    this.say(() => table(['FIELD', 'VALUE'], rows));
    if (stat) {
      this.say('');
      this.say(() =>
        table(
          ['', 'PATH', '+', '-'],
          stat.map((e) => [
            changeLetter[e.change],
            e.path,
            e.binary ? 'bin' : String(e.added),
            e.binary ? 'bin' : String(e.removed),
          ]),
        ),
      );
      const added = stat.reduce((sum, e) => sum + e.added, 0);
      const removed = stat.reduce((sum, e) => sum + e.removed, 0);
      this.say(
        `${stat.length} ${stat.length === 1 ? 'path' : 'paths'} changed since ${against}, ${added} ${added === 1 ? 'line' : 'lines'} added, ${removed} removed`,
      );
    }
    if (patch && !this.jsonEnabled()) {
      this.say('');
      process.stdout.write(patch);
    }
    const result: CheckpointShowResult = { ...c, comparedWith };
    if (stat) result.stat = stat;
    if (patch) result.diff = patch.toString('utf8');
    return result;
  }
}
