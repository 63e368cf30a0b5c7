/**
 * Concurrency at scale (issue 12): P CLI processes at a time, each running `savepoint
 * checkpoint create` E times in a row (one own file changed before each), on one plan of a
 * generated, committed N-file repository, at default settings (no `--wait`, no
 * `SAVEPOINT_WAIT`). Reports errors by code, per-command wall time, the time each command
 * held the sandbox lock (its ledger row: intent → outcome) and the rest (start-up + lock
 * wait), against plain git on the same tree (`git status --porcelain`, `git stash create`)
 * measured alone, alternately, before the contention run.
 *
 *   npm run build && npx tsx bench/concurrency.ts [--files 27000] [--processes 8] [--each 20]
 *     [--wait SECONDS] [--keep] [--out bench/results/<name>.json]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CLI, childEnv, loadSavepoint, machineInfo } from './lib/env.js';
import { generateRepo } from './lib/repo.js';
import { alternate, summarize, timeSpawn } from './lib/timing.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '27000' },
    processes: { type: 'string', default: '8' },
    each: { type: 'string', default: '20' },
    wait: { type: 'string' },
    keep: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const FILES = Number(values.files);
const PROCESSES = Number(values.processes);
const EACH = Number(values.each);

interface Run {
  worker: number;
  status: number | null;
  code: string | null;
  startedAt: number;
  ms: number;
  checkpointId: string | null;
}

function cli(
  cwd: string,
  args: readonly string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env = childEnv();
  delete env.SAVEPOINT_WAIT;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function worker(repo: string, planId: string, n: number, wait: string | undefined): Promise<Run[]> {
  const runs: Run[] = [];
  for (let i = 0; i < EACH; i++) {
    writeFileSync(path.join(repo, `worker-${n}.txt`), `${i}\n`);
    const args = ['checkpoint', 'create', '--plan', planId, '--json', '--reason', `w${n}#${i}`];
    if (wait !== undefined) args.push('--wait', wait);
    const startedAt = Date.now();
    const t0 = performance.now();
    const out = await cli(repo, args);
    const ms = performance.now() - t0;
    let code: string | null = null;
    let checkpointId: string | null = null;
    try {
      const parsed = JSON.parse(out.stdout) as {
        error?: { code: string };
        checkpointId?: string;
      };
      code = parsed.error?.code ?? null;
      checkpointId = parsed.checkpointId ?? null;
    } catch {
      code = `unparsable (exit ${out.status}): ${out.stderr.slice(0, 200)}`;
    }
    runs.push({ worker: n, status: out.status, code, startedAt, ms, checkpointId });
  }
  return runs;
}

const dir = mkdtempSync(path.join(tmpdir(), 'savepoint-bench-conc-'));
const repoDir = path.join(dir, 'repo');
try {
  const started = new Date();
  const generated = generateRepo(repoDir, FILES, 12);
  process.stderr.write(`generated ${FILES} files in ${Math.round(generated.generateMs)} ms\n`);
  const created = await cli(repoDir, ['plan', 'create', '--json', '--retention-max', '100000']);
  const planId = (JSON.parse(created.stdout) as { planId: string }).planId;

  // Plain git on the same tree, alone: what one checkpoint's scan costs at least.
  const env = childEnv();
  const baseline = await alternate(
    [
      {
        name: 'git status --porcelain',
        run: () => timeSpawn('git', ['status', '--porcelain'], repoDir, env),
      },
      { name: 'git stash create', run: () => timeSpawn('git', ['stash', 'create'], repoDir, env) },
      {
        name: 'savepoint checkpoint create (alone)',
        run: async () => {
          writeFileSync(path.join(repoDir, 'alone.txt'), `${Math.random()}\n`);
          const t0 = performance.now();
          const out = await cli(repoDir, ['checkpoint', 'create', '--plan', planId, '--json']);
          if (out.status !== 0) throw new Error(out.stdout + out.stderr);
          return performance.now() - t0;
        },
      },
    ],
    5,
  );
  process.stderr.write(`${JSON.stringify(Object.entries(baseline).map(([n, s]) => [n, s.medianMs]))}\n`);

  const t0 = performance.now();
  const all = (
    await Promise.all(Array.from({ length: PROCESSES }, (_, n) => worker(repoDir, planId, n, values.wait)))
  ).flat();
  const wallMs = performance.now() - t0;

  const { Savepoint } = await loadSavepoint();
  const sp = await Savepoint.open({ cwd: repoDir });
  const ops = sp.ops
    .list({ planId, limit: 100_000 })
    .filter((op) => op.kind === 'checkpoint.create' && op.outcomeAt !== null);
  const held = new Map(
    ops.map((op) => [op.opId, Date.parse(op.outcomeAt as string) - Date.parse(op.intentAt)] as const),
  );
  sp.close();

  const errors: Record<string, number> = {};
  for (const run of all)
    if (run.status !== 0)
      errors[run.code ?? `exit ${run.status}`] = (errors[run.code ?? `exit ${run.status}`] ?? 0) + 1;
  const ok = all.filter((r) => r.status === 0);
  const holdMs = [...held.values()];
  const result = {
    scenario: 'concurrency',
    startedAt: started.toISOString(),
    machine: machineInfo(),
    files: FILES,
    processes: PROCESSES,
    each: EACH,
    wait: values.wait ?? 'default',
    commands: all.length,
    errors,
    wallMs,
    commandMs: summarize(all.map((r) => r.ms)),
    okCommandMs: summarize(ok.map((r) => r.ms)),
    lockHeldMs: summarize(holdMs),
    throughputPerSecond: (ok.length / wallMs) * 1000,
    baseline,
  };
  const stash = baseline['git stash create']?.medianMs ?? Number.NaN;
  const status = baseline['git status --porcelain']?.medianMs ?? Number.NaN;
  const ratios = {
    lockHeldMedianToStashCreate: result.lockHeldMs.medianMs / stash,
    lockHeldMedianToGitStatus: result.lockHeldMs.medianMs / status,
    commandMaxToStashCreate: result.commandMs.maxMs / stash,
  };
  const out =
    values.out ??
    path.join(
      import.meta.dirname,
      'results',
      `${started.toISOString().slice(0, 10)}-concurrency-${FILES}x${PROCESSES}x${EACH}.json`,
    );
  writeFileSync(out, `${JSON.stringify({ ...result, ratios }, null, 2)}\n`);
  const fmt = (s: { minMs: number; medianMs: number; maxMs: number }) =>
    `${Math.round(s.minMs)} / ${Math.round(s.medianMs)} / ${Math.round(s.maxMs)} ms`;
  process.stdout.write(
    [
      `${PROCESSES} processes × ${EACH} checkpoint create, ${FILES} files, wait ${result.wait}`,
      `errors: ${JSON.stringify(errors)} of ${all.length}`,
      `wall: ${Math.round(wallMs)} ms, ${result.throughputPerSecond.toFixed(2)} checkpoints/s`,
      `command (min/median/max): ${fmt(result.commandMs)}`,
      `lock held per checkpoint: ${fmt(result.lockHeldMs)}`,
      ...Object.entries(baseline).map(([name, b]) => `${name} alone: ${fmt(b)}`),
      `ratios: ${JSON.stringify(ratios)}`,
      `written: ${out}`,
      '',
    ].join('\n'),
  );
} finally {
  if (values.keep) process.stderr.write(`kept ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}
