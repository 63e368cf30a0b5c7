/**
 * CLI start-up stays lean (DESIGN §8: "commands import heavy modules lazily"): which packages
 * a command loads, counted in a child process by module name (never by time, which a loaded
 * machine makes meaningless). Runs the built CLI: `npm run build` first.
 *
 * - zod validates every row read (schema validation is a library's job, even at ~95 modules),
 *   so a command that reads the store loads it; `--help` must not;
 * - cli-table3 draws human tables only;
 * - semver comes with `@oclif/core`'s package index (an engine check): commands import
 *   `@oclif/core/<subpath>` instead.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from './helpers/cli.js';
import { makeRepo, tempDir, writeFiles } from './helpers/repo.js';

const PRELOAD = path.resolve(import.meta.dirname, 'helpers/loaded-modules.mjs');

/** The packages (`node_modules/<name>`) a `savepoint <args>` run loads, with its exit status. */
async function packagesLoaded(
  cwd: string,
  args: string[],
): Promise<{ status: number | null; packages: Set<string> }> {
  const list = path.join(tempDir('savepoint-modules-'), 'modules.txt');
  const run = await runCli(cwd, args, {
    NODE_OPTIONS: `--import=${PRELOAD}`,
    SAVEPOINT_LOADED_MODULES: list,
  });
  const packages = new Set<string>();
  for (const file of readFileSync(list, 'utf8').split('\n')) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (match?.[1]) packages.add(match[1]);
  }
  return { status: run.status, packages };
}

describe('CLI start-up loads only what the command needs', () => {
  beforeAll(() => assertBuilt());

  it('checkpoint create --json and a --json listing load neither cli-table3 nor semver', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const created = await runCli(repo, ['plan', 'create', '--json']);
    expect(created.status).toBe(0);
    const { planId } = JSON.parse(created.stdout) as { planId: string };
    writeFiles(repo, { 'a.txt': 'changed\n' });

    for (const args of [
      ['checkpoint', 'create', '--plan', planId, '--json'],
      ['checkpoint', 'list', '--plan', planId, '--json'],
      ['plan', 'show', planId, '--json'],
    ]) {
      const { status, packages } = await packagesLoaded(repo, args);
      expect(status, args.join(' ')).toBe(0);
      // The command did run: it opened the store and git.
      expect(packages.has('better-sqlite3'), args.join(' ')).toBe(true);
      expect(
        [...packages].filter((name) => ['cli-table3', 'semver'].includes(name)),
        args.join(' '),
      ).toEqual([]);
    }
  });

  it('sees what it looks for: a human table loads cli-table3', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    expect((await runCli(repo, ['plan', 'create', '--json'])).status).toBe(0);
    const table = await packagesLoaded(repo, ['plan', 'list']);
    expect(table.status).toBe(0);
    expect(table.packages.has('cli-table3')).toBe(true);
  });

  it('--help loads no savepoint service: neither SQLite, git, nor zod', async () => {
    const { status, packages } = await packagesLoaded(tempDir(), ['--help']);
    expect(status).toBe(0);
    for (const heavy of ['better-sqlite3', 'simple-git', 'zod', 'semver'])
      expect(packages.has(heavy), heavy).toBe(false);
  });
});
