/**
 * The operation ledger's model (DESIGN §3 `operations`): one row per mutating action, with
 * its intent (written before anything changes) and its outcome (written after).
 */
import { z } from 'zod';
import { Ulid } from '../plan/model.js';
import { OPERATION_STATES } from './operation-state.js';

/** What an operation does; one per mutating command. */
export const OperationKind = z.enum([
  'plan.create',
  'plan.apply',
  'plan.abandon',
  'plan.policy-set',
  'checkpoint.create',
  'rollback',
  'correction.revert',
  'undo',
  'decision.record',
  'prune',
  'gc',
  'recover',
  'doctor.fix',
]);
export type OperationKind = z.infer<typeof OperationKind>;

/**
 * The outcome row: `committed` (it did what it set out to do), `failed` (with an error code), or
 * `cancelled` (stopped by a signal or a changed sandbox before it changed anything; the error
 * code says why: `CANCELLED`, `SANDBOX_CHANGED_SINCE_PREVIEW`).
 */
export const OperationStatus = z.enum(['committed', 'failed', 'cancelled']);
export type OperationStatus = z.infer<typeof OperationStatus>;

/** What `savepoint recover` did with an unresolved operation: finished it, or returned to its pre-state. */
export const Recovery = z.enum(['forward', 'abort']);
export type Recovery = z.infer<typeof Recovery>;

/** The error an operation failed with: its stable code and message. */
export const OperationError = z.object({ code: z.string(), message: z.string() });
export type OperationError = z.infer<typeof OperationError>;

/** One ledger row. */
export const Operation = z.object({
  opId: Ulid,
  kind: OperationKind,
  planId: Ulid.nullable(),
  /** Canonical path of the sandbox the operation works on (its lock key). */
  sandboxPath: z.string(),
  /** The request, as the caller gave it (flags and arguments). */
  args: z.record(z.string(), z.unknown()),
  intentAt: z.string(),
  /** Durable steps reached so far, e.g. `{ safetyCheckpointId }` for a rollback. */
  progress: z.record(z.string(), z.unknown()),
  outcomeAt: z.string().nullable(),
  status: OperationStatus.nullable(),
  result: z.unknown().nullable(),
  error: OperationError.nullable(),
  /**
   * The operation failed after it had changed the sandbox (e.g. a rollback whose index step
   * met `.git/index.lock`): like an interrupted one, it awaits `savepoint recover`.
   */
  incomplete: z.boolean(),
  pid: z.number().int(),
  hostname: z.string(),
  recovery: Recovery.nullable(),
  recoveredAt: z.string().nullable(),
  /** The `recover` operation that resolved this one. */
  recoveredBy: z.string().nullable(),
});
export type Operation = z.infer<typeof Operation>;

/**
 * The state of an operation as `ops list` shows it, derived from the row and from whether its
 * process still runs (DESIGN §3; the bcli ledger's "state derived for SIGKILLed runs"):
 *
 * - `running`: no outcome yet and its process is alive;
 * - `interrupted`: no outcome and its process is gone (killed, crashed, power loss);
 * - `incomplete`: failed after changing the sandbox; awaits `recover` like `interrupted`;
 * - `committed` / `failed`: the outcome row says so;
 * - `cancelled`: stopped (a signal, a sandbox changed since the preview) before it changed anything;
 * - `recovered`: `savepoint recover` resolved it (see `recovery` for how).
 */
export const OperationState = z.enum(OPERATION_STATES);
export type OperationState = z.infer<typeof OperationState>;

export {
  awaitsRecovery,
  isRollbackKind,
  OPERATION_STATES,
  operationState,
  ROLLBACK_KINDS,
  type RollbackKind,
} from './operation-state.js';
