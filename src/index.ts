/**
 * savepoint's library API: `import { Savepoint } from 'savepoint'`.
 */

export type {
  CheckpointCreateOutcome,
  CheckpointExport,
  CheckpointRequest,
  CheckpointResult,
  CheckpointSkipped,
  CheckpointTaken,
} from './checkpoint/checkpoint-service.js';
export type {
  CheckpointChanges,
  CheckpointComparison,
  CheckpointDiffService,
  ComparedWith,
} from './checkpoint/diff-service.js';
export {
  CheckpointNotFoundError,
  CheckpointNotInPlanError,
  CheckpointObjectsMissingError,
  CheckpointUnsafePathError,
  type PatchAction,
  PatchDoesNotApplyError,
  type PatchFailure,
  PathInTheWayError,
  PathNotUtf8Error,
  UnmergedIndexError,
} from './checkpoint/errors.js';
export type { CheckpointListFilter } from './checkpoint/list-filter.js';
export {
  CheckpointAnnotations,
  CheckpointMeta,
  META_LIMITS,
  MetadataInvalidError,
  type MetadataIssue,
  parseMetaPairs,
  RESERVED_META_KEYS,
} from './checkpoint/metadata.js';
export { Checkpoint, CheckpointKind, CheckpointMetadata, CheckpointType } from './checkpoint/model.js';
export { decodePatchBundle, encodePatchBundle, type PatchBundle } from './checkpoint/patch-bundle.js';
export {
  type RetentionCandidate,
  type RetentionOptions,
  type RetentionProtection,
  retentionWindow,
  selectPrunable,
} from './checkpoint/retention.js';
export {
  GC_GRACE_MS,
  type GcResult,
  type PrunedCheckpoint,
  type PruneResult,
} from './checkpoint/retention-service.js';
export { type ResolvedDeclaration, resolveToolDeclaration } from './checkpoint/tool-declarations.js';
export {
  ErrorEnvelope,
  jsonSchemas,
  type ResultCommandId,
  type ResultOf,
  resultSchemas,
  schemaFileName,
} from './cli/result-schemas.js';
export {
  BusyError,
  ExitCode,
  exitCodeTable,
  GitCommandError,
  InternalError,
  SandboxInvalidError,
  SandboxRefusedError,
  SavepointError,
  StoreIntegrityError,
  UsageError,
} from './core/errors.js';
export { FAULT_POINTS, type FaultPoint } from './core/faults.js';
export type { DiffStatEntry, HeadState, TreeChange, TreeDelta } from './core/ports.js';
export type {
  CorrectionPreview,
  CorrectionReport,
  CorrectionRequest,
  UndoneRollback,
  UndoPreview,
  UndoReport,
  UndoRequest,
} from './decision/correction-service.js';
export type { DecisionRecorded, DecisionRequest } from './decision/decision-service.js';
export {
  DecisionNotActiveError,
  DecisionNotFoundError,
  NoActivePlanError,
  NothingToUndoError,
} from './decision/errors.js';
export { Decision, DecisionState, MAX_SUMMARY_LENGTH } from './decision/model.js';
export { CommandNotStartedError } from './exec/errors.js';
export {
  type AttemptListFilter,
  type AttemptStatsRow,
  attemptExitCode,
  type ExecRequest,
  type ExecResult,
  type ExecService,
  KILL_GRACE_MS,
  nearestRank,
  TIMEOUT_EXIT_CODE,
} from './exec/exec-service.js';
export { Attempt, AttemptOutcome, FinishedAttempt, FinishedOutcome } from './exec/model.js';
export type { DoctorProblem, DoctorReport, ProblemKind } from './ledger/doctor-service.js';
export {
  CancelledError,
  DoctorProblemsError,
  OperationInterruptedError,
  OperationNotFoundError,
} from './ledger/errors.js';
export { cancelRunningOperations, DEFAULT_LOCK_WAIT_MS } from './ledger/ledger.js';
export {
  Operation,
  OperationKind,
  OperationState,
  OperationStatus,
  operationState,
  Recovery,
} from './ledger/model.js';
export type { OperationView, OpsFilter } from './ledger/ops-service.js';
export type { RecoveredOperation, RecoverReport, RecoverRequest } from './ledger/recovery-service.js';
export {
  ActivePlanExistsError,
  ConfirmationError,
  HeadChangedError,
  HeadMovedError,
  PlanNotActiveError,
  PlanNotFoundError,
  PlanStateChangedError,
  RollbackIncompleteError,
  SandboxChangedSincePreviewError,
} from './plan/errors.js';
export {
  DEFAULT_RETENTION_MAX,
  Plan,
  PlanPolicy,
  type PlanPolicyInput,
  PlanState,
  type PolicyChanges,
  ToolDeclaration,
} from './plan/model.js';
export type { CreatedPlan, CreatePlanOptions, PlanDetails, PlanPolicyResult } from './plan/plan-service.js';
export type { HeadMode, RestoreCounts } from './plan/rollback-rules.js';
export type {
  ConfirmContext,
  RollbackPreview,
  RollbackReport,
  RollbackRequest,
} from './plan/rollback-service.js';
export { Savepoint, type SavepointOptions } from './savepoint.js';
