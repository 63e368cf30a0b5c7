/**
 * ExecService: runs an agent's tool call as a transactional step (issue 6): checkpoint
 * first if the plan's tool declarations say so, run the command, record an attempt, and
 * with `rollbackOnFailure` roll the sandbox back to the pre-call checkpoint on failure.
 * Also reads the attempt log back (`attempts list`, `attempts stats`).
 */
import { constants, hostname } from 'node:os';
import type { CheckpointService, ServiceDeps } from '../checkpoint/checkpoint-service.js';
import { resolveSince } from '../checkpoint/list-filter.js';
import { InternalError, UsageError } from '../core/errors.js';
import type { AttemptQuery, AttemptStore, CommandExit, CommandRunner } from '../core/ports.js';
import { ownerAlive } from '../core/process.js';
import type { RollbackService } from '../plan/rollback-service.js';
import { type Attempt, AttemptOutcome, FinishedAttempt, type FinishedOutcome } from './model.js';

/** Wait between SIGTERM and SIGKILL when a command outlives its timeout, ms. */
export const KILL_GRACE_MS = 2_000;

/** Exit code of `savepoint exec` when the command timed out (as `timeout(1)`). */
export const TIMEOUT_EXIT_CODE = 124;

/** Options of {@link ExecService.exec}. */
export interface ExecRequest {
  planId: string;
  /** The tool name the plan's declarations are matched against (`policy.tools`). */
  tool: string;
  /** Program and arguments; run without a shell. */
  argv: readonly string[];
  /** Roll back to the pre-call checkpoint when the command fails, is killed or times out. */
  rollbackOnFailure?: boolean;
  /** Kill the command after this many ms (SIGTERM, then SIGKILL after {@link KILL_GRACE_MS}). */
  timeoutMs?: number;
  /** Send the command's stdout to savepoint's stderr (the CLI does so under `--json`). */
  stdoutToStderr?: boolean;
}

/** Filter of {@link ExecService.list} and {@link ExecService.stats}; all given fields must match. */
export interface AttemptListFilter {
  planId?: string;
  tool?: string;
  outcome?: string;
  /** A duration back from now (`90m`, `24h`, `7d`) or an ISO-8601 date/time. */
  since?: string;
}

/** Count and elapsed-time figures of the attempts of one tool with one outcome. */
export interface AttemptStatsRow {
  tool: string;
  outcome: FinishedOutcome;
  count: number;
  /** Mean elapsed time, ms, rounded. */
  meanMs: number;
  /** 95th percentile of elapsed time, ms, nearest-rank: the smallest value ≥ 95 % of the values. */
  p95Ms: number;
}

/**
 * The exit code `savepoint exec` ends with for an attempt: the command's own; 128 + the
 * signal number when a signal killed it (the shell convention); 124 after a timeout.
 */
export function attemptExitCode(attempt: Pick<CommandExit, 'exitCode' | 'signal' | 'timedOut'>): number {
  if (attempt.timedOut) return TIMEOUT_EXIT_CODE;
  if (attempt.exitCode !== null) return attempt.exitCode;
  const signo = attempt.signal ? constants.signals[attempt.signal as NodeJS.Signals] : undefined;
  return 128 + (signo ?? 0);
}

/** Nearest-rank percentile `p` (0–100] of non-empty `values`. */
export function nearestRank(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** An attempt, whether savepoint's timeout killed the command, and the exit code `savepoint exec` ends with for it. */
export type ExecResult = FinishedAttempt & { timedOut: boolean; processExitCode: number };

export class ExecService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly checkpoints: CheckpointService,
    private readonly rollbacks: RollbackService,
    private readonly runner: CommandRunner,
  ) {}

  /**
   * Runs one tool call of an active plan. Order: the plan must be active; a checkpoint is
   * taken (or reused when nothing changed) unless the plan declares `tool` as `skip`, and the
   * attempt is recorded `running` in that checkpoint's transaction (with this process's pid
   * and host: a savepoint killed from here on leaves it, reported `interrupted`; while it runs
   * it pins the checkpoint against retention); the command runs in the plan's sandbox with
   * stdio passed through, with NO savepoint lock held (other savepoint commands, the tool's own
   * checkpoints included, may run meanwhile); with `rollbackOnFailure` and a failure (non-zero
   * exit, signal, timeout) the sandbox is rolled back to that checkpoint as a `rollback`
   * ledger operation (undoable with `savepoint undo`); then the attempt's end is recorded.
   *
   * A tool declared `skip` with `rollbackOnFailure` is refused before anything runs: there
   * would be no checkpoint to roll back to.
   *
   * When the rollback itself fails, the attempt is recorded with its `failed` or `timeout`
   * outcome and the rollback's error is thrown (savepoint's own exit code, not the command's).
   *
   * @throws {UsageError} `USAGE` (2): empty argv or tool, bad timeout, `skip` tool with `rollbackOnFailure`
   * @throws {PlanNotFoundError} `PLAN_NOT_FOUND` (3) · {@link PlanNotActiveError} `PLAN_NOT_ACTIVE` (4)
   * @throws {CommandNotStartedError} `COMMAND_NOT_STARTED` (3 not found, else 1): nothing recorded
   * @throws what `checkpoints.create` and `rollbacks.rollback` throw (e.g. `BUSY` 6, `PATH_IN_THE_WAY` 4)
   */
  async exec(request: ExecRequest): Promise<ExecResult> {
    if (request.argv.length === 0 || request.argv[0] === '')
      throw new UsageError('exec needs a command after --: savepoint exec --plan P --tool T -- cmd args…');
    if (request.tool.trim() === '') throw new UsageError('--tool must not be empty');
    if (request.timeoutMs !== undefined && !(Number.isFinite(request.timeoutMs) && request.timeoutMs > 0))
      throw new UsageError(`--timeout must be a number of seconds > 0, got ${request.timeoutMs / 1000}`);
    const plan = this.checkpoints.activePlan(request.planId, 'exec');
    const attemptId = this.deps.ids.next();
    let started: Parameters<AttemptStore['start']>[0] | undefined;
    const start = (checkpointId: string | null) => {
      started = {
        attemptId,
        planId: plan.planId,
        tool: request.tool,
        argv: [...request.argv],
        checkpointId,
        startedAt: this.deps.clock.now().toISOString(),
        pid: process.pid,
        hostname: hostname(),
      };
      this.deps.store.attempts.start(started);
    };
    // The running attempt row is written in the checkpoint's own transaction: from then on
    // it pins that checkpoint against retention (other processes may checkpoint meanwhile).
    const taken = await this.checkpoints.create(
      plan.planId,
      { tool: request.tool, reason: `before exec ${request.tool}` },
      { after: (checkpoint) => start(checkpoint.checkpointId) },
    );
    if (taken.skipped && request.rollbackOnFailure) {
      throw new UsageError(
        `the plan declares tool "${request.tool}" as skip (pattern "${taken.pattern}"): no checkpoint is taken, so --rollback-on-failure has nothing to roll back to`,
        {
          details: { tool: request.tool, pattern: taken.pattern },
          hint: 'declare the tool as checkpoint (savepoint plan policy set --tool NAME=checkpoint) or drop --rollback-on-failure',
        },
      );
    }
    if (taken.skipped) start(null);
    const checkpointId = taken.skipped ? null : taken.checkpoint.checkpointId;
    let run: CommandExit;
    try {
      run = await this.runner.run(request.argv, {
        cwd: plan.sandboxPath,
        killGraceMs: KILL_GRACE_MS,
        stdout: request.stdoutToStderr ? 'stderr' : 'stdout',
        ...(request.timeoutMs === undefined ? {} : { timeoutMs: request.timeoutMs }),
      });
    } catch (error) {
      // Not started (not found, not executable): not an attempt; take the row back.
      this.deps.store.attempts.discard(attemptId);
      throw error;
    }
    const failed = run.timedOut || run.exitCode !== 0;
    let outcome: FinishedOutcome = run.timedOut ? 'timeout' : failed ? 'failed' : 'success';
    let rollbackSafetyCheckpointId: string | null = null;
    let rollbackError: unknown;
    if (failed && request.rollbackOnFailure && checkpointId !== null) {
      try {
        const report = await this.rollbacks.rollback({
          planId: plan.planId,
          checkpointId,
        });
        rollbackSafetyCheckpointId = report.safetyCheckpointId;
        outcome = 'rolled_back';
      } catch (error) {
        rollbackError = error;
      }
    }
    const end = {
      exitCode: run.exitCode,
      signal: run.signal,
      elapsedMs: run.elapsedMs,
      outcome,
      rollbackSafetyCheckpointId,
      finishedAt: this.deps.clock.now().toISOString(),
    };
    this.deps.store.attempts.finish(attemptId, end);
    if (rollbackError !== undefined) throw rollbackError;
    if (!started) throw new InternalError(`attempt ${attemptId} ran without being recorded`);
    const attempt: FinishedAttempt = { ...started, ...end };
    return { ...attempt, timedOut: run.timedOut, processExitCode: attemptExitCode(run) };
  }

  /**
   * Attempts matching `filter`, oldest first.
   *
   * @throws {UsageError} `USAGE` (2): bad `since` or `outcome`
   */
  list(filter: AttemptListFilter = {}): Attempt[] {
    const { query, outcome } = this.query(filter);
    const attempts = this.deps.store.attempts.list(query).map(reported);
    return outcome === undefined ? attempts : attempts.filter((attempt) => attempt.outcome === outcome);
  }

  /**
   * Count, mean and p95 (nearest-rank) elapsed ms per tool and outcome, sorted by tool then
   * outcome, over the finished attempts matching `filter` (running and interrupted ones have no elapsed time).
   *
   * @throws {UsageError} `USAGE` (2): bad `since` or `outcome`
   */
  stats(filter: AttemptListFilter = {}): AttemptStatsRow[] {
    const groups = new Map<string, { tool: string; outcome: FinishedOutcome; elapsed: number[] }>();
    for (const attempt of this.list(filter)) {
      const finished = FinishedAttempt.safeParse(attempt);
      if (!finished.success) continue;
      const key = JSON.stringify([attempt.tool, attempt.outcome]);
      const group = groups.get(key) ?? { tool: attempt.tool, outcome: finished.data.outcome, elapsed: [] };
      group.elapsed.push(finished.data.elapsedMs);
      groups.set(key, group);
    }
    return [...groups.values()]
      .sort((a, b) => (a.tool === b.tool ? a.outcome.localeCompare(b.outcome) : a.tool < b.tool ? -1 : 1))
      .map(({ tool, outcome, elapsed }) => ({
        tool,
        outcome,
        count: elapsed.length,
        meanMs: Math.round(elapsed.reduce((sum, ms) => sum + ms, 0) / elapsed.length),
        p95Ms: nearestRank(elapsed, 95),
      }));
  }

  /** The store query of `filter`, and the reported outcome to keep (running and interrupted are both stored `running`). */
  private query(filter: AttemptListFilter): { query: AttemptQuery; outcome?: AttemptOutcome } {
    const query: AttemptQuery = {};
    let outcome: AttemptOutcome | undefined;
    if (filter.planId !== undefined) query.planId = filter.planId.toUpperCase();
    if (filter.tool !== undefined) query.tool = filter.tool;
    if (filter.outcome !== undefined) {
      const parsed = AttemptOutcome.safeParse(filter.outcome);
      if (!parsed.success)
        throw new UsageError(
          `--outcome must be one of ${AttemptOutcome.options.join(', ')}, got "${filter.outcome}"`,
          { details: { outcome: filter.outcome } },
        );
      outcome = parsed.data;
      query.outcome = outcome === 'interrupted' ? 'running' : outcome;
    }
    if (filter.since !== undefined) query.since = resolveSince(filter.since, this.deps.clock.now());
    return outcome === undefined ? { query } : { query, outcome };
  }
}

/**
 * An attempt as reported: a stored `running` attempt whose savepoint process is gone is
 * `interrupted` (a process of another host counts as alive: it cannot be checked from here).
 */
function reported(attempt: Attempt): Attempt {
  return attempt.outcome === 'running' && !ownerAlive(attempt.pid, attempt.hostname)
    ? { ...attempt, outcome: 'interrupted' }
    : attempt;
}
