/**
 * `npx tsx bench/ab-rollback.ts --base <dir>`: scenario 4 (rollback of N changed paths to the
 * plan's first checkpoint, safety checkpoint included) for two builds of savepoint in ONE
 * process, interleaved with `git stash push -u` and `git status --porcelain` (the same
 * {@link alternate} runner as `npm run bench`). `<dir>` is another checkout whose `dist/` is
 * built (e.g. a `git worktree add` of the commit to compare with, then `npm run build` there);
 * this checkout's `dist/` is the other build. Each contestant works on its own copy of one
 * generated repository (same paths, same bytes). Prints medians and the ratios of medians.
 *
 *   npx tsx bench/ab-rollback.ts --base /tmp/savepoint-base --files 10000 --paths 10 --rounds 25
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { childEnv, loadSavepoint, type SavepointModule } from './lib/env.js';
import { applyWorkload, generateRepo, git, mixedShape, planWorkload } from './lib/repo.js';
import { alternate, type Contestant, timeSpawn } from './lib/timing.js';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    files: { type: 'string', default: '10000' },
    paths: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '25' },
  },
});
if (!values.base)
  throw new Error('usage: npx tsx bench/ab-rollback.ts --base <checkout with a built dist/> …');
const files = Number(values.files);
const paths = Number(values.paths);
const rounds = Number(values.rounds);

const base = (await import(
  pathToFileURL(path.resolve(values.base, 'dist', 'index.js')).href
)) as SavepointModule;
const current = await loadSavepoint();
const root = mkdtempSync(path.join(os.tmpdir(), 'savepoint-ab-'));
try {
  const repo = generateRepo(path.join(root, 'git'), files, 11);
  const workload = planWorkload(repo, mixedShape(paths), 400 + paths);
  const env = childEnv();
  const gitTimed = (...args: string[]) => timeSpawn('git', args, repo.dir, env);

  /** A rollback contestant for one build, on its own copy of the repository. */
  const rollbackWith = async (
    name: string,
    lib: SavepointModule,
  ): Promise<Contestant & { close(): void }> => {
    const dir = path.join(root, name);
    cpSync(repo.dir, dir, { recursive: true, verbatimSymlinks: true });
    const savepoint = await lib.Savepoint.open({ cwd: dir });
    const { plan } = await savepoint.plans.create({ sandbox: dir, name: 'bench: a/b rollback' });
    const target = savepoint.checkpoints.list(plan.planId)[0];
    if (!target) throw new Error('the plan has no first checkpoint');
    return {
      name,
      prepare: (round) => applyWorkload(dir, workload, round),
      run: async () => {
        const started = performance.now();
        const report = await savepoint.rollbacks.rollback({
          planId: plan.planId,
          checkpointId: target.checkpointId,
          confirm: async () => true,
        });
        const elapsed = performance.now() - started;
        if (report.restored.total !== paths)
          throw new Error(`${name} restored ${report.restored.total} paths`);
        return elapsed;
      },
      close: () => savepoint.close(),
    };
  };
  const a = await rollbackWith('base', base);
  const b = await rollbackWith('current', current);
  const series = await alternate(
    [
      a,
      b,
      {
        name: 'git stash push -u',
        prepare: (round) => applyWorkload(repo.dir, workload, round),
        run: () => gitTimed('stash', 'push', '-u', '-q'),
        after: () => git(repo.dir, ['stash', 'drop', '-q']),
      },
      {
        name: 'git status --porcelain',
        prepare: (round) => applyWorkload(repo.dir, workload, round),
        run: () => gitTimed('status', '--porcelain'),
        after: () => {
          git(repo.dir, ['checkout', '--', '.']);
          git(repo.dir, ['clean', '-fdq']);
        },
      },
    ],
    rounds,
  );
  a.close();
  b.close();
  const median = (name: string) => series[name]?.medianMs ?? Number.NaN;
  const ratio = (x: string, y: string) => (median(x) / median(y)).toFixed(2);
  const load = os.loadavg().map((x) => x.toFixed(1));
  console.log(`${files} files, rollback of ${paths} paths, ${rounds} rounds, load ${load.join(' ')}`);
  for (const name of Object.keys(series)) console.log(`  ${name.padEnd(24)} median ${median(name)} ms`);
  console.log(
    `  base / stash ${ratio('base', 'git stash push -u')}, current / stash ${ratio('current', 'git stash push -u')}; ` +
      `base / status ${ratio('base', 'git status --porcelain')}, current / status ${ratio('current', 'git status --porcelain')}; ` +
      `current / base ${ratio('current', 'base')}`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
