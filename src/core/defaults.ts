import { monotonicFactory } from 'ulid';
import type { Clock, IdGenerator } from './ports.js';

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date() };

/** ULIDs from the `ulid` package, monotonic within the process so ids sort by creation. */
export function ulidGenerator(): IdGenerator {
  const next = monotonicFactory();
  return { next: () => next() };
}
