/**
 * `checkpoint list` filters as plain data: which checkpoints of a plan to show. Pure: the
 * clock is a parameter.
 */
import { UsageError } from '../core/errors.js';

/** What a caller asks of `checkpoints.list`. */
export interface CheckpointListFilter {
  /** Only checkpoints whose `metadata.tool` is exactly this. */
  tool?: string;
  /** Only checkpoints whose `metadata.phase` is exactly this. */
  phase?: string;
  /** Only checkpoints created at or after this: a duration back from now (`90m`, `24h`, `7d`) or an ISO-8601 date or time. */
  since?: string;
  /** Only the `limit` most recent of the matching checkpoints (still listed oldest first). */
  limit?: number;
}

/** The same filter, resolved for the store: `since` as an ISO-8601 UTC instant. */
export interface CheckpointQuery {
  tool?: string;
  phase?: string;
  /** `createdAt >= since`; ISO-8601 UTC as `Date.toISOString()` writes it, so text order is time order. */
  since?: string;
  limit?: number;
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/**
 * Resolves `--since`: `<n><unit>` with unit `s`, `m`, `h`, `d` or `w` counts back from `now`;
 * otherwise an ISO-8601 date (`2026-11-20`, midnight UTC) or date-time (`2026-11-20T10:00:00Z`;
 * without an offset, local time as `Date.parse` reads it).
 *
 * @returns the instant as ISO-8601 UTC
 * @throws {UsageError} `USAGE` (exit 2) for anything else
 */
export function resolveSince(text: string, now: Date): string {
  const duration = /^(\d{1,9})([smhdw])$/.exec(text.trim());
  if (duration) {
    const [, amount, unit] = duration as unknown as [string, string, keyof typeof UNIT_MS];
    return new Date(now.getTime() - Number(amount) * UNIT_MS[unit]).toISOString();
  }
  const iso = /^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/;
  const at = iso.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
  if (Number.isNaN(at)) {
    throw new UsageError(
      `--since must be a duration like 90m, 24h or 7d, or an ISO-8601 date or time, got "${text}"`,
      { details: { since: text } },
    );
  }
  return new Date(at).toISOString();
}

/**
 * Checks and resolves a list filter against `now`.
 *
 * @throws {UsageError} `USAGE` (exit 2): bad `since`, or `limit` not a positive whole number
 */
export function resolveListFilter(filter: CheckpointListFilter, now: Date): CheckpointQuery {
  const query: CheckpointQuery = {};
  if (filter.tool !== undefined) query.tool = filter.tool;
  if (filter.phase !== undefined) query.phase = filter.phase;
  if (filter.since !== undefined) query.since = resolveSince(filter.since, now);
  if (filter.limit !== undefined) {
    if (!Number.isSafeInteger(filter.limit) || filter.limit < 1) {
      throw new UsageError(`--limit must be a whole number of at least 1, got ${filter.limit}`, {
        details: { limit: filter.limit },
      });
    }
    query.limit = filter.limit;
  }
  return query;
}
