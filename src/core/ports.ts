/**
 * Ports: what the services need from the outside world. Adapters in `src/git` and
 * `src/store` implement them; services receive them through their constructors and never
 * import git or SQL code themselves.
 */
import type { CheckpointQuery } from '../checkpoint/list-filter.js';
import type { Checkpoint, CheckpointKind } from '../checkpoint/model.js';
import type { Decision, DecisionState } from '../decision/model.js';
import type { Attempt, AttemptOutcome, FinishedOutcome } from '../exec/model.js';
import type { Operation, OperationError, OperationStatus, Recovery } from '../ledger/model.js';
import type { Plan, PlanPolicy, PlanState } from '../plan/model.js';

/** Where HEAD points: a branch (`ref`) or detached (`ref` null); `sha` null on an unborn branch. */
export interface HeadState {
  readonly ref: string | null;
  readonly sha: string | null;
}

/**
 * A path whose content a snapshot leaves out on purpose: a nested repository (a directory
 * holding `.git`, never entered), a submodule (only its gitlink commit id is recorded, its
 * files are never entered) or an untracked file larger than the size cap (never hashed).
 */
export interface SkippedPath {
  readonly path: string;
  readonly reason: 'nested-repository' | 'submodule' | 'too-large';
  /** Size of a too-large file, bytes. */
  readonly sizeBytes?: number;
}

/** Options of {@link GitSandbox.scan}. */
export interface ScanOptions {
  /** Untracked files larger than this many bytes are skipped, not hashed. */
  untrackedSizeCap: number;
  /**
   * Tree ids known to be in the object store and kept there by a ref (e.g. the trees of the
   * plan's latest `commit` checkpoint). A scan may return such a tree without writing it again
   * when it knows the state is unchanged; any other tree it writes.
   */
  knownTrees?: ReadonlySet<string>;
}

/** The state of a sandbox captured as trees, before it is (maybe) recorded as a checkpoint. */
export interface SnapshotScan {
  /** Tree of every non-ignored file in the worktree, byte-exact (no content conversion). */
  readonly treeSha: string;
  /** Tree of the real index (the user's staged state). */
  readonly indexTreeSha: string;
  readonly head: HeadState;
  /** What the worktree tree leaves out, and why. */
  readonly skipped: readonly SkippedPath[];
  /** Releases the private index behind this scan (keeping it as the next scan's stat cache). Idempotent. */
  dispose(): Promise<void>;
}

/** A file rollback moved out of the way (`--force`), and where it went. */
export interface MovedAside {
  readonly path: string;
  readonly movedTo: string;
}

/** A file a rollback put back where `--force` had moved it from (`movedFrom`: where it lay aside). */
export interface ReturnedFromAside {
  readonly path: string;
  readonly movedFrom: string;
}

/** What {@link GitSandbox.returnAside} did: files put back, and files left aside (their path was taken). */
export interface AsideReturn {
  readonly returned: ReturnedFromAside[];
  /** Still at `movedTo`: something stands at `path` (or a leading directory is a file or symlink). */
  readonly left: MovedAside[];
}

/** One path that differs between two trees, seen from the first tree. */
export interface TreeChange {
  readonly path: string;
  /** `added`: only in the second tree; `deleted`: only in the first; `modified`: content, mode or type differs. */
  readonly change: 'added' | 'modified' | 'deleted';
}

/** One path of a tree diff with the entry the second tree has there (what an index entry needs). */
export interface EntryChange extends TreeChange {
  /** Octal mode in the second tree (`100644`, `100755`, `120000`, `160000`); `000000` when deleted. */
  readonly mode: string;
  /** Object id in the second tree; all zeros when deleted. */
  readonly sha: string;
}

/**
 * What identifies the real index file's content, read without git: its trailing checksum
 * (gitformat-index(5), "Index checksum"; null when the file is missing or `index.skipHash`
 * leaves it zero) and its format version (null when there is no readable header).
 */
export interface IndexStamp {
  readonly checksum: string | null;
  readonly version: number | null;
}

/**
 * How the real index must change to hold a target tree, when it is known to hold `fromTree`
 * now: see {@link GitSandbox.resetIndex}.
 */
export interface IndexDelta {
  /** The tree the real index holds (a scan's `indexTreeSha`). */
  readonly fromTree: string;
  /** The tree the changes lead to: must be the `indexTree` passed with the delta. */
  readonly toTree: string;
  /** {@link IndexStamp} of the real index read before that scan (and unchanged after it): the proof it still holds `fromTree` if it still matches. */
  readonly stamp: IndexStamp;
  /** The entries that differ from `fromTree` to the target tree. */
  readonly changes: readonly EntryChange[];
}

/** How a tree differs from an earlier one, for a checkpoint's accounting columns. */
export interface TreeDelta {
  /** Paths (files, symlinks, submodule entries) that differ: added, modified or deleted. */
  readonly filesChanged: number;
  /**
   * Uncompressed bytes of the distinct blobs the later tree has at paths that are added or
   * whose content changed (a mode-only change adds nothing; submodule commits are not
   * counted). An upper bound on the content bytes the later tree brought into the object
   * store: a blob some other path of the earlier tree already held (a copy, a move) counts too.
   */
  readonly addedBlobBytes: number;
}

/** One path of a diff between two trees, with line counts (`git diff --numstat`). */
export interface DiffStatEntry {
  readonly path: string;
  readonly change: TreeChange['change'];
  /** Lines added; 0 for a binary file. */
  readonly added: number;
  /** Lines removed; 0 for a binary file. */
  readonly removed: number;
  /** git found the content binary (no line counts). */
  readonly binary: boolean;
}

/** One ref and the object id it points to. */
export interface RefEntry {
  readonly ref: string;
  readonly sha: string;
}

/**
 * Result of {@link GitSandbox.treeFromPatch}: the tree the patch produced, or why it did not
 * apply (an expected failure, reported as a value).
 */
export type PatchApplication =
  | { readonly applied: true; readonly treeSha: string }
  | { readonly applied: false; readonly message: string };

/** A git worktree savepoint works in. Every method runs git with savepoint's isolated environment. */
export interface GitSandbox {
  /** Canonical absolute path of the worktree's top level. */
  readonly path: string;
  /** Canonical absolute path of the repository's common git dir (shared by all worktrees). */
  readonly commonDir: string;

  head(): Promise<HeadState>;
  /** The repository's savepoint identity, or null when none was ever written (another repository). */
  repositoryId(): Promise<string | null>;
  /** The repository's savepoint identity, writing `candidate` if there is none yet (first writer wins). */
  ensureRepositoryId(candidate: string): Promise<string>;
  /** Captures worktree, index and HEAD as trees without touching them. Caller must `dispose()` the scan. */
  scan(options: ScanOptions): Promise<SnapshotScan>;
  /** Writes the checkpoint commit (and its index commit) for a scan; returns the commit id. */
  commitScan(scan: SnapshotScan, message: string): Promise<string>;
  /** Creates `ref` at `sha`; fails if the ref exists. */
  createRef(ref: string, sha: string): Promise<void>;
  /** Deletes `ref` if it still points at `sha`. */
  deleteRef(ref: string, sha: string): Promise<void>;
  /** Every ref under `prefix` (e.g. `refs/savepoint/`) and the object it points to, sorted by name. */
  listRefs(prefix: string): Promise<RefEntry[]>;
  /** The commit `ref` points to, or null when the ref or its commit object is missing. */
  resolveCommit(ref: string): Promise<string | null>;
  /**
   * `git diff --binary --full-index` from `baseCommit`'s tree (the empty tree when null) to
   * `tree`, as raw bytes: no renames, no textconv, no external diff, no colour, `a/` and `b/`
   * prefixes, so plain `git apply` (or `git apply --cached`) takes it. Empty when the trees
   * are equal. Both objects must exist.
   */
  diffFromBase(baseCommit: string | null, tree: string): Promise<Buffer>;
  /**
   * The tree of `baseCommit`, or the empty tree's id (in the repository's hash) when null;
   * null when the commit is not in the repository.
   */
  baseTree(baseCommit: string | null): Promise<string | null>;
  /**
   * Applies `patch` (as {@link diffFromBase} writes it) to `baseCommit`'s tree on a scratch
   * index and writes the result: returns its tree id, having written every blob and tree it
   * needs into the object database. The worktree and the real index are not touched. An
   * empty patch gives the base tree.
   */
  treeFromPatch(baseCommit: string | null, patch: Uint8Array): Promise<PatchApplication>;
  /** Paths that differ between two trees. */
  diffTrees(fromTree: string, toTree: string): Promise<TreeChange[]>;
  /**
   * {@link diffTrees} of several pairs of trees in one git call, with each path's entry in the
   * second tree; one list per pair, in order.
   */
  diffTreePairs(pairs: readonly (readonly [fromTree: string, toTree: string])[]): Promise<EntryChange[][]>;
  /**
   * Counts and content bytes of what `toTree` changed since `fromTree` (a tree or commit id;
   * null: the empty tree). O(changed paths): subtrees both sides share are never read. With
   * the `scan` that made `toTree`, sizes are read from the worktree files the scan hashed
   * (one git call fewer); a file rewritten between the scan and this call is sized as rewritten.
   */
  treeDelta(fromTree: string | null, toTree: string, scan?: SnapshotScan): Promise<TreeDelta>;
  /** Per-path line counts between two trees (null `fromTree`: the empty tree), sorted by path. */
  diffStat(fromTree: string | null, toTree: string): Promise<DiffStatEntry[]>;
  /**
   * The patch from one tree to another (null `fromTree`: the empty tree), byte-exact: binary
   * files as git binary patches, no textconv, no external diff driver, no colour.
   */
  diffPatch(fromTree: string | null, toTree: string): Promise<Buffer>;
  /** True when `sha` names a tree, or a commit, present in the object store. */
  hasTree(sha: string): Promise<boolean>;
  /**
   * Paths on disk that no snapshot holds and that a change list would overwrite: an existing
   * file or directory content at an `added` path, or a non-directory where a directory must be.
   * Paths the current tree holds (listed as `deleted` or `modified`) are never in the way.
   */
  findInTheWay(changes: readonly TreeChange[]): Promise<string[]>;
  /**
   * Which of `paths` the ignore rules recorded in `tree` (its `.gitignore` files, plus the
   * repository's `info/exclude` and `core.excludesFile`) would ignore, tracked or not;
   * `tree` null: the rules on disk now.
   */
  ignoredByRulesOf(tree: string | null, paths: readonly string[]): Promise<string[]>;
  /** A tree equal to `baseTree` plus the entries of `paths` as `fromTree` has them. */
  graftEntries(baseTree: string, fromTree: string, paths: readonly string[]): Promise<string>;
  /** Rewrites only the worktree paths that differ between `scan.treeSha` and `toTree`. */
  checkoutTree(scan: SnapshotScan, toTree: string): Promise<void>;
  /**
   * Moves files that are not in any snapshot (ignored, nested-repository or too-large files)
   * out of the worktree into savepoint's own directory under `label`, keeping their paths.
   */
  moveAside(paths: readonly string[], label: string): Promise<MovedAside[]>;
  /**
   * The files {@link moveAside} holds under `label`, by their sandbox paths (`movedTo`: where
   * each lies now), sorted; empty when there are none.
   */
  asideEntries(label: string): Promise<MovedAside[]>;
  /**
   * Moves files held aside under `label` back to their sandbox paths, each only where nothing
   * stands at its path and no leading component is a file or symbolic link (missing leading
   * directories are created one at a time, following no link). The others stay aside.
   */
  returnAside(label: string, entries: readonly MovedAside[]): Promise<AsideReturn>;
  /**
   * Sets the real index to `indexTree`, keeping stat data of unchanged entries and refreshing
   * that of the `rewritten` worktree paths (rollback's), so the next `git status` re-hashes nothing.
   * With a `delta` that provably applies, only its entries are written (O(changed paths)).
   */
  resetIndex(indexTree: string, rewritten?: readonly string[], delta?: IndexDelta): Promise<void>;
  /** {@link IndexStamp} of the real index now (file reads only, no git call). */
  indexStamp(): Promise<IndexStamp>;
  /** Moves HEAD (or its branch) from `current` to `target` with a compare-and-set; `reason` goes to the reflog. */
  moveHead(current: HeadState, target: HeadState, reason: string): Promise<void>;
  /** True while another git process holds the real index lock. */
  indexLocked(): Promise<boolean>;
  /**
   * savepoint's own temporary files of this worktree (private index copies, their `.lock`
   * files, scratch directories) left by processes that are gone. `stale`: safe to delete;
   * `busy`: fresh `.lock` files of a dead process, which a git child it started may still hold.
   */
  staleTempFiles(): Promise<{ stale: string[]; busy: string[] }>;
  /** Deletes files {@link staleTempFiles} returned (absolute paths inside savepoint's directory only). */
  removeTempFiles(files: readonly string[]): Promise<void>;
  /** True when every object id exists in the repository's object database (`cat-file -e`). */
  objectsExist(shas: readonly string[]): Promise<boolean>;
  /**
   * Every blob, link and submodule path of a tree, recursively (`git ls-tree -r -z
   * --name-only`, one git call), as git prints them: slash-separated, relative to the tree.
   */
  listTreePaths(tree: string): Promise<string[]>;
}

/** Finds and creates sandboxes. */
export interface SandboxProvider {
  /** Opens the worktree containing `path`. Throws SandboxInvalidError. */
  open(path: string): Promise<GitSandbox>;
  /** Adds a linked worktree at `path` on a new `branch` from the HEAD of `from`, and opens it. */
  addWorktree(from: GitSandbox, path: string, branch: string): Promise<GitSandbox>;
}

/** Plan rows. */
export interface PlanStore {
  insert(plan: Plan): void;
  get(planId: string): Plan | undefined;
  list(filter: { state?: PlanState }): Plan[];
  activeForSandbox(sandboxPath: string): Plan | undefined;
  /** Replaces the policy of an `active` plan; false (nothing written) when the plan is not active. */
  updatePolicy(planId: string, policy: PlanPolicy, at: string): boolean;
  /** Compare-and-set `from` → `to`; true only when this call made the change. */
  transition(planId: string, from: PlanState, to: PlanState, at: string): boolean;
}

/** Checkpoint rows. */
export interface CheckpointStore {
  /**
   * Inserts with the next `seq` of the plan; returns the stored row. `resourceId` defaults to
   * null. `patch`: the bundle of a `patch` checkpoint.
   */
  insert(
    checkpoint: Omit<Checkpoint, 'seq' | 'resourceId'> & { resourceId?: string | null },
    patch?: Uint8Array,
  ): Checkpoint;
  get(checkpointId: string): Checkpoint | undefined;
  /** The patch bundle stored in a checkpoint's row; undefined when the row or its patch is absent. */
  patch(checkpointId: string): Buffer | undefined;
  latest(planId: string): Checkpoint | undefined;
  /**
   * The plan's checkpoints oldest first (by `seq`); with a query, only those matching all its
   * fields, and with `limit` only the most recent `limit` of them (still oldest first).
   */
  list(planId: string, query?: CheckpointQuery): Checkpoint[];
  /** The plan's checkpoint just before `seq` (the highest lower `seq`), if any. */
  before(planId: string, seq: number): Checkpoint | undefined;
  /** How many checkpoints the plan holds (one indexed count). */
  count(planId: string): number;
  /** The plan's `limit` oldest checkpoints, by `seq` ascending. */
  oldest(planId: string, limit: number): Checkpoint[];
  /** The plan's most recent checkpoint whose `metadata.kind` is `kind` (indexed, reads one row). */
  latestOfKind(planId: string, kind: CheckpointKind): Checkpoint | undefined;
  /** Deletes these checkpoint rows; returns how many existed. Refs are the caller's business. */
  delete(checkpointIds: readonly string[]): number;
  /** Checkpoint rows whose plan row is gone (left by hand edits or foreign-key-less tools). */
  orphans(): Checkpoint[];
}

/** A new ledger row: the intent of an operation, before it changes anything. */
export type OperationIntent = Pick<
  Operation,
  'opId' | 'kind' | 'planId' | 'sandboxPath' | 'args' | 'intentAt' | 'pid' | 'hostname'
>;

/** The outcome of an operation. */
export interface OperationOutcome {
  status: OperationStatus;
  at: string;
  result: unknown;
  error: OperationError | null;
  /** Failed after changing the sandbox: awaits `recover`. */
  incomplete: boolean;
}

/** Ledger rows (DESIGN §3 `operations`). */
export interface OperationStore {
  /**
   * Writes the intent row durably: its transaction commits with `synchronous=FULL`, so the
   * row survives a power loss, not only a killed process.
   */
  begin(intent: OperationIntent): void;
  /** Inserts a row that is finished already (intent and outcome in one insert): an operation that stopped before it started. */
  record(intent: OperationIntent, outcome: OperationOutcome): void;
  /** Merges `progress` into the row's progress (call inside a store transaction to tie it to other writes). */
  progress(opId: string, progress: Record<string, unknown>): void;
  /** Writes the outcome; false when the row already had one. */
  finish(opId: string, outcome: OperationOutcome): boolean;
  /** Marks an unresolved operation resolved by `recover` op `by`; false when it was resolved already (compare-and-set). */
  resolve(opId: string, resolution: { recovery: Recovery; by: string; outcome: OperationOutcome }): boolean;
  get(opId: string): Operation | undefined;
  /** Newest first. */
  list(filter: { planId?: string; limit: number }): Operation[];
  /** Operations of the sandbox that await recovery (no outcome, or incomplete), oldest first. */
  unresolved(sandboxPath?: string): Operation[];
}

/** Decision rows. State changes are compare-and-set on `state`. */
export interface DecisionStore {
  /** Inserts with the next `seq` of the plan; returns the stored row. */
  insert(decision: Omit<Decision, 'seq'>): Decision;
  get(decisionId: string): Decision | undefined;
  /** The plan's decisions by `seq`, optionally of one state. */
  list(planId: string, filter: { state?: DecisionState }): Decision[];
  /** The plan's active decisions with `seq` ≥ `fromSeq`, by `seq`. */
  activeFrom(planId: string, fromSeq: number): Decision[];
  /** Active → reverted for the plan's active decisions with `seq` ≥ `fromSeq`; returns their ids by `seq`. */
  revertFrom(planId: string, fromSeq: number, at: string, by: string): string[];
  /** The decisions the rollback with safety checkpoint `by` reverted and that are still reverted. */
  revertedBy(by: string): Decision[];
  /** The decisions the undo with safety checkpoint `by` re-activated and that are still active. */
  reactivatedBy(by: string): Decision[];
  /** Reverted → active for these ids (compare-and-set); returns the ids it changed. */
  reactivate(decisionIds: readonly string[], by: string): string[];
  /** Active → reverted for these ids (compare-and-set); returns the ids it changed. */
  revert(decisionIds: readonly string[], at: string, by: string): string[];
  /**
   * Writes back `state`, `revertedAt`, `revertedBy` and `reactivatedBy` of each row exactly as
   * given (rows read before a change, to undo it); other columns are not touched.
   */
  putBack(rows: readonly Decision[]): void;
  /**
   * Checkpoints decisions of the plan pin against retention: those of active decisions, and
   * those of the decisions reverted by the rollbacks whose safety checkpoints are `undoable`
   * (at most two ids; see `CheckpointService.pinned`). Reads only those rows.
   */
  pinnedCheckpoints(planId: string, undoable: readonly string[]): string[];
}

/** What {@link AttemptStore.list} selects; every field given must match. */
export interface AttemptQuery {
  planId?: string;
  tool?: string;
  /** A stored outcome: `interrupted` is derived by services from `running` rows. */
  outcome?: Exclude<AttemptOutcome, 'interrupted'>;
  /** `startedAt >= since`, ISO-8601 UTC. */
  since?: string;
}

/** How a running attempt ended, as {@link AttemptStore.finish} records it. */
export type AttemptEnd = Pick<Attempt, 'exitCode' | 'signal' | 'rollbackSafetyCheckpointId'> & {
  elapsedMs: number;
  outcome: FinishedOutcome;
  finishedAt: string;
};

/**
 * Attempt rows: the log of `savepoint exec`. A row is inserted `running` when the command
 * starts and finished when it ends; the stored outcome of a row whose savepoint process died
 * stays `running` (services derive `interrupted`).
 */
export interface AttemptStore {
  /** Inserts a `running` attempt (no end fields). */
  start(
    attempt: Omit<
      Attempt,
      'outcome' | 'exitCode' | 'signal' | 'elapsedMs' | 'finishedAt' | 'rollbackSafetyCheckpointId'
    >,
  ): void;
  /**
   * Records the end of a `running` attempt (compare-and-set on `running`).
   *
   * @throws {InternalError} `INTERNAL` when the attempt is not running
   */
  finish(attemptId: string, end: AttemptEnd): void;
  /** Deletes a `running` attempt whose command could not be started. */
  discard(attemptId: string): void;
  /** Matching attempts as stored (`running` for unfinished ones), oldest first (by `startedAt`, then id). */
  list(query: AttemptQuery): Attempt[];
  /** The plan's `running` attempts that have a checkpoint, with the process running each. */
  running(planId: string): Pick<Attempt, 'attemptId' | 'checkpointId' | 'pid' | 'hostname'>[];
}

/** How a command run by {@link CommandRunner} ended. */
export interface CommandExit {
  /** Exit status; null when a signal ended it. */
  exitCode: number | null;
  /** Name of the signal that ended it (`SIGTERM`), else null. */
  signal: string | null;
  /** savepoint killed it because it outlived `timeoutMs`. */
  timedOut: boolean;
  /** Wall time from spawn to exit, ms (monotonic clock). */
  elapsedMs: number;
}

/** Options of {@link CommandRunner.run}. */
export interface CommandRunOptions {
  cwd: string;
  /** Kill the command (SIGTERM, then SIGKILL after `killGraceMs`) once it has run this long, ms. */
  timeoutMs?: number;
  /** Wait between SIGTERM and SIGKILL on timeout, ms. */
  killGraceMs: number;
  /** Where the command's stdout goes: savepoint's stdout (default) or its stderr. */
  stdout?: 'stdout' | 'stderr';
}

/** Runs arbitrary commands (a tool call of an agent): argv, no shell, stdin and stderr passed through. */
export interface CommandRunner {
  /**
   * Runs `argv[0]` with `argv.slice(1)` and waits for it to end. SIGINT and SIGTERM that
   * savepoint receives meanwhile are forwarded to it.
   *
   * @throws {CommandNotStartedError} `COMMAND_NOT_STARTED` (exit 3 when the program is not found, else 1)
   */
  run(argv: readonly string[], options: CommandRunOptions): Promise<CommandExit>;
}

/** The system of record: one database per repository. */
export interface Store {
  readonly plans: PlanStore;
  readonly checkpoints: CheckpointStore;
  readonly operations: OperationStore;
  readonly decisions: DecisionStore;
  readonly attempts: AttemptStore;
  /** `PRAGMA integrity_check`: empty when the database is sound, else SQLite's complaints. */
  integrityProblems(): string[];
  /** Runs `fn` in one write transaction (`BEGIN IMMEDIATE`); rolls back if it throws. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

/** A held sandbox lock. */
export interface HeldLock {
  /** Releases the lock. Idempotent. */
  release(): Promise<void>;
  /**
   * Releases the lock synchronously, for a process about to exit on a signal (no await is
   * possible there). Idempotent, and a no-op after {@link release}.
   */
  releaseSync(): void;
}

/** Per-sandbox locks, shared by every process working on the repository. */
export interface SandboxLocks {
  /**
   * Takes the lock of `sandboxPath` (kept under `<commonDir>/savepoint/locks/`), retrying for
   * up to `waitMs`. A lock whose holder is gone (killed process) is taken over.
   *
   * @throws {BusyError} `BUSY` (exit 6): still held by a live process after `waitMs`
   */
  acquire(commonDir: string, sandboxPath: string, waitMs: number): Promise<HeldLock>;
  /** Lock directories under `<commonDir>/savepoint/locks/` whose holder is gone. */
  stale(commonDir: string): Promise<string[]>;
  /** Removes stale lock directories found by {@link stale} (re-checked before removal). */
  removeStale(commonDir: string): Promise<string[]>;
}

/** Time source; tests may pin it. */
export interface Clock {
  now(): Date;
}

/** Id source: ULIDs, monotonic within one process. */
export interface IdGenerator {
  next(): string;
}
