/**
 * Running the binary and checking what it printed: exit codes, the error contract in both
 * output modes, stdout/stderr, and the `--json` result.
 */
import { isDeepStrictEqual } from 'node:util';
import { type DataTable, Then, When } from '@cucumber/cucumber';
import { expect, expectEqual } from '../support/expect.js';
import type { SavepointWorld } from '../support/world.js';

// `When I run "savepoint plan list"`, optionally `in "<tmp>/elsewhere"` (the working
// directory), optionally `with --json` / `in human mode` (a Scenario Outline's <output>).
When(
  /^I run "([^"]*)"(?: in "([^"]*)")?(?: (with --json|in human mode))?$/,
  function (this: SavepointWorld, command: string, cwd: string | undefined, mode: string | undefined) {
    if (mode === 'in human mode' && /(^|\s)--json(\s|$)/.test(command)) {
      throw new Error(`"${command}" has --json but the step says human mode`);
    }
    this.run(mode === 'with --json' ? `${command} --json` : command, cwd ?? this.cwd);
  },
);

Then('the exit code is {int}', function (this: SavepointWorld, code: number) {
  const run = this.last();
  run.exitCodeAsserted = true;
  expectEqual(run.exitCode, code, `expected exit code ${code}\n${this.describeRun(run)}`);
});

Then('the run succeeds', function (this: SavepointWorld) {
  const run = this.last();
  run.exitCodeAsserted = true;
  expectEqual(run.exitCode, 0, `expected success\n${this.describeRun(run)}`);
  if (run.jsonMode) expectEqual(run.jsonError, undefined, `${run.jsonError}\n${this.describeRun(run)}`);
});

/**
 * The error contract (DESIGN §5b), in whichever mode the run used. Human: the message with
 * its code on stderr, nothing on stdout. `--json`: only the envelope
 * `{"error":{"code","message","exitCode","details"}}` on stdout.
 */
Then(
  'it fails with exit code {int} and error code {string}',
  function (this: SavepointWorld, exitCode: number, code: string) {
    const run = this.last();
    run.exitCodeAsserted = true;
    const context = this.describeRun(run);
    expectEqual(run.exitCode, exitCode, `expected exit code ${exitCode}\n${context}`);
    if (run.jsonMode) {
      expectEqual(run.jsonError, undefined, `${run.jsonError}\n${context}`);
      const envelope = run.json as { error?: Record<string, unknown> };
      expectEqual(Object.keys(envelope), ['error'], `stdout must hold only {"error": …}\n${context}`);
      const error = envelope.error ?? {};
      expectEqual(error.code, code, context);
      expectEqual(error.exitCode, exitCode, context);
      expect(
        typeof error.message === 'string' && error.message.length > 0,
        `error.message missing\n${context}`,
      );
      expect(
        typeof error.details === 'object' && error.details !== null && !Array.isArray(error.details),
        `error.details must be an object\n${context}`,
      );
    } else {
      expectEqual(run.stdout, '', `stdout must be empty on failure\n${context}`);
      expect(run.stderr.includes(`[${code}]`), `stderr must name the code ${code}\n${context}`);
    }
  },
);

Then('the error message contains {string}', function (this: SavepointWorld, text: string) {
  const run = this.last();
  const expected = this.expand(text);
  const message = run.jsonMode
    ? String((run.json as { error?: { message?: unknown } } | undefined)?.error?.message)
    : run.stderr;
  expect(
    message.includes(expected),
    `expected the error message to contain ${JSON.stringify(expected)}\n${this.describeRun(run)}`,
  );
});

Then('the error details {string} is {string}', function (this: SavepointWorld, key: string, value: string) {
  const run = this.last();
  expect(run.jsonMode, 'error details are only visible with --json');
  const details = (run.json as { error?: { details?: Record<string, unknown> } }).error?.details ?? {};
  expectEqual(details[key], this.expand(value), this.describeRun(run));
});

Then('stdout is empty', function (this: SavepointWorld) {
  expectEqual(this.last().stdout, '', this.describeRun());
});

Then('stderr is empty', function (this: SavepointWorld) {
  expectEqual(this.last().stderr, '', this.describeRun());
});

Then('stdout contains {string}', function (this: SavepointWorld, text: string) {
  const expected = this.expand(text);
  expect(
    this.last().stdout.includes(expected),
    `stdout should contain ${JSON.stringify(expected)}\n${this.describeRun()}`,
  );
});

Then('stdout does not contain {string}', function (this: SavepointWorld, text: string) {
  const unexpected = this.expand(text);
  expect(
    !this.last().stdout.includes(unexpected),
    `stdout should not contain ${JSON.stringify(unexpected)}\n${this.describeRun()}`,
  );
});

Then('stderr contains {string}', function (this: SavepointWorld, text: string) {
  const expected = this.expand(text);
  expect(
    this.last().stderr.includes(expected),
    `stderr should contain ${JSON.stringify(expected)}\n${this.describeRun()}`,
  );
});

Then('stdout matches {string}', function (this: SavepointWorld, pattern: string) {
  expect(
    new RegExp(pattern, 'm').test(this.last().stdout),
    `stdout should match /${pattern}/\n${this.describeRun()}`,
  );
});

// ---------------------------------------------------------------------------------- JSON

/** The value at `a.b[0].c` of the last run's JSON ('' is the whole document). */
function jsonAt(world: SavepointWorld, where: string): unknown {
  const run = world.last();
  expect(run.jsonMode, `the last run had no --json\n${world.describeRun(run)}`);
  expectEqual(run.jsonError, undefined, `${run.jsonError}\n${world.describeRun(run)}`);
  let value: unknown = run.json;
  for (const part of where.match(/[^.[\]]+|\[\d+\]/g) ?? []) {
    const key = part.startsWith('[') ? Number(part.slice(1, -1)) : part;
    if (value === null || typeof value !== 'object' || !(key in (value as object))) {
      throw new Error(`the JSON has nothing at "${where}" (stopped at "${part}")\n${world.describeRun(run)}`);
    }
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

/** A JSON literal from a step, with placeholders expanded. */
function literal(world: SavepointWorld, text: string): unknown {
  try {
    return JSON.parse(world.expand(text));
  } catch {
    throw new Error(`not a JSON literal: ${text} (quote strings: "active")`);
  }
}

Then(
  /^the JSON "([^"]*)" is (?!not |an? )(.+)$/,
  function (this: SavepointWorld, where: string, expected: string) {
    expectEqual(jsonAt(this, where), literal(this, expected), `JSON "${where}"\n${this.describeRun()}`);
  },
);

Then(/^the JSON "([^"]*)" is not (.+)$/, function (this: SavepointWorld, where: string, unexpected: string) {
  const actual = jsonAt(this, where);
  expect(
    !isDeepStrictEqual(actual, literal(this, unexpected)),
    `JSON "${where}" should not be ${unexpected}\n${this.describeRun()}`,
  );
});

const KINDS: Record<string, (value: unknown) => boolean> = {
  ULID: (v) => typeof v === 'string' && /^[0-9A-HJKMNP-TV-Z]{26}$/.test(v),
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  'ISO timestamp': (v) =>
    typeof v === 'string' && !Number.isNaN(Date.parse(v)) && /^\d{4}-\d\d-\d\dT/.test(v),
  'git object id': (v) => typeof v === 'string' && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(v),
};

Then(
  /^the JSON "([^"]*)" is an? (ULID|number|ISO timestamp|git object id)$/,
  function (this: SavepointWorld, where: string, kind: string) {
    const value = jsonAt(this, where);
    expect(KINDS[kind]?.(value), `JSON "${where}" should be a ${kind}, is ${JSON.stringify(value)}`);
  },
);

function assertKeys(world: SavepointWorld, where: string, keys: string): void {
  const value = jsonAt(world, where);
  expect(value !== null && typeof value === 'object', `JSON "${where}" should be an object`);
  for (const key of keys.split(',').map((k) => k.trim())) {
    expect(key in value, `JSON "${where || '(result)'}" lacks the key "${key}"\n${world.describeRun()}`);
  }
}

Then('the JSON has the keys {string}', function (this: SavepointWorld, keys: string) {
  assertKeys(this, '', keys);
});

Then('the JSON {string} has the keys {string}', function (this: SavepointWorld, where: string, keys: string) {
  assertKeys(this, where, keys);
});

Then(/^the JSON "([^"]*)" has (\d+) items?$/, function (this: SavepointWorld, where: string, count: string) {
  const value = jsonAt(this, where);
  expect(Array.isArray(value), `JSON "${where}" should be a list`);
  expectEqual(value.length, Number(count), `JSON "${where}": ${JSON.stringify(value)}`);
});

// `the JSON "checkpoints" lists "seq" as [1, 2, 3]`: one field of every item, in order.
Then(
  /^the JSON "([^"]*)" lists "([^"]*)" as (.+)$/,
  function (this: SavepointWorld, where: string, field: string, expected: string) {
    const value = jsonAt(this, where);
    expect(Array.isArray(value), `JSON "${where}" should be a list`);
    const actual = value.map((item) => (item as Record<string, unknown>)[field]);
    expectEqual(actual, literal(this, expected), `JSON "${where}"[*].${field}`);
  },
);

// The changed paths of a rollback report, in any order.
Then(
  'the JSON {string} lists these changes:',
  function (this: SavepointWorld, where: string, table: DataTable) {
    const value = jsonAt(this, where);
    expect(Array.isArray(value), `JSON "${where}" should be a list`);
    const sort = (rows: { path: string; change: string }[]) =>
      [...rows].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const actual = (value as Record<string, unknown>[]).map((item) => ({
      path: String(item.path),
      change: String(item.change),
    }));
    const expected = table
      .hashes()
      .map((row) => ({ path: this.expand(row.path ?? ''), change: row.change ?? '' }));
    expectEqual(sort(actual), sort(expected), `JSON "${where}"\n${this.describeRun()}`);
  },
);
