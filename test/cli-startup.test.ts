/**
 * CLI start-up stays lean (DESIGN §8: "commands import heavy modules lazily"): which packages
 * a command loads, counted in a child process by module name (never by time, which a loaded
 * machine makes meaningless). Runs the built CLI: `npm run build` first.
 *
 * The CLI runs from an esbuild bundle (scripts/bundle.mjs, `dist/bundle/`): a package counts as
 * loaded when a file of it in node_modules loads, or a bundle file holding its code
 * (esbuild's metafile, `dist/bundle/meta.json`, says which).
 *
 * - zod validates every row read (schema validation is a library's job, even at ~95 modules),
 *   so a command that reads the store loads it; `--help` must not;
 * - cli-table3 draws human tables only;
 * - semver comes with `@oclif/core`'s package index (an engine check): commands import
 *   `@oclif/core/<subpath>` instead.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/commands.js';
import { assertBuilt, runCli } from './helpers/cli.js';
import { makeRepo, tempDir, writeFiles } from './helpers/repo.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const PRELOAD = path.resolve(import.meta.dirname, 'helpers/loaded-modules.mjs');

/** The package of a `node_modules/<name>/…` path, else undefined. */
function packageOf(file: string): string | undefined {
  return /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1];
}

/** The packages each bundle file (`dist/bundle/…`, absolute path) holds code of, from the metafile. */
function bundledPackages(): Map<string, Set<string>> {
  const meta = JSON.parse(readFileSync(path.join(ROOT, 'dist/bundle/meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
  };
  const byFile = new Map<string, Set<string>>();
  for (const [output, { inputs }] of Object.entries(meta.outputs)) {
    const packages = new Set<string>();
    for (const [input, { bytesInOutput }] of Object.entries(inputs)) {
      const name = packageOf(input);
      if (name && bytesInOutput > 0) packages.add(name);
    }
    byFile.set(path.resolve(ROOT, output), packages);
  }
  return byFile;
}

/**
 * What a `savepoint <args>` run loads: its exit status, the packages (from node_modules or
 * from the bundle), and the files it read from node_modules.
 */
async function packagesLoaded(
  cwd: string,
  args: string[],
): Promise<{ status: number | null; packages: Set<string>; fromNodeModules: Set<string> }> {
  const list = path.join(tempDir('savepoint-modules-'), 'modules.txt');
  const run = await runCli(cwd, args, {
    NODE_OPTIONS: `--import=${PRELOAD}`,
    SAVEPOINT_LOADED_MODULES: list,
  });
  const bundled = bundledPackages();
  const packages = new Set<string>();
  const fromNodeModules = new Set<string>();
  for (const file of readFileSync(list, 'utf8').split('\n')) {
    const name = packageOf(file);
    if (name) {
      packages.add(name);
      fromNodeModules.add(name);
    }
    for (const held of bundled.get(file) ?? []) packages.add(held);
  }
  return { status: run.status, packages, fromNodeModules };
}

/** A repository with an active plan (made by the CLI) and a change since its first checkpoint. */
async function planWithAChange(): Promise<{ repo: string; planId: string }> {
  const repo = makeRepo({ 'a.txt': 'a\n' });
  const created = await runCli(repo, ['plan', 'create', '--json']);
  expect(created.status).toBe(0);
  const { planId } = JSON.parse(created.stdout) as { planId: string };
  writeFiles(repo, { 'a.txt': 'changed\n' });
  return { repo, planId };
}

describe('CLI start-up loads only what the command needs', () => {
  beforeAll(() => assertBuilt());

  it('checkpoint create --json and a --json listing load neither cli-table3 nor semver', async () => {
    const { repo, planId } = await planWithAChange();

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

  it('runs from the bundle: checkpoint create reads only better-sqlite3 from node_modules', async () => {
    const { repo, planId } = await planWithAChange();
    const run = await packagesLoaded(repo, ['checkpoint', 'create', '--plan', planId, '--json']);
    expect(run.status).toBe(0);
    // better-sqlite3 is a native addon (external to the bundle); bindings and
    // file-uri-to-path are how it finds its .node file.
    expect([...run.fromNodeModules].sort()).toEqual(['better-sqlite3', 'bindings', 'file-uri-to-path']);
    // …while oclif, zod and simple-git ran, from the bundle.
    for (const name of ['@oclif/core', 'zod', 'simple-git']) expect(run.packages.has(name), name).toBe(true);
  });

  it('the bundle lists every command: src/commands/<topic>/<name>.ts is the command <topic>:<name>', () => {
    const commandsDir = path.join(ROOT, 'src/commands');
    const ids = readdirSync(commandsDir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => file.replace(/\.ts$/, '').split(path.sep).join(':'))
      .sort();
    expect(Object.keys(COMMANDS).sort()).toEqual(ids);
    for (const [id, command] of Object.entries(COMMANDS)) {
      const file = path.join(commandsDir, `${id.split(':').join('/')}.ts`);
      expect(readFileSync(file, 'utf8'), id).toContain(`export default class ${command.name} `);
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
