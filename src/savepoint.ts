/**
 * The composition root and library entry: wires the git and SQLite adapters into the
 * services. `Savepoint.open()` is what the CLI commands and agent frameworks call.
 */
import path from 'node:path';
import {
  CheckpointService,
  DEFAULT_UNTRACKED_SIZE_CAP,
  type ServiceDeps,
} from './checkpoint/checkpoint-service.js';
import { CheckpointDiffService } from './checkpoint/diff-service.js';
import { RetentionService } from './checkpoint/retention-service.js';
import { systemClock, ulidGenerator } from './core/defaults.js';
import { UsageError } from './core/errors.js';
import type { Clock, IdGenerator } from './core/ports.js';
import { CorrectionService, type UndoReport, type UndoRequest } from './decision/correction-service.js';
import { DecisionService } from './decision/decision-service.js';
import { type ExecRequest, type ExecResult, ExecService } from './exec/exec-service.js';
import { GitSandboxProvider } from './git/sandbox.js';
import { DoctorService } from './ledger/doctor-service.js';
import { DEFAULT_LOCK_WAIT_MS, Ledger } from './ledger/ledger.js';
import { OpsService } from './ledger/ops-service.js';
import { RecoveryService } from './ledger/recovery-service.js';
import { FileSandboxLocks } from './lock/sandbox-locks.js';
import { PlanService } from './plan/plan-service.js';
import { RollbackService } from './plan/rollback-service.js';
import { SpawnCommandRunner } from './process/command-runner.js';
import { SqliteStore } from './store/sqlite-store.js';

/** Options of {@link Savepoint.open}. */
export interface SavepointOptions {
  /** A directory inside the repository whose database to use (default: the current directory). */
  cwd?: string;
  /**
   * The sandbox (worktree) the agent works on: the same as `cwd` (its repository's database,
   * and the default sandbox of `plans.create` and `undo`), named for what it is. Give one of the two.
   */
  sandbox?: string;
  /** Database file; overrides the repository's `<git-common-dir>/savepoint/state.db`. */
  db?: string;
  /** Time source (tests pin it). */
  clock?: Clock;
  /** Id source. */
  ids?: IdGenerator;
  /**
   * Untracked files larger than this many bytes are skipped by snapshots (reported, never
   * hashed into the object store). Default: `SAVEPOINT_UNTRACKED_SIZE_CAP` if set, else 100 MiB.
   */
  untrackedSizeCap?: number;
  /**
   * How long a mutating call waits for the sandbox lock another savepoint process holds, ms,
   * before `BUSY` (exit 6). Default: `SAVEPOINT_WAIT` seconds if set, else 30000 ({@link DEFAULT_LOCK_WAIT_MS}).
   */
  lockWaitMs?: number;
}

/** The lock wait from the environment (`SAVEPOINT_WAIT`, seconds), if set. */
function envLockWait(): number | undefined {
  const raw = process.env.SAVEPOINT_WAIT;
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new UsageError(`SAVEPOINT_WAIT must be a number of seconds ≥ 0, got "${raw}"`);
  }
  return Math.round(value * 1000);
}

/** The size cap from the environment, if it is a non-negative integer. */
function envSizeCap(): number | undefined {
  const raw = process.env.SAVEPOINT_UNTRACKED_SIZE_CAP;
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new UsageError(`SAVEPOINT_UNTRACKED_SIZE_CAP must be a whole number of bytes, got "${raw}"`);
  }
  return value;
}

/** An open savepoint: plans, checkpoints, rollback, decisions and corrections over one repository's database. */
export class Savepoint {
  /** Absolute path of the database file in use. */
  readonly dbPath: string;
  readonly plans: PlanService;
  readonly checkpoints: CheckpointService;
  readonly rollbacks: RollbackService;
  /** `checkpoint prune` and `gc`. */
  readonly retention: RetentionService;
  /** What changed between checkpoints, or since one: `checkpoint show --stat/--diff`, `checkpoint diff`. */
  readonly diffs: CheckpointDiffService;
  /** The operation ledger: `ops list|show`. */
  readonly ops: OpsService;
  /** `recover`: finish or abort interrupted operations. */
  readonly recovery: RecoveryService;
  /** `doctor`: invariant check and safe repairs. */
  readonly doctor: DoctorService;
  /** `decision record | list | show`. */
  readonly decisions: DecisionService;
  /** `correction revert` and `undo`. */
  readonly corrections: CorrectionService;
  /** `savepoint exec` and the attempt log: `attempts list | stats`. */
  readonly attempts: ExecService;
  private readonly store: SqliteStore;

  private constructor(dbPath: string, deps: ServiceDeps & { store: SqliteStore }, locks: FileSandboxLocks) {
    this.dbPath = dbPath;
    this.store = deps.store;
    this.checkpoints = new CheckpointService(deps);
    this.plans = new PlanService(deps, this.checkpoints);
    this.rollbacks = new RollbackService(this.checkpoints, deps.ledger);
    this.retention = new RetentionService(deps, this.checkpoints);
    this.diffs = new CheckpointDiffService(this.checkpoints);
    this.ops = new OpsService(deps);
    this.recovery = new RecoveryService(deps, this.checkpoints, this.rollbacks, locks);
    this.doctor = new DoctorService(deps, this.recovery, locks);
    this.decisions = new DecisionService(deps, this.checkpoints);
    this.corrections = new CorrectionService(deps, this.checkpoints, this.rollbacks, this.decisions);
    this.attempts = new ExecService(deps, this.checkpoints, this.rollbacks, new SpawnCommandRunner());
  }

  /**
   * Runs a tool call as a transactional step (`savepoint exec`); the same as
   * `attempts.exec(request)`, see there for what it does and throws.
   */
  exec(request: ExecRequest): Promise<ExecResult> {
    return this.attempts.exec(request);
  }

  /**
   * Undoes the plan's latest rollback, correction or undo (`savepoint undo`); the same as
   * `corrections.undo(request)`, see there for what it does and throws.
   */
  undo(request: UndoRequest): Promise<UndoReport> {
    return this.corrections.undo(request);
  }

  /**
   * Opens the database of the repository containing `cwd` or `sandbox` (or `db`), creating
   * and migrating it on first use.
   *
   * @throws {SandboxInvalidError} `SANDBOX_INVALID` (exit 5): no `db` and `cwd` is not in a git worktree
   * @throws {StoreIntegrityError} `STORE_FOREIGN` / `STORE_TOO_NEW` (exit 9)
   * @throws {UsageError} `USAGE` (exit 2): bad `SAVEPOINT_WAIT` or `SAVEPOINT_UNTRACKED_SIZE_CAP`;
   *   `cwd` and `sandbox` both given and different
   */
  static async open(options: SavepointOptions = {}): Promise<Savepoint> {
    if (
      options.cwd !== undefined &&
      options.sandbox !== undefined &&
      path.resolve(options.cwd) !== path.resolve(options.sandbox)
    )
      throw new UsageError(
        'give Savepoint.open either cwd or sandbox (they name the same directory), not both',
        {
          details: { cwd: options.cwd, sandbox: options.sandbox },
        },
      );
    const untrackedSizeCap = options.untrackedSizeCap ?? envSizeCap() ?? DEFAULT_UNTRACKED_SIZE_CAP;
    const sandboxes = new GitSandboxProvider();
    const cwd = path.resolve(options.sandbox ?? options.cwd ?? process.cwd());
    const dbPath = options.db
      ? path.resolve(cwd, options.db)
      : SqliteStore.defaultPath((await sandboxes.open(cwd)).commonDir);
    const store = SqliteStore.open(dbPath);
    const clock = options.clock ?? systemClock;
    const ids = options.ids ?? ulidGenerator();
    const locks = new FileSandboxLocks();
    const lockWaitMs = options.lockWaitMs ?? envLockWait() ?? DEFAULT_LOCK_WAIT_MS;
    const ledger = new Ledger({ store, locks, clock, ids, lockWaitMs });
    return new Savepoint(
      dbPath,
      { store, sandboxes, clock, ids, scanOptions: { untrackedSizeCap }, cwd, ledger },
      locks,
    );
  }

  /** Closes the database. */
  close(): void {
    this.store.close();
  }
}
