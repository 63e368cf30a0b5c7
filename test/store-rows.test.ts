/**
 * The store's hand-written row decoders (`src/store/rows.ts`) against the zod models they stand
 * in for: on generated valid and corrupt rows, each decoder accepts exactly what the zod row
 * schema accepts and returns the same value, key order included (compared as JSON text).
 * The zod row schemas below are the ones the store used before the decoders; the models they
 * call (`Plan`, `Checkpoint`, …) remain the specification.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Checkpoint, CheckpointMetadata, CheckpointType } from '../src/checkpoint/model.js';
import { Decision, DecisionState } from '../src/decision/model.js';
import { Attempt, AttemptOutcome } from '../src/exec/model.js';
import { Operation } from '../src/ledger/model.js';
import { Plan, PlanPolicy, PlanState } from '../src/plan/model.js';
import {
  decodeAttempt,
  decodeCheckpoint,
  decodeDecision,
  decodeOperation,
  decodePlan,
  decodePolicy,
} from '../src/store/rows.js';

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

const AttemptRow = z
  .object({
    attempt_id: z.string(),
    plan_id: z.string(),
    tool: z.string(),
    argv_json: json(z.array(z.string())),
    exit_code: z.number().int().nullable(),
    signal: z.string().nullable(),
    elapsed_ms: z.number().int(),
    outcome: AttemptOutcome,
    checkpoint_id: z.string().nullable(),
    rollback_safety_checkpoint_id: z.string().nullable(),
    started_at: z.string(),
    finished_at: z.string(),
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
    }),
  );

/** Accepted (with the value as JSON text, so key order counts) or rejected. */
function outcome(parse: () => unknown): { ok: true; json: string } | { ok: false } {
  try {
    return { ok: true, json: JSON.stringify(parse()) };
  } catch {
    return { ok: false };
  }
}

const ULID = '01JD3Q6Z5K8M2N4P6R8T0V2X4Y';
const SHA = 'a'.repeat(40);
/** Values a corrupt row might hold where anything else was expected. */
const odd = fc.constantFrom<unknown>(
  null,
  0,
  1,
  -1,
  1.5,
  2 ** 53,
  '',
  'x',
  'x'.repeat(300),
  'x'.repeat(5000),
  ULID,
  '01jd3q6z5k8m2n4p6r8t0v2x4y',
  SHA,
  'A'.repeat(40),
  'b'.repeat(64),
  {},
  [],
  ['a'],
  [1],
  true,
  '{}',
  '[]',
  '{',
  'null',
  '"s"',
  'active',
  'reverted',
  'commit',
  'patch',
  'restore',
  'keep',
  'skip',
  'checkpoint',
  'manual',
  'safety',
  'rollback',
  'committed',
  'forward',
  'success',
  'too-large',
);
/** Mostly-valid values with an odd one now and then. */
const sometimesOdd = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: arb, weight: 6 }, { arbitrary: odd, weight: 1 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const text = fc.string({ maxLength: 8 });
const extraKeys = fc.dictionary(fc.constantFrom('extra', 'zz', 'a', 'max', 'kind'), odd, { maxKeys: 2 });

/** A policy as it may sit in `policy_json`: fields present or not, valid or odd, extra keys. */
const policy = fc.record(
  {
    retention: fc.oneof(
      fc.record({ max: sometimesOdd(fc.integer({ min: -1, max: 100 })) }, { requiredKeys: [] }),
      fc
        .tuple(fc.record({ max: fc.integer({ min: 1, max: 9 }) }), extraKeys)
        .map(([r, e]) => ({ ...e, ...r })),
      odd,
    ),
    tools: fc.oneof(
      fc.dictionary(fc.string({ maxLength: 3 }), fc.constantFrom<unknown>('checkpoint', 'skip', 'other', 1)),
      odd,
    ),
    untrackedSizeCap: sometimesOdd(fc.integer({ min: -1, max: 10 ** 9 })),
    head: sometimesOdd(fc.constantFrom('restore', 'keep')),
    defaultType: sometimesOdd(fc.constantFrom('commit', 'patch')),
    other: sometimesOdd(fc.constant('kept')),
  },
  { requiredKeys: [] },
);

const skippedPath = fc.record(
  {
    path: sometimesOdd(text),
    reason: sometimesOdd(fc.constantFrom('nested-repository', 'submodule', 'too-large')),
    sizeBytes: sometimesOdd(fc.integer({ min: -1, max: 99 })),
    extra: sometimesOdd(fc.constant('dropped')),
  },
  { requiredKeys: ['path', 'reason'] },
);

const metadata = fc.record(
  {
    kind: sometimesOdd(fc.constantFrom('manual', 'initial', 'final', 'safety')),
    reason: sometimesOdd(text),
    tool: sometimesOdd(text),
    phase: sometimesOdd(text),
    rollbackTarget: sometimesOdd(fc.constant(ULID)),
    skippedPaths: sometimesOdd(fc.array(skippedPath, { maxLength: 2 })),
    meta: sometimesOdd(fc.dictionary(text, fc.oneof(text, odd), { maxKeys: 3 })),
    custom: sometimesOdd(fc.constant('kept')),
  },
  { requiredKeys: ['kind'] },
);

const ulid = sometimesOdd(fc.constant(ULID));
const ulidOrNull = sometimesOdd(fc.constantFrom(ULID, null));
const sha = sometimesOdd(fc.constantFrom(SHA, 'c'.repeat(64)));
const shaOrNull = sometimesOdd(fc.constantFrom(SHA, null));
const str = sometimesOdd(text);
const strOrNull = sometimesOdd(fc.option(text, { nil: null }));
const int = sometimesOdd(fc.integer({ min: -2, max: 10 ** 6 }));
const intOrNull = sometimesOdd(fc.option(fc.integer({ min: -2, max: 10 ** 6 }), { nil: null }));
const jsonOf = (arb: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary: arb.map((v) => JSON.stringify(v)), weight: 8 }, { arbitrary: odd, weight: 1 });

const planRow = fc.record({
  plan_id: ulid,
  name: strOrNull,
  sandbox_path: str,
  git_dir: str,
  repository_id: str,
  base_commit: strOrNull,
  state: sometimesOdd(fc.constantFrom('active', 'applied', 'abandoned')),
  policy_json: jsonOf(policy),
  managed_worktree: sometimesOdd(fc.constantFrom(0, 1)),
  created_at: str,
  updated_at: str,
  applied_at: strOrNull,
  extra_column: odd,
});

const checkpointRow = fc.record({
  checkpoint_id: ulid,
  plan_id: ulid,
  seq: int,
  checkpoint_type: sometimesOdd(fc.constantFrom('commit', 'patch')),
  sandbox_ref: strOrNull,
  commit_sha: shaOrNull,
  tree_sha: sha,
  index_tree_sha: sha,
  head_sha: shaOrNull,
  head_ref: strOrNull,
  filesystem_path: str,
  resource_id: strOrNull,
  size_bytes: intOrNull,
  files_changed: intOrNull,
  created_at: str,
  metadata_json: jsonOf(metadata),
});

const operationRow = fc.record({
  op_id: ulid,
  kind: sometimesOdd(fc.constantFrom('plan.create', 'checkpoint.create', 'rollback', 'undo', 'doctor.fix')),
  plan_id: ulidOrNull,
  sandbox_path: str,
  args_json: jsonOf(fc.oneof(fc.dictionary(text, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }), odd)),
  intent_at: str,
  progress_json: jsonOf(fc.oneof(fc.dictionary(text, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }), odd)),
  outcome_at: strOrNull,
  status: sometimesOdd(fc.constantFrom('committed', 'failed', null)),
  result_json: fc.oneof(fc.constant(null), jsonOf(fc.jsonValue({ maxDepth: 2 }))),
  error: strOrNull,
  error_message: strOrNull,
  incomplete: sometimesOdd(fc.constantFrom(0, 1)),
  pid: int,
  hostname: str,
  recovery: sometimesOdd(fc.constantFrom('forward', 'abort', null)),
  recovered_at: strOrNull,
  recovered_by: strOrNull,
});

const decisionRow = fc.record({
  decision_id: ulid,
  plan_id: ulid,
  seq: int,
  checkpoint_id: ulidOrNull,
  summary: sometimesOdd(fc.string({ maxLength: 4 })),
  state: sometimesOdd(fc.constantFrom('active', 'reverted')),
  created_at: str,
  reverted_at: strOrNull,
  reverted_by: strOrNull,
  reactivated_by: strOrNull,
});

const attemptRow = fc.record({
  attempt_id: ulid,
  plan_id: ulid,
  tool: str,
  argv_json: jsonOf(fc.oneof(fc.array(text, { maxLength: 3 }), odd)),
  exit_code: intOrNull,
  signal: strOrNull,
  elapsed_ms: int,
  outcome: sometimesOdd(fc.constantFrom('success', 'failed', 'timeout', 'rolled_back')),
  checkpoint_id: ulidOrNull,
  rollback_safety_checkpoint_id: strOrNull,
  started_at: str,
  finished_at: str,
});

/** A row with maybe one column dropped. */
function withMissing<T extends Record<string, unknown>>(arb: fc.Arbitrary<T>) {
  return fc.tuple(arb, maybe(fc.nat())).map(([row, drop]) => {
    if (drop === undefined || drop % 5 !== 0) return row;
    const keys = Object.keys(row);
    const copy: Record<string, unknown> = { ...row };
    delete copy[keys[drop % keys.length] as string];
    return copy;
  });
}

const cases = [
  ['plans', withMissing(planRow), (row: unknown) => PlanRow.parse(row), decodePlan],
  ['checkpoints', withMissing(checkpointRow), (row: unknown) => CheckpointRow.parse(row), decodeCheckpoint],
  ['operations', withMissing(operationRow), (row: unknown) => OperationRow.parse(row), decodeOperation],
  ['decisions', withMissing(decisionRow), (row: unknown) => DecisionRow.parse(row), decodeDecision],
  ['attempts', withMissing(attemptRow), (row: unknown) => AttemptRow.parse(row), decodeAttempt],
] as const;

describe('store row decoders match the zod models', () => {
  for (const [table, rows, zodParse, decode] of cases) {
    it(`${table}: same accept/reject and the same value as the zod schema`, () => {
      let accepted = 0;
      let rejected = 0;
      fc.assert(
        fc.property(rows, (row) => {
          const expected = outcome(() => zodParse(row));
          expect(outcome(() => decode(row))).toEqual(expected);
          if (expected.ok) accepted += 1;
          else rejected += 1;
        }),
        { numRuns: 1500 },
      );
      // Both sides of the oracle were exercised.
      expect(accepted).toBeGreaterThan(50);
      expect(rejected).toBeGreaterThan(50);
    });
  }

  it('policies: defaults, kept unknown keys and rejections as PlanPolicy.parse', () => {
    fc.assert(
      fc.property(fc.oneof(policy, odd), (input) => {
        expect(outcome(() => decodePolicy(input))).toEqual(outcome(() => PlanPolicy.parse(input)));
      }),
      { numRuns: 3000 },
    );
    expect(decodePolicy({})).toEqual({
      retention: { max: 50 },
      tools: {},
      head: 'restore',
      defaultType: 'commit',
    });
  });
});
