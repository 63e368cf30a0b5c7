/**
 * The six benchmark scenarios of issue 7. Each times savepoint (the built library in process,
 * or the CLI as a child process) alternately with its git baseline on the same repository
 * state, and returns the series, the ratios of medians and the DESIGN §8 target checks.
 */
import { lstatSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Bench } from 'tinybench';
import type { Savepoint as SavepointInstance } from '../src/index.js';
import { CLI, childEnv, type SavepointModule } from './lib/env.js';
import {
  applyWorkload,
  diskBytes,
  type GeneratedRepo,
  git,
  mixedShape,
  planWorkload,
  removeLooseObjects,
  SETUP_CONFIG,
} from './lib/repo.js';
import { alternate, type Series, summarize, timeCall, timeSpawn } from './lib/timing.js';

/** One target of DESIGN §8 checked against a measured figure. */
export interface TargetCheck {
  /** What is compared, e.g. `checkpoint create / git stash create`. */
  what: string;
  /** The target, e.g. `≤ 1.2×`. */
  target: string;
  /** The measured figure (a ratio of medians, ms or bytes, as `unit` says). */
  measured: number;
  unit: 'ratio' | 'ms' | 'bytes';
  pass: boolean;
}

/** What a scenario measured on one tier. */
export interface ScenarioResult {
  scenario: number;
  title: string;
  /** Tier name (`1k`, `10k`, `30k`, `100k`) or `100 files` for the small-repo scenarios. */
  tier: string;
  series: Record<string, Series>;
  checks: TargetCheck[];
  /** Scenario-specific figures (disk bytes, counts). */
  extra?: Record<string, unknown>;
}

/** What every scenario gets. */
export interface ScenarioContext {
  lib: SavepointModule;
  runs: number;
  /** Scratch directory of this run (removed at the end). */
  tmp: string;
}

const env = childEnv();
const yes = async () => true;

function gitTimed(repo: string, ...args: string[]): number {
  return timeSpawn('git', args, repo, env);
}

function ratio(series: Record<string, Series>, subject: string, baseline: string): number {
  const a = series[subject]?.medianMs ?? Number.NaN;
  const b = series[baseline]?.medianMs ?? Number.NaN;
  return Math.round((a / b) * 100) / 100;
}

function atMost(
  what: string,
  measured: number,
  limit: number,
  unit: TargetCheck['unit'] = 'ratio',
): TargetCheck {
  const shown = unit === 'ratio' ? `${limit}×` : unit === 'ms' ? `${limit} ms` : `${limit / 1048576} MiB`;
  return { what, target: `≤ ${shown}`, measured, unit, pass: measured <= limit };
}

/** Brings a tier repository back to its commit: no changes, no untracked files, no stash, no active plan. */
export async function resetRepo(lib: SavepointModule, repo: GeneratedRepo): Promise<void> {
  git(repo.dir, ['reset', '-q', '--hard']);
  git(repo.dir, ['clean', '-qfd']);
  git(repo.dir, ['stash', 'clear']);
  const savepoint = await lib.Savepoint.open({ cwd: repo.dir });
  try {
    for (const plan of savepoint.plans.list({ state: 'active' })) await savepoint.plans.abandon(plan.planId);
  } finally {
    savepoint.close();
  }
}

/** Runs `body` with an open savepoint and a fresh active plan on `repo`, abandoning it afterwards. */
async function withPlan<T>(
  lib: SavepointModule,
  repo: string,
  name: string,
  body: (savepoint: SavepointInstance, planId: string) => Promise<T>,
  policy?: { retention: { max: number } },
): Promise<T> {
  const savepoint = await lib.Savepoint.open({ cwd: repo });
  try {
    const { plan } = await savepoint.plans.create({ sandbox: repo, name, ...(policy ? { policy } : {}) });
    try {
      return await body(savepoint, plan.planId);
    } finally {
      await savepoint.plans.abandon(plan.planId);
    }
  } finally {
    savepoint.close();
  }
}

/** Scenario 1: `checkpoint create` with 10 modified tracked files vs `git stash create` on the same state. */
export async function checkpointCreate(ctx: ScenarioContext, repo: GeneratedRepo, tier: string) {
  await resetRepo(ctx.lib, repo);
  const workload = planWorkload(repo, { modify: 10, add: 0, remove: 0 }, 101);
  let applied: number | undefined;
  const ensure = (round: number) => {
    if (applied === round) return;
    applyWorkload(repo.dir, workload, round);
    applied = round;
  };
  const series = await withPlan(ctx.lib, repo.dir, 'bench: checkpoint create', (savepoint, planId) =>
    alternate(
      [
        {
          name: 'savepoint checkpoint create',
          prepare: ensure,
          run: () =>
            timeCall(async () => {
              const result = await savepoint.checkpoints.create(planId, { reason: 'bench' });
              if (result.deduplicated) throw new Error('scenario 1: a changed tree was deduplicated');
            }),
        },
        { name: 'git stash create', prepare: ensure, run: () => gitTimed(repo.dir, 'stash', 'create') },
      ],
      ctx.runs,
    ),
  );
  return {
    scenario: 1,
    title: 'checkpoint create, 10 changed files',
    tier,
    series,
    checks: [
      atMost(
        'checkpoint create / git stash create',
        ratio(series, 'savepoint checkpoint create', 'git stash create'),
        1.2,
      ),
    ],
  } satisfies ScenarioResult;
}

/** Scenario 2: an unchanged tree (deduplicated checkpoint) vs `git status --porcelain`, on a dirty worktree. */
export async function dedup(ctx: ScenarioContext, repo: GeneratedRepo, tier: string) {
  await resetRepo(ctx.lib, repo);
  applyWorkload(repo.dir, planWorkload(repo, mixedShape(20), 202), 0);
  const series = await withPlan(ctx.lib, repo.dir, 'bench: dedup', (savepoint, planId) =>
    alternate(
      [
        {
          name: 'savepoint checkpoint create (dedup)',
          run: () =>
            timeCall(async () => {
              const result = await savepoint.checkpoints.create(planId);
              if (!result.deduplicated)
                throw new Error('scenario 2: an unchanged tree made a new checkpoint');
            }),
        },
        { name: 'git status --porcelain', run: () => gitTimed(repo.dir, 'status', '--porcelain') },
      ],
      ctx.runs,
    ),
  );
  return {
    scenario: 2,
    title: 'checkpoint create, no change (dedup)',
    tier,
    series,
    checks: [
      atMost(
        'dedup create / git status --porcelain',
        ratio(series, 'savepoint checkpoint create (dedup)', 'git status --porcelain'),
        1.0,
      ),
    ],
  } satisfies ScenarioResult;
}

/**
 * Scenario 3: the first checkpoint on a fresh clone (open + `plan create`, which takes checkpoint
 * #1) vs a shadow-repository snapshot (separate `--git-dir` with `core.worktree`, `add -A`,
 * commit), with the disk each adds. Each savepoint round starts from the clone's pristine
 * state: no savepoint directory, no savepoint refs, no loose objects (the clone has one pack).
 * At most 5 rounds: every shadow round hashes the whole tree.
 */
export async function firstCheckpoint(ctx: ScenarioContext, repo: GeneratedRepo, tier: string) {
  const clone = path.join(ctx.tmp, `clone-${tier}`);
  const shadow = path.join(ctx.tmp, `shadow-${tier}`);
  rmSync(clone, { recursive: true, force: true });
  git(ctx.tmp, ['clone', '-q', '--local', repo.dir, clone]);
  const gitDir = path.join(clone, '.git');
  const pristine = () => {
    rmSync(path.join(gitDir, 'savepoint'), { recursive: true, force: true });
    rmSync(path.join(gitDir, 'refs', 'savepoint'), { recursive: true, force: true });
    removeLooseObjects(gitDir);
  };
  pristine();
  const baseBytes = diskBytes(gitDir);
  const baseObjects = diskBytes(path.join(gitDir, 'objects'));
  const savepointDisk: {
    total: number;
    objects: number;
    savepointDir: number;
    refs: number;
    savepointFiles: Record<string, number>;
  }[] = [];
  const shadowDisk: number[] = [];
  // Like Cline's and Roo's checkpoint trackers: `git init` of a private directory, then
  // `core.worktree` pointing at the user's worktree; every snapshot is `add -A` + commit there.
  // Without `gc.auto=0` a commit of more than 6,700 loose objects (the 100k tier) starts
  // `git gc --auto` in the background, which would slow the next contestant down; the shadow
  // snapshot is timed without it (its disk figure is then the loose objects, before any repack).
  const shadowGit = (...args: string[]) => gitTimed(clone, `--git-dir=${path.join(shadow, '.git')}`, ...args);
  const series = await alternate(
    [
      {
        name: 'savepoint first checkpoint',
        prepare: pristine,
        run: () =>
          timeCall(async () => {
            const savepoint = await ctx.lib.Savepoint.open({ cwd: clone });
            try {
              await savepoint.plans.create({ sandbox: clone, name: 'first' });
            } finally {
              savepoint.close();
            }
          }),
        after: () => {
          savepointDisk.push({
            total: diskBytes(gitDir) - baseBytes,
            objects: diskBytes(path.join(gitDir, 'objects')) - baseObjects,
            savepointDir: diskBytes(path.join(gitDir, 'savepoint')),
            refs: diskBytes(path.join(gitDir, 'refs', 'savepoint')),
            savepointFiles: Object.fromEntries(
              readdirSync(path.join(gitDir, 'savepoint'), { recursive: true, encoding: 'utf8' }).map(
                (name) => [name, lstatSync(path.join(gitDir, 'savepoint', name)).blocks * 512],
              ),
            ),
          });
        },
      },
      {
        name: 'shadow repo snapshot',
        prepare: () => rmSync(shadow, { recursive: true, force: true }),
        run: () =>
          gitTimed(ctx.tmp, 'init', '-q', shadow) +
          shadowGit('config', 'core.worktree', clone) +
          shadowGit('add', '-A') +
          shadowGit(...SETUP_CONFIG, '-c', 'gc.auto=0', 'commit', '-q', '-m', 'checkpoint'),
        after: () => shadowDisk.push(diskBytes(shadow)),
      },
    ],
    Math.min(ctx.runs, 5),
  );
  rmSync(shadow, { recursive: true, force: true });
  rmSync(clone, { recursive: true, force: true });
  const last = savepointDisk.at(-1) ?? { total: 0, objects: 0, savepointDir: 0, refs: 0, savepointFiles: {} };
  const speedup = ratio(series, 'shadow repo snapshot', 'savepoint first checkpoint');
  return {
    scenario: 3,
    title: 'first checkpoint on a fresh clone',
    tier,
    series,
    checks: [
      {
        what: 'shadow repo / first checkpoint (speed-up)',
        target: '≥ 10×',
        measured: speedup,
        unit: 'ratio',
        pass: speedup >= 10,
      },
      atMost('savepoint new disk under .git', last.total, 1 << 20, 'bytes'),
    ],
    extra: {
      savepointDiskBytes: last,
      shadowDiskBytes: shadowDisk.at(-1) ?? 0,
      cloneGitDirBytes: baseBytes,
      diskRatio: last.total > 0 ? Math.round(((shadowDisk.at(-1) ?? 0) / last.total) * 10) / 10 : null,
    },
  } satisfies ScenarioResult;
}

/**
 * Scenario 4: rollback of `paths` changed paths (60 % modified, 20 % new, 20 % deleted) to the
 * plan's first checkpoint, safety checkpoint included, vs `git stash push -u` (then dropped,
 * untimed), the unsafe floor `git checkout -- . && git clean -fd`, and `git status
 * --porcelain` on the same dirty state.
 */
export async function rollback(ctx: ScenarioContext, repo: GeneratedRepo, tier: string, paths: number) {
  await resetRepo(ctx.lib, repo);
  const workload = planWorkload(repo, mixedShape(paths), 400 + paths);
  const dirty = (round: number) => applyWorkload(repo.dir, workload, round);
  const series = await withPlan(ctx.lib, repo.dir, `bench: rollback ${paths}`, async (savepoint, planId) => {
    const target = savepoint.checkpoints.list(planId)[0];
    if (!target) throw new Error('scenario 4: the plan has no first checkpoint');
    return alternate(
      [
        {
          name: 'savepoint rollback',
          prepare: dirty,
          run: () =>
            timeCall(async () => {
              const report = await savepoint.rollbacks.rollback({
                planId,
                checkpointId: target.checkpointId,
                confirm: yes,
              });
              if (report.restored.total !== paths)
                throw new Error(`scenario 4: restored ${report.restored.total} paths, expected ${paths}`);
            }),
        },
        {
          name: 'git stash push -u',
          prepare: dirty,
          run: () => gitTimed(repo.dir, 'stash', 'push', '-u', '-q'),
          after: () => git(repo.dir, ['stash', 'drop', '-q']),
        },
        {
          name: 'git checkout -- . && git clean -fd',
          prepare: dirty,
          run: () => gitTimed(repo.dir, 'checkout', '--', '.') + gitTimed(repo.dir, 'clean', '-fdq'),
        },
        {
          name: 'git status --porcelain',
          prepare: dirty,
          run: () => gitTimed(repo.dir, 'status', '--porcelain'),
          after: () => {
            git(repo.dir, ['checkout', '--', '.']);
            git(repo.dir, ['clean', '-fdq']);
          },
        },
      ],
      ctx.runs,
    );
  });
  return {
    scenario: 4,
    title: `rollback of ${paths} changed paths`,
    tier,
    series,
    checks: [
      atMost(
        `rollback ${paths} / git stash push -u`,
        ratio(series, 'savepoint rollback', 'git stash push -u'),
        1.0,
      ),
      atMost(
        `rollback ${paths} / git status --porcelain`,
        ratio(series, 'savepoint rollback', 'git status --porcelain'),
        2.0,
      ),
    ],
    extra: {
      unsafeFloorRatio: ratio(series, 'savepoint rollback', 'git checkout -- . && git clean -fd'),
    },
  } satisfies ScenarioResult;
}

/**
 * Scenario 5: the CLI end to end on a 100-file repository: `savepoint checkpoint create --json`
 * (one file changed each round, so a real checkpoint) and `savepoint --help`, vs `node -e 0`
 * and `git status --porcelain`.
 */
export async function cli(ctx: ScenarioContext, repo: GeneratedRepo) {
  await resetRepo(ctx.lib, repo);
  const node = process.execPath;
  const series = await withPlan(ctx.lib, repo.dir, 'bench: cli', (_savepoint, planId) =>
    alternate(
      [
        {
          name: 'savepoint checkpoint create --json',
          prepare: (round) => writeFileSync(path.join(repo.dir, 'bench-edit.txt'), `round ${round}\n`),
          run: () =>
            timeSpawn(node, [CLI, 'checkpoint', 'create', '--plan', planId, '--json'], repo.dir, env),
        },
        { name: 'savepoint --help', run: () => timeSpawn(node, [CLI, '--help'], repo.dir, env) },
        { name: 'node -e 0', run: () => timeSpawn(node, ['-e', '0'], repo.dir, env) },
        { name: 'git status --porcelain', run: () => gitTimed(repo.dir, 'status', '--porcelain') },
      ],
      ctx.runs,
    ),
  );
  const create = series['savepoint checkpoint create --json']?.medianMs ?? Number.NaN;
  return {
    scenario: 5,
    title: 'CLI end to end, 100 files',
    tier: '100 files',
    series,
    checks: [atMost('CLI checkpoint create --json median', create, 250, 'ms')],
    extra: {
      createOverNode: ratio(series, 'savepoint checkpoint create --json', 'node -e 0'),
      createOverGitStatus: ratio(series, 'savepoint checkpoint create --json', 'git status --porcelain'),
      helpOverNode: ratio(series, 'savepoint --help', 'node -e 0'),
    },
  } satisfies ScenarioResult;
}

/**
 * Scenario 6: `total` checkpoints in one plan (retention raised above it), one tiny file change
 * before each. Create latency is the `window` creates ending at each mark (10, 1,000, 2,500,
 * 5,000, 10,000); after each mark `onMark` gets the result so far (a long run that is stopped
 * keeps what it measured);
 * list latency (`checkpoints.list`, all rows) and `plans.show` (count + latest) are timed with
 * tinybench at each mark, and `savepoint checkpoint list --json` as a process at the marks.
 */
export async function manyCheckpoints(
  ctx: ScenarioContext,
  repo: GeneratedRepo,
  total: number,
  onMark: (partial: ScenarioResult) => void = () => undefined,
): Promise<ScenarioResult> {
  await resetRepo(ctx.lib, repo);
  const marks = [10, 1000, 2500, 5000, 10000].filter((m) => m <= total);
  if (!marks.includes(total)) marks.push(total);
  const window = Math.min(ctx.runs, 9);
  const counter = path.join(repo.dir, 'bench-counter.txt');
  const node = process.execPath;
  const perMark: Record<string, unknown>[] = [];
  /** Median of the `window` creates ending at every 500th checkpoint: the trend between marks. */
  const trend: { seq: number; createMedianMs: number }[] = [];
  const series: Record<string, Series> = {};
  const started = performance.now();
  const resultAt = (last: number): ScenarioResult => {
    const first = marks[0] as number;
    const growth = (name: string) => ratio(series, `${name} @${last}`, `${name} @${first}`);
    const perRow = (name: string, seq: number) => (series[`${name} @${seq}`]?.medianMs ?? Number.NaN) / seq;
    const listPerRowGrowth =
      Math.round((perRow('checkpoints.list', last) / perRow('checkpoints.list', first)) * 100) / 100;
    return {
      scenario: 6,
      title: `${last.toLocaleString('en')} checkpoints in one plan`,
      tier: '100 files',
      series: { ...series },
      checks: [
        atMost(`create @${last} / create @${first}`, growth('create'), 1.5),
        atMost(`plans.show @${last} / @${first}`, growth('plans.show'), 1.5),
        atMost(`checkpoints.list per row @${last} / @${first}`, listPerRowGrowth, 1.5),
      ],
      extra: {
        marks: [...perMark],
        createTrend: [...trend],
        listGrowth: growth('checkpoints.list'),
        cliListGrowth: growth('CLI checkpoint list --json'),
      },
    };
  };
  let result: ScenarioResult | undefined;
  await withPlan(
    ctx.lib,
    repo.dir,
    'bench: 10,000 checkpoints',
    async (savepoint, planId) => {
      const createMs: number[] = [];
      for (let seq = 2; seq <= total; seq += 1) {
        writeFileSync(counter, `${seq}\n`);
        const elapsed = await timeCall(async () => {
          const created = await savepoint.checkpoints.create(planId);
          if (created.deduplicated || created.checkpoint.seq !== seq)
            throw new Error(`scenario 6: checkpoint #${seq} was not created`);
        });
        createMs[seq] = elapsed;
        const recent = () => createMs.slice(Math.max(2, seq - window + 1), seq + 1);
        if (seq % 500 === 0) {
          trend.push({ seq, createMedianMs: summarize(recent()).medianMs });
          console.error(
            `  scenario 6: ${seq} checkpoints, ${Math.round((performance.now() - started) / 1000)} s, create median ${summarize(recent()).medianMs} ms`,
          );
        }
        if (!marks.includes(seq)) continue;
        const bench = new Bench({
          iterations: ctx.runs,
          time: 0,
          warmupIterations: 2,
          warmupTime: 0,
          throws: true,
        });
        bench
          .add('list', () => {
            if (savepoint.checkpoints.list(planId).length !== seq)
              throw new Error('scenario 6: list is short');
          })
          .add('show', () => {
            savepoint.plans.show(planId);
          });
        await bench.run();
        const stats = (name: string) => {
          const task = bench.getTask(name);
          const taskResult = task?.result;
          if (!taskResult || !('latency' in taskResult))
            throw new Error(`scenario 6: tinybench ${name} failed`);
          const latency = taskResult.latency;
          return {
            runs: ctx.runs,
            minMs: Math.round(latency.min * 1000) / 1000,
            medianMs: Math.round(latency.p50 * 1000) / 1000,
            maxMs: Math.round(latency.max * 1000) / 1000,
            samplesMs: [],
          } satisfies Series;
        };
        const cliList: number[] = [];
        for (let i = 0; i < Math.min(ctx.runs, 3); i += 1)
          cliList.push(
            timeSpawn(node, [CLI, 'checkpoint', 'list', '--plan', planId, '--json'], repo.dir, env),
          );
        series[`create @${seq}`] = summarize(recent());
        series[`checkpoints.list @${seq}`] = stats('list');
        series[`plans.show @${seq}`] = stats('show');
        series[`CLI checkpoint list --json @${seq}`] = summarize(cliList);
        perMark.push({ seq, elapsedSinceStartMs: Math.round(performance.now() - started) });
        result = resultAt(seq);
        onMark(result);
      }
    },
    { retention: { max: total + 10 } },
  );
  if (!result) throw new Error('scenario 6: no mark reached');
  return result;
}
