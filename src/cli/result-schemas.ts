/**
 * The zod schema of every command's `--json` result, and of the error envelope (DESIGN §5b).
 *
 * Built from the models (`Plan`, `Checkpoint`, `Decision`, `Operation`); where a service
 * returns a TypeScript interface, a compile-time check at the end of this file makes the
 * interface and the schema agree both ways, so neither can change alone.
 * `docs/reference/schemas/*.schema.json` are generated from these (`npm run schemas`).
 */
import { z } from 'zod';
import type {
  CheckpointExport,
  CheckpointResult,
  CheckpointSkipped,
} from '../checkpoint/checkpoint-service.js';
import type { CheckpointComparison, ComparedWith } from '../checkpoint/diff-service.js';
import { Checkpoint, CheckpointType, SkippedPath } from '../checkpoint/model.js';
import type { GcResult, PruneResult } from '../checkpoint/retention-service.js';
import type { DiffStatEntry, MovedAside, TreeChange } from '../core/ports.js';
import type { CorrectionReport, UndoReport } from '../decision/correction-service.js';
import type { DecisionRecorded } from '../decision/decision-service.js';
import { Decision } from '../decision/model.js';
import type { AttemptStatsRow, ExecResult } from '../exec/exec-service.js';
import { Attempt, FinishedAttempt, FinishedOutcome } from '../exec/model.js';
import type { DoctorReport } from '../ledger/doctor-service.js';
import { Operation, OperationState, Recovery } from '../ledger/model.js';
import type { OperationView } from '../ledger/ops-service.js';
import type { RecoverReport } from '../ledger/recovery-service.js';
import { Plan, PlanPolicy, Ulid } from '../plan/model.js';
import type { PlanDetails, PlanPolicyResult } from '../plan/plan-service.js';
import type { RestoreCounts } from '../plan/rollback-rules.js';
import type { RollbackReport } from '../plan/rollback-service.js';

const Change = z.enum(['added', 'modified', 'deleted']);
const TreeChangeSchema = z.object({ path: z.string(), change: Change });
const RestoreCountsSchema = z.object({
  added: z.number().int().nonnegative(),
  modified: z.number().int().nonnegative(),
  deleted: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
});

/** `checkpoint list`. */
export const CheckpointListResult = z.object({ planId: Ulid, checkpoints: z.array(Checkpoint) });

/** `checkpoint create`: a checkpoint (`skipped: false`) or a tool the plan's policy declares `skip`. */
export const CheckpointCreateResult = z.discriminatedUnion('skipped', [
  Checkpoint.extend({
    skipped: z.literal(false),
    deduplicated: z.boolean(),
    skippedPaths: z.array(SkippedPath),
    prunedCheckpointIds: z.array(Ulid),
  }),
  z.object({
    skipped: z.literal(true),
    planId: Ulid,
    tool: z.string(),
    reason: z.literal('tool declared skip'),
    /** The `policy.tools` key that matched the tool (a name or a glob). */
    pattern: z.string(),
  }),
]);
const CheckpointSkippedSchema = CheckpointCreateResult.options[1];

const ComparedWithSchema = z.object({
  checkpointId: Ulid.nullable(),
  seq: z.number().int().positive().nullable(),
  baseCommit: z.string().nullable(),
});
const DiffStatEntrySchema = z.object({
  path: z.string(),
  change: Change,
  added: z.number().int().nonnegative(),
  removed: z.number().int().nonnegative(),
  binary: z.boolean(),
});

/** `checkpoint show`: `stat` with `--stat`, `diff` (the patch as UTF-8 text) with `--diff`. */
export const CheckpointShowResult = Checkpoint.extend({
  comparedWith: ComparedWithSchema,
  stat: z.array(DiffStatEntrySchema).exactOptional(),
  diff: z.string().exactOptional(),
});

/** `checkpoint diff`: `to` is a checkpoint id or `sandbox`. */
export const CheckpointDiffResult = z.object({
  planId: Ulid,
  from: Ulid,
  to: z.union([Ulid, z.literal('sandbox')]),
  changes: z.array(TreeChangeSchema),
  counts: RestoreCountsSchema,
});

/** `checkpoint export --output FILE`: `bytes` is the patch's size, `output` the absolute path written. */
export const CheckpointExportResult = z.object({
  checkpointId: Ulid,
  planId: Ulid,
  checkpointType: CheckpointType,
  base: z.string().nullable(),
  bytes: z.number().int().nonnegative(),
  output: z.string(),
});

/** `checkpoint prune`. */
export const PruneResultSchema = z.object({
  planId: Ulid,
  keep: z.number().int().positive(),
  dryRun: z.boolean(),
  pruned: z.array(
    z.object({
      checkpointId: Ulid,
      seq: z.number().int().positive(),
      createdAt: z.string(),
      ref: z.string().nullable(),
    }),
  ),
  remaining: z.number().int().nonnegative(),
  orphanedRefs: z.array(z.string()),
});

/** `gc`. */
export const GcResultSchema = z.object({
  dryRun: z.boolean(),
  removedRefs: z.array(z.object({ ref: z.string(), sha: z.string() })),
  removedCheckpoints: z.array(
    z.object({ checkpointId: Ulid, planId: Ulid, seq: z.number().int().positive() }),
  ),
  recentRefs: z.array(z.string()),
});

/** `plan rollback`: the rollback report (DESIGN §5b); `durationMs` in ms. */
export const RollbackReportSchema = z.object({
  planId: Ulid,
  checkpointId: Ulid,
  restored: RestoreCountsSchema,
  paths: z.array(TreeChangeSchema),
  preserved: z.array(z.string()),
  inTheWay: z.array(z.string()),
  head: z.object({
    action: z.enum(['unchanged', 'kept', 'move']),
    from: z.string().nullable(),
    to: z.string().nullable(),
  }),
  aside: z.array(z.object({ path: z.string(), movedTo: z.string() })),
  safetyCheckpointId: Ulid.nullable(),
  movedAside: z.array(z.object({ path: z.string(), movedTo: z.string() })),
  returnedFromAside: z.array(z.object({ path: z.string(), movedFrom: z.string() })),
  leftAside: z.array(z.object({ path: z.string(), movedTo: z.string() })),
  skippedPaths: z.array(SkippedPath),
  dryRun: z.boolean(),
  durationMs: z.number().nonnegative(),
});

/** `correction revert`: the rollback report plus the decisions reverted. */
export const CorrectionReportSchema = RollbackReportSchema.extend({
  decisionId: Ulid,
  revertedDecisionIds: z.array(Ulid),
});

/** `undo`: the rollback report plus the rollback undone and the decisions it re-activated or reverted. */
export const UndoReportSchema = RollbackReportSchema.extend({
  undone: z.object({ safetyCheckpointId: Ulid, rollbackTarget: Ulid }),
  reactivatedDecisionIds: z.array(Ulid),
  revertedDecisionIds: z.array(Ulid),
});

/** `plan create`: the plan and its checkpoint #1. */
export const PlanCreateResult = Plan.extend({ checkpointId: Ulid });
/** `plan show`. */
export const PlanShowResult = Plan.extend({
  checkpointCount: z.number().int().nonnegative(),
  latestCheckpoint: Checkpoint.nullable(),
});
/** `plan apply`: the plan and its final checkpoint. */
export const PlanApplyResult = Plan.extend({ finalCheckpointId: Ulid, deduplicated: z.boolean() });
/** `plan list`. */
export const PlanListResult = z.object({ plans: z.array(Plan) });
/** `plan policy show` and `plan policy set`. */
export const PlanPolicyResultSchema = z.object({ planId: Ulid, policy: PlanPolicy });

/** `decision record`: `deduplicated` only when savepoint took the decision's checkpoint. */
export const DecisionRecordResult = Decision.extend({ deduplicated: z.boolean().exactOptional() });
/** `decision list`. */
export const DecisionListResult = z.object({ planId: Ulid, decisions: z.array(Decision) });

/** An operation with its derived state (`ops show`, each entry of `ops list`). */
export const OperationViewSchema = Operation.extend({ state: OperationState });
/** `ops list`. */
export const OpsListResult = z.object({ operations: z.array(OperationViewSchema) });

/** `recover`. */
export const RecoverReportSchema = z.object({
  sandboxPath: z.string(),
  dryRun: z.boolean(),
  opId: Ulid.nullable(),
  operations: z.array(
    z.object({
      opId: Ulid,
      kind: z.string(),
      planId: Ulid.nullable(),
      recovery: Recovery,
      endState: z.enum(['pre', 'post']),
      summary: z.string(),
      restoredTo: Ulid.nullable(),
      safetyCheckpointId: Ulid.nullable(),
      restored: RestoreCountsSchema.nullable(),
      removedRefs: z.array(z.string()),
      removedTempFiles: z.array(z.string()),
    }),
  ),
});

/** `doctor` (a report with problems left is an error: `DOCTOR_PROBLEMS`, its problems in `details`). */
export const DoctorReportSchema = z.object({
  clean: z.boolean(),
  fix: z.boolean(),
  problems: z.array(
    z.object({
      kind: z.enum([
        'database',
        'ref-missing',
        'objects-missing',
        'unsafe-path',
        'orphan-ref',
        'unresolved-operation',
        'stale-temp-file',
        'stale-lock',
      ]),
      message: z.string(),
      fixed: z.boolean(),
      details: z.record(z.string(), z.unknown()),
    }),
  ),
  checked: z.object({
    plans: z.number().int().nonnegative(),
    checkpoints: z.number().int().nonnegative(),
    refs: z.number().int().nonnegative(),
    operations: z.number().int().nonnegative(),
  }),
  running: z.array(Ulid),
});

/** The `--json` error envelope: the only thing on stdout when a command fails (DESIGN §5b). */
export const ErrorEnvelope = z.object({
  error: z.object({
    code: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
    message: z.string(),
    exitCode: z.number().int().min(1).max(255),
    details: z.record(z.string(), z.unknown()),
  }),
});

/** `exec`: the attempt record, whether `--timeout` killed the command, and the exit code savepoint ends with. */
const ExecResultSchema = FinishedAttempt.extend({
  timedOut: z.boolean(),
  processExitCode: z.number().int(),
}).strict();

/** `attempts list`. */
const AttemptListResult = z.object({ attempts: z.array(Attempt) }).strict();

const AttemptStatsRowSchema = z
  .object({
    tool: z.string(),
    outcome: FinishedOutcome,
    count: z.number().int().positive(),
    meanMs: z.number().int().nonnegative(),
    p95Ms: z.number().int().nonnegative(),
  })
  .strict();

/** `attempts stats`. */
const AttemptStatsResult = z.object({ stats: z.array(AttemptStatsRowSchema) }).strict();

/**
 * The `--json` result schema of every command, by oclif command id (`'plan rollback'`).
 * A test fails when a command in `src/commands` has no entry.
 */
export const resultSchemas = {
  'attempts list': AttemptListResult,
  'attempts stats': AttemptStatsResult,
  'checkpoint create': CheckpointCreateResult,
  'checkpoint diff': CheckpointDiffResult,
  'checkpoint export': CheckpointExportResult,
  'checkpoint list': CheckpointListResult,
  'checkpoint prune': PruneResultSchema,
  'checkpoint show': CheckpointShowResult,
  'correction revert': CorrectionReportSchema,
  'decision list': DecisionListResult,
  'decision record': DecisionRecordResult,
  'decision show': Decision,
  doctor: DoctorReportSchema,
  exec: ExecResultSchema,
  gc: GcResultSchema,
  'ops list': OpsListResult,
  'ops show': OperationViewSchema,
  'plan abandon': Plan,
  'plan apply': PlanApplyResult,
  'plan create': PlanCreateResult,
  'plan list': PlanListResult,
  'plan policy set': PlanPolicyResultSchema,
  'plan policy show': PlanPolicyResultSchema,
  'plan rollback': RollbackReportSchema,
  'plan show': PlanShowResult,
  recover: RecoverReportSchema,
  undo: UndoReportSchema,
} as const satisfies Record<string, z.ZodType>;

/** A command id that has a `--json` result schema. */
export type ResultCommandId = keyof typeof resultSchemas;
/** The `--json` result of command `C`. */
export type ResultOf<C extends ResultCommandId> = z.infer<(typeof resultSchemas)[C]>;

// Compile-time agreement of the schemas with the services' interfaces (both directions; a
// `readonly` field of a port interface is assignable either way).
type Agree<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
function agree<_T extends true>(): void {}
agree<Agree<z.infer<typeof TreeChangeSchema>, TreeChange>>();
agree<Agree<z.infer<typeof RestoreCountsSchema>, RestoreCounts>>();
agree<Agree<z.infer<typeof ComparedWithSchema>, ComparedWith>>();
agree<Agree<z.infer<typeof DiffStatEntrySchema>, DiffStatEntry>>();
agree<Agree<z.infer<typeof RollbackReportSchema>['movedAside'][number], MovedAside>>();
agree<Agree<z.infer<typeof CheckpointSkippedSchema>, CheckpointSkipped>>();
agree<
  Agree<
    Omit<Extract<z.infer<typeof CheckpointCreateResult>, { skipped: false }>, keyof Checkpoint | 'skipped'>,
    Omit<CheckpointResult, 'checkpoint'>
  >
>();
agree<
  Agree<Omit<z.infer<typeof CheckpointExportResult>, 'bytes' | 'output'>, Omit<CheckpointExport, 'patch'>>
>();
agree<Agree<z.infer<typeof CheckpointDiffResult>, CheckpointComparison>>();
agree<Agree<z.infer<typeof PruneResultSchema>, PruneResult>>();
agree<Agree<z.infer<typeof GcResultSchema>, GcResult>>();
agree<Agree<z.infer<typeof RollbackReportSchema>, RollbackReport>>();
agree<Agree<z.infer<typeof CorrectionReportSchema>, CorrectionReport>>();
agree<Agree<z.infer<typeof UndoReportSchema>, UndoReport>>();
agree<Agree<z.infer<typeof PlanShowResult>, PlanDetails['plan'] & Omit<PlanDetails, 'plan'>>>();
agree<Agree<z.infer<typeof PlanPolicyResultSchema>, PlanPolicyResult>>();
agree<Agree<z.infer<typeof DecisionRecordResult>, DecisionRecorded>>();
agree<Agree<z.infer<typeof OperationViewSchema>, OperationView>>();
agree<Agree<z.infer<typeof RecoverReportSchema>, RecoverReport>>();
agree<Agree<z.infer<typeof DoctorReportSchema>, DoctorReport>>();

/** File name of a command's published schema: `plan rollback` → `plan-rollback.schema.json`. */
export function schemaFileName(commandId: ResultCommandId | 'error'): string {
  return `${commandId.replaceAll(' ', '-')}.schema.json`;
}

/**
 * The published JSON Schemas (draft 2020-12, as zod's `z.toJSONSchema` writes them, describing
 * the output): file name → schema, one per command plus `error.schema.json` for the envelope.
 * `npm run schemas` writes them to `docs/reference/schemas/`.
 */
export function jsonSchemas(): Record<string, Record<string, unknown>> {
  const files: Record<string, Record<string, unknown>> = {};
  const entries: [ResultCommandId | 'error', z.ZodType][] = [
    ...(Object.entries(resultSchemas) as [ResultCommandId, z.ZodType][]),
    ['error', ErrorEnvelope],
  ];
  for (const [commandId, schema] of entries) {
    const title = commandId === 'error' ? 'savepoint --json error envelope' : `savepoint ${commandId} --json`;
    const { $schema, ...rest } = z.toJSONSchema(schema, { io: 'output' });
    files[schemaFileName(commandId)] = { $schema, title, ...rest };
  }
  return files;
}
agree<Agree<z.infer<typeof ExecResultSchema>, ExecResult>>();
agree<Agree<z.infer<typeof AttemptStatsRowSchema>, AttemptStatsRow>>();
