/**
 * Assertions whose failure message carries the context (the command, its exit code and
 * output). cucumber-js prints node's AssertionError as a bare diff and drops the message,
 * which hides exactly what one needs to see when a run misbehaves.
 */
import { isDeepStrictEqual } from 'node:util';

/** Fails with `message` unless `condition` holds. */
export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Fails unless `actual` deep-equals `expected`; the message shows both and the context. */
export function expectEqual(actual: unknown, expected: unknown, context = ''): void {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Error(`expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual)}\n${context}`);
  }
}
