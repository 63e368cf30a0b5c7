/**
 * The `sh` examples of docs/reference/cli.md run top to bottom as one script (as its
 * "Running the examples" section promises), with the built CLI as `savepoint`, in a fresh
 * repository, under `set -eo pipefail`: an example that stops working fails this test.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt, BIN } from './helpers/cli.js';
import { cleanGitEnv, makeRepo, tempDir } from './helpers/repo.js';

/** The bodies of the ```sh blocks of a Markdown file, in order. */
export function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
}

describe('docs/reference/cli.md examples', () => {
  it('run top to bottom as one script without an unexpected failure', () => {
    assertBuilt();
    const doc = readFileSync(path.resolve(import.meta.dirname, '../docs/reference/cli.md'), 'utf8');
    const blocks = shellBlocks(doc);
    expect(blocks.length).toBeGreaterThan(20);
    const bin = tempDir();
    const shim = path.join(bin, 'savepoint');
    writeFileSync(shim, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`);
    chmodSync(shim, 0o755);
    const repo = makeRepo({ 'README.md': 'hello\n' });
    const run = spawnSync('bash', ['-c', `set -eo pipefail\n${blocks.join('\n')}`], {
      cwd: repo,
      env: { ...cleanGitEnv(), PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, TMPDIR: tempDir() },
      encoding: 'utf8',
      timeout: 120_000,
    });
    // `plan create --worktree` made a sibling worktree; abandoning a plan leaves it.
    const parent = path.dirname(repo);
    for (const name of readdirSync(parent))
      if (name.startsWith(`${path.basename(repo)}.savepoint-`))
        rmSync(path.join(parent, name), { recursive: true, force: true });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
  }, 180_000);
});
