/**
 * DoctorService: `savepoint doctor [--fix]`, the invariant check of a repository's savepoint
 * state: the database is sound, every checkpoint row's ref and objects exist, every ref under
 * `refs/savepoint/` has its row, no operation awaits recovery, no stale temp files or locks.
 * `--fix` repairs what is safe and reports the rest.
 */
import { decodeTime } from 'ulid';
import type { ServiceDeps } from '../checkpoint/checkpoint-service.js';
import { CHECKPOINT_REF_PREFIX, GC_GRACE_MS } from '../checkpoint/retention-service.js';
import { unsafeTreePaths } from '../checkpoint/tree-paths.js';
import type { GitSandbox, SandboxLocks } from '../core/ports.js';
import { ownerAlive } from '../core/process.js';
import { DoctorProblemsError } from './errors.js';
import { awaitsRecovery, isRollbackKind } from './operation-state.js';
import type { RecoveryService } from './recovery-service.js';

/** Kinds of problem doctor reports. */
export type ProblemKind =
  | 'database'
  | 'ref-missing'
  | 'objects-missing'
  | 'unsafe-path'
  | 'orphan-ref'
  | 'unresolved-operation'
  | 'stale-temp-file'
  | 'stale-lock';

/** One finding; `fixed` when `--fix` repaired it. */
export interface DoctorProblem {
  kind: ProblemKind;
  message: string;
  fixed: boolean;
  details: Record<string, unknown>;
}

/** Result of {@link DoctorService.check}. */
export interface DoctorReport {
  /** True when no problem remains (after `--fix`, if given). */
  clean: boolean;
  fix: boolean;
  problems: DoctorProblem[];
  /** What was looked at. */
  checked: { plans: number; checkpoints: number; refs: number; operations: number };
  /** Operations in progress right now (a live process holds them): not a problem. */
  running: string[];
}

const REF_PATTERN = /^refs\/savepoint\/([0-9A-HJKMNP-TV-Z]{26})\/([0-9A-HJKMNP-TV-Z]{26})$/;

export class DoctorService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly recovery: RecoveryService,
    private readonly locks: SandboxLocks,
  ) {}

  /**
   * Checks the repository of the library's `cwd`; with `fix`, removes orphan refs (older
   * than the gc grace period, or of a plan whose sandbox lock it takes), stale temp files and
   * stale locks, and closes interrupted operations that changed no sandbox file (recovery,
   * forward). Interrupted rollbacks are reported for `savepoint recover`.
   *
   * @returns the report when clean
   * @throws {DoctorProblemsError} `DOCTOR_PROBLEMS` (exit 9): problems remain; `details` holds the report
   */
  async check(options: { fix?: boolean } = {}): Promise<DoctorReport> {
    const fix = options.fix ?? false;
    const { store, sandboxes } = this.deps;
    const sandbox = await sandboxes.open(this.deps.cwd);
    const problems: DoctorProblem[] = [];
    const add = (kind: ProblemKind, message: string, details: Record<string, unknown>, fixed = false) =>
      problems.push({ kind, message, fixed, details });

    for (const line of store.integrityProblems()) add('database', `database integrity: ${line}`, { line });

    // Operations first: recovering them may remove refs and temp files checked below.
    const running: string[] = [];
    const unresolved = store.operations.unresolved().filter(awaitsRecovery);
    for (const op of unresolved) {
      if (op.status === null && ownerAlive(op.pid, op.hostname)) {
        running.push(op.opId);
        continue;
      }
      let fixed = false;
      if (fix && !isRollbackKind(op.kind)) {
        const others = store.operations.unresolved(op.sandboxPath).filter((o) => isRollbackKind(o.kind));
        if (others.length === 0) {
          const recovered = await this.recovery
            .recover(op.planId && store.plans.get(op.planId) ? { planId: op.planId } : {})
            .catch(() => null);
          fixed = recovered?.operations.some((r) => r.opId === op.opId) ?? false;
        }
      }
      add(
        'unresolved-operation',
        `operation ${op.kind} ${op.opId} (pid ${op.pid}) was ${op.status === null ? 'interrupted' : 'left incomplete'}${fixed ? '' : `: run savepoint recover${op.planId ? ` --plan ${op.planId}` : ''}`}`,
        { opId: op.opId, kind: op.kind, planId: op.planId },
        fixed,
      );
    }

    const plans = store.plans.list({}).filter((plan) => plan.gitDir === sandbox.commonDir);
    const refs = await sandbox.listRefs(CHECKPOINT_REF_PREFIX);
    const refMap = new Map(refs.map((entry) => [entry.ref, entry.sha]));
    let checkpointCount = 0;
    // Checkpoints share trees (a safety checkpoint's are usually the latest one's): list each once.
    const unsafeByTree = new Map<string, string[]>();
    const unsafeIn = async (tree: string): Promise<string[]> => {
      let found = unsafeByTree.get(tree);
      if (found === undefined) {
        found = unsafeTreePaths(await sandbox.listTreePaths(tree));
        unsafeByTree.set(tree, found);
      }
      return found;
    };
    for (const plan of plans) {
      for (const row of store.checkpoints.list(plan.planId)) {
        checkpointCount++;
        // A row without a ref (a patch checkpoint) keeps nothing alive through a ref: no ref expected.
        if (row.sandboxRef === null) continue;
        const sha = refMap.get(row.sandboxRef);
        if (sha !== row.commitSha) {
          add(
            'ref-missing',
            `checkpoint ${row.checkpointId}: ${row.sandboxRef} is ${sha ? `at ${sha}, not ${row.commitSha}` : 'missing'}`,
            {
              checkpointId: row.checkpointId,
              ref: row.sandboxRef,
            },
          );
        }
        const shas = [row.commitSha, row.treeSha, row.indexTreeSha].filter((s): s is string => s !== null);
        if (!(await sandbox.objectsExist(shas))) {
          add('objects-missing', `checkpoint ${row.checkpointId}: objects missing from the repository`, {
            checkpointId: row.checkpointId,
            objects: shas,
          });
          continue;
        }
        // One ls-tree per distinct tree: a `..` or `.git` path would make rollback write outside the sandbox.
        const trees = [...new Set([row.treeSha, row.indexTreeSha].filter((s): s is string => s !== null))];
        const unsafe = new Set<string>();
        for (const tree of trees) for (const file of await unsafeIn(tree)) unsafe.add(file);
        if (unsafe.size > 0) {
          add(
            'unsafe-path',
            `checkpoint ${row.checkpointId}: its tree holds paths unsafe to restore (${[...unsafe].slice(0, 3).join(', ')})`,
            { checkpointId: row.checkpointId, paths: [...unsafe].slice(0, 100) },
          );
        }
      }
    }

    const now = this.deps.clock.now().getTime();
    for (const entry of refs) {
      const match = REF_PATTERN.exec(entry.ref);
      const row = match?.[2] ? store.checkpoints.get(match[2]) : undefined;
      if (row && row.sandboxRef === entry.ref) continue;
      const planId = match?.[1];
      const plan = planId ? store.plans.get(planId) : undefined;
      // A ref younger than the gc grace period may belong to a checkpoint being recorded right now.
      if (!plan && match?.[2] && now - decodeTime(match[2]) < GC_GRACE_MS && !fix) continue;
      let fixed = false;
      if (fix) fixed = await this.removeOrphan(sandbox, entry.ref, entry.sha, plan, now, match?.[2]);
      add('orphan-ref', `${entry.ref} has no checkpoint row`, { ref: entry.ref, sha: entry.sha }, fixed);
    }

    const sandboxesToCheck = new Map<string, GitSandbox>([[sandbox.path, sandbox]]);
    for (const plan of plans) {
      if (sandboxesToCheck.has(plan.sandboxPath)) continue;
      const other = await sandboxes.open(plan.sandboxPath).catch(() => null);
      if (other && other.commonDir === sandbox.commonDir) sandboxesToCheck.set(other.path, other);
    }
    for (const each of sandboxesToCheck.values()) {
      const { stale } = await each.staleTempFiles();
      if (fix) await each.removeTempFiles(stale);
      for (const file of stale) add('stale-temp-file', `stale temp file ${file}`, { path: file }, fix);
    }
    const staleLocks = await this.locks.stale(sandbox.commonDir);
    const removedLocks = fix ? new Set(await this.locks.removeStale(sandbox.commonDir)) : new Set<string>();
    for (const lock of staleLocks)
      add('stale-lock', `stale sandbox lock ${lock}`, { path: lock }, removedLocks.has(lock));

    const report: DoctorReport = {
      clean: problems.every((p) => p.fixed),
      fix,
      problems,
      checked: {
        plans: plans.length,
        checkpoints: checkpointCount,
        refs: refs.length,
        operations: store.operations.list({ limit: Number.MAX_SAFE_INTEGER }).length,
      },
      running,
    };
    if (!report.clean) throw new DoctorProblemsError({ ...report });
    return report;
  }

  /** Deletes an orphan ref when that is safe: under its plan's sandbox lock, or past the gc grace period. */
  private async removeOrphan(
    sandbox: GitSandbox,
    ref: string,
    sha: string,
    plan: { sandboxPath: string; gitDir: string } | undefined,
    now: number,
    checkpointId: string | undefined,
  ): Promise<boolean> {
    if (plan) {
      const lock = await this.locks.acquire(plan.gitDir, plan.sandboxPath, 2_000).catch(() => null);
      if (!lock) return false;
      try {
        if (checkpointId && this.deps.store.checkpoints.get(checkpointId)?.sandboxRef === ref) return false;
        await sandbox.deleteRef(ref, sha);
        return true;
      } finally {
        await lock.release();
      }
    }
    if (checkpointId && now - decodeTime(checkpointId) < GC_GRACE_MS) return false;
    await sandbox.deleteRef(ref, sha);
    return true;
  }
}
