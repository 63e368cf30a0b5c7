/**
 * The filter flags `attempts list` and `attempts stats` share (`--plan`, `--tool`, `--outcome`,
 * `--since`) and the library filter they make.
 */
import * as Flags from '@oclif/core/flags';
import { ATTEMPT_OUTCOMES } from '../exec/outcomes.js';

/** The filter flags `attempts list` and `attempts stats` share. */
export const attemptFilterFlags = {
  plan: Flags.string({ char: 'p', summary: 'Only attempts of this plan.' }),
  tool: Flags.string({ summary: 'Only attempts of this tool.' }),
  outcome: Flags.string({
    summary: 'Only attempts with this outcome.',
    description:
      'running: the command runs now; interrupted: the savepoint process running it died before its end was recorded.',
    options: [...ATTEMPT_OUTCOMES],
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
