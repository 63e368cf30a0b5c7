/**
 * The scenarios' own git calls (setting up repositories, acting as the agent, observing
 * state). argv only, no shell; an environment without inherited GIT_* variables, an empty
 * HOME (so no user config leaks in) and GIT_OPTIONAL_LOCKS=0 so that merely looking at a
 * repository (`git status`) never rewrites its index.
 */
import { spawnSync } from 'node:child_process';

/** The environment of our own git calls: the process's, minus GIT_*, with a private HOME. */
export function gitEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('GIT_') && key !== 'XDG_CONFIG_HOME') env[key] = value;
  }
  return {
    ...env,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_OPTIONAL_LOCKS: '0',
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
  };
}

/** Result of a git call that may fail. */
export interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs git and returns its exit code and output, whatever the exit code. */
export function tryGit(cwd: string, home: string, args: readonly string[]): GitResult {
  const result = spawnSync('git', args, { cwd, env: gitEnv(home), encoding: 'utf8' });
  if (result.error) throw result.error;
  return { exitCode: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs git, fails loudly on a non-zero exit, returns stdout with the trailing newline trimmed. */
export function git(cwd: string, home: string, args: readonly string[]): string {
  const result = tryGit(cwd, home, args);
  if (result.exitCode !== 0) {
    throw new Error(`git ${args.join(' ')} failed (exit ${result.exitCode}) in ${cwd}:\n${result.stderr}`);
  }
  return result.stdout.replace(/\n$/, '');
}
