/**
 * PlanService: the plan lifecycle. `create` takes checkpoint #1; `apply` takes a final
 * checkpoint and then compare-and-sets `active → applied`; `abandon` compare-and-sets
 * `active → abandoned`. A lost compare-and-set reports the persisted state and does nothing.
 */

import { readFile, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type { CheckpointResult, CheckpointService, ServiceDeps } from '../checkpoint/checkpoint-service.js';
import type { Checkpoint } from '../checkpoint/model.js';
import { SandboxRefusedError, UsageError } from '../core/errors.js';
import type { GitSandbox } from '../core/ports.js';
import { planOperation } from '../ledger/ledger.js';
import { ActivePlanExistsError, PlanStateChangedError } from './errors.js';
import { type Plan, PlanPolicy, type PlanPolicyInput, type PlanState, type PolicyChanges } from './model.js';

/** Options of {@link PlanService.create}. */
export interface CreatePlanOptions {
  /** A directory inside the sandbox worktree, relative to the library's `cwd` (default: that `cwd`). */
  sandbox?: string;
  name?: string;
  /** Make a linked worktree on branch `savepoint/<planId>` and use it as the sandbox. */
  worktree?: boolean;
  /** Where to put that worktree, relative to the library's `cwd` (default: `<repo>.savepoint-<planId>` next to the sandbox). */
  worktreePath?: string;
  /** The plan's policy; fields left out take their defaults (e.g. `{ retention: { max: 5 } }`). */
  policy?: PlanPolicyInput;
}

/** A plan's policy, for `plan policy show|set`. */
export interface PlanPolicyResult {
  planId: string;
  policy: PlanPolicy;
}

/**
 * Parses a policy with defaults.
 *
 * @throws {UsageError} `USAGE` (exit 2): a field has a bad value
 */
export function parsePolicy(input: unknown): PlanPolicy {
  const parsed = PlanPolicy.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'policy'}: ${issue.message}`,
    );
    throw new UsageError(`invalid plan policy: ${issues.join('; ')}`, { details: { issues } });
  }
  return parsed.data;
}

/** A plan with its first checkpoint. */
export interface CreatedPlan {
  plan: Plan;
  checkpoint: Checkpoint;
}

/** A plan and a summary of its checkpoints, for `plan show`. */
export interface PlanDetails {
  plan: Plan;
  checkpointCount: number;
  latestCheckpoint: Checkpoint | null;
}

/**
 * The home directories of the machine's users: `os.homedir()` (which honours `$HOME`) and
 * field 6 of each `/etc/passwd` line (passwd(5)); a missing or unreadable file adds none.
 * Each is resolved through symlinks when it exists.
 */
async function homeDirectories(): Promise<string[]> {
  const listed = await readFile('/etc/passwd', 'utf8').then(
    (text) =>
      text
        .split('\n')
        .filter((line) => line.length > 0 && !line.startsWith('#'))
        .map((line) => line.split(':')[5] ?? '')
        .filter((home) => path.isAbsolute(home)),
    () => [] as string[],
  );
  const homes = [homedir(), ...listed];
  return [...new Set(await Promise.all(homes.map((home) => realpath(home).catch(() => path.resolve(home)))))];
}

/** True when `dir` is `other` or one of its ancestors (both absolute). */
function containsOrIs(dir: string, other: string): boolean {
  const relative = path.relative(dir, other);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Refuses a sandbox whose top level is the filesystem root, a user's home directory, or a
 * directory that contains one (e.g. `/home`, `/root` when it holds `$HOME`): a rollback
 * there could rewrite files far outside any project.
 *
 * @throws {SandboxRefusedError} `SANDBOX_REFUSED` (exit 5); `details.path` the top level,
 *   `details.home` the home directory it is or contains (absent for `/`)
 */
async function assertAllowedSandbox(top: string): Promise<void> {
  if (top === path.parse(top).root) {
    throw new SandboxRefusedError(`refusing to use ${top} as a sandbox: it is the filesystem root`, {
      details: { path: top },
    });
  }
  const home = (await homeDirectories()).find((each) => containsOrIs(top, each));
  if (home !== undefined) {
    throw new SandboxRefusedError(
      top === home
        ? `refusing to use ${top} as a sandbox: it is a home directory`
        : `refusing to use ${top} as a sandbox: it contains the home directory ${home}`,
      { details: { path: top, home } },
    );
  }
}

export class PlanService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly checkpoints: CheckpointService,
  ) {}

  /**
   * Creates a plan on a sandbox and takes checkpoint #1 of its starting state. #1 is always a
   * `commit` checkpoint, whatever the policy's `defaultType`: retention never prunes it, so its
   * ref keeps the base commit (its parent), which every `patch` checkpoint applies to, alive.
   *
   * @throws {SandboxInvalidError} `SANDBOX_INVALID` (exit 5): not a git worktree
   * @throws {SandboxRefusedError} `SANDBOX_REFUSED` (exit 5): `/`, a home directory, or a directory containing one
   * @throws {ActivePlanExistsError} `PLAN_ACTIVE_EXISTS` (exit 4)
   * @throws {UnmergedIndexError} `INDEX_UNMERGED` (exit 4)
   */
  async create(options: CreatePlanOptions = {}): Promise<CreatedPlan> {
    const { sandboxes, ids } = this.deps;
    const policy = parsePolicy(options.policy ?? {});
    const planId = ids.next();
    const origin = await sandboxes.open(path.resolve(this.deps.cwd, options.sandbox ?? '.'));
    await assertAllowedSandbox(origin.path);
    return this.deps.ledger.run(
      {
        kind: 'plan.create',
        planId,
        sandboxPath: origin.path,
        commonDir: origin.commonDir,
        args: { name: options.name ?? null, worktree: options.worktree ?? false, policy },
      },
      () => this.createLocked(planId, origin, policy, options),
      { summarize: (created) => ({ planId, checkpointId: created.checkpoint.checkpointId }) },
    );
  }

  private async createLocked(
    planId: string,
    origin: GitSandbox,
    policy: PlanPolicy,
    options: CreatePlanOptions,
  ): Promise<CreatedPlan> {
    const { store, sandboxes, clock, ids } = this.deps;
    let sandbox = origin;
    if (options.worktree) {
      const where =
        options.worktreePath ??
        path.join(
          path.dirname(sandbox.path),
          `${path.basename(sandbox.path)}.savepoint-${planId.toLowerCase()}`,
        );
      sandbox = await sandboxes.addWorktree(sandbox, where, `savepoint/${planId}`);
    } else {
      const active = store.plans.activeForSandbox(sandbox.path);
      if (active) throw new ActivePlanExistsError(sandbox.path, active.planId);
    }
    const cap = policy.untrackedSizeCap;
    const scan = await sandbox.scan(
      cap === undefined ? this.deps.scanOptions : { ...this.deps.scanOptions, untrackedSizeCap: cap },
    );
    try {
      const now = clock.now().toISOString();
      const plan: Plan = {
        planId,
        name: options.name ?? null,
        sandboxPath: sandbox.path,
        gitDir: sandbox.commonDir,
        repositoryId: await sandbox.ensureRepositoryId(ids.next()),
        baseCommit: scan.head.sha,
        state: 'active',
        policy,
        managedWorktree: options.worktree ?? false,
        createdAt: now,
        updatedAt: now,
        appliedAt: null,
      };
      const { checkpoint } = await this.checkpoints.record(
        plan,
        sandbox,
        scan,
        { kind: 'initial', reason: 'plan created' },
        { force: true, hooks: { before: () => store.plans.insert(plan) } },
      );
      return { plan, checkpoint };
    } finally {
      await scan.dispose();
    }
  }

  /** Plans, oldest first, optionally of one state. */
  list(filter: { state?: PlanState } = {}): Plan[] {
    return this.deps.store.plans.list(filter);
  }

  /** @throws {PlanNotFoundError} `PLAN_NOT_FOUND` (exit 3) */
  get(planId: string): Plan {
    return this.checkpoints.plan(planId);
  }

  /** @throws {PlanNotFoundError} `PLAN_NOT_FOUND` (exit 3) */
  show(planId: string): PlanDetails {
    const plan = this.get(planId);
    // Two indexed reads, not every row: flat however many checkpoints the plan holds.
    const { checkpoints } = this.deps.store;
    return {
      plan,
      checkpointCount: checkpoints.count(plan.planId),
      latestCheckpoint: checkpoints.latest(plan.planId) ?? null,
    };
  }

  /**
   * Takes a final checkpoint and marks the plan `applied`, in one transaction: if another
   * process changed the plan meanwhile, nothing is recorded and the persisted state is reported.
   *
   * @throws {PlanNotFoundError} `PLAN_NOT_FOUND` (exit 3)
   * @throws {PlanNotActiveError} `PLAN_NOT_ACTIVE` (exit 4)
   * @throws {PlanStateChangedError} `PLAN_STATE_CHANGED` (exit 4): lost compare-and-set
   * @throws {SandboxInvalidError} `SANDBOX_INVALID` (exit 5)
   */
  async apply(planId: string): Promise<{ plan: Plan; finalCheckpoint: CheckpointResult }> {
    const found = this.checkpoints.activePlan(planId, 'apply');
    return this.deps.ledger.run(
      planOperation('plan.apply', found, {}),
      () => this.applyLocked(found.planId),
      {
        summarize: (r) => ({
          state: r.plan.state,
          finalCheckpointId: r.finalCheckpoint.checkpoint.checkpointId,
        }),
      },
    );
  }

  private async applyLocked(planId: string): Promise<{ plan: Plan; finalCheckpoint: CheckpointResult }> {
    const plan = this.checkpoints.activePlan(planId, 'apply');
    const sandbox: GitSandbox = await this.checkpoints.openSandbox(plan);
    const scan = await sandbox.scan(this.checkpoints.scanOptionsFor(plan));
    try {
      const finalCheckpoint = await this.checkpoints.record(
        plan,
        sandbox,
        scan,
        { kind: 'final', reason: 'plan applied' },
        {
          force: false,
          type: plan.policy.defaultType,
          hooks: {
            after: () =>
              this.transition(plan.planId, 'active', 'applied', this.deps.clock.now().toISOString()),
          },
        },
      );
      return { plan: this.get(plan.planId), finalCheckpoint };
    } finally {
      await scan.dispose();
    }
  }

  /**
   * The plan's policy, every default filled in.
   *
   * @throws {PlanNotFoundError} `PLAN_NOT_FOUND` (exit 3)
   */
  policy(planId: string): PlanPolicyResult {
    const plan = this.get(planId);
    return { planId: plan.planId, policy: plan.policy };
  }

  /**
   * Changes the given fields of an active plan's policy; `tools` entries are merged into the
   * existing map (a pattern set again is replaced). Everything is validated before anything
   * is written; the write is a compare-and-set on the plan still being `active`.
   *
   * @throws {UsageError} `USAGE` (exit 2): a bad value; nothing written
   * @throws {PlanNotFoundError} `PLAN_NOT_FOUND` (exit 3)
   * @throws {PlanNotActiveError} `PLAN_NOT_ACTIVE` (exit 4)
   * @throws {PlanStateChangedError} `PLAN_STATE_CHANGED` (exit 4): the plan stopped being active meanwhile
   */
  async setPolicy(planId: string, changes: PolicyChanges): Promise<PlanPolicyResult> {
    const patch: Record<string, unknown> = {};
    if (changes.retentionMax !== undefined) patch.retention = { max: changes.retentionMax };
    if (changes.tools !== undefined) patch.tools = changes.tools;
    if (changes.untrackedSizeCap !== undefined) patch.untrackedSizeCap = changes.untrackedSizeCap;
    if (changes.head !== undefined) patch.head = changes.head;
    if (changes.defaultType !== undefined) patch.defaultType = changes.defaultType;
    parsePolicy(patch);
    const plan = this.checkpoints.activePlan(planId, 'change its policy');
    const spec = planOperation('plan.policy-set', plan, { ...changes });
    return this.deps.ledger.run(
      spec,
      async (op) =>
        this.deps.store.transaction(() => {
          const current = this.get(plan.planId).policy;
          const next = parsePolicy({
            ...current,
            ...patch,
            retention: { ...current.retention, ...(patch.retention as object | undefined) },
            tools: { ...current.tools, ...changes.tools },
          });
          if (!this.deps.store.plans.updatePolicy(plan.planId, next, this.deps.clock.now().toISOString())) {
            throw new PlanStateChangedError(
              plan.planId,
              'active',
              this.deps.store.plans.get(plan.planId)?.state,
            );
          }
          op.progress({ policy: next });
          return { planId: plan.planId, policy: next };
        }),
      { summarize: (r) => r },
    );
  }

  /**
   * Marks the plan `abandoned`. The sandbox is left as it is.
   *
   * @throws {PlanNotFoundError} `PLAN_NOT_FOUND` (exit 3)
   * @throws {PlanNotActiveError} `PLAN_NOT_ACTIVE` (exit 4)
   * @throws {PlanStateChangedError} `PLAN_STATE_CHANGED` (exit 4): lost compare-and-set
   * @throws {BusyError} `BUSY` (exit 6) · {@link OperationInterruptedError} `OPERATION_INTERRUPTED` (exit 7)
   */
  async abandon(planId: string): Promise<Plan> {
    const plan = this.checkpoints.activePlan(planId, 'abandon');
    const spec = planOperation('plan.abandon', plan, {});
    return this.deps.ledger.run(
      spec,
      async () => {
        this.deps.store.transaction(() =>
          this.transition(plan.planId, 'active', 'abandoned', this.deps.clock.now().toISOString()),
        );
        return this.get(plan.planId);
      },
      { summarize: (p) => ({ state: p.state }) },
    );
  }

  private transition(planId: string, from: PlanState, to: PlanState, at: string): void {
    if (this.deps.store.plans.transition(planId, from, to, at)) return;
    throw new PlanStateChangedError(planId, from, this.deps.store.plans.get(planId)?.state);
  }
}
