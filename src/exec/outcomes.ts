/** The outcomes of an attempt, without zod (the services and the CLI load this; `model.ts` builds `AttemptOutcome` from it). */
export const ATTEMPT_OUTCOMES = ['success', 'failed', 'timeout', 'rolled_back'] as const;
