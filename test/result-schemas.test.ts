/**
 * The published `--json` schemas: every command has one, the files under
 * docs/reference/schemas/ are what the zod schemas generate, the commands' return types agree
 * with them, and real CLI output (the built binary on a temp repository) validates against them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  ErrorEnvelope,
  jsonSchemas,
  type ResultCommandId,
  resultSchemas,
} from '../src/cli/result-schemas.js';
import type CheckpointCreate from '../src/commands/checkpoint/create.js';
import type CheckpointDiff from '../src/commands/checkpoint/diff.js';
import type CheckpointExport from '../src/commands/checkpoint/export.js';
import type CheckpointList from '../src/commands/checkpoint/list.js';
import type CheckpointPrune from '../src/commands/checkpoint/prune.js';
import type CheckpointShow from '../src/commands/checkpoint/show.js';
import type CorrectionRevert from '../src/commands/correction/revert.js';
import type DecisionList from '../src/commands/decision/list.js';
import type DecisionRecord from '../src/commands/decision/record.js';
import type DecisionShow from '../src/commands/decision/show.js';
import type Doctor from '../src/commands/doctor.js';
import type Gc from '../src/commands/gc.js';
import type OpsList from '../src/commands/ops/list.js';
import type OpsShow from '../src/commands/ops/show.js';
import type PlanAbandon from '../src/commands/plan/abandon.js';
import type PlanApply from '../src/commands/plan/apply.js';
import type PlanCreate from '../src/commands/plan/create.js';
import type PlanList from '../src/commands/plan/list.js';
import type PlanPolicySet from '../src/commands/plan/policy/set.js';
import type PlanPolicyShow from '../src/commands/plan/policy/show.js';
import type PlanRollback from '../src/commands/plan/rollback.js';
import type PlanShow from '../src/commands/plan/show.js';
import type Recover from '../src/commands/recover.js';
import type Undo from '../src/commands/undo.js';
import { assertBuilt, cliJson, runCli } from './helpers/cli.js';
import { makeRepo, writeFiles } from './helpers/repo.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const SCHEMA_DIR = path.join(ROOT, 'docs', 'reference', 'schemas');

/** oclif command ids of the `.ts` files under src/commands (`plan/policy/set.ts` → `plan policy set`). */
function commandIds(dir = path.join(ROOT, 'src', 'commands'), prefix: string[] = []): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return commandIds(path.join(dir, entry.name), [...prefix, entry.name]);
    if (!entry.name.endsWith('.ts') || entry.name === 'index.ts') return [];
    return [[...prefix, entry.name.slice(0, -'.ts'.length)].join(' ')];
  });
}

// Compile-time: what each command's run() returns agrees (both ways) with its schema's output.
type Agree<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Returns<C extends abstract new (...args: never[]) => { run(): Promise<unknown> }> = Exclude<
  Awaited<ReturnType<InstanceType<C>['run']>>,
  undefined
>;
type Schema<Id extends ResultCommandId> = z.infer<(typeof resultSchemas)[Id]>;
function agree<_T extends true>(): void {}
agree<Agree<Returns<typeof CheckpointCreate>, Schema<'checkpoint create'>>>();
agree<Agree<Returns<typeof CheckpointDiff>, Schema<'checkpoint diff'>>>();
// `checkpoint export` returns undefined when the patch went to stdout (never with --json).
agree<Agree<Returns<typeof CheckpointExport>, Schema<'checkpoint export'>>>();
agree<Agree<Returns<typeof CheckpointList>, Schema<'checkpoint list'>>>();
agree<Agree<Returns<typeof CheckpointPrune>, Schema<'checkpoint prune'>>>();
agree<Agree<Returns<typeof CheckpointShow>, Schema<'checkpoint show'>>>();
agree<Agree<Returns<typeof CorrectionRevert>, Schema<'correction revert'>>>();
agree<Agree<Returns<typeof DecisionList>, Schema<'decision list'>>>();
agree<Agree<Returns<typeof DecisionRecord>, Schema<'decision record'>>>();
agree<Agree<Returns<typeof DecisionShow>, Schema<'decision show'>>>();
agree<Agree<Returns<typeof Doctor>, Schema<'doctor'>>>();
agree<Agree<Returns<typeof Gc>, Schema<'gc'>>>();
agree<Agree<Returns<typeof OpsList>, Schema<'ops list'>>>();
agree<Agree<Returns<typeof OpsShow>, Schema<'ops show'>>>();
agree<Agree<Returns<typeof PlanAbandon>, Schema<'plan abandon'>>>();
agree<Agree<Returns<typeof PlanApply>, Schema<'plan apply'>>>();
agree<Agree<Returns<typeof PlanCreate>, Schema<'plan create'>>>();
agree<Agree<Returns<typeof PlanList>, Schema<'plan list'>>>();
agree<Agree<Returns<typeof PlanPolicySet>, Schema<'plan policy set'>>>();
agree<Agree<Returns<typeof PlanPolicyShow>, Schema<'plan policy show'>>>();
agree<Agree<Returns<typeof PlanRollback>, Schema<'plan rollback'>>>();
agree<Agree<Returns<typeof PlanShow>, Schema<'plan show'>>>();
agree<Agree<Returns<typeof Recover>, Schema<'recover'>>>();
agree<Agree<Returns<typeof Undo>, Schema<'undo'>>>();

/**
 * Parses `json` with the command's schema and checks nothing was stripped: an object key the
 * schema does not know fails here, so a new output field without a schema change cannot pass.
 */
function expectValid(schema: z.ZodType, json: unknown): void {
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new Error(`output does not match its schema: ${parsed.error.message}`);
  expect(parsed.data).toEqual(json);
}

describe('published --json schemas', () => {
  it('every command in src/commands has a result schema, and every schema a command', () => {
    const ids = commandIds().sort();
    expect(ids.filter((id) => !(id in resultSchemas))).toEqual([]);
    expect(Object.keys(resultSchemas).filter((id) => !ids.includes(id))).toEqual([]);
  });

  it('docs/reference/schemas holds exactly what the zod schemas generate (run `npm run schemas` when this fails)', () => {
    const expected = jsonSchemas();
    const onDisk = readdirSync(SCHEMA_DIR).filter((name) => name.endsWith('.schema.json'));
    expect(onDisk.sort(), 'schema files differ from the commands: run `npm run schemas`').toEqual(
      Object.keys(expected).sort(),
    );
    for (const [name, schema] of Object.entries(expected)) {
      const written: unknown = JSON.parse(readFileSync(path.join(SCHEMA_DIR, name), 'utf8'));
      expect(written, `${name} drifted from src/cli/result-schemas.ts: run \`npm run schemas\``).toEqual(
        schema,
      );
    }
  });

  it('the published file says what the zod schema says: a required key, a pattern', () => {
    const rollback = jsonSchemas()['plan-rollback.schema.json'] as {
      required: string[];
      additionalProperties: boolean;
      properties: { planId: { pattern: string } };
    };
    expect(rollback.required).toEqual(expect.arrayContaining(['planId', 'safetyCheckpointId', 'durationMs']));
    expect(rollback.additionalProperties).toBe(false);
    expect(rollback.properties.planId.pattern).toBe('^[0-9A-HJKMNP-TV-Z]{26}$');
  });

  it('rejects output a schema does not describe', () => {
    const envelope = { error: { code: 'USAGE', message: 'bad', exitCode: 2, details: {} } };
    expectValid(ErrorEnvelope, envelope);
    expect(() => expectValid(ErrorEnvelope, { error: { ...envelope.error, extra: 1 } })).toThrow();
    expect(() => expectValid(ErrorEnvelope, { error: { ...envelope.error, exitCode: '2' } })).toThrow();
  });
});

describe('real --json output validates against the published schemas', () => {
  it('every command, and an error', async () => {
    assertBuilt();
    const repo = makeRepo({ 'a.txt': 'one\n' });
    const ran = new Set<string>();
    const run = async (id: ResultCommandId, args: string[]): Promise<Record<string, unknown>> => {
      ran.add(id);
      const json = await cliJson(repo, [...id.split(' '), ...args]);
      expectValid(resultSchemas[id], json);
      return json;
    };

    const plan = await run('plan create', ['--name', 'schemas']);
    const planId = String(plan.planId);
    const first = String(plan.checkpointId);
    writeFiles(repo, { 'a.txt': 'two\n', 'b.bin': Buffer.from([0, 1, 2, 255]) });
    const second = await run('checkpoint create', ['--plan', planId, '--tool', 'Edit', '--meta', 'k=v']);
    expect(second.skipped).toBe(false);
    await run('plan policy set', [planId, '--tool', 'Read=skip']);
    expect((await run('checkpoint create', ['--plan', planId, '--tool', 'Read'])).skipped).toBe(true);
    await run('checkpoint list', ['--plan', planId]);
    await run('checkpoint show', [String(second.checkpointId), '--stat', '--diff']);
    expect((await run('checkpoint diff', [first])).to).toBe('sandbox');
    await run('checkpoint diff', [first, String(second.checkpointId)]);
    await run('checkpoint export', [
      String(second.checkpointId),
      '--output',
      path.join(repo, '..', 'x.patch'),
    ]);
    const decision = await run('decision record', ['--plan', planId, '--summary', 'keep b.bin']);
    await run('decision show', [String(decision.decisionId)]);
    await run('plan show', [planId]);
    await run('plan policy show', [planId]);
    const report = await run('plan rollback', [planId, first, '--yes']);
    expect(report.safetyCheckpointId).toEqual(expect.any(String));
    await run('undo', ['--plan', planId, '--yes']);
    const correction = await run('correction revert', [String(decision.decisionId), '--yes']);
    expect(correction.revertedDecisionIds).toEqual([decision.decisionId]);
    await run('decision list', ['--plan', planId]);
    const { operations } = await run('ops list', ['--plan', planId]);
    await run('ops show', [String((operations as { opId: string }[])[0]?.opId)]);
    await run('checkpoint prune', ['--plan', planId, '--keep', '1', '--dry-run']);
    await run('gc', ['--dry-run']);
    await run('recover', ['--plan', planId]);
    await run('doctor', []);
    // exec's own argv follows `--`, so --json goes before it (cliJson would append it after).
    ran.add('exec');
    const execRun = await runCli(repo, [
      'exec',
      '--plan',
      planId,
      '--tool',
      'Bash',
      '--json',
      '--',
      'node',
      '-e',
      '',
    ]);
    expect(execRun.status, execRun.stderr).toBe(0);
    const attempt = JSON.parse(execRun.stdout) as Record<string, unknown>;
    expectValid(resultSchemas.exec, attempt);
    expect(attempt.outcome).toBe('success');
    await run('attempts list', ['--plan', planId]);
    await run('attempts stats', []);
    await run('plan apply', [planId]);
    await run('plan list', []);
    const next = await run('plan create', []);
    await run('plan abandon', [String(next.planId)]);
    expect(Object.keys(resultSchemas).filter((id) => !ran.has(id))).toEqual([]);

    const failed = await runCli(repo, ['plan', 'show', '01JD3Q6Z5K8M2N4P6R8T0V2X4Y', '--json']);
    expect(failed.status).toBe(3);
    expectValid(ErrorEnvelope, JSON.parse(failed.stdout));
  });
});
