import { Flags } from '@oclif/core';
import { SavepointCommand } from '../../cli/base-command.js';
import { age, table } from '../../cli/render.js';
import type { Attempt } from '../../exec/model.js';

/** `--json` result of `attempts list`. */
export interface AttemptListResult {
  attempts: Attempt[];
}

/** The filter flags `attempts list` and `attempts stats` share. */
export const attemptFilterFlags = {
  plan: Flags.string({ char: 'p', summary: 'Only attempts of this plan.' }),
  tool: Flags.string({ summary: 'Only attempts of this tool.' }),
  outcome: Flags.string({
    summary: 'Only attempts with this outcome.',
    description:
      'running: the command runs now; interrupted: the savepoint process running it died before its end was recorded.',
    options: ['success', 'failed', 'timeout', 'rolled_back', 'running', 'interrupted'],
  }),
  since: Flags.string({ summary: 'Only attempts started since: 90m, 24h, 7d, or an ISO-8601 date/time.' }),
};

/** The library filter of the shared flags. */
export function attemptFilter(flags: {
  plan?: string | undefined;
  tool?: string | undefined;
  outcome?: string | undefined;
  since?: string | undefined;
}) {
  const filter: { planId?: string; tool?: string; outcome?: string; since?: string } = {};
  if (flags.plan !== undefined) filter.planId = flags.plan;
  if (flags.tool !== undefined) filter.tool = flags.tool;
  if (flags.outcome !== undefined) filter.outcome = flags.outcome;
  if (flags.since !== undefined) filter.since = flags.since;
  return filter;
}

export default class AttemptsList extends SavepointCommand<AttemptListResult> {
  static override summary = 'List the attempts recorded by savepoint exec, oldest first.';

  static override description =
    'Filters combine (all must match). --since keeps attempts started at or after a moment, given as a duration back from now (30s, 90m, 24h, 7d, 2w) or an ISO-8601 date or date-time.';

  static override examples = [
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y',
    '<%= config.bin %> <%= command.id %> --tool Bash --outcome rolled_back --since 24h --json',
  ];

  static override flags = attemptFilterFlags;

  async run(): Promise<AttemptListResult> {
    const { flags } = await this.parse(AttemptsList);
    const savepoint = await this.open(flags);
    const attempts = savepoint.attempts.list(attemptFilter(flags));
    this.say(
      table(
        ['ATTEMPT', 'AGE', 'TOOL', 'OUTCOME', 'EXIT', 'ELAPSED', 'COMMAND'],
        attempts.map((a) => [
          a.attemptId,
          age(a.startedAt),
          a.tool,
          a.outcome,
          a.exitCode === null ? (a.signal ?? '-') : String(a.exitCode),
          a.elapsedMs === null ? '-' : `${a.elapsedMs} ms`,
          a.argv.join(' ').slice(0, 60),
        ]),
      ),
    );
    return { attempts };
  }
}
