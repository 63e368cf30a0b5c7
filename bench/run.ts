/**
 * `npm run bench`: savepoint against plain git and shadow-repository checkpointing (issue 7,
 * DESIGN §8). Prints a table of targets, measured ratios and pass/fail, and writes
 * `bench/results/<date>-<hhmmss>-<host>.json` with every series and the machine it ran on.
 *
 *   npm run bench -- --tiers 1k,10k --runs 5 --scenario 1,2 --checkpoints 1000
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { loadSavepoint, machineInfo, ROOT } from './lib/env.js';
import { type GeneratedRepo, generateRepo } from './lib/repo.js';
import { checkRows } from './lib/report.js';
import {
  checkpointCreate,
  cli,
  dedup,
  firstCheckpoint,
  manyCheckpoints,
  rollback,
  type ScenarioContext,
  type ScenarioResult,
} from './scenarios.js';

/** Repository sizes; 30k is the size DESIGN §8 states its create, dedup and rollback targets for. */
const TIERS: Record<string, number> = { '1k': 1_000, '10k': 10_000, '30k': 30_000, '100k': 100_000 };

const USAGE = `usage: npm run bench -- [--tiers 1k,10k,30k,100k] [--runs N] [--scenario 1,2,3,4,5,6]
                       [--checkpoints N] [--out FILE] [--keep]`;

function options() {
  const { values } = parseArgs({
    options: {
      tiers: { type: 'string', default: '1k,10k,100k' },
      runs: { type: 'string', default: '10' },
      scenario: { type: 'string', default: '1,2,3,4,5,6' },
      checkpoints: { type: 'string', default: '10000' },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const tiers = values.tiers.split(',').filter(Boolean);
  const unknownTier = tiers.find((t) => !(t in TIERS));
  const scenarios = values.scenario.split(',').map(Number);
  const runs = Number(values.runs);
  const checkpoints = Number(values.checkpoints);
  const bad =
    (unknownTier && `unknown tier ${unknownTier} (use 1k, 10k, 30k, 100k)`) ||
    (scenarios.some((s) => !Number.isInteger(s) || s < 1 || s > 6) && `--scenario takes numbers 1 to 6`) ||
    ((!Number.isInteger(runs) || runs < 1) && '--runs takes a positive integer') ||
    ((!Number.isInteger(checkpoints) || checkpoints < 11) && '--checkpoints takes an integer ≥ 11');
  if (bad) {
    console.error(`bench: ${bad}\n${USAGE}`);
    process.exit(2);
  }
  return { tiers, scenarios: new Set(scenarios), runs, checkpoints, out: values.out, keep: values.keep };
}

function render(results: readonly ScenarioResult[]): string {
  const table = new Table({
    head: ['#', 'scenario', 'tier', 'savepoint / baseline (median ms)', 'check', 'target', 'measured', ''],
    style: { head: [], border: [] },
  });
  const medians = (result: ScenarioResult) =>
    Object.entries(result.series)
      .slice(0, 4)
      .map(([name, series]) => `${name}: ${series.medianMs}`)
      .join('\n');
  table.push(...checkRows(results, medians, 'FAIL'));
  return table.toString();
}

async function main() {
  const opts = options();
  const lib = await loadSavepoint();
  const machine = machineInfo();
  const startedAt = new Date();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'savepoint-bench-'));
  const ctx: ScenarioContext = { lib, runs: opts.runs, tmp };
  const results: ScenarioResult[] = [];
  const tiers: Record<string, Omit<GeneratedRepo, 'files' | 'dir'> & { files: number }>[] = [];
  const log = (message: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
  const remember = (name: string, repo: GeneratedRepo) => {
    const { files, dir: _dir, ...rest } = repo;
    tiers.push({ [name]: { ...rest, files: files.length, generateMs: Math.round(rest.generateMs) } });
  };
  const out =
    opts.out ??
    // Date and time of the start (UTC, to the second): a second run the same day never
    // overwrites the first (results files of reference runs are committed).
    path.join(
      ROOT,
      'bench',
      'results',
      `${startedAt.toISOString().slice(0, 19).replace(/:/g, '').replace('T', '-')}-${machine.hostname}.json`,
    );
  /** Writes the results so far (after every scenario, so a long run that dies keeps what it measured). */
  const save = (complete: boolean) => {
    const loadAverageAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
    const report = {
      tool: 'savepoint bench',
      complete,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      options: { ...opts, scenarios: [...opts.scenarios] },
      machine: { ...machine, loadAverageAtEnd },
      tiers,
      results,
      summary: {
        checks: results.flatMap((r) => r.checks.map((c) => ({ scenario: r.scenario, tier: r.tier, ...c }))),
      },
    };
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    return loadAverageAtEnd;
  };
  console.error(
    `bench: ${machine.cpus}× ${machine.cpuModel}, node ${machine.node}, git ${machine.git}, load ${machine.loadAverage.join(' ')}`,
  );
  try {
    const perTier = [1, 2, 3, 4].filter((s) => opts.scenarios.has(s));
    for (const tier of perTier.length > 0 ? opts.tiers : []) {
      log(`generating the ${tier} tier`);
      const repo = generateRepo(path.join(tmp, `repo-${tier}`), TIERS[tier] as number, 7);
      remember(tier, repo);
      log(
        `  ${repo.files.length} files, ${(repo.bytes / 1e6).toFixed(1)} MB, ${Math.round(repo.generateMs)} ms`,
      );
      const run = async (scenario: number, what: string, body: () => Promise<ScenarioResult>) => {
        if (!opts.scenarios.has(scenario)) return;
        log(`scenario ${scenario} (${what}) on ${tier}`);
        results.push(await body());
        save(false);
      };
      await run(1, 'checkpoint create', () => checkpointCreate(ctx, repo, tier));
      await run(2, 'dedup', () => dedup(ctx, repo, tier));
      await run(3, 'first checkpoint vs shadow repo', () => firstCheckpoint(ctx, repo, tier));
      await run(4, 'rollback 10', () => rollback(ctx, repo, tier, 10));
      await run(4, 'rollback 100', () => rollback(ctx, repo, tier, 100));
      rmSync(repo.dir, { recursive: true, force: true });
    }
    if (opts.scenarios.has(5) || opts.scenarios.has(6)) {
      log('generating the 100-file repository');
      const small = generateRepo(path.join(tmp, 'repo-100'), 100, 11);
      remember('100 files', small);
      if (opts.scenarios.has(5)) {
        log('scenario 5 (CLI end to end)');
        results.push(await cli(ctx, small));
        save(false);
      }
      if (opts.scenarios.has(6)) {
        log(`scenario 6 (${opts.checkpoints} checkpoints in one plan)`);
        const at = results.length;
        await manyCheckpoints(ctx, small, opts.checkpoints, (partial) => {
          results[at] = partial;
          save(false);
        });
      }
    }
  } finally {
    if (!opts.keep) rmSync(tmp, { recursive: true, force: true });
    else log(`kept ${tmp}`);
  }
  const loadAverageAtEnd = save(true);
  console.log(render(results));
  console.log(
    `load average ${machine.loadAverage.join(' ')} → ${loadAverageAtEnd.join(' ')}; results in ${path.relative(process.cwd(), out)}`,
  );
}

await main();
