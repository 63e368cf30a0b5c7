import { attemptFilter, attemptFilterFlags } from '../../cli/attempt-filter.js';
import { SavepointCommand } from '../../cli/base-command.js';
import { table } from '../../cli/render.js';
import type { AttemptStatsRow } from '../../exec/exec-service.js';

/** `--json` result of `attempts stats`. */
export interface AttemptStatsResult {
  stats: AttemptStatsRow[];
}

export default class AttemptsStats extends SavepointCommand<AttemptStatsResult> {
  static override summary = 'Count, mean and p95 elapsed time of the attempts, per tool and outcome.';

  static override description =
    'p95 is nearest-rank: the smallest elapsed time that at least 95 % of the attempts of the group do not exceed. Times are ms. Takes the same filters as attempts list.';

  static override examples = [
    '<%= config.bin %> <%= command.id %> --since 24h',
    '<%= config.bin %> <%= command.id %> --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --json',
  ];

  static override flags = attemptFilterFlags;

  async run(): Promise<AttemptStatsResult> {
    const { flags } = await this.parse(AttemptsStats);
    const savepoint = await this.open(flags);
    const stats = savepoint.attempts.stats(attemptFilter(flags));
    this.say(() =>
      table(
        ['TOOL', 'OUTCOME', 'COUNT', 'MEAN MS', 'P95 MS'],
        stats.map((s) => [s.tool, s.outcome, String(s.count), String(s.meanMs), String(s.p95Ms)]),
      ),
    );
    return { stats };
  }
}
