/**
 * Adversarial index state (issue 16): flags on index entries, sparse checkout, and a git
 * command the user runs while a rollback runs (the rollback stops itself at a fault point with
 * SIGSTOP, the command runs, the rollback goes on).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Given, Then, When } from '@cucumber/cucumber';
import { expectEqual } from '../support/expect.js';
import { type SavepointWorld, splitWords } from '../support/world.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/run.js');

/** Waits until process `pid` is stopped (state `T` in /proc/<pid>/stat, proc(5)). */
async function stopped(pid: number): Promise<void> {
  for (let i = 0; i < 800; i++) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) return;
    await sleep(25);
  }
  throw new Error(`process ${pid} did not stop`);
}

Given('the agent marks {string} {string}', function (this: SavepointWorld, file: string, flag: string) {
  if (flag !== 'skip-worktree' && flag !== 'assume-unchanged') throw new Error(`unknown flag ${flag}`);
  this.git(['update-index', `--${flag}`, file]);
});

// The savepoint command stops itself at the fault point; the git command (words, no shell) runs
// in the repository; then the savepoint command goes on. The state right after the git command
// is noted as "during". The run becomes the last run, like `When I run`.
When(
  /^I run "([^"]*)" (with --json|in human mode) while "git ([^"]*)" runs at "([^"]*)"$/,
  { timeout: 60_000 },
  async function (this: SavepointWorld, command: string, mode: string, gitCommand: string, point: string) {
    this.assertLastRunHandled();
    const line = mode === 'with --json' ? `${command} --json` : command;
    const args = splitWords(line)
      .slice(1)
      .map((word) => this.expand(word));
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: this.cwd,
      env: { ...this.childEnv(), SAVEPOINT_FAULT: point, SAVEPOINT_FAULT_SIGNAL: 'SIGSTOP' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const closed = new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (status) => resolve(status ?? -1));
    });
    try {
      await stopped(child.pid as number);
      const words = splitWords(gitCommand).map((word) => this.expand(word));
      const result = spawnSync('git', words, { cwd: this.repo, env: this.childEnv(), encoding: 'utf8' });
      expectEqual(result.status, 0, `git ${gitCommand} failed: ${result.stderr}`);
      this.states.set('during', this.captureState(this.repo));
    } finally {
      child.kill('SIGCONT');
    }
    const exitCode = await closed;
    let json: unknown;
    let jsonError: string | undefined;
    if (mode === 'with --json') {
      try {
        json = JSON.parse(stdout);
      } catch (error) {
        jsonError = `stdout is not one JSON document (${String(error)})`;
      }
    }
    this.lastRun = {
      commandLine: this.expand(line),
      args,
      cwd: this.cwd,
      exitCode,
      stdout,
      stderr,
      jsonMode: mode === 'with --json',
      json,
      jsonError,
      exitCodeAsserted: false,
    };
  },
);

Then('the index tag of {string} is {string}', function (this: SavepointWorld, file: string, tag: string) {
  // `ls-files -v`: "<tag> <path>"; lowercase is assume-unchanged, S skip-worktree (git-ls-files(1)).
  expectEqual(this.git(['ls-files', '-v', '--', file]), `${tag} ${file}`);
});

When('the user runs {string}', function (this: SavepointWorld, command: string) {
  const words = splitWords(command).map((word) => this.expand(word));
  if (words[0] !== 'git') throw new Error(`only git commands: ${command}`);
  this.git(words.slice(1));
});
