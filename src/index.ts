/**
 * savepoint's library API: `import { Savepoint } from 'savepoint'`.
 */

export type { CheckpointRequest, CheckpointResult } from './checkpoint/checkpoint-service.js';
export {
  CheckpointNotFoundError,
  CheckpointNotInPlanError,
  CheckpointObjectsMissingError,
  PathInTheWayError,
  UnmergedIndexError,
} from './checkpoint/errors.js';
export { Checkpoint, CheckpointKind, CheckpointMetadata, CheckpointType } from './checkpoint/model.js';
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
export type { HeadState, TreeChange } from './core/ports.js';
export {
  ActivePlanExistsError,
  ConfirmationError,
  HeadMovedError,
  PlanNotActiveError,
  PlanNotFoundError,
  PlanStateChangedError,
  RollbackIncompleteError,
} from './plan/errors.js';
export { Plan, PlanPolicy, PlanState } from './plan/model.js';
export type { CreatedPlan, CreatePlanOptions, PlanDetails } from './plan/plan-service.js';
export type { HeadMode, RestoreCounts } from './plan/rollback-rules.js';
export type { RollbackPreview, RollbackReport, RollbackRequest } from './plan/rollback-service.js';
export { Savepoint, type SavepointOptions } from './savepoint.js';
