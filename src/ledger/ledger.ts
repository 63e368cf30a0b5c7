/**
 * The operation ledger (DESIGN §3, §5): every mutating action runs through {@link Ledger.run},
 * which takes the sandbox lock, refuses while an interrupted operation awaits `recover`,
 * writes the intent row durably before the action touches git or files, and the outcome row
 * after. An operation whose process dies leaves an intent without outcome: `interrupted`.
 */
import { hostname } from 'node:os';
import { toSavepointError } from '../core/errors.js';
import { type FaultPoint, faultPoint } from '../core/faults.js';
import type { Clock, IdGenerator, SandboxLocks, Store } from '../core/ports.js';
import { OperationInterruptedError } from './errors.js';
import type { OperationKind } from './model.js';

/**
 * Default time a command waits for the sandbox lock before exit 6 (`BUSY`), ms. Waiters are
 * served in arrival order (the lock's wait queue), so a waiter waits for the holds ahead of
 * it: 8 processes checkpointing a 27k-file repository at once hold it ~0.4–0.7 s each on a
 * loaded 2-core machine (bench/concurrency.ts), well under 30 s; a holder that is stuck
 * (stopped, not dead) still gets `BUSY` reported within half a minute.
 */
export const DEFAULT_LOCK_WAIT_MS = 30_000;

/** What an operation is about, written in its intent row. */
export interface OperationSpec {
  kind: OperationKind;
  planId: string | null;
  /** Canonical sandbox path: the lock key and the scope of the interrupted-operation check. */
  sandboxPath: string;
  /** The repository's common git dir (where the lock lives). */
  commonDir: string;
  /** The request, as given (JSON-serializable). */
  args: Record<string, unknown>;
}

/**
 * The {@link OperationSpec} of an operation on one plan: its sandbox is the lock key, its
 * repository's common git dir holds the lock.
 */
export function planOperation(
  kind: OperationKind,
  plan: { planId: string; sandboxPath: string; gitDir: string },
  args: Record<string, unknown>,
): OperationSpec {
  return { kind, planId: plan.planId, sandboxPath: plan.sandboxPath, commonDir: plan.gitDir, args };
}

/** The operation a body runs as. */
export interface RunningOperation {
  readonly opId: string;
  /** Records a durable step (merged into the row's progress); call inside a store transaction to tie it to other writes. */
  progress(progress: Record<string, unknown>): void;
  /**
   * Says the sandbox's files, index or HEAD are being changed: a failure from now on leaves
   * the operation `incomplete` (awaiting `recover`) rather than plainly `failed`.
   */
  changingSandbox(): void;
}

/** Options of {@link Ledger.run}. */
export interface RunOptions<T> {
  /** The outcome's `result_json` (default: none). */
  summarize?: (value: T) => unknown;
  /** Skip the interrupted-operation check: `recover` is what resolves them. */
  recovering?: boolean;
}

/** Dependencies of the {@link Ledger}. */
export interface LedgerDeps {
  store: Store;
  locks: SandboxLocks;
  clock: Clock;
  ids: IdGenerator;
  /** How long to wait for a sandbox lock, ms. */
  lockWaitMs: number;
}

/**
 * Error codes that stop an operation on purpose before it changes anything: recorded with the
 * outcome `cancelled` (not `failed`) when the operation had recorded no progress and had not
 * started changing the sandbox.
 */
export const CANCELLING_CODES: ReadonlySet<string> = new Set([
  'CANCELLED',
  'CONFIRMATION_DECLINED',
  'SANDBOX_CHANGED_SINCE_PREVIEW',
]);

/** An operation this process is running, as {@link cancelRunningOperations} sees it. */
interface LiveOperation {
  opId: string;
  kind: OperationKind;
  /** True once it recorded progress or said it is changing the sandbox: it may have changed something. */
  mayHaveChanged(): boolean;
  /** Closes (or writes) the row as `cancelled` and releases the sandbox lock, if any, synchronously. */
  cancel(signal: 'SIGINT' | 'SIGTERM'): void;
}

/** The operations running in this process (a command runs one; the library may run several). */
const live = new Set<LiveOperation>();

/**
 * What a signal handler calls before the process exits on SIGINT or SIGTERM (the CLI does; a
 * library user may): synchronously closes every running operation of this process that has
 * changed nothing (no progress recorded, sandbox not being changed) as `cancelled`, error
 * `CANCELLED`, and releases its sandbox lock. An operation that may have changed the sandbox is
 * left without outcome, so once the process is gone it is `interrupted` and `savepoint recover`
 * resolves it. Safe to call between any two awaits: every store write is synchronous.
 *
 * @returns each running operation with the state it is left in
 */
export function cancelRunningOperations(
  signal: 'SIGINT' | 'SIGTERM',
): { opId: string; kind: OperationKind; state: 'cancelled' | 'interrupted' }[] {
  const result: { opId: string; kind: OperationKind; state: 'cancelled' | 'interrupted' }[] = [];
  for (const op of [...live]) {
    if (op.mayHaveChanged()) {
      result.push({ opId: op.opId, kind: op.kind, state: 'interrupted' });
      continue;
    }
    op.cancel(signal);
    live.delete(op);
    result.push({ opId: op.opId, kind: op.kind, state: 'cancelled' });
  }
  return result;
}

const AFTER_INTENT: Partial<Record<OperationKind, FaultPoint>> = {
  'checkpoint.create': 'checkpoint.after-intent',
  rollback: 'rollback.after-intent',
  prune: 'prune.after-intent',
  recover: 'recover.after-intent',
};

export class Ledger {
  constructor(private readonly deps: LedgerDeps) {}

  /**
   * Asks `question` (a confirmation) for the operation `spec` would be, WITHOUT the sandbox
   * lock and without an open row: other processes go on meanwhile. The answer is recorded only
   * when the operation stops there: a "no" as a finished row `cancelled` with
   * `CONFIRMATION_DECLINED`; a thrown error as `cancelled` (a {@link CANCELLING_CODES} code) or
   * `failed` (any other, e.g. `CONFIRMATION_REQUIRED`); a SIGINT/SIGTERM meanwhile (see
   * {@link cancelRunningOperations}) as `cancelled` with `CANCELLED`. A "yes" records nothing:
   * the operation's own row follows from {@link run}.
   */
  async ask(spec: OperationSpec, question: () => Promise<boolean>): Promise<boolean> {
    const opId = this.deps.ids.next();
    const stopped = (status: 'cancelled' | 'failed', code: string, message: string) => {
      const { store, clock } = this.deps;
      const at = clock.now().toISOString();
      store.operations.record(
        {
          opId,
          kind: spec.kind,
          planId: spec.planId,
          sandboxPath: spec.sandboxPath,
          args: spec.args,
          intentAt: at,
          pid: process.pid,
          hostname: hostname(),
        },
        { status, at, result: null, error: { code, message }, incomplete: false },
      );
    };
    const entry: LiveOperation = {
      opId,
      kind: spec.kind,
      mayHaveChanged: () => false,
      cancel: (signal) => stopped('cancelled', 'CANCELLED', `stopped by ${signal} at the confirmation`),
    };
    live.add(entry);
    try {
      const answer = await question();
      if (!answer) stopped('cancelled', 'CONFIRMATION_DECLINED', 'not confirmed; nothing was changed');
      return answer;
    } catch (error) {
      const failure = toSavepointError(error);
      stopped(CANCELLING_CODES.has(failure.code) ? 'cancelled' : 'failed', failure.code, failure.message);
      throw error;
    } finally {
      live.delete(entry);
    }
  }

  /**
   * Runs `body` as one ledger operation under the sandbox lock: lock → refuse if an
   * operation of this sandbox awaits recovery → intent (durable) → body → outcome → unlock.
   * A thrown error is recorded as `failed` with its code and rethrown.
   *
   * @throws {BusyError} `BUSY` (exit 6): the sandbox lock stayed held for `lockWaitMs`
   * @throws {OperationInterruptedError} `OPERATION_INTERRUPTED` (exit 7): run `savepoint recover` first
   */
  async run<T>(
    spec: OperationSpec,
    body: (op: RunningOperation) => Promise<T>,
    options: RunOptions<T> = {},
  ): Promise<T> {
    const { store, locks, clock, ids } = this.deps;
    const lock = await locks.acquire(spec.commonDir, spec.sandboxPath, this.deps.lockWaitMs);
    try {
      if (!options.recovering) {
        // Holding the lock, no live process can be working on this sandbox: an operation
        // without outcome here was interrupted (its process lost the lock by dying).
        const waiting = store.operations.unresolved(spec.sandboxPath);
        if (waiting.length > 0) throw new OperationInterruptedError(spec.sandboxPath, waiting);
      }
      const opId = ids.next();
      store.operations.begin({
        opId,
        kind: spec.kind,
        planId: spec.planId,
        sandboxPath: spec.sandboxPath,
        args: spec.args,
        intentAt: clock.now().toISOString(),
        pid: process.pid,
        hostname: hostname(),
      });
      const point = AFTER_INTENT[spec.kind];
      if (point) faultPoint(point);
      let changing = false;
      let progressed = false;
      const op: RunningOperation = {
        opId,
        progress: (progress) => {
          store.operations.progress(opId, progress);
          progressed = true;
        },
        changingSandbox: () => {
          changing = true;
        },
      };
      const entry: LiveOperation = {
        opId,
        kind: spec.kind,
        mayHaveChanged: () => changing || progressed,
        cancel: (signal) => {
          store.operations.finish(opId, {
            status: 'cancelled',
            at: clock.now().toISOString(),
            result: null,
            error: { code: 'CANCELLED', message: `stopped by ${signal} before it changed anything` },
            incomplete: false,
          });
          lock.releaseSync();
        },
      };
      live.add(entry);
      let value: T;
      try {
        value = await body(op);
      } catch (error) {
        const failure = toSavepointError(error);
        const cancelled = CANCELLING_CODES.has(failure.code) && !changing && !progressed;
        store.operations.finish(opId, {
          status: cancelled ? 'cancelled' : 'failed',
          at: clock.now().toISOString(),
          result: null,
          error: { code: failure.code, message: failure.message },
          incomplete: changing,
        });
        throw error;
      } finally {
        live.delete(entry);
      }
      store.operations.finish(opId, {
        status: 'committed',
        at: clock.now().toISOString(),
        result: options.summarize?.(value) ?? null,
        error: null,
        incomplete: false,
      });
      return value;
    } finally {
      await lock.release();
    }
  }
}
