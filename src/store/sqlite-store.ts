/**
 * SQLite repositories of the {@link Store} port. All SQL is parameterized; every row is
 * parsed through a zod schema on the way out, so a corrupt or hand-edited row fails loudly.
 */
import type Database from 'better-sqlite3';
import { z } from 'zod';
import type { CheckpointQuery } from '../checkpoint/list-filter.js';
import { Checkpoint, type CheckpointKind, CheckpointMetadata, CheckpointType } from '../checkpoint/model.js';
import { BusyError, InternalError, StoreIntegrityError } from '../core/errors.js';
import type {
  AttemptEnd,
  AttemptQuery,
  AttemptStore,
  CheckpointStore,
  DecisionStore,
  OperationIntent,
  OperationOutcome,
  OperationStore,
  PlanStore,
  Store,
} from '../core/ports.js';
import { Decision, DecisionState } from '../decision/model.js';
import { Attempt, AttemptOutcome } from '../exec/model.js';
import { Operation, type Recovery } from '../ledger/model.js';
import { ActivePlanExistsError } from '../plan/errors.js';
import { Plan, PlanPolicy, PlanState } from '../plan/model.js';
import { defaultDatabasePath, openDatabase } from './database.js';

const json = <T extends z.ZodType>(schema: T) =>
  z.string().transform((text) => schema.parse(JSON.parse(text)));

const PlanRow = z
  .object({
    plan_id: z.string(),
    name: z.string().nullable(),
    sandbox_path: z.string(),
    git_dir: z.string(),
    repository_id: z.string(),
    base_commit: z.string().nullable(),
    state: PlanState,
    policy_json: json(PlanPolicy),
    managed_worktree: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
    applied_at: z.string().nullable(),
  })
  .transform((row) =>
    Plan.parse({
      planId: row.plan_id,
      name: row.name,
      sandboxPath: row.sandbox_path,
      gitDir: row.git_dir,
      repositoryId: row.repository_id,
      baseCommit: row.base_commit,
      state: row.state,
      policy: row.policy_json,
      managedWorktree: row.managed_worktree === 1,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      appliedAt: row.applied_at,
    }),
  );

const CheckpointRow = z
  .object({
    checkpoint_id: z.string(),
    plan_id: z.string(),
    seq: z.number().int(),
    checkpoint_type: CheckpointType,
    sandbox_ref: z.string().nullable(),
    commit_sha: z.string().nullable(),
    tree_sha: z.string(),
    index_tree_sha: z.string(),
    head_sha: z.string().nullable(),
    head_ref: z.string().nullable(),
    filesystem_path: z.string(),
    resource_id: z.string().nullable(),
    size_bytes: z.number().int().nullable(),
    files_changed: z.number().int().nullable(),
    created_at: z.string(),
    metadata_json: json(CheckpointMetadata),
  })
  .transform((row) =>
    Checkpoint.parse({
      checkpointId: row.checkpoint_id,
      planId: row.plan_id,
      seq: row.seq,
      checkpointType: row.checkpoint_type,
      sandboxRef: row.sandbox_ref,
      commitSha: row.commit_sha,
      treeSha: row.tree_sha,
      indexTreeSha: row.index_tree_sha,
      headSha: row.head_sha,
      headRef: row.head_ref,
      filesystemPath: row.filesystem_path,
      resourceId: row.resource_id,
      sizeBytes: row.size_bytes,
      filesChanged: row.files_changed,
      createdAt: row.created_at,
      metadata: row.metadata_json,
    }),
  );

const CHECKPOINT_COLUMNS = `checkpoint_id, plan_id, seq, checkpoint_type, sandbox_ref, commit_sha, tree_sha,
  index_tree_sha, head_sha, head_ref, filesystem_path, resource_id, size_bytes, files_changed, created_at,
  metadata_json`;

function parseRow<T>(schema: z.ZodType<T>, row: unknown, table: string): T {
  try {
    return schema.parse(row);
  } catch (error) {
    // Nested parses inside transforms throw their own ZodError: every one is a corrupt row.
    const reason = error instanceof z.ZodError ? z.prettifyError(error) : String(error);
    throw new StoreIntegrityError('STORE_CORRUPT', `a ${table} row does not match the schema: ${reason}`, {
      cause: error,
      details: { table },
    });
  }
}

function sqliteCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

class SqlitePlanStore implements PlanStore {
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      insert:
        db.prepare(`INSERT INTO plans (plan_id, name, sandbox_path, git_dir, repository_id, base_commit, state,
        policy_json, managed_worktree, created_at, updated_at, applied_at)
        VALUES (@planId, @name, @sandboxPath, @gitDir, @repositoryId, @baseCommit, @state, @policy, @managedWorktree,
        @createdAt, @updatedAt, @appliedAt)`),
      get: db.prepare('SELECT * FROM plans WHERE plan_id = ?'),
      list: db.prepare('SELECT * FROM plans ORDER BY plan_id'),
      listByState: db.prepare('SELECT * FROM plans WHERE state = ? ORDER BY plan_id'),
      active: db.prepare(`SELECT * FROM plans WHERE sandbox_path = ? AND state = 'active'`),
      updatePolicy: db.prepare(
        `UPDATE plans SET policy_json = @policy, updated_at = @at WHERE plan_id = @planId AND state = 'active'`,
      ),
      transition: db.prepare(`UPDATE plans SET state = @to, updated_at = @at,
        applied_at = CASE WHEN @to = 'applied' THEN @at ELSE applied_at END
        WHERE plan_id = @planId AND state = @from`),
    };
  }

  insert(plan: Plan): void {
    try {
      this.statements.insert.run({
        ...plan,
        policy: JSON.stringify(plan.policy),
        managedWorktree: plan.managedWorktree ? 1 : 0,
      });
    } catch (error) {
      if (sqliteCode(error) === 'SQLITE_CONSTRAINT_UNIQUE') {
        const active = this.activeForSandbox(plan.sandboxPath);
        if (active) throw new ActivePlanExistsError(plan.sandboxPath, active.planId);
      }
      throw error;
    }
  }

  get(planId: string): Plan | undefined {
    const row = this.statements.get.get(planId);
    return row === undefined ? undefined : parseRow(PlanRow, row, 'plans');
  }

  list(filter: { state?: PlanState }): Plan[] {
    const rows = filter.state ? this.statements.listByState.all(filter.state) : this.statements.list.all();
    return rows.map((row) => parseRow(PlanRow, row, 'plans'));
  }

  activeForSandbox(sandboxPath: string): Plan | undefined {
    const row = this.statements.active.get(sandboxPath);
    return row === undefined ? undefined : parseRow(PlanRow, row, 'plans');
  }

  updatePolicy(planId: string, policy: PlanPolicy, at: string): boolean {
    return this.statements.updatePolicy.run({ planId, policy: JSON.stringify(policy), at }).changes === 1;
  }

  transition(planId: string, from: PlanState, to: PlanState, at: string): boolean {
    return this.statements.transition.run({ planId, from, to, at }).changes === 1;
  }
}

class SqliteCheckpointStore implements CheckpointStore {
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      insert: db.prepare(`INSERT INTO checkpoints (${CHECKPOINT_COLUMNS}, patch)
        VALUES (@checkpointId, @planId,
          (SELECT coalesce(max(seq), 0) + 1 FROM checkpoints WHERE plan_id = @planId),
          @checkpointType, @sandboxRef, @commitSha, @treeSha, @indexTreeSha, @headSha, @headRef, @filesystemPath,
          @resourceId, @sizeBytes, @filesChanged, @createdAt, @metadata, @patch)
        RETURNING ${CHECKPOINT_COLUMNS}`),
      get: db.prepare(`SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints WHERE checkpoint_id = ?`),
      patch: db.prepare('SELECT patch FROM checkpoints WHERE checkpoint_id = ?'),
      latest: db.prepare(
        `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints WHERE plan_id = ? ORDER BY seq DESC LIMIT 1`,
      ),
      list: db.prepare(`SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints WHERE plan_id = ? ORDER BY seq`),
      // Newest first under the limit (LIMIT -1: none), then back to oldest first. A null
      // parameter switches its filter off; plan_id and seq come from the (plan_id, seq) index.
      query: db.prepare(`SELECT * FROM (
          SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints
          WHERE plan_id = @planId
            AND (@tool IS NULL OR json_extract(metadata_json, '$.tool') = @tool)
            AND (@phase IS NULL OR json_extract(metadata_json, '$.phase') = @phase)
            AND (@since IS NULL OR created_at >= @since)
          ORDER BY seq DESC LIMIT @limit
        ) ORDER BY seq`),
      before: db.prepare(
        `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints WHERE plan_id = ? AND seq < ? ORDER BY seq DESC LIMIT 1`,
      ),
      // Kept by triggers (migration 8): O(1) however many checkpoints the plan has.
      count: db.prepare('SELECT n FROM plan_checkpoint_counts WHERE plan_id = ?'),
      oldest: db.prepare(
        `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints WHERE plan_id = ? ORDER BY seq LIMIT ?`,
      ),
      // Same expression as the checkpoints_plan_kind index (migration 2), so SQLite uses it.
      latestOfKind: db.prepare(
        `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints
        WHERE plan_id = ? AND json_extract(metadata_json, '$.kind') = ? ORDER BY seq DESC LIMIT 1`,
      ),
      delete: db.prepare('DELETE FROM checkpoints WHERE checkpoint_id = ?'),
      orphans: db.prepare(
        `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints
        WHERE NOT EXISTS (SELECT 1 FROM plans WHERE plans.plan_id = checkpoints.plan_id) ORDER BY checkpoint_id`,
      ),
    };
  }

  insert(
    checkpoint: Omit<Checkpoint, 'seq' | 'resourceId'> & { resourceId?: string | null },
    patch?: Uint8Array,
  ): Checkpoint {
    const row = this.statements.insert.get({
      ...checkpoint,
      resourceId: checkpoint.resourceId ?? null,
      metadata: JSON.stringify(checkpoint.metadata),
      patch: patch === undefined ? null : Buffer.from(patch.buffer, patch.byteOffset, patch.byteLength),
    });
    return parseRow(CheckpointRow, row, 'checkpoints');
  }

  patch(checkpointId: string): Buffer | undefined {
    const row = this.statements.patch.get(checkpointId) as { patch: unknown } | undefined;
    return Buffer.isBuffer(row?.patch) ? row.patch : undefined;
  }

  get(checkpointId: string): Checkpoint | undefined {
    const row = this.statements.get.get(checkpointId);
    return row === undefined ? undefined : parseRow(CheckpointRow, row, 'checkpoints');
  }

  latest(planId: string): Checkpoint | undefined {
    const row = this.statements.latest.get(planId);
    return row === undefined ? undefined : parseRow(CheckpointRow, row, 'checkpoints');
  }

  list(planId: string, query?: CheckpointQuery): Checkpoint[] {
    const rows =
      query === undefined
        ? this.statements.list.all(planId)
        : this.statements.query.all({
            planId,
            tool: query.tool ?? null,
            phase: query.phase ?? null,
            since: query.since ?? null,
            limit: query.limit ?? -1,
          });
    return rows.map((row) => parseRow(CheckpointRow, row, 'checkpoints'));
  }

  before(planId: string, seq: number): Checkpoint | undefined {
    const row = this.statements.before.get(planId, seq);
    return row === undefined ? undefined : parseRow(CheckpointRow, row, 'checkpoints');
  }

  count(planId: string): number {
    return (this.statements.count.get(planId) as { n: number } | undefined)?.n ?? 0;
  }

  oldest(planId: string, limit: number): Checkpoint[] {
    return this.statements.oldest
      .all(planId, limit)
      .map((row) => parseRow(CheckpointRow, row, 'checkpoints'));
  }

  latestOfKind(planId: string, kind: CheckpointKind): Checkpoint | undefined {
    const row = this.statements.latestOfKind.get(planId, kind);
    return row === undefined ? undefined : parseRow(CheckpointRow, row, 'checkpoints');
  }

  delete(checkpointIds: readonly string[]): number {
    let deleted = 0;
    for (const id of checkpointIds) deleted += this.statements.delete.run(id).changes;
    return deleted;
  }

  orphans(): Checkpoint[] {
    return this.statements.orphans.all().map((row) => parseRow(CheckpointRow, row, 'checkpoints'));
  }
}

const OperationRow = z
  .object({
    op_id: z.string(),
    kind: z.string(),
    plan_id: z.string().nullable(),
    sandbox_path: z.string(),
    args_json: json(z.record(z.string(), z.unknown())),
    intent_at: z.string(),
    progress_json: json(z.record(z.string(), z.unknown())),
    outcome_at: z.string().nullable(),
    status: z.string().nullable(),
    result_json: z.string().nullable(),
    error: z.string().nullable(),
    error_message: z.string().nullable(),
    incomplete: z.number().int(),
    pid: z.number().int(),
    hostname: z.string(),
    recovery: z.string().nullable(),
    recovered_at: z.string().nullable(),
    recovered_by: z.string().nullable(),
  })
  .transform((row) =>
    Operation.parse({
      opId: row.op_id,
      kind: row.kind,
      planId: row.plan_id,
      sandboxPath: row.sandbox_path,
      args: row.args_json,
      intentAt: row.intent_at,
      progress: row.progress_json,
      outcomeAt: row.outcome_at,
      status: row.status,
      result: row.result_json === null ? null : JSON.parse(row.result_json),
      error: row.error === null ? null : { code: row.error, message: row.error_message ?? '' },
      incomplete: row.incomplete === 1,
      pid: row.pid,
      hostname: row.hostname,
      recovery: row.recovery,
      recoveredAt: row.recovered_at,
      recoveredBy: row.recovered_by,
    }),
  );

function outcomeParams(opId: string, outcome: OperationOutcome) {
  return {
    opId,
    status: outcome.status,
    at: outcome.at,
    result: outcome.result === undefined ? null : JSON.stringify(outcome.result),
    error: outcome.error?.code ?? null,
    errorMessage: outcome.error?.message ?? null,
    incomplete: outcome.incomplete ? 1 : 0,
  };
}

class SqliteOperationStore implements OperationStore {
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    this.statements = {
      insert:
        db.prepare(`INSERT INTO operations (op_id, kind, plan_id, sandbox_path, args_json, intent_at, pid, hostname)
        VALUES (@opId, @kind, @planId, @sandboxPath, @args, @intentAt, @pid, @hostname)`),
      insertFinished:
        db.prepare(`INSERT INTO operations (op_id, kind, plan_id, sandbox_path, args_json, intent_at, pid, hostname,
          status, outcome_at, result_json, error, error_message, incomplete)
        VALUES (@opId, @kind, @planId, @sandboxPath, @args, @intentAt, @pid, @hostname,
          @status, @at, @result, @error, @errorMessage, @incomplete)`),
      progress: db.prepare(
        `UPDATE operations SET progress_json = json_patch(progress_json, @progress) WHERE op_id = @opId`,
      ),
      finish: db.prepare(`UPDATE operations SET status = @status, outcome_at = @at, result_json = @result,
        error = @error, error_message = @errorMessage, incomplete = @incomplete
        WHERE op_id = @opId AND status IS NULL`),
      resolve: db.prepare(`UPDATE operations SET status = @status, outcome_at = @at, result_json = @result,
        error = @error, error_message = @errorMessage, incomplete = @incomplete,
        recovery = @recovery, recovered_at = @at, recovered_by = @by
        WHERE op_id = @opId AND recovery IS NULL AND (status IS NULL OR incomplete = 1)`),
      get: db.prepare('SELECT * FROM operations WHERE op_id = ?'),
      list: db.prepare('SELECT * FROM operations ORDER BY op_id DESC LIMIT ?'),
      listByPlan: db.prepare('SELECT * FROM operations WHERE plan_id = ? ORDER BY op_id DESC LIMIT ?'),
      unresolved: db.prepare(`SELECT * FROM operations
        WHERE sandbox_path = ? AND recovery IS NULL AND (status IS NULL OR incomplete = 1) ORDER BY op_id`),
      unresolvedAll: db.prepare(`SELECT * FROM operations
        WHERE recovery IS NULL AND (status IS NULL OR incomplete = 1) ORDER BY op_id`),
    };
  }

  begin(intent: OperationIntent): void {
    // WAL with synchronous=NORMAL already keeps a committed row through a killed process (the
    // WAL is in the OS page cache); FULL also fsyncs the WAL at commit, so the intent survives
    // a power loss that the files the operation then writes might survive (sqlite.org/pragma.html#pragma_synchronous).
    this.db.pragma('synchronous = FULL');
    try {
      this.db
        .transaction(() => this.statements.insert.run({ ...intent, args: JSON.stringify(intent.args) }))
        .immediate();
    } catch (error) {
      if (sqliteCode(error) === 'SQLITE_BUSY') {
        throw new BusyError('the savepoint database is locked by another process; retry', { cause: error });
      }
      throw error;
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }

  record(intent: OperationIntent, outcome: OperationOutcome): void {
    this.statements.insertFinished.run({
      ...intent,
      args: JSON.stringify(intent.args),
      ...outcomeParams(intent.opId, outcome),
    });
  }

  progress(opId: string, progress: Record<string, unknown>): void {
    this.statements.progress.run({ opId, progress: JSON.stringify(progress) });
  }

  finish(opId: string, outcome: OperationOutcome): boolean {
    return this.statements.finish.run(outcomeParams(opId, outcome)).changes === 1;
  }

  resolve(opId: string, resolution: { recovery: Recovery; by: string; outcome: OperationOutcome }): boolean {
    const params = {
      ...outcomeParams(opId, resolution.outcome),
      recovery: resolution.recovery,
      by: resolution.by,
    };
    return this.statements.resolve.run(params).changes === 1;
  }

  get(opId: string): Operation | undefined {
    const row = this.statements.get.get(opId);
    return row === undefined ? undefined : parseRow(OperationRow, row, 'operations');
  }

  list(filter: { planId?: string; limit: number }): Operation[] {
    const rows =
      filter.planId === undefined
        ? this.statements.list.all(filter.limit)
        : this.statements.listByPlan.all(filter.planId, filter.limit);
    return rows.map((row) => parseRow(OperationRow, row, 'operations'));
  }

  unresolved(sandboxPath?: string): Operation[] {
    const rows =
      sandboxPath === undefined
        ? this.statements.unresolvedAll.all()
        : this.statements.unresolved.all(sandboxPath);
    return rows.map((row) => parseRow(OperationRow, row, 'operations'));
  }
}

const DecisionRow = z
  .object({
    decision_id: z.string(),
    plan_id: z.string(),
    seq: z.number().int(),
    checkpoint_id: z.string().nullable(),
    summary: z.string(),
    state: DecisionState,
    created_at: z.string(),
    reverted_at: z.string().nullable(),
    reverted_by: z.string().nullable(),
    reactivated_by: z.string().nullable(),
  })
  .transform((row) =>
    Decision.parse({
      decisionId: row.decision_id,
      planId: row.plan_id,
      seq: row.seq,
      checkpointId: row.checkpoint_id,
      summary: row.summary,
      state: row.state,
      createdAt: row.created_at,
      revertedAt: row.reverted_at,
      revertedBy: row.reverted_by,
      reactivatedBy: row.reactivated_by,
    }),
  );

const DECISION_COLUMNS = `decision_id, plan_id, seq, checkpoint_id, summary, state, created_at, reverted_at,
  reverted_by, reactivated_by`;

class SqliteDecisionStore implements DecisionStore {
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      insert: db.prepare(`INSERT INTO decisions (${DECISION_COLUMNS})
        VALUES (@decisionId, @planId,
          (SELECT coalesce(max(seq), 0) + 1 FROM decisions WHERE plan_id = @planId),
          @checkpointId, @summary, @state, @createdAt, @revertedAt, @revertedBy, @reactivatedBy)
        RETURNING ${DECISION_COLUMNS}`),
      get: db.prepare(`SELECT ${DECISION_COLUMNS} FROM decisions WHERE decision_id = ?`),
      list: db.prepare(`SELECT ${DECISION_COLUMNS} FROM decisions WHERE plan_id = ? ORDER BY seq`),
      listByState: db.prepare(
        `SELECT ${DECISION_COLUMNS} FROM decisions WHERE plan_id = ? AND state = ? ORDER BY seq`,
      ),
      activeFrom: db.prepare(
        `SELECT ${DECISION_COLUMNS} FROM decisions WHERE plan_id = ? AND state = 'active' AND seq >= ? ORDER BY seq`,
      ),
      revertFrom: db.prepare(`UPDATE decisions SET state = 'reverted', reverted_at = @at, reverted_by = @by
        WHERE plan_id = @planId AND state = 'active' AND seq >= @fromSeq RETURNING decision_id, seq`),
      revertedBy: db.prepare(
        `SELECT ${DECISION_COLUMNS} FROM decisions WHERE reverted_by = ? AND state = 'reverted' ORDER BY plan_id, seq`,
      ),
      reactivatedBy: db.prepare(
        `SELECT ${DECISION_COLUMNS} FROM decisions WHERE reactivated_by = ? AND state = 'active' ORDER BY plan_id, seq`,
      ),
      reactivate: db.prepare(`UPDATE decisions
        SET state = 'active', reverted_at = NULL, reverted_by = NULL, reactivated_by = @by
        WHERE decision_id = @decisionId AND state = 'reverted'`),
      revert: db.prepare(`UPDATE decisions SET state = 'reverted', reverted_at = @at, reverted_by = @by
        WHERE decision_id = @decisionId AND state = 'active'`),
      putBack: db.prepare(`UPDATE decisions SET state = @state, reverted_at = @revertedAt,
        reverted_by = @revertedBy, reactivated_by = @reactivatedBy WHERE decision_id = @decisionId`),
      pinned: db.prepare(`SELECT checkpoint_id FROM decisions
          WHERE plan_id = @planId AND state = 'active' AND checkpoint_id IS NOT NULL
        UNION
        SELECT checkpoint_id FROM decisions
          WHERE reverted_by IN (@a, @b) AND state = 'reverted' AND plan_id = @planId AND checkpoint_id IS NOT NULL`),
    };
  }

  insert(decision: Omit<Decision, 'seq'>): Decision {
    return parseRow(DecisionRow, this.statements.insert.get(decision), 'decisions');
  }

  get(decisionId: string): Decision | undefined {
    const row = this.statements.get.get(decisionId);
    return row === undefined ? undefined : parseRow(DecisionRow, row, 'decisions');
  }

  list(planId: string, filter: { state?: DecisionState }): Decision[] {
    const rows = filter.state
      ? this.statements.listByState.all(planId, filter.state)
      : this.statements.list.all(planId);
    return rows.map((row) => parseRow(DecisionRow, row, 'decisions'));
  }

  activeFrom(planId: string, fromSeq: number): Decision[] {
    return this.statements.activeFrom
      .all(planId, fromSeq)
      .map((row) => parseRow(DecisionRow, row, 'decisions'));
  }

  revertFrom(planId: string, fromSeq: number, at: string, by: string): string[] {
    const rows = this.statements.revertFrom.all({ planId, fromSeq, at, by }) as {
      decision_id: string;
      seq: number;
    }[];
    return rows.sort((a, b) => a.seq - b.seq).map((row) => row.decision_id);
  }

  revertedBy(by: string): Decision[] {
    return this.statements.revertedBy.all(by).map((row) => parseRow(DecisionRow, row, 'decisions'));
  }

  reactivatedBy(by: string): Decision[] {
    return this.statements.reactivatedBy.all(by).map((row) => parseRow(DecisionRow, row, 'decisions'));
  }

  reactivate(decisionIds: readonly string[], by: string): string[] {
    return decisionIds.filter(
      (decisionId) => this.statements.reactivate.run({ decisionId, by }).changes === 1,
    );
  }

  revert(decisionIds: readonly string[], at: string, by: string): string[] {
    return decisionIds.filter(
      (decisionId) => this.statements.revert.run({ decisionId, at, by }).changes === 1,
    );
  }

  putBack(rows: readonly Decision[]): void {
    for (const { decisionId, state, revertedAt, revertedBy, reactivatedBy } of rows)
      this.statements.putBack.run({ decisionId, state, revertedAt, revertedBy, reactivatedBy });
  }

  pinnedCheckpoints(planId: string, undoable: readonly string[]): string[] {
    if (undoable.length > 2)
      throw new InternalError('pinnedCheckpoints takes at most two safety checkpoint ids');
    const [a = null, b = null] = undoable;
    return (this.statements.pinned.all({ planId, a, b }) as { checkpoint_id: string }[]).map(
      (row) => row.checkpoint_id,
    );
  }
}

const AttemptRow = z
  .object({
    attempt_id: z.string(),
    plan_id: z.string(),
    tool: z.string(),
    argv_json: json(z.array(z.string())),
    exit_code: z.number().int().nullable(),
    signal: z.string().nullable(),
    elapsed_ms: z.number().int().nullable(),
    outcome: AttemptOutcome.exclude(['interrupted']),
    checkpoint_id: z.string().nullable(),
    rollback_safety_checkpoint_id: z.string().nullable(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    pid: z.number().int(),
    hostname: z.string(),
  })
  .transform((row) =>
    Attempt.parse({
      attemptId: row.attempt_id,
      planId: row.plan_id,
      tool: row.tool,
      argv: row.argv_json,
      exitCode: row.exit_code,
      signal: row.signal,
      elapsedMs: row.elapsed_ms,
      outcome: row.outcome,
      checkpointId: row.checkpoint_id,
      rollbackSafetyCheckpointId: row.rollback_safety_checkpoint_id,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      pid: row.pid,
      hostname: row.hostname,
    }),
  );

class SqliteAttemptStore implements AttemptStore {
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    this.statements = {
      start: db.prepare(`INSERT INTO attempts (attempt_id, plan_id, tool, argv_json, outcome, checkpoint_id,
        started_at, pid, hostname)
        VALUES (@attemptId, @planId, @tool, @argv, 'running', @checkpointId, @startedAt, @pid, @hostname)`),
      finish:
        db.prepare(`UPDATE attempts SET exit_code = @exitCode, signal = @signal, elapsed_ms = @elapsedMs,
        outcome = @outcome, rollback_safety_checkpoint_id = @rollbackSafetyCheckpointId, finished_at = @finishedAt
        WHERE attempt_id = @attemptId AND outcome = 'running'`),
      discard: db.prepare(`DELETE FROM attempts WHERE attempt_id = ? AND outcome = 'running'`),
      running: db.prepare(`SELECT attempt_id, checkpoint_id, pid, hostname FROM attempts
        WHERE plan_id = ? AND outcome = 'running' AND checkpoint_id IS NOT NULL`),
    };
  }

  start(attempt: Parameters<AttemptStore['start']>[0]): void {
    const { argv, ...row } = attempt;
    this.statements.start.run({ ...row, argv: JSON.stringify(argv) });
  }

  finish(attemptId: string, end: AttemptEnd): void {
    if (this.statements.finish.run({ ...end, attemptId }).changes !== 1)
      throw new InternalError(`attempt ${attemptId} is not running: its end cannot be recorded`);
  }

  discard(attemptId: string): void {
    this.statements.discard.run(attemptId);
  }

  running(planId: string): ReturnType<AttemptStore['running']> {
    return (
      this.statements.running.all(planId) as {
        attempt_id: string;
        checkpoint_id: string;
        pid: number;
        hostname: string;
      }[]
    ).map((row) => ({
      attemptId: row.attempt_id,
      checkpointId: row.checkpoint_id,
      pid: row.pid,
      hostname: row.hostname,
    }));
  }

  list(query: AttemptQuery): Attempt[] {
    // Only fixed SQL fragments are joined; every value is a parameter.
    const columns = { planId: 'plan_id =', tool: 'tool =', outcome: 'outcome =', since: 'started_at >=' };
    const where: string[] = [];
    const params: Record<string, string> = {};
    for (const [key, test] of Object.entries(columns)) {
      const value = query[key as keyof AttemptQuery];
      if (value === undefined) continue;
      where.push(`${test} @${key}`);
      params[key] = value;
    }
    const sql = `SELECT * FROM attempts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY started_at, attempt_id`;
    return this.db
      .prepare(sql)
      .all(params)
      .map((row) => parseRow(AttemptRow, row, 'attempts'));
  }
}

/** The {@link Store} port over one better-sqlite3 connection. */
export class SqliteStore implements Store {
  readonly plans: PlanStore;
  readonly checkpoints: CheckpointStore;
  readonly operations: OperationStore;
  readonly decisions: DecisionStore;
  readonly attempts: AttemptStore;

  private constructor(private readonly db: Database.Database) {
    this.plans = new SqlitePlanStore(db);
    this.checkpoints = new SqliteCheckpointStore(db);
    this.operations = new SqliteOperationStore(db);
    this.decisions = new SqliteDecisionStore(db);
    this.attempts = new SqliteAttemptStore(db);
  }

  integrityProblems(): string[] {
    const rows = this.db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((row) => row.integrity_check).filter((line) => line !== 'ok');
  }

  /**
   * Opens the database file (see `openDatabase` for pragmas and checks).
   *
   * @param file absolute path, e.g. from {@link defaultDatabasePath}
   * @throws {StoreIntegrityError} foreign or newer database; nothing is written
   */
  static open(file: string): SqliteStore {
    return new SqliteStore(openDatabase(file));
  }

  /** Path of the database of the repository whose common git dir is `gitCommonDir`. */
  static defaultPath(gitCommonDir: string): string {
    return defaultDatabasePath(gitCommonDir);
  }

  transaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (error) {
      if (sqliteCode(error) === 'SQLITE_BUSY') {
        throw new BusyError('the savepoint database is locked by another process; retry', { cause: error });
      }
      throw error;
    }
  }

  close(): void {
    this.db.close();
  }
}
