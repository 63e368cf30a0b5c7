/** Limits of decisions, without zod (the services load this; `model.ts` re-exports it). */

/** Longest decision summary savepoint stores, in characters. */
export const MAX_SUMMARY_LENGTH = 4096;
