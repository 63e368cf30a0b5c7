/**
 * The SQLite store on real database files: creation, pragmas and permissions, ownership and
 * version checks (refusing without writing), the one-active-plan rule, compare-and-set
 * transitions, checkpoint sequence numbers and zod round trips.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Checkpoint } from '../src/checkpoint/model.js';
import { ulidGenerator } from '../src/core/defaults.js';
import { StoreIntegrityError } from '../src/core/errors.js';
import { ActivePlanExistsError } from '../src/plan/errors.js';
import { type Plan, PlanPolicy } from '../src/plan/model.js';
import { APPLICATION_ID, defaultDatabasePath } from '../src/store/database.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/store/migrations.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { tempDir } from './helpers/repo.js';
import { expectError } from './helpers/savepoint.js';

const ids = ulidGenerator();
const T0 = '2024-05-01T10:00:00.000Z';
const T1 = '2024-05-01T11:00:00.000Z';

function openStore(file: string): SqliteStore {
  const store = SqliteStore.open(file);
  onTestFinished(() => store.close());
  return store;
}

/** Reads pragmas through an independent read-only connection. */
function pragmas(file: string): { applicationId: number; userVersion: number; journalMode: string } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return {
      applicationId: db.pragma('application_id', { simple: true }) as number,
      userVersion: db.pragma('user_version', { simple: true }) as number,
      journalMode: db.pragma('journal_mode', { simple: true }) as string,
    };
  } finally {
    db.close();
  }
}

function makePlan(overrides: Partial<Plan> = {}): Plan {
  return {
    planId: ids.next(),
    name: 'a plan',
    sandboxPath: '/tmp/sandbox-a',
    gitDir: '/tmp/sandbox-a/.git',
    repositoryId: 'repo-a',
    baseCommit: 'a'.repeat(40),
    state: 'active',
    policy: PlanPolicy.parse({}),
    managedWorktree: false,
    createdAt: T0,
    updatedAt: T0,
    appliedAt: null,
    ...overrides,
  };
}

function makeCheckpoint(
  planId: string,
  overrides: Partial<Omit<Checkpoint, 'seq'>> = {},
): Omit<Checkpoint, 'seq'> {
  const checkpointId = ids.next();
  return {
    checkpointId,
    planId,
    checkpointType: 'commit',
    sandboxRef: `refs/savepoint/${planId}/${checkpointId}`,
    commitSha: 'c'.repeat(40),
    treeSha: 'd'.repeat(40),
    indexTreeSha: 'e'.repeat(40),
    headSha: 'f'.repeat(40),
    headRef: 'refs/heads/main',
    filesystemPath: '/tmp/sandbox-a',
    resourceId: null,
    sizeBytes: null,
    filesChanged: null,
    createdAt: T0,
    metadata: { kind: 'manual' },
    ...overrides,
  };
}

function listing(dir: string): string[] {
  return readdirSync(dir).sort();
}

describe('opening a new database', () => {
  it('creates the directory 0700 and the file 0600 with savepoint application_id, schema version and WAL', () => {
    const root = tempDir();
    const file = path.join(root, 'nested', 'savepoint', 'state.db');
    const store = openStore(file);
    store.close();

    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(pragmas(file)).toEqual({
      applicationId: APPLICATION_ID,
      userVersion: SCHEMA_VERSION,
      journalMode: 'wal',
    });
    expect(APPLICATION_ID).toBe(0x53415650);
    // The same values are in the file header on disk (offsets from the SQLite file format).
    const header = readFileSync(file).subarray(0, 100);
    expect(header.readUInt32BE(68)).toBe(0x53415650);
    expect(header.readUInt32BE(60)).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(1);
  });

  it('puts the default database in <git-common-dir>/savepoint/state.db', () => {
    expect(defaultDatabasePath('/repo/.git')).toBe('/repo/.git/savepoint/state.db');
  });

  it('reopens an existing database and keeps its rows and version', () => {
    const file = path.join(tempDir(), 'state.db');
    const plan = makePlan();
    const first = SqliteStore.open(file);
    first.plans.insert(plan);
    first.close();

    const second = openStore(file);
    expect(second.plans.get(plan.planId)).toEqual(plan);
    second.close();
    expect(pragmas(file).userVersion).toBe(SCHEMA_VERSION);
    expect(pragmas(file).applicationId).toBe(APPLICATION_ID);
  });

  it('upgrades a schema-6 database: its finished attempts keep every field, with pid 0 and no host', () => {
    const file = path.join(tempDir(), 'state.db');
    const raw = new Database(file);
    raw.pragma('foreign_keys = ON');
    for (const migration of MIGRATIONS.slice(0, 6)) raw.exec(migration);
    raw.pragma(`application_id = ${APPLICATION_ID}`);
    raw.pragma('user_version = 6');
    raw.exec(`INSERT INTO plans (plan_id, sandbox_path, git_dir, repository_id, state, created_at, updated_at)
      VALUES ('01ARZ3NDEKTSV4RRFFQ69G5FAV', '/r', '/r/.git', 'r', 'active', '${T0}', '${T0}')`);
    raw.exec(`INSERT INTO attempts (attempt_id, plan_id, tool, argv_json, exit_code, signal, elapsed_ms, outcome,
      checkpoint_id, rollback_safety_checkpoint_id, started_at, finished_at)
      VALUES ('01ARZ3NDEKTSV4RRFFQ69G5FAW', '01ARZ3NDEKTSV4RRFFQ69G5FAV', 'Bash', '["npm","test"]', 1, NULL, 1500,
      'failed', NULL, NULL, '${T0}', '${T1}')`);
    raw.close();
    const store = openStore(file);
    expect(store.attempts.list({})).toEqual([
      {
        attemptId: '01ARZ3NDEKTSV4RRFFQ69G5FAW',
        planId: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
        tool: 'Bash',
        argv: ['npm', 'test'],
        exitCode: 1,
        signal: null,
        elapsedMs: 1500,
        outcome: 'failed',
        checkpointId: null,
        rollbackSafetyCheckpointId: null,
        startedAt: T0,
        finishedAt: T1,
        pid: 0,
        hostname: '',
      },
    ]);
    expect(pragmas(file).userVersion).toBe(SCHEMA_VERSION);
    expect(store.integrityProblems()).toEqual([]);
  });

  it('accepts an empty file (an empty SQLite database) and initializes it', () => {
    const file = path.join(tempDir(), 'state.db');
    writeFileSync(file, '');
    const store = openStore(file);
    store.plans.insert(makePlan());
    store.close();
    expect(pragmas(file).applicationId).toBe(APPLICATION_ID);
  });
});

describe('refusing databases it must not write', () => {
  it('refuses a SQLite file of another application (tables, application_id 0) without changing a byte', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'state.db');
    const other = new Database(file);
    other.exec(
      "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me');",
    );
    other.close();
    const before = readFileSync(file);
    const filesBefore = listing(dir);

    const error = await expectError(() => SqliteStore.open(file), StoreIntegrityError, 'STORE_FOREIGN', 9);
    expect(error.details).toMatchObject({ path: file, applicationId: 0 });

    expect(readFileSync(file).equals(before)).toBe(true);
    expect(listing(dir)).toEqual(filesBefore);
  });

  it('refuses a SQLite file with another application_id even when it has no tables', async () => {
    const file = path.join(tempDir(), 'state.db');
    const other = new Database(file);
    other.pragma('application_id = 1234');
    other.close();
    const before = readFileSync(file);

    await expectError(() => SqliteStore.open(file), StoreIntegrityError, 'STORE_FOREIGN', 9);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses a file that is not SQLite without changing a byte', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'state.db');
    const bytes = Buffer.from(`this is a plain text file, not a database\n${'x'.repeat(4096)}\n`);
    writeFileSync(file, bytes);
    const filesBefore = listing(dir);

    await expectError(() => SqliteStore.open(file), StoreIntegrityError, 'STORE_FOREIGN', 9);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(listing(dir)).toEqual(filesBefore);
  });

  it('refuses a database whose schema is newer than this binary (STORE_TOO_NEW) and leaves it as it is', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'state.db');
    const plan = makePlan();
    const store = SqliteStore.open(file);
    store.plans.insert(plan);
    store.close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const before = readFileSync(file);

    const error = await expectError(() => SqliteStore.open(file), StoreIntegrityError, 'STORE_TOO_NEW', 9);
    expect(error.details).toMatchObject({ schemaVersion: SCHEMA_VERSION + 1, supported: SCHEMA_VERSION });
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(pragmas(file).userVersion).toBe(SCHEMA_VERSION + 1);
    // Still readable by the newer binary that wrote it: rows intact.
    const raw2 = new Database(file, { readonly: true });
    expect(raw2.prepare('SELECT plan_id FROM plans').all()).toEqual([{ plan_id: plan.planId }]);
    raw2.close();
  });

  it('reports a row that does not match the schema as STORE_CORRUPT instead of returning it', async () => {
    const file = path.join(tempDir(), 'state.db');
    const store = openStore(file);
    const plan = makePlan();
    store.plans.insert(plan);
    const checkpoint = store.checkpoints.insert(makeCheckpoint(plan.planId));
    const raw = new Database(file);
    raw
      .prepare('UPDATE checkpoints SET metadata_json = ? WHERE checkpoint_id = ?')
      .run('{"kind":"no-such-kind"}', checkpoint.checkpointId);
    raw.close();

    await expectError(
      () => store.checkpoints.get(checkpoint.checkpointId),
      StoreIntegrityError,
      'STORE_CORRUPT',
      9,
    );
  });
});

describe('plans', () => {
  it('allows one active plan per sandbox: a second insert is PLAN_ACTIVE_EXISTS and is not stored', async () => {
    const store = openStore(path.join(tempDir(), 'state.db'));
    const first = makePlan();
    store.plans.insert(first);

    const second = makePlan();
    const error = await expectError(
      () => store.plans.insert(second),
      ActivePlanExistsError,
      'PLAN_ACTIVE_EXISTS',
      4,
    );
    expect(error.details).toMatchObject({ sandboxPath: first.sandboxPath, planId: first.planId });
    expect(store.plans.get(second.planId)).toBeUndefined();
    expect(store.plans.list({}).map((p) => p.planId)).toEqual([first.planId]);

    // Another sandbox is fine; so is the same sandbox once the first plan is no longer active.
    const elsewhere = makePlan({ sandboxPath: '/tmp/sandbox-b' });
    store.plans.insert(elsewhere);
    expect(store.plans.transition(first.planId, 'active', 'abandoned', T1)).toBe(true);
    store.plans.insert(second);
    expect(store.plans.activeForSandbox(first.sandboxPath)?.planId).toBe(second.planId);
    expect(store.plans.list({ state: 'active' }).map((p) => p.planId)).toEqual(
      [elsewhere.planId, second.planId].sort(),
    );
    expect(store.plans.list({ state: 'abandoned' }).map((p) => p.planId)).toEqual([first.planId]);
  });

  it('enforces one active plan per sandbox in the database itself, across connections', async () => {
    const file = path.join(tempDir(), 'state.db');
    const a = openStore(file);
    const b = openStore(file);
    const first = makePlan();
    a.plans.insert(first);
    await expectError(() => b.plans.insert(makePlan()), ActivePlanExistsError, 'PLAN_ACTIVE_EXISTS', 4);
    expect(b.plans.list({}).map((p) => p.planId)).toEqual([first.planId]);
  });

  it('transition is a compare-and-set: false and no change when the state is not the expected one', () => {
    const store = openStore(path.join(tempDir(), 'state.db'));
    const plan = makePlan();
    store.plans.insert(plan);

    expect(store.plans.transition(plan.planId, 'applied', 'abandoned', T1)).toBe(false);
    expect(store.plans.get(plan.planId)).toEqual(plan);

    expect(store.plans.transition(plan.planId, 'active', 'applied', T1)).toBe(true);
    const applied = store.plans.get(plan.planId);
    expect(applied).toEqual({ ...plan, state: 'applied', updatedAt: T1, appliedAt: T1 });

    // The loser of a race sees false and the winner's row stays as it was.
    expect(store.plans.transition(plan.planId, 'active', 'abandoned', '2030-01-01T00:00:00.000Z')).toBe(
      false,
    );
    expect(store.plans.get(plan.planId)).toEqual(applied);

    expect(store.plans.transition(ids.next(), 'active', 'applied', T1)).toBe(false);
  });

  it('abandoning does not set appliedAt', () => {
    const store = openStore(path.join(tempDir(), 'state.db'));
    const plan = makePlan();
    store.plans.insert(plan);
    expect(store.plans.transition(plan.planId, 'active', 'abandoned', T1)).toBe(true);
    expect(store.plans.get(plan.planId)).toEqual({
      ...plan,
      state: 'abandoned',
      updatedAt: T1,
      appliedAt: null,
    });
  });

  it('round-trips a plan through zod, keeping unknown policy keys and nulls', () => {
    const store = openStore(path.join(tempDir(), 'state.db'));
    const plan = makePlan({
      name: null,
      baseCommit: null,
      managedWorktree: true,
      policy: PlanPolicy.parse({
        retention: { max: 7 },
        tools: { Edit: 'checkpoint', 'Read*': 'skip' },
        head: 'keep',
        untrackedSizeCap: 1024,
        futureKey: [1, 'two'],
      }),
    });
    store.plans.insert(plan);
    expect(store.plans.get(plan.planId)).toEqual(plan);
    expect(store.plans.get(ids.next())).toBeUndefined();
  });
});

describe('checkpoints', () => {
  it("counts each plan's checkpoints through inserts and deletes as count(*) does (kept by triggers)", () => {
    const file = path.join(tempDir(), 'state.db');
    const store = openStore(file);
    const a = makePlan();
    const b = makePlan({ sandboxPath: '/tmp/sandbox-b' });
    store.plans.insert(a);
    store.plans.insert(b);
    expect([store.checkpoints.count(a.planId), store.checkpoints.count(b.planId)]).toEqual([0, 0]);
    const made = [a, a, b, a, b, a].map((plan) => store.checkpoints.insert(makeCheckpoint(plan.planId)));
    expect([store.checkpoints.count(a.planId), store.checkpoints.count(b.planId)]).toEqual([4, 2]);
    store.checkpoints.delete([
      made[0]?.checkpointId ?? '',
      made[2]?.checkpointId ?? '',
      made[3]?.checkpointId ?? '',
    ]);
    expect([store.checkpoints.count(a.planId), store.checkpoints.count(b.planId)]).toEqual([2, 1]);
    store.close();
    const raw = new Database(file, { readonly: true });
    const counted = raw
      .prepare('SELECT plan_id AS planId, count(*) AS n FROM checkpoints GROUP BY plan_id ORDER BY plan_id')
      .all();
    expect(
      raw.prepare('SELECT plan_id AS planId, n FROM plan_checkpoint_counts ORDER BY plan_id').all(),
    ).toEqual(counted);
    raw.close();
  });

  it('upgrades a schema-7 database: the counts start as count(*) and are kept from then on', () => {
    const file = path.join(tempDir(), 'state.db');
    const store = openStore(file);
    const plan = makePlan();
    store.plans.insert(plan);
    for (let i = 0; i < 3; i++) store.checkpoints.insert(makeCheckpoint(plan.planId));
    store.close();
    // What a schema-7 binary leaves: the same rows, no counts, no triggers.
    const seven = new Database(file);
    seven.exec(`DROP TRIGGER checkpoints_counted; DROP TRIGGER checkpoints_uncounted;
      DROP TRIGGER checkpoints_recounted; DROP TABLE plan_checkpoint_counts;`);
    seven.pragma('user_version = 7');
    seven.close();
    const upgraded = openStore(file);
    expect(upgraded.checkpoints.count(plan.planId)).toBe(3);
    upgraded.checkpoints.insert(makeCheckpoint(plan.planId));
    expect(upgraded.checkpoints.count(plan.planId)).toBe(4);
    upgraded.close();
    expect(pragmas(file).userVersion).toBe(SCHEMA_VERSION);
  });

  it('numbers checkpoints 1, 2, 3 … per plan', () => {
    const store = openStore(path.join(tempDir(), 'state.db'));
    const a = makePlan();
    const b = makePlan({ sandboxPath: '/tmp/sandbox-b' });
    store.plans.insert(a);
    store.plans.insert(b);

    const seqs = [a, a, b, a, b].map((plan) => store.checkpoints.insert(makeCheckpoint(plan.planId)));
    expect(seqs.map((c) => [c.planId === a.planId ? 'a' : 'b', c.seq])).toEqual([
      ['a', 1],
      ['a', 2],
      ['b', 1],
      ['a', 3],
      ['b', 2],
    ]);
    expect(store.checkpoints.list(a.planId).map((c) => c.seq)).toEqual([1, 2, 3]);
    expect(store.checkpoints.list(b.planId).map((c) => c.seq)).toEqual([1, 2]);
    expect(store.checkpoints.latest(a.planId)?.checkpointId).toBe(seqs[3]?.checkpointId);
    expect(store.checkpoints.latest(ids.next())).toBeUndefined();
    expect(store.checkpoints.list(ids.next())).toEqual([]);
  });

  it('round-trips a checkpoint through zod, keeping caller metadata keys', () => {
    const file = path.join(tempDir(), 'state.db');
    const store = SqliteStore.open(file);
    const plan = makePlan();
    store.plans.insert(plan);
    const input = makeCheckpoint(plan.planId, {
      headSha: null,
      headRef: null,
      sizeBytes: 1234,
      filesChanged: 5,
      metadata: {
        kind: 'safety',
        reason: 'before rollback',
        tool: 'Edit',
        phase: 'pre',
        rollbackTarget: ids.next(),
        ticket: 'ABC-1',
        nested: { depth: [1, 2, { three: true }] },
      },
    });
    const stored = store.checkpoints.insert(input);
    expect(stored).toEqual({ ...input, seq: 1 });
    store.close();

    const reopened = openStore(file);
    expect(reopened.checkpoints.get(input.checkpointId)).toEqual({ ...input, seq: 1 });
    expect(reopened.checkpoints.get(ids.next())).toBeUndefined();
  });

  it('round-trips resourceId and caller meta; resourceId defaults to null', () => {
    const store = openStore(path.join(tempDir(), 'state.db'));
    const plan = makePlan();
    store.plans.insert(plan);
    const { resourceId: _, ...withoutResource } = makeCheckpoint(plan.planId);
    expect(store.checkpoints.insert(withoutResource).resourceId).toBeNull();
    const input = makeCheckpoint(plan.planId, {
      resourceId: 'src/parser.ts',
      metadata: { kind: 'manual', meta: { ticket: 'PAR-12', empty: '' } },
    });
    expect(store.checkpoints.insert(input)).toEqual({ ...input, seq: 2 });
    expect(store.checkpoints.get(input.checkpointId)?.metadata.meta).toEqual({ ticket: 'PAR-12', empty: '' });
  });

  describe('list with a query', () => {
    /** Plan a: 6 checkpoints an hour apart, tools Edit/Bash/none and phases edit/test; plan b: one Edit. */
    function seeded() {
      const store = openStore(path.join(tempDir(), 'state.db'));
      const a = makePlan();
      const b = makePlan({ sandboxPath: '/tmp/sandbox-b' });
      store.plans.insert(a);
      store.plans.insert(b);
      const specs: Array<{ tool?: string; phase?: string }> = [
        {},
        { tool: 'Edit', phase: 'edit' },
        { tool: 'Bash', phase: 'test' },
        { tool: 'Edit', phase: 'test' },
        { tool: 'Edit', phase: 'edit' },
        { tool: "Ed'it", phase: 'edit' },
      ];
      specs.forEach((spec, hour) => {
        store.checkpoints.insert(
          makeCheckpoint(a.planId, {
            createdAt: `2024-05-01T${String(10 + hour).padStart(2, '0')}:00:00.000Z`,
            metadata: { kind: hour === 0 ? 'initial' : 'manual', ...spec },
          }),
        );
      });
      store.checkpoints.insert(makeCheckpoint(b.planId, { metadata: { kind: 'manual', tool: 'Edit' } }));
      const seqs = (query: Parameters<typeof store.checkpoints.list>[1]) =>
        store.checkpoints.list(a.planId, query).map((c) => c.seq);
      return { store, a, seqs };
    }

    it('filters by tool and phase exactly (parameters, never SQL text), within the plan', () => {
      const { seqs } = seeded();
      expect(seqs({ tool: 'Edit' })).toEqual([2, 4, 5]);
      expect(seqs({ phase: 'test' })).toEqual([3, 4]);
      expect(seqs({ tool: 'Edit', phase: 'edit' })).toEqual([2, 5]);
      expect(seqs({ tool: "Ed'it" })).toEqual([6]);
      expect(seqs({ tool: 'edit' })).toEqual([]);
      expect(seqs({ tool: "' OR 1=1 --" })).toEqual([]);
    });

    it('since keeps checkpoints created at or after the instant', () => {
      const { seqs } = seeded();
      expect(seqs({ since: '2024-05-01T13:00:00.000Z' })).toEqual([4, 5, 6]);
      expect(seqs({ since: '2024-05-01T13:00:00.001Z' })).toEqual([5, 6]);
      expect(seqs({ since: '2030-01-01T00:00:00.000Z' })).toEqual([]);
    });

    it('limit keeps the most recent matching checkpoints, still oldest first', () => {
      const { seqs } = seeded();
      expect(seqs({ limit: 2 })).toEqual([5, 6]);
      expect(seqs({ tool: 'Edit', limit: 2 })).toEqual([4, 5]);
      expect(seqs({ tool: 'Edit', since: '2024-05-01T12:00:00.000Z', limit: 10 })).toEqual([4, 5]);
      expect(seqs({})).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('before gives the highest lower seq still held', () => {
      const { store, a } = seeded();
      const rows = store.checkpoints.list(a.planId);
      store.checkpoints.delete([rows[3]?.checkpointId as string]);
      expect(store.checkpoints.before(a.planId, 5)?.seq).toBe(3);
      expect(store.checkpoints.before(a.planId, 2)?.seq).toBe(1);
      expect(store.checkpoints.before(a.planId, 1)).toBeUndefined();
    });
  });

  it('refuses a checkpoint of a plan that does not exist (foreign key)', () => {
    const store = openStore(path.join(tempDir(), 'state.db'));
    const orphan = makeCheckpoint(ids.next());
    expect(() => store.checkpoints.insert(orphan)).toThrow(/FOREIGN KEY/);
    expect(store.checkpoints.get(orphan.checkpointId)).toBeUndefined();
  });

  it('rolls back every write of a transaction that throws', () => {
    const store = openStore(path.join(tempDir(), 'state.db'));
    const plan = makePlan();
    expect(() =>
      store.transaction(() => {
        store.plans.insert(plan);
        store.checkpoints.insert(makeCheckpoint(plan.planId));
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(store.plans.get(plan.planId)).toBeUndefined();
    expect(store.checkpoints.list(plan.planId)).toEqual([]);
  });
});
