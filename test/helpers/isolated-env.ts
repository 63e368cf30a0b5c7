/**
 * Removes variables from this test process's environment that simple-git refuses to pass
 * to git (EDITOR, PAGER, PREFIX, SSH_ASKPASS: `npx` sets EDITOR, many shells set PAGER).
 * savepoint's runner copies process.env at its first git call, so this module must be
 * imported before any savepoint call; test/helpers/savepoint.ts imports it.
 *
 * This works around a savepoint bug rather than hiding a test's intent: see the skipped
 * test in test/git-env.test.ts, which fails while the runner still passes these through.
 */
export const SIMPLE_GIT_BLOCKED_ENV = ['EDITOR', 'PAGER', 'PREFIX', 'SSH_ASKPASS'] as const;

for (const key of Object.keys(process.env)) {
  if ((SIMPLE_GIT_BLOCKED_ENV as readonly string[]).includes(key.toUpperCase())) delete process.env[key];
}
