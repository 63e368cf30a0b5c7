import * as Flags from '@oclif/core/flags';
import type { CheckpointListFilter } from '../../checkpoint/list-filter.js';
import type { Checkpoint } from '../../checkpoint/model.js';
import { SavepointCommand } from '../../cli/base-command.js';
import { age, humanBytes, table } from '../../cli/render.js';

/** Rows the human table shows without `--limit`; `--json` is never cut. */
export const TABLE_DEFAULT_LIMIT = 100;

/** `--json` result of `checkpoint list`. */
export interface CheckpointListResult {
  planId: string;
  checkpoints: Checkpoint[];
}

export default class CheckpointList extends SavepointCommand<CheckpointListResult> {
  static override summary = 'List the checkpoints of a plan, oldest first.';

  static override description =
    `Filters combine (all must match) and run in the database query: --tool and --phase match metadata.tool and metadata.phase exactly; --since keeps checkpoints created at or after a moment, given as a duration back from now (30s, 90m, 24h, 7d, 2w) or an ISO-8601 date or date-time (2026-11-20, 2026-11-20T09:30:00Z); --limit N keeps the N most recent of the matching checkpoints, still listed oldest first.

Without --limit the table shows the ${TABLE_DEFAULT_LIMIT} most recent matching checkpoints and says on stderr how to see older ones; --json lists every match unless --limit is given.

The table shows each checkpoint's number, id, age, type (commit or patch), kind (initial, manual, safety, final), files changed since the previous checkpoint, new content size, and its reason, tool and phase.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y',
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --tool Edit --since 24h --limit 5 --json',
  ];

  static override flags = {
    plan: Flags.string({ char: 'p', summary: 'Plan id.', required: true }),
    tool: Flags.string({ summary: 'Only checkpoints taken for this tool.' }),
    phase: Flags.string({ summary: 'Only checkpoints taken in this phase.' }),
    since: Flags.string({
      summary: 'Only checkpoints created since: 90m, 24h, 7d, or an ISO-8601 date/time.',
    }),
    limit: Flags.integer({
      summary: 'Only the N most recent matching checkpoints (listed oldest first).',
      min: 1,
    }),
  };

  async run(): Promise<CheckpointListResult> {
    const { flags } = await this.parse(CheckpointList);
    const savepoint = await this.open(flags);
    const filter: CheckpointListFilter = {};
    if (flags.tool !== undefined) filter.tool = flags.tool;
    if (flags.phase !== undefined) filter.phase = flags.phase;
    if (flags.since !== undefined) filter.since = flags.since;
    if (flags.limit !== undefined) filter.limit = flags.limit;
    // The table reads at most one row more than it shows (indexed, newest first), so a plan with
    // thousands of checkpoints lists as fast as a short one; --json keeps its contract: every match.
    const capped = flags.limit === undefined && !this.jsonEnabled();
    if (capped) filter.limit = TABLE_DEFAULT_LIMIT + 1;
    let checkpoints = savepoint.checkpoints.list(flags.plan, filter);
    if (capped && checkpoints.length > TABLE_DEFAULT_LIMIT) {
      checkpoints = checkpoints.slice(-TABLE_DEFAULT_LIMIT);
      this.note(
        `Showing the ${TABLE_DEFAULT_LIMIT} most recent matching checkpoints; older ones exist (--limit N shows more, --json lists all).`,
      );
    }
    this.say(() =>
      table(
        ['#', 'CHECKPOINT', 'AGE', 'TYPE', 'KIND', 'FILES', 'SIZE', 'REASON / TOOL'],
        checkpoints.map((c) => [
          String(c.seq),
          c.checkpointId,
          age(c.createdAt),
          c.checkpointType,
          c.metadata.kind,
          c.filesChanged === null ? '-' : String(c.filesChanged),
          humanBytes(c.sizeBytes),
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
