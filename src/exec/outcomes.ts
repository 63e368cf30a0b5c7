/** How a finished attempt ended, without zod (the CLI's flag options load this; `model.ts` builds the zod enums from it). */
export const FINISHED_OUTCOMES = ['success', 'failed', 'timeout', 'rolled_back'] as const;

/** Every reported outcome: the finished ones, `running`, and `interrupted` (derived when read). */
export const ATTEMPT_OUTCOMES = [...FINISHED_OUTCOMES, 'running', 'interrupted'] as const;
