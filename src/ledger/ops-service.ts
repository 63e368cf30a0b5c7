/**
 * OpsService: reading the operation ledger (`savepoint ops list|show`), with each row's
 * derived state (see {@link operationState}).
 */
import type { ServiceDeps } from '../checkpoint/checkpoint-service.js';
import { UsageError } from '../core/errors.js';
import { ownerAlive } from '../core/process.js';
import { OperationNotFoundError } from './errors.js';
import type { Operation, OperationState } from './model.js';
import { OPERATION_STATES, operationState } from './operation-state.js';

/** A ledger row with its derived state. */
export type OperationView = Operation & { state: OperationState };

/** Filter of {@link OpsService.list}. */
export interface OpsFilter {
  planId?: string;
  state?: OperationState;
  /** At most this many rows, newest first (default 50). */
  limit?: number;
}

export class OpsService {
  constructor(private readonly deps: ServiceDeps) {}

  /** The row with its state, derived now. */
  view(op: Operation): OperationView {
    return { ...op, state: operationState(op, ownerAlive(op.pid, op.hostname)) };
  }

  /**
   * Operations, newest first.
   *
   * @throws {UsageError} `USAGE` (exit 2): bad limit or state
   */
  list(filter: OpsFilter = {}): OperationView[] {
    const limit = filter.limit ?? 50;
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new UsageError(`--limit must be a whole number ≥ 1, got ${limit}`);
    if (filter.state !== undefined && !(OPERATION_STATES as readonly string[]).includes(filter.state)) {
      throw new UsageError(`--state must be one of ${OPERATION_STATES.join(', ')}`);
    }
    const planId = filter.planId?.toUpperCase();
    // A state filter reads past the limit: states are derived, not stored.
    const rows = this.deps.store.operations.list({
      ...(planId === undefined ? {} : { planId }),
      limit: filter.state === undefined ? limit : Number.MAX_SAFE_INTEGER,
    });
    return rows
      .map((op) => this.view(op))
      .filter((op) => filter.state === undefined || op.state === filter.state)
      .slice(0, limit);
  }

  /** @throws {OperationNotFoundError} `OPERATION_NOT_FOUND` (exit 3) */
  show(opId: string): OperationView {
    const op = this.deps.store.operations.get(opId.toUpperCase());
    if (!op) throw new OperationNotFoundError(opId);
    return this.view(op);
  }
}
