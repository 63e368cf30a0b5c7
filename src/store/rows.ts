/**
 * Row decoders of the SQLite store: every row read is checked field by field and turned into
 * the model object, so a corrupt or hand-edited row fails loudly ({@link RowError}).
 *
 * Written by hand rather than with the zod models (`plan/model.ts`, `checkpoint/model.ts`, …)
 * because every command reads rows and zod alone is ~95 modules to load (≈ 60 ms of CLI
 * start-up). The zod models stay the specification: `test/store-rows.test.ts` checks that each
 * decoder accepts exactly the rows the zod schemas accept and returns the same value, key
 * order included, on generated valid and corrupt rows.
 */
import type { Checkpoint, CheckpointMetadata, SkippedPath } from '../checkpoint/model.js';
import type { Decision } from '../decision/model.js';
import type { Attempt } from '../exec/model.js';
import type { Operation } from '../ledger/model.js';
import type { Plan, PlanPolicy } from '../plan/model.js';

/** A value of a row does not match the model; `message` says where and what. */
export class RowError extends Error {
  override name = 'RowError';
}

type Obj = Record<string, unknown>;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}

function fail(at: string, expected: string, value: unknown): never {
  throw new RowError(`${at}: expected ${expected}, got ${describe(value)}`);
}

function str(value: unknown, at: string): string {
  return typeof value === 'string' ? value : fail(at, 'a string', value);
}

function strOrNull(value: unknown, at: string): string | null {
  return value === null ? null : str(value, at);
}

/** A string of at most `max` characters (UTF-16 code units, as zod's `.max` counts). */
function maxStr(value: unknown, at: string, max: number, min = 0): string {
  const text = str(value, at);
  if (text.length > max || text.length < min) fail(at, `a string of ${min}-${max} characters`, value);
  return text;
}

/** zod's `.int()`: a safe integer. */
function int(value: unknown, at: string, min = Number.MIN_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    fail(at, min === Number.MIN_SAFE_INTEGER ? 'an integer' : `an integer ≥ ${min}`, value);
  return value;
}

function intOrNull(value: unknown, at: string, min?: number): number | null {
  return value === null ? null : int(value, at, min);
}

function oneOf<T extends string>(value: unknown, at: string, options: readonly T[]): T {
  return typeof value === 'string' && (options as readonly string[]).includes(value)
    ? (value as T)
    : fail(at, `one of ${options.join(', ')}`, value);
}

function oneOfOrNull<T extends string>(value: unknown, at: string, options: readonly T[]): T | null {
  return value === null ? null : oneOf(value, at, options);
}

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function obj(value: unknown, at: string): Obj {
  return isObject(value) ? value : fail(at, 'an object', value);
}

/** A JSON column: text, parsed. */
function json(value: unknown, at: string): unknown {
  const text = str(value, at);
  try {
    return JSON.parse(text);
  } catch {
    throw new RowError(`${at}: not valid JSON`);
  }
}

/** zod's `z.record(z.string(), z.unknown())`: a fresh object with the same entries. */
function record(value: unknown, at: string): Record<string, unknown> {
  return { ...obj(value, at) };
}

/** Copies the keys of `input` that `known` does not list, after the known ones (a zod loose object). */
function withUnknownKeys<T extends Obj>(decoded: T, input: Obj, known: readonly string[]): T {
  const out: Obj = decoded;
  for (const key of Object.keys(input)) if (!known.includes(key)) out[key] = input[key];
  return out as T;
}

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

function ulid(value: unknown, at: string): string {
  const text = str(value, at);
  return ULID.test(text) ? text : fail(at, 'a ULID', value);
}

function ulidOrNull(value: unknown, at: string): string | null {
  return value === null ? null : ulid(value, at);
}

function sha(value: unknown, at: string): string {
  const text = str(value, at);
  return SHA.test(text) ? text : fail(at, 'a full git object id', value);
}

function shaOrNull(value: unknown, at: string): string | null {
  return value === null ? null : sha(value, at);
}

const PLAN_STATES = ['active', 'applied', 'abandoned'] as const;
const TOOL_DECLARATIONS = ['checkpoint', 'skip'] as const;
const CHECKPOINT_TYPES = ['commit', 'patch'] as const;
const HEAD_MODES = ['restore', 'keep'] as const;
const CHECKPOINT_KINDS = ['manual', 'initial', 'final', 'safety'] as const;
const SKIP_REASONS = ['nested-repository', 'submodule', 'too-large'] as const;
const DECISION_STATES = ['active', 'reverted'] as const;
const ATTEMPT_OUTCOMES = ['success', 'failed', 'timeout', 'rolled_back'] as const;
const OPERATION_KINDS = [
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
] as const;
const OPERATION_STATUSES = ['committed', 'failed'] as const;
const RECOVERIES = ['forward', 'abort'] as const;
/** `DEFAULT_RETENTION_MAX` of `plan/model.ts` (not imported: that module loads zod). */
const DEFAULT_RETENTION_MAX = 50;
const MAX_SUMMARY_LENGTH = 4096;

/** `PlanPolicy.parse`: every default filled in, unknown keys kept. */
export function decodePolicy(value: unknown, at = 'policy'): PlanPolicy {
  const input = obj(value, at);
  const retentionIn = input.retention === undefined ? {} : obj(input.retention, `${at}.retention`);
  const retention = withUnknownKeys(
    {
      max:
        retentionIn.max === undefined
          ? DEFAULT_RETENTION_MAX
          : int(retentionIn.max, `${at}.retention.max`, 1),
    },
    retentionIn,
    ['max'],
  );
  const tools: PlanPolicy['tools'] = {};
  if (input.tools !== undefined) {
    for (const [pattern, declaration] of Object.entries(obj(input.tools, `${at}.tools`))) {
      maxStr(pattern, `${at}.tools (key)`, 256, 1);
      tools[pattern] = oneOf(declaration, `${at}.tools.${pattern}`, TOOL_DECLARATIONS);
    }
  }
  const policy: Obj = { retention, tools };
  if (input.untrackedSizeCap !== undefined)
    policy.untrackedSizeCap = int(input.untrackedSizeCap, `${at}.untrackedSizeCap`, 0);
  policy.head = input.head === undefined ? 'restore' : oneOf(input.head, `${at}.head`, HEAD_MODES);
  policy.defaultType =
    input.defaultType === undefined
      ? 'commit'
      : oneOf(input.defaultType, `${at}.defaultType`, CHECKPOINT_TYPES);
  return withUnknownKeys(policy, input, [
    'retention',
    'tools',
    'untrackedSizeCap',
    'head',
    'defaultType',
  ]) as PlanPolicy;
}

/** A `plans` row as a {@link Plan}. */
export function decodePlan(value: unknown): Plan {
  const row = obj(value, 'row');
  const state = oneOf(row.state, 'state', PLAN_STATES);
  const policy = decodePolicy(json(row.policy_json, 'policy_json'), 'policy_json');
  int(row.managed_worktree, 'managed_worktree');
  return {
    planId: ulid(row.plan_id, 'plan_id'),
    name: strOrNull(row.name, 'name'),
    sandboxPath: str(row.sandbox_path, 'sandbox_path'),
    gitDir: str(row.git_dir, 'git_dir'),
    repositoryId: str(row.repository_id, 'repository_id'),
    baseCommit: strOrNull(row.base_commit, 'base_commit'),
    state,
    policy,
    managedWorktree: row.managed_worktree === 1,
    createdAt: str(row.created_at, 'created_at'),
    updatedAt: str(row.updated_at, 'updated_at'),
    appliedAt: strOrNull(row.applied_at, 'applied_at'),
  };
}

function decodeSkippedPath(value: unknown, at: string): SkippedPath {
  const input = obj(value, at);
  const entry: SkippedPath = {
    path: str(input.path, `${at}.path`),
    reason: oneOf(input.reason, `${at}.reason`, SKIP_REASONS),
  };
  if ('sizeBytes' in input) entry.sizeBytes = int(input.sizeBytes, `${at}.sizeBytes`, 0);
  return entry;
}

/** `CheckpointMetadata.parse`: known keys checked, unknown keys kept. */
export function decodeMetadata(value: unknown, at = 'metadata'): CheckpointMetadata {
  const input = obj(value, at);
  const metadata: Obj = { kind: oneOf(input.kind, `${at}.kind`, CHECKPOINT_KINDS) };
  if (input.reason !== undefined) metadata.reason = maxStr(input.reason, `${at}.reason`, 4096);
  if (input.tool !== undefined) metadata.tool = maxStr(input.tool, `${at}.tool`, 256);
  if (input.phase !== undefined) metadata.phase = maxStr(input.phase, `${at}.phase`, 256);
  if (input.rollbackTarget !== undefined)
    metadata.rollbackTarget = str(input.rollbackTarget, `${at}.rollbackTarget`);
  if (input.skippedPaths !== undefined) {
    const list = input.skippedPaths;
    if (!Array.isArray(list)) fail(`${at}.skippedPaths`, 'an array', list);
    metadata.skippedPaths = list.map((entry, i) => decodeSkippedPath(entry, `${at}.skippedPaths.${i}`));
  }
  if (input.meta !== undefined) {
    const meta: Record<string, string> = {};
    for (const [key, text] of Object.entries(obj(input.meta, `${at}.meta`)))
      meta[key] = str(text, `${at}.meta.${key}`);
    metadata.meta = meta;
  }
  return withUnknownKeys(metadata, input, [
    'kind',
    'reason',
    'tool',
    'phase',
    'rollbackTarget',
    'skippedPaths',
    'meta',
  ]) as CheckpointMetadata;
}

/** A `checkpoints` row (the store's checkpoint columns) as a {@link Checkpoint}. */
export function decodeCheckpoint(value: unknown): Checkpoint {
  const row = obj(value, 'row');
  return {
    checkpointId: ulid(row.checkpoint_id, 'checkpoint_id'),
    planId: ulid(row.plan_id, 'plan_id'),
    seq: int(row.seq, 'seq', 1),
    checkpointType: oneOf(row.checkpoint_type, 'checkpoint_type', CHECKPOINT_TYPES),
    sandboxRef: strOrNull(row.sandbox_ref, 'sandbox_ref'),
    commitSha: shaOrNull(row.commit_sha, 'commit_sha'),
    treeSha: sha(row.tree_sha, 'tree_sha'),
    indexTreeSha: sha(row.index_tree_sha, 'index_tree_sha'),
    headSha: shaOrNull(row.head_sha, 'head_sha'),
    headRef: strOrNull(row.head_ref, 'head_ref'),
    filesystemPath: str(row.filesystem_path, 'filesystem_path'),
    resourceId: strOrNull(row.resource_id, 'resource_id'),
    sizeBytes: intOrNull(row.size_bytes, 'size_bytes', 0),
    filesChanged: intOrNull(row.files_changed, 'files_changed', 0),
    createdAt: str(row.created_at, 'created_at'),
    metadata: decodeMetadata(json(row.metadata_json, 'metadata_json'), 'metadata_json'),
  };
}

/** An `operations` row as an {@link Operation}. */
export function decodeOperation(value: unknown): Operation {
  const row = obj(value, 'row');
  const args = record(json(row.args_json, 'args_json'), 'args_json');
  const progress = record(json(row.progress_json, 'progress_json'), 'progress_json');
  const resultText = strOrNull(row.result_json, 'result_json');
  const error = strOrNull(row.error, 'error');
  const errorMessage = strOrNull(row.error_message, 'error_message');
  int(row.incomplete, 'incomplete');
  let result: unknown = null;
  if (resultText !== null) result = json(resultText, 'result_json');
  return {
    opId: ulid(row.op_id, 'op_id'),
    kind: oneOf(row.kind, 'kind', OPERATION_KINDS),
    planId: ulidOrNull(row.plan_id, 'plan_id'),
    sandboxPath: str(row.sandbox_path, 'sandbox_path'),
    args,
    intentAt: str(row.intent_at, 'intent_at'),
    progress,
    outcomeAt: strOrNull(row.outcome_at, 'outcome_at'),
    status: oneOfOrNull(row.status, 'status', OPERATION_STATUSES),
    result,
    error: error === null ? null : { code: error, message: errorMessage ?? '' },
    incomplete: row.incomplete === 1,
    pid: int(row.pid, 'pid'),
    hostname: str(row.hostname, 'hostname'),
    recovery: oneOfOrNull(row.recovery, 'recovery', RECOVERIES),
    recoveredAt: strOrNull(row.recovered_at, 'recovered_at'),
    recoveredBy: strOrNull(row.recovered_by, 'recovered_by'),
  };
}

/** A `decisions` row as a {@link Decision}. */
export function decodeDecision(value: unknown): Decision {
  const row = obj(value, 'row');
  const state = oneOf(row.state, 'state', DECISION_STATES);
  return {
    decisionId: ulid(row.decision_id, 'decision_id'),
    planId: ulid(row.plan_id, 'plan_id'),
    seq: int(row.seq, 'seq', 1),
    checkpointId: ulidOrNull(row.checkpoint_id, 'checkpoint_id'),
    summary: maxStr(row.summary, 'summary', MAX_SUMMARY_LENGTH, 1),
    state,
    createdAt: str(row.created_at, 'created_at'),
    revertedAt: strOrNull(row.reverted_at, 'reverted_at'),
    revertedBy: strOrNull(row.reverted_by, 'reverted_by'),
    reactivatedBy: strOrNull(row.reactivated_by, 'reactivated_by'),
  };
}

/** An `attempts` row as an {@link Attempt}. */
export function decodeAttempt(value: unknown): Attempt {
  const row = obj(value, 'row');
  const argv = json(row.argv_json, 'argv_json');
  if (!Array.isArray(argv)) fail('argv_json', 'an array', argv);
  const outcome = oneOf(row.outcome, 'outcome', ATTEMPT_OUTCOMES);
  if (argv.length < 1) fail('argv_json', 'at least one element', argv);
  return {
    attemptId: ulid(row.attempt_id, 'attempt_id'),
    planId: ulid(row.plan_id, 'plan_id'),
    tool: maxStr(row.tool, 'tool', Number.MAX_SAFE_INTEGER, 1),
    argv: argv.map((arg, i) => str(arg, `argv_json.${i}`)),
    exitCode: intOrNull(row.exit_code, 'exit_code'),
    signal: strOrNull(row.signal, 'signal'),
    elapsedMs: int(row.elapsed_ms, 'elapsed_ms', 0),
    outcome,
    checkpointId: ulidOrNull(row.checkpoint_id, 'checkpoint_id'),
    rollbackSafetyCheckpointId: strOrNull(row.rollback_safety_checkpoint_id, 'rollback_safety_checkpoint_id'),
    startedAt: str(row.started_at, 'started_at'),
    finishedAt: str(row.finished_at, 'finished_at'),
  };
}
