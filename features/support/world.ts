/**
 * The World of the savepoint features (after cucumber-js's own features/support/world.ts):
 * it owns the scenario's temp directories and "the repository", remembers plan and
 * checkpoint ids by name, runs the *built* binary as a child process and keeps the last run.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type IWorldOptions, World } from '@cucumber/cucumber';
import { git } from './git.js';
import { captureState, type SandboxState } from './sandbox-state.js';

/** The project root (this file is features/support/world.ts). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built CLI entry point. */
export const BIN = path.join(PROJECT_ROOT, 'bin', 'run.js');

/** One finished run of the binary. */
export interface Run {
  /** The command line as written in the step, after placeholder substitution. */
  commandLine: string;
  args: string[];
  cwd: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  /** True when the run had `--json`. */
  jsonMode: boolean;
  /** Parsed stdout when `jsonMode` and stdout is one JSON document. */
  json: unknown;
  /** Why stdout did not parse, when `jsonMode` and it did not. */
  jsonError: string | undefined;
  /** Set by every step that checks the exit code. */
  exitCodeAsserted: boolean;
}

/** A plan the scenario knows about. */
export interface KnownPlan {
  planId: string;
  sandboxPath: string;
}

/** Splits a command line into words; '…' and "…" group words, no other shell syntax. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  // A bare word may hold placeholders with spaces: <checkpoint:first of other>.
  const pattern = /'([^']*)'|"([^"]*)"|((?:<[^>]*>|[^\s'"<])+|<)/g;
  let current: string | undefined;
  let lastEnd = -1;
  for (const match of line.matchAll(pattern)) {
    const text = match[1] ?? match[2] ?? match[3] ?? '';
    const start = match.index ?? 0;
    // Adjacent pieces (--reason="a b") belong to the same word.
    if (current !== undefined && start === lastEnd) current += text;
    else {
      if (current !== undefined) words.push(current);
      current = text;
    }
    lastEnd = start + match[0].length;
  }
  if (current !== undefined) words.push(current);
  return words;
}

/** Turns `\n`, `\r` and `\t` in a step's string into the characters. */
export function withEscapes(text: string): string {
  return text.replace(/\\n/g, '\n').replace(/\\r/g, '\r').replace(/\\t/g, '\t');
}

export class SavepointWorld extends World {
  /** The scenario's private temp directory; everything else lives under it. */
  readonly tmp: string;
  /** An empty HOME for every process the scenario starts, so no user config leaks in. */
  readonly home: string;
  /** The repository (`Given a git repository`), at `<tmp>/repo`. */
  readonly repo: string;
  /** Where commands run unless a step says otherwise. */
  cwd: string;
  /** Extra environment for the binary (`HOME`, `SAVEPOINT_DB`, …). */
  readonly env: Record<string, string> = {};
  readonly plans = new Map<string, KnownPlan>();
  readonly checkpoints = new Map<string, string>();
  readonly decisions = new Map<string, string>();
  readonly states = new Map<string, SandboxState>();
  /** Bytes of files noted by store steps, to prove they were left alone. */
  readonly notedFiles = new Map<string, Buffer>();
  lastRun: Run | undefined;

  constructor(options: IWorldOptions) {
    super(options);
    this.tmp = realpathSync(mkdtempSync(path.join(tmpdir(), 'savepoint-feature-')));
    this.home = path.join(this.tmp, 'home');
    mkdirSync(this.home);
    this.repo = path.join(this.tmp, 'repo');
    this.cwd = this.repo;
  }

  /** Removes the scenario's temp directory (kept when SAVEPOINT_KEEP_TMP is set, for debugging). */
  cleanup(): void {
    if (process.env.SAVEPOINT_KEEP_TMP) {
      console.error(`kept ${this.tmp}`);
      return;
    }
    rmSync(this.tmp, { recursive: true, force: true, maxRetries: 3 });
  }

  /** git in the repository (or `cwd`), failing loudly. */
  git(args: readonly string[], cwd: string = this.repo): string {
    return git(cwd, this.home, args);
  }

  /** The plan called `name` ('' is "the plan"). */
  plan(name = ''): KnownPlan {
    const plan = this.plans.get(name);
    if (!plan) throw new Error(`no plan ${name ? `"${name}" ` : ''}was created in this scenario`);
    return plan;
  }

  checkpoint(name: string): string {
    const id = this.checkpoints.get(name);
    if (!id) {
      throw new Error(
        `no checkpoint "${name}" is known; known: ${[...this.checkpoints.keys()].join(', ') || 'none'}`,
      );
    }
    return id;
  }

  decision(name: string): string {
    const id = this.decisions.get(name);
    if (!id) {
      throw new Error(
        `no decision "${name}" is known; known: ${[...this.decisions.keys()].join(', ') || 'none'}`,
      );
    }
    return id;
  }

  /**
   * Replaces placeholders: `<plan>`, `<plan:NAME>`, `<checkpoint:NAME>`, `<decision:NAME>`, `<sandbox>`,
   * `<sandbox:NAME>`, `<repo>`, `<tmp>`, `<home>`. An unknown placeholder is an error.
   */
  expand(text: string): string {
    return text.replace(/<([a-z]+)(?::([^>]+))?>/g, (whole, kind: string, name: string | undefined) => {
      switch (kind) {
        case 'plan':
          return this.plan(name ?? '').planId;
        case 'sandbox':
          return this.plan(name ?? '').sandboxPath;
        case 'checkpoint':
          if (name === undefined) throw new Error(`${whole}: name the checkpoint, e.g. <checkpoint:first>`);
          return this.checkpoint(name);
        case 'decision':
          if (name === undefined) throw new Error(`${whole}: name the decision, e.g. <decision:parser>`);
          return this.decision(name);
        case 'repo':
          return this.repo;
        case 'tmp':
          return this.tmp;
        case 'home':
          return this.home;
        default:
          throw new Error(`unknown placeholder ${whole} in ${JSON.stringify(text)}`);
      }
    });
  }

  /** A path from a step: relative to the repository unless absolute (after expansion). */
  resolvePath(file: string): string {
    return path.resolve(this.repo, this.expand(file));
  }

  /**
   * The environment of the binary: no GIT_*, no NODE_OPTIONS (tsx), an empty HOME, no colour.
   * Everything else is inherited, EDITOR and PAGER included (npx sets EDITOR).
   */
  childEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    const dropped = new Set(['NODE_OPTIONS', 'SAVEPOINT_DB', 'FORCE_COLOR', 'XDG_CONFIG_HOME']);
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith('GIT_') && !dropped.has(key)) env[key] = value;
    }
    return { ...env, HOME: this.home, NO_COLOR: '1', ...this.env };
  }

  /**
   * Runs `savepoint …` (the first word is replaced by the built binary) with stdin a pipe,
   * never a TTY. Does not touch {@link lastRun}.
   */
  exec(commandLine: string, cwd: string = this.cwd): Run {
    const expandedLine = this.expand(commandLine);
    const words = splitWords(commandLine).map((word) => this.expand(word));
    if (words[0] !== 'savepoint') throw new Error(`commands start with "savepoint": ${commandLine}`);
    const args = words.slice(1);
    const dir = this.expand(cwd);
    const result = spawnSync(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: this.childEnv(),
      encoding: 'utf8',
      input: '',
      timeout: 120_000,
    });
    if (result.error) throw result.error;
    if (result.signal) throw new Error(`${expandedLine} was killed by ${result.signal}\n${result.stderr}`);
    // savepoint's own --json: before a `--` (after it, the args are exec's command's).
    const ownArgs = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
    const jsonMode = ownArgs.includes('--json');
    let json: unknown;
    let jsonError: string | undefined;
    if (jsonMode) {
      try {
        json = JSON.parse(result.stdout);
      } catch (error) {
        jsonError = `stdout is not one JSON document (${String(error)})`;
      }
    }
    return {
      commandLine: expandedLine,
      args,
      cwd: dir,
      exitCode: result.status ?? -1,
      stdout: result.stdout,
      stderr: result.stderr,
      jsonMode,
      json,
      jsonError,
      exitCodeAsserted: false,
    };
  }

  /**
   * Runs a command as the scenario's "last run". A previous run that failed and was never
   * asserted fails the scenario here, before its output is lost. Successful runs teach the
   * World ids: `plan create` → the plan and its checkpoint "first"; `checkpoint create` →
   * checkpoint "latest"; a rollback, correction or undo → checkpoint "safety".
   */
  run(commandLine: string, cwd: string = this.cwd): Run {
    this.assertLastRunHandled();
    const run = this.exec(commandLine, cwd);
    this.lastRun = run;
    if (run.exitCode === 0 && run.json !== undefined) this.learn(run, '');
    return run;
  }

  /** Runs a command that must succeed (a helper step's own run); returns its JSON. */
  runOk(commandLine: string, planName = ''): Record<string, unknown> {
    const run = this.exec(commandLine.includes('--json') ? commandLine : `${commandLine} --json`);
    if (run.exitCode !== 0)
      throw new Error(`expected success from: ${run.commandLine}\n${this.describeRun(run)}`);
    if (run.jsonError) throw new Error(`${run.jsonError}\n${this.describeRun(run)}`);
    this.learn(run, planName);
    return run.json as Record<string, unknown>;
  }

  private learn(run: Run, planName: string): void {
    const json = run.json as Record<string, unknown>;
    const [topic, command] = run.args;
    if (topic === 'plan' && command === 'create' && typeof json.planId === 'string') {
      this.plans.set(planName, { planId: json.planId, sandboxPath: String(json.sandboxPath) });
      this.checkpoints.set(planName ? `first of ${planName}` : 'first', String(json.checkpointId));
    } else if (topic === 'checkpoint' && command === 'create' && typeof json.checkpointId === 'string') {
      this.checkpoints.set('latest', json.checkpointId);
    } else if (
      ((topic === 'plan' && command === 'rollback') || topic === 'correction' || topic === 'undo') &&
      typeof json.safetyCheckpointId === 'string'
    ) {
      this.checkpoints.set('safety', json.safetyCheckpointId);
    }
  }

  /** The last run; a step about output needs one. */
  last(): Run {
    if (!this.lastRun) throw new Error('no command was run yet');
    return this.lastRun;
  }

  /** Output of a run, for assertion messages. */
  describeRun(run: Run = this.last()): string {
    return [
      `$ ${run.commandLine}   (in ${run.cwd})`,
      `exit code: ${run.exitCode}`,
      `stdout:\n${run.stdout || '(empty)'}`,
      `stderr:\n${run.stderr || '(empty)'}`,
    ].join('\n');
  }

  /** Fails when the last run exited non-zero and no step asserted its exit code. */
  assertLastRunHandled(): void {
    const run = this.lastRun;
    if (run && run.exitCode !== 0 && !run.exitCodeAsserted) {
      throw new Error(`a failing run was never asserted:\n${this.describeRun(run)}`);
    }
  }

  /** Notes the state of a worktree (default: the repository). */
  captureState(root: string = this.repo): SandboxState {
    return captureState(root, this.home);
  }
}
