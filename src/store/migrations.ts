/**
 * Schema migrations, applied in order; `PRAGMA user_version` holds the number applied.
 * Never edit a released migration: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: plans and checkpoints (DESIGN §3). operations and attempts arrive with their issues.
  `
  CREATE TABLE plans (
    plan_id          TEXT PRIMARY KEY,
    name             TEXT,
    sandbox_path     TEXT NOT NULL,
    git_dir          TEXT NOT NULL,
    repository_id    TEXT NOT NULL,
    base_commit      TEXT,
    state            TEXT NOT NULL CHECK (state IN ('active', 'applied', 'abandoned')),
    policy_json      TEXT NOT NULL DEFAULT '{}',
    managed_worktree INTEGER NOT NULL DEFAULT 0 CHECK (managed_worktree IN (0, 1)),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    applied_at       TEXT
  ) STRICT;
  -- At most one active plan per sandbox, enforced by the database itself.
  CREATE UNIQUE INDEX plans_one_active_per_sandbox ON plans (sandbox_path) WHERE state = 'active';
  CREATE INDEX plans_state ON plans (state, plan_id);

  CREATE TABLE checkpoints (
    checkpoint_id   TEXT PRIMARY KEY,
    plan_id         TEXT NOT NULL REFERENCES plans (plan_id),
    seq             INTEGER NOT NULL,
    checkpoint_type TEXT NOT NULL CHECK (checkpoint_type IN ('commit', 'patch')),
    sandbox_ref     TEXT,
    commit_sha      TEXT,
    tree_sha        TEXT NOT NULL,
    index_tree_sha  TEXT NOT NULL,
    head_sha        TEXT,
    head_ref        TEXT,
    patch           BLOB,
    decision_id     TEXT,
    resource_id     TEXT,
    filesystem_path TEXT NOT NULL,
    size_bytes      INTEGER,
    files_changed   INTEGER,
    created_at      TEXT NOT NULL,
    metadata_json   TEXT NOT NULL DEFAULT '{}',
    UNIQUE (plan_id, seq)
  ) STRICT;
  `,
  // 2: retention (DESIGN §4 step 6) finds a plan's latest safety checkpoint through this index,
  // without reading the plan's other rows. Queries must use the exact same expression.
  `
  CREATE INDEX checkpoints_plan_kind ON checkpoints (plan_id, json_extract(metadata_json, '$.kind'), seq);
  `,
  // 3: the operation ledger (DESIGN §3): intent before a mutating action, outcome after.
  // No foreign key to plans: the intent of `plan create` is written before its plan row, and
  // the log outlives plans that gc removes.
  `
  CREATE TABLE operations (
    op_id         TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    plan_id       TEXT,
    sandbox_path  TEXT NOT NULL,
    args_json     TEXT NOT NULL DEFAULT '{}',
    intent_at     TEXT NOT NULL,
    progress_json TEXT NOT NULL DEFAULT '{}',
    outcome_at    TEXT,
    status        TEXT CHECK (status IS NULL OR status IN ('committed', 'failed')),
    result_json   TEXT,
    error         TEXT,
    error_message TEXT,
    incomplete    INTEGER NOT NULL DEFAULT 0 CHECK (incomplete IN (0, 1)),
    pid           INTEGER NOT NULL,
    hostname      TEXT NOT NULL,
    recovery      TEXT CHECK (recovery IS NULL OR recovery IN ('forward', 'abort')),
    recovered_at  TEXT,
    recovered_by  TEXT
  ) STRICT;
  CREATE INDEX operations_plan ON operations (plan_id, op_id);
  -- What mutating commands look up before they start: unresolved operations of a sandbox.
  CREATE INDEX operations_unresolved ON operations (sandbox_path, op_id)
    WHERE recovery IS NULL AND (status IS NULL OR incomplete = 1);
  `,
  // 4: decisions (DESIGN §3, §6). Depends only on migration 1, so it may be renumbered freely.
  // A checkpoint an active decision points to is pinned against retention; once nothing pins
  // it, pruning may delete it and the reverted decision keeps its row with checkpoint_id NULL.
  `
  CREATE TABLE decisions (
    decision_id    TEXT PRIMARY KEY,
    plan_id        TEXT NOT NULL REFERENCES plans (plan_id),
    seq            INTEGER NOT NULL,
    checkpoint_id  TEXT REFERENCES checkpoints (checkpoint_id) ON DELETE SET NULL,
    summary        TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('active', 'reverted')),
    created_at     TEXT NOT NULL,
    reverted_at    TEXT,
    reverted_by    TEXT,
    reactivated_by TEXT,
    UNIQUE (plan_id, seq)
  ) STRICT;
  -- list by plan and state; the active ones from a seq on (correction); pinned checkpoints.
  CREATE INDEX decisions_plan_state ON decisions (plan_id, state, seq);
  -- ON DELETE SET NULL looks decisions up by checkpoint on every pruned checkpoint.
  CREATE INDEX decisions_checkpoint ON decisions (checkpoint_id);
  -- undo: the decisions one rollback reverted or re-activated.
  CREATE INDEX decisions_reverted_by ON decisions (reverted_by) WHERE reverted_by IS NOT NULL;
  CREATE INDEX decisions_reactivated_by ON decisions (reactivated_by) WHERE reactivated_by IS NOT NULL;
  `,
  // 5: `checkpoint list --since` reads only the plan's rows from that time on.
  `
  CREATE INDEX checkpoints_plan_created ON checkpoints (plan_id, created_at);
  `,
  // 6: the attempt log of `savepoint exec` (issue 6). Depends only on migrations 1 and 2.
  // A checkpoint retention prunes leaves the attempt with checkpoint_id NULL.
  `
  CREATE TABLE attempts (
    attempt_id    TEXT PRIMARY KEY,
    plan_id       TEXT NOT NULL REFERENCES plans (plan_id),
    tool          TEXT NOT NULL,
    argv_json     TEXT NOT NULL,
    exit_code     INTEGER,
    signal        TEXT,
    elapsed_ms    INTEGER NOT NULL CHECK (elapsed_ms >= 0),
    outcome       TEXT NOT NULL CHECK (outcome IN ('success', 'failed', 'timeout', 'rolled_back')),
    checkpoint_id TEXT REFERENCES checkpoints (checkpoint_id) ON DELETE SET NULL,
    rollback_safety_checkpoint_id TEXT,
    started_at    TEXT NOT NULL,
    finished_at   TEXT NOT NULL
  ) STRICT;
  -- attempts list --plan [--since]; attempts list --tool; ON DELETE SET NULL by checkpoint.
  CREATE INDEX attempts_plan_started ON attempts (plan_id, started_at);
  CREATE INDEX attempts_started ON attempts (started_at);
  CREATE INDEX attempts_tool ON attempts (tool, started_at);
  CREATE INDEX attempts_checkpoint ON attempts (checkpoint_id);
  `,
  // 7: an attempt is recorded when its command starts (outcome 'running', with the pid and
  // host of the savepoint process running it) and finished when it ends, so a savepoint killed
  // meanwhile leaves a row (reported as 'interrupted'), and a running call pins its pre-call
  // checkpoint against retention. SQLite cannot alter a CHECK: the table is rebuilt.
  `
  CREATE TABLE attempts_v7 (
    attempt_id    TEXT PRIMARY KEY,
    plan_id       TEXT NOT NULL REFERENCES plans (plan_id),
    tool          TEXT NOT NULL,
    argv_json     TEXT NOT NULL,
    exit_code     INTEGER,
    signal        TEXT,
    elapsed_ms    INTEGER CHECK (elapsed_ms >= 0),
    outcome       TEXT NOT NULL CHECK (outcome IN ('running', 'success', 'failed', 'timeout', 'rolled_back')),
    checkpoint_id TEXT REFERENCES checkpoints (checkpoint_id) ON DELETE SET NULL,
    rollback_safety_checkpoint_id TEXT,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    pid           INTEGER NOT NULL,
    hostname      TEXT NOT NULL,
    CHECK ((outcome = 'running') = (finished_at IS NULL)),
    CHECK ((outcome = 'running') = (elapsed_ms IS NULL))
  ) STRICT;
  INSERT INTO attempts_v7
    SELECT attempt_id, plan_id, tool, argv_json, exit_code, signal, elapsed_ms, outcome, checkpoint_id,
           rollback_safety_checkpoint_id, started_at, finished_at, 0, ''
    FROM attempts;
  DROP TABLE attempts;
  ALTER TABLE attempts_v7 RENAME TO attempts;
  CREATE INDEX attempts_plan_started ON attempts (plan_id, started_at);
  CREATE INDEX attempts_started ON attempts (started_at);
  CREATE INDEX attempts_tool ON attempts (tool, started_at);
  CREATE INDEX attempts_checkpoint ON attempts (checkpoint_id);
  -- The running attempts of a plan, whose pre-call checkpoints retention must keep.
  CREATE INDEX attempts_running ON attempts (plan_id) WHERE outcome = 'running';
  `,
  // 8: each plan's checkpoint count, kept by triggers, so reading it costs the same at the
  // 10th and the 10,000th checkpoint (count(*) walks the plan's index range: O(rows)).
  `
  CREATE TABLE plan_checkpoint_counts (
    plan_id TEXT PRIMARY KEY REFERENCES plans (plan_id),
    n       INTEGER NOT NULL CHECK (n >= 0)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO plan_checkpoint_counts SELECT plan_id, count(*) FROM checkpoints GROUP BY plan_id;
  CREATE TRIGGER checkpoints_counted AFTER INSERT ON checkpoints BEGIN
    INSERT INTO plan_checkpoint_counts (plan_id, n) VALUES (NEW.plan_id, 1)
      ON CONFLICT (plan_id) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER checkpoints_uncounted AFTER DELETE ON checkpoints BEGIN
    UPDATE plan_checkpoint_counts SET n = n - 1 WHERE plan_id = OLD.plan_id;
  END;
  CREATE TRIGGER checkpoints_recounted AFTER UPDATE OF plan_id ON checkpoints
    WHEN OLD.plan_id IS NOT NEW.plan_id BEGIN
    UPDATE plan_checkpoint_counts SET n = n - 1 WHERE plan_id = OLD.plan_id;
    INSERT INTO plan_checkpoint_counts (plan_id, n) VALUES (NEW.plan_id, 1)
      ON CONFLICT (plan_id) DO UPDATE SET n = n + 1;
  END;
  `,
  // 9: the outcome `cancelled` (a signal or a sandbox changed since the preview stopped the
  // operation before it changed anything). SQLite cannot alter a CHECK: the table is rebuilt.
  `
  CREATE TABLE operations_v9 (
    op_id         TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    plan_id       TEXT,
    sandbox_path  TEXT NOT NULL,
    args_json     TEXT NOT NULL DEFAULT '{}',
    intent_at     TEXT NOT NULL,
    progress_json TEXT NOT NULL DEFAULT '{}',
    outcome_at    TEXT,
    status        TEXT CHECK (status IS NULL OR status IN ('committed', 'failed', 'cancelled')),
    result_json   TEXT,
    error         TEXT,
    error_message TEXT,
    incomplete    INTEGER NOT NULL DEFAULT 0 CHECK (incomplete IN (0, 1)),
    pid           INTEGER NOT NULL,
    hostname      TEXT NOT NULL,
    recovery      TEXT CHECK (recovery IS NULL OR recovery IN ('forward', 'abort')),
    recovered_at  TEXT,
    recovered_by  TEXT
  ) STRICT;
  INSERT INTO operations_v9 SELECT * FROM operations;
  DROP TABLE operations;
  ALTER TABLE operations_v9 RENAME TO operations;
  CREATE INDEX operations_plan ON operations (plan_id, op_id);
  CREATE INDEX operations_unresolved ON operations (sandbox_path, op_id)
    WHERE recovery IS NULL AND (status IS NULL OR incomplete = 1);
  `,
];

/** The schema version this binary writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;
