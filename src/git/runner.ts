/**
 * The one place savepoint spawns git. argv only (simple-git never uses a shell), an
 * environment built once, expected non-zero exits returned as values, unexpected ones
 * thrown as {@link GitCommandError} carrying the command, exit code and stderr.
 */
import { spawn } from 'node:child_process';
import { GitError, type SimpleGitOptions, simpleGit } from 'simple-git';
import { GitCommandError } from '../core/errors.js';

/** Fixed identity for checkpoint commits, so they work where `user.name` is unset. */
export const SAVEPOINT_IDENTITY = { name: 'savepoint', email: 'savepoint@localhost' } as const;

/**
 * `-c` settings for every savepoint git call: no hooks (git 2.39 looks a hook up as
 * `<hooksPath>/<name>`, which never exists under `/dev/null`), no fsmonitor daemon, no
 * signing or signature check (so no `gpg.program`), no pager, credential helper, askpass,
 * ssh command, editor or alternate-refs command the user configured (an empty
 * `credential.helper` clears the list, an empty command is never run, `:` is git's "no
 * editor"), and no automatic gc or maintenance (savepoint's objects must not trigger a gc
 * mid-operation). Content filters are per driver name: see the raw view and
 * `GitWorktree.noFilters`; external diff and textconv: `--no-ext-diff --no-textconv` where a
 * diff is made.
 */
const CONFIG = [
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'commit.gpgSign=false',
  'tag.gpgSign=false',
  'log.showSignature=false',
  'core.pager=cat',
  'credential.helper=',
  'core.askPass=',
  'core.sshCommand=',
  'core.editor=:',
  'sequence.editor=:',
  'core.alternateRefsCommand=',
  'gc.auto=0',
  'maintenance.auto=false',
  'core.quotePath=false',
];

/**
 * Programs git would start for an editor, pager or password prompt. savepoint's calls never
 * need them, and simple-git refuses to run with them set (its unsafe-environment check).
 */
const UNUSED_PROGRAMS = new Set(['EDITOR', 'VISUAL', 'PAGER', 'SSH_ASKPASS', 'PREFIX']);

let baseEnv: Record<string, string> | undefined;

/**
 * The environment of savepoint's git calls: the caller's, minus every inherited `GIT_*`
 * variable (a stray `GIT_DIR`, `GIT_WORK_TREE` or `GIT_INDEX_FILE` would point git at
 * another repository or index) and the editor/pager/askpass programs, plus the fixed identity, C locale for parseable messages,
 * no terminal prompts, and no optional locks on the user's index.
 */
function gitEnv(): Record<string, string> {
  if (baseEnv) return baseEnv;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('GIT_') && !UNUSED_PROGRAMS.has(key.toUpperCase()))
      env[key] = value;
  }
  Object.assign(env, {
    GIT_AUTHOR_NAME: SAVEPOINT_IDENTITY.name,
    GIT_AUTHOR_EMAIL: SAVEPOINT_IDENTITY.email,
    GIT_COMMITTER_NAME: SAVEPOINT_IDENTITY.name,
    GIT_COMMITTER_EMAIL: SAVEPOINT_IDENTITY.email,
    GIT_TERMINAL_PROMPT: '0',
    GIT_PAGER: 'cat',
    GIT_OPTIONAL_LOCKS: '0',
    LC_ALL: 'C',
    LANGUAGE: 'C',
  });
  baseEnv = env;
  return env;
}

/** Options of one git call. */
export interface GitRunOptions {
  /** Working directory (the sandbox top level). */
  cwd: string;
  /** Private index file (`GIT_INDEX_FILE`); the real index when absent. */
  indexFile?: string;
  /** Non-zero exit codes that are answers, not failures (e.g. 1 from `rev-parse --verify -q`). */
  allowExit?: readonly number[];
  /** Extra environment (e.g. the raw view's `GIT_DIR`, `GIT_WORK_TREE`, `GIT_OBJECT_DIRECTORY`). */
  env?: Readonly<Record<string, string>>;
  /** Extra `-c name=value` settings, after savepoint's defaults (so they win). */
  config?: readonly string[];
  /** Also return stdout as the exact bytes git wrote (`stdoutBytes`), e.g. a patch of non-UTF-8 files. */
  bytes?: boolean;
  /**
   * Bytes to write to git's stdin (e.g. NUL-separated paths for `update-index -z --stdin`,
   * instructions for `update-ref --stdin`). simple-git has no stdin, so such calls are spawned
   * directly, with the same argv, `-c` settings, environment and error mapping.
   */
  input?: string | Uint8Array;
}

/** Result of one git call. `stdout` is untrimmed. */
export interface GitRunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** stdout as bytes; only with {@link GitRunOptions.bytes}. */
  stdoutBytes?: Buffer;
}

/**
 * Runs `git <args>` and resolves with its output.
 *
 * @throws {GitCommandError} `GIT_FAILED` when git exits non-zero with a code not in
 *   `allowExit`, or cannot be spawned; `details` has `args`, `exitCode`, `stderr`.
 */
export async function runGit(args: readonly string[], options: GitRunOptions): Promise<GitRunResult> {
  if (options.input !== undefined) return runWithInput(args, options, options.input);
  let exitCode = 0;
  let stderr = '';
  const allow = options.allowExit ?? [];
  const config: Partial<SimpleGitOptions> = {
    baseDir: options.cwd,
    trimmed: false,
    config: options.config ? [...CONFIG, ...options.config] : CONFIG,
    // simple-git refuses these `-c` keys unless allowed; savepoint sets them only to turn programs off.
    unsafe: {
      allowUnsafeHooksPath: true,
      allowUnsafeFsMonitor: true,
      allowUnsafePager: true,
      allowUnsafeCredentialHelper: true,
      allowUnsafeAskPass: true,
      allowUnsafeSshCommand: true,
      allowUnsafeEditor: true,
      allowUnsafeFilter: true,
    },
    // Done when the child's stdio has closed ('close' comes after 'exit' and after the last
    // output), never on a timer after 'exit': simple-git's default `onExit: 50` arms a 50 ms
    // timer per call that nothing clears, keeping a short CLI run alive 50 ms past its last git
    // call (simple-git `completionDetectionPlugin`).
    completion: { onClose: true, onExit: false },
    errors(error, result) {
      exitCode = result.exitCode;
      stderr = Buffer.concat(result.stdErr).toString('utf8');
      // simple-git's own detection runs first and turns exit 1 with stderr into a GitError: an
      // allowed exit code wins over that, never over a failure to spawn or kill (another error).
      if (error && !(error instanceof GitError)) return error;
      if (result.exitCode === 0 || allow.includes(result.exitCode)) return undefined;
      return error ?? Buffer.from(stderr || `git exited with ${result.exitCode}`);
    },
  };
  const env = {
    ...gitEnv(),
    ...options.env,
    ...(options.indexFile ? { GIT_INDEX_FILE: options.indexFile } : {}),
  };
  const chunks: Buffer[] = [];
  try {
    const stdout = await simpleGit(config)
      .env(env)
      .outputHandler((_command, out) => {
        if (options.bytes) out.on('data', (chunk: Buffer) => chunks.push(chunk));
        // simple-git waits a fixed 50 ms after a process that printed nothing (its
        // completion-detection plugin, to catch late output); many of savepoint's calls print
        // nothing. Once stdout has ended there is no late output: an empty chunk at 'end'
        // tells simple-git so, without adding anything to the result.
        out.once('end', () => out.emit('data', Buffer.alloc(0)));
      })
      .raw([...args]);
    return options.bytes
      ? { stdout, stderr, exitCode, stdoutBytes: Buffer.concat(chunks) }
      : { stdout, stderr, exitCode };
  } catch (error) {
    const first =
      stderr
        .trim()
        .split('\n')
        .find((line) => line.length > 0) ?? String(error);
    throw new GitCommandError(`git ${args[0] ?? ''} failed: ${first}`, {
      cause: error,
      details: { args: [...args], exitCode, stderr: stderr.trim() },
    });
  }
}

/** {@link runGit} for a call that needs stdin: `git -c … <args>` spawned directly (argv only, no shell). */
function runWithInput(
  args: readonly string[],
  options: GitRunOptions,
  input: string | Uint8Array,
): Promise<GitRunResult> {
  const config = options.config ? [...CONFIG, ...options.config] : CONFIG;
  const argv = [...config.flatMap((setting) => ['-c', setting]), ...args];
  const env = {
    ...gitEnv(),
    ...options.env,
    ...(options.indexFile ? { GIT_INDEX_FILE: options.indexFile } : {}),
  };
  const allow = options.allowExit ?? [];
  return new Promise((resolve, reject) => {
    const child = spawn('git', argv, { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const fail = (cause: unknown, exitCode: number, stderr: string) => {
      const first = stderr.split('\n').find((line) => line.trim().length > 0) ?? String(cause);
      reject(
        new GitCommandError(`git ${args[0] ?? ''} failed: ${first.trim()}`, {
          cause,
          details: { args: [...args], exitCode, stderr: stderr.trim() },
        }),
      );
    };
    child.once('error', (error) => fail(error, -1, ''));
    // git may exit before reading all of stdin (e.g. on a bad path): its exit code tells, not EPIPE.
    child.stdin.once('error', () => undefined);
    child.once('close', (code) => {
      const exitCode = code ?? -1;
      const stdoutBytes = Buffer.concat(out);
      const stderr = Buffer.concat(err).toString('utf8');
      if (exitCode !== 0 && !allow.includes(exitCode)) {
        fail(new Error(stderr || `git exited with ${exitCode}`), exitCode, stderr);
        return;
      }
      const stdout = stdoutBytes.toString('utf8');
      resolve(options.bytes ? { stdout, stderr, exitCode, stdoutBytes } : { stdout, stderr, exitCode });
    });
    child.stdin.end(input);
  });
}
