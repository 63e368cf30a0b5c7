/**
 * Timing: whole-process timings (spawned and timed here, no shell), in-process timings, and
 * the alternating runner that interleaves savepoint with its git baselines (ABAB…).
 */
import { spawnSync } from 'node:child_process';

/** Summary of a series of timings (ms). */
export interface Series {
  runs: number;
  minMs: number;
  medianMs: number;
  maxMs: number;
  samplesMs: number[];
}

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** min / median / max of samples (ms), rounded to 0.01 ms. */
export function summarize(samples: readonly number[]): Series {
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    runs: samples.length,
    minMs: round(Math.min(...samples)),
    medianMs: round(median(samples)),
    maxMs: round(Math.max(...samples)),
    samplesMs: samples.map(round),
  };
}

/** Spawns `command args` (argv only) in `cwd`, stdout discarded (a 10,000-checkpoint list is megabytes), and returns its wall time (ms); throws on a non-zero exit. */
export function timeSpawn(
  command: string,
  args: readonly string[],
  cwd: string,
  env?: NodeJS.ProcessEnv,
): number {
  const started = performance.now();
  const result = spawnSync(command, args, {
    cwd,
    env: env ?? process.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const elapsed = performance.now() - started;
  if (result.error) throw result.error;
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${String(result.stderr).trim()}`);
  return elapsed;
}

/** Times one async or sync call (ms). */
export async function timeCall(fn: () => unknown): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** One contestant of an alternating run: `prepare` (untimed) sets the state, `run` is timed. */
export interface Contestant {
  name: string;
  prepare?: (round: number) => unknown;
  /** Returns the elapsed time (ms) itself, e.g. from {@link timeSpawn} or {@link timeCall}. */
  run: (round: number) => number | Promise<number>;
  /** Untimed clean-up after the timed part (e.g. `git stash drop`). */
  after?: (round: number) => unknown;
}

/**
 * Runs the contestants alternately, `rounds` times: A B C … then, on odd rounds, the reverse
 * order (A B, B A, A B…), so neither side systematically gets warm caches or the other's
 * background writes. One untimed warm-up round first. Returns one series per contestant.
 */
export async function alternate(
  contestants: readonly Contestant[],
  rounds: number,
): Promise<Record<string, Series>> {
  const samples = new Map<string, number[]>(contestants.map((c) => [c.name, []]));
  for (let round = -1; round < rounds; round += 1) {
    const order = round % 2 === 0 || round < 0 ? contestants : [...contestants].reverse();
    for (const contestant of order) {
      await contestant.prepare?.(round);
      const elapsed = await contestant.run(round);
      await contestant.after?.(round);
      if (round >= 0) samples.get(contestant.name)?.push(elapsed);
    }
  }
  return Object.fromEntries([...samples].map(([name, values]) => [name, summarize(values)]));
}
