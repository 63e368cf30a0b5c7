/**
 * The zod-free part of the ledger model: rollback kinds and the derived operation state, for
 * the services every command loads (`model.ts` builds the zod schemas from these and
 * re-exports them).
 */

/** Operations that roll the sandbox back (safety checkpoint, then files, index, HEAD): recovered alike. */
export const ROLLBACK_KINDS = ['rollback', 'correction.revert', 'undo'] as const;
export type RollbackKind = (typeof ROLLBACK_KINDS)[number];

/** True for a rollback, a correction revert or an undo. */
export function isRollbackKind(kind: string): kind is RollbackKind {
  return (ROLLBACK_KINDS as readonly string[]).includes(kind);
}

/** The states of an operation as `ops list` shows them (see `OperationState` in `model.ts`). */
export const OPERATION_STATES = [
  'running',
  'interrupted',
  'incomplete',
  'committed',
  'failed',
  'cancelled',
  'recovered',
] as const;
export type OperationState = (typeof OPERATION_STATES)[number];

/** The fields of an operation row its state derives from (an `Operation` of `model.ts`). */
interface OperationOutcomeFields {
  status: 'committed' | 'failed' | 'cancelled' | null;
  incomplete: boolean;
  recovery: 'forward' | 'abort' | null;
}

/** Derives an operation's {@link OperationState}; `processAlive` says whether its pid still runs. */
export function operationState(op: OperationOutcomeFields, processAlive: boolean): OperationState {
  if (op.recovery !== null) return 'recovered';
  if (op.status === null) return processAlive ? 'running' : 'interrupted';
  if (op.incomplete) return 'incomplete';
  return op.status;
}

/** True when the operation blocks mutating commands on its sandbox until `recover` runs (no outcome, or incomplete). */
export function awaitsRecovery(op: OperationOutcomeFields): boolean {
  return op.recovery === null && (op.status === null || op.incomplete);
}
