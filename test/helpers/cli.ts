/**
 * Running the built savepoint CLI (`bin/run.js` → `dist/`) as a child process, for tests
 * that need a real, separate process: crash (SIGKILL) and concurrency tests. Run
 * `npm run build` first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SIMPLE_GIT_BLOCKED_ENV } from './isolated-env.js';
import { cleanGitEnv } from './repo.js';

/** The CLI entry point. */
export const BIN = path.resolve(import.meta.dirname, '../../bin/run.js');

/** Fails fast with a clear message when `dist/` was not built. */
export function assertBuilt(): void {
  // The library (tsc's output) and the CLI bundle bin/run.js runs (scripts/bundle.mjs).
  for (const built of ['../../dist/index.js', '../../dist/bundle/cli.js']) {
    if (!existsSync(path.resolve(import.meta.dirname, built))) {
      throw new Error('these tests run the built CLI: run `npm run build` first');
    }
  }
}

/** How a CLI run ended. */
export interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const base = cleanGitEnv();
  for (const key of SIMPLE_GIT_BLOCKED_ENV) delete base[key];
  delete base.SAVEPOINT_FAULT;
  delete base.SAVEPOINT_FAULT_SIGNAL;
  return { ...base, ...extra };
}

/** Starts `savepoint <args>` in `cwd`. */
export function startCli(
  cwd: string,
  args: readonly string[],
  extraEnv: Record<string, string> = {},
): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: env(extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Waits for a started CLI to end. */
export function finished(child: ChildProcess): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

/** Runs `savepoint <args>` in `cwd` to its end. */
export function runCli(
  cwd: string,
  args: readonly string[],
  extraEnv: Record<string, string> = {},
): Promise<CliRun> {
  return finished(startCli(cwd, args, extraEnv));
}

/** Runs `savepoint <args> --json`, expects exit 0 and returns the parsed result. */
export async function cliJson<T = Record<string, unknown>>(cwd: string, args: readonly string[]): Promise<T> {
  const run = await runCli(cwd, [...args, '--json']);
  if (run.status !== 0)
    throw new Error(`savepoint ${args.join(' ')} exited ${run.status}: ${run.stdout}${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}
