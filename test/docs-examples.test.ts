/**
 * The `sh` examples of docs/reference/cli.md run top to bottom as one script (as its
 * "Running the examples" section promises), with the built CLI as `savepoint`, in a fresh
 * repository, under `set -eo pipefail`: an example that stops working fails this test.
 * The complete programs of docs/reference/api.md run with tsx against the built package
 * (imported as `savepoint`) and print what the page shows, ids, timings and paths aside.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt, BIN } from './helpers/cli.js';
import { cleanGitEnv, makeRepo, tempDir } from './helpers/repo.js';

/** The bodies of the ```sh blocks of a Markdown file, in order. */
function shellBlocks(markdown: string): string[] {
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

/** Output with what varies between runs replaced: ULIDs, millisecond figures, temp paths, line breaks. */
function normalized(output: string): string {
  return output
    .replace(/[0-9A-HJKMNP-TV-Z]{26}/g, '<id>')
    .replace(/\d+ ms/g, '<n> ms')
    .replace(/\/tmp\/savepoint-api-\w+/g, '<repo>')
    .replace(/\s+/g, ' ')
    .trim();
}

describe('docs/reference/api.md examples', () => {
  const root = path.resolve(import.meta.dirname, '..');
  const doc = readFileSync(path.join(root, 'docs/reference/api.md'), 'utf8');
  // A complete program (it makes its own repository), then "Output …:", then the output block.
  const programs = [...doc.matchAll(/^```ts\n((?:(?!^```)[\s\S])*)^```\n\n[^\n]*\n\n```\n([\s\S]*?)^```$/gm)]
    .map((match) => ({ code: match[1] ?? '', output: match[2] ?? '' }))
    .filter(({ code }) => code.includes('mkdtempSync'));

  it('has the complete programs it documents', () => {
    expect(programs.length).toBeGreaterThanOrEqual(2);
  });

  it.each(programs.map((program, index) => [index + 1, program] as const))(
    'program %i runs with tsx and prints what the page shows',
    (_index, { code, output }) => {
      assertBuilt();
      const dir = tempDir();
      mkdirSync(path.join(dir, 'node_modules'));
      symlinkSync(root, path.join(dir, 'node_modules', 'savepoint'));
      writeFileSync(path.join(dir, 'example.mts'), code);
      const run = spawnSync(path.join(root, 'node_modules/.bin/tsx'), ['example.mts'], {
        cwd: dir,
        env: cleanGitEnv(),
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(run.status, run.stderr).toBe(0);
      expect(normalized(run.stdout)).toBe(normalized(output));
    },
    180_000,
  );
});
