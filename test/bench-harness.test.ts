/**
 * The benchmark harness's own parts: the seeded repository generator and workloads are
 * deterministic and real (committed, repacked), statistics are right, and the alternating
 * runner interleaves contestants A B / B A and skips the warm-up round.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  applyWorkload,
  generateRepo,
  git,
  mixedShape,
  planWorkload,
  removeLooseObjects,
  seededRandom,
} from '../bench/lib/repo.js';
import { alternate, median, summarize } from '../bench/lib/timing.js';

function scratch(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'savepoint-bench-test-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('bench repository generator', () => {
  it('makes the same committed, repacked repository from the same seed', () => {
    const dir = scratch();
    const a = generateRepo(path.join(dir, 'a'), 300, 7);
    const b = generateRepo(path.join(dir, 'b'), 300, 7);
    const c = generateRepo(path.join(dir, 'c'), 300, 8);
    expect(a.files).toHaveLength(300);
    expect(a.files).toEqual(b.files);
    expect(c.files).not.toEqual(a.files);
    const tree = (repo: string) => git(repo, ['rev-parse', 'HEAD^{tree}']).trim();
    expect(tree(a.dir)).toBe(tree(b.dir));
    expect(tree(c.dir)).not.toBe(tree(a.dir));
    expect(git(a.dir, ['status', '--porcelain'])).toBe('');
    expect(git(a.dir, ['ls-files']).trim().split('\n')).toHaveLength(301); // + .gitignore
    // One pack, no loose objects: a clone of it looks like a fresh clone.
    const objects = path.join(a.dir, '.git', 'objects');
    expect(readdirSync(objects).filter((e) => /^[0-9a-f]{2}$/.test(e))).toEqual([]);
    expect(readdirSync(path.join(objects, 'pack')).some((e) => e.endsWith('.pack'))).toBe(true);
    expect(a.maxDepth).toBeGreaterThan(1);
    expect(a.bytes).toBe(a.files.reduce((sum, f) => sum + f.size, 0));
  });

  it('plans a seeded workload of modified, new and deleted files and writes it', () => {
    const dir = scratch();
    const repo = generateRepo(path.join(dir, 'r'), 200, 3);
    expect(mixedShape(10)).toEqual({ modify: 6, add: 2, remove: 2 });
    expect(mixedShape(100)).toEqual({ modify: 60, add: 20, remove: 20 });
    const workload = planWorkload(repo, mixedShape(10), 5);
    expect(planWorkload(repo, mixedShape(10), 5)).toEqual(workload);
    expect(new Set([...workload.modified, ...workload.removed]).size).toBe(8);
    applyWorkload(repo.dir, workload, 1);
    const status = git(repo.dir, ['status', '--porcelain', '-uall']).split('\n').filter(Boolean);
    expect(status.filter((l) => l.startsWith(' M'))).toHaveLength(6);
    expect(status.filter((l) => l.startsWith(' D'))).toHaveLength(2);
    expect(status.filter((l) => l.startsWith('??'))).toHaveLength(2);
    const first = workload.modified[0] as string;
    expect(readFileSync(path.join(repo.dir, first), 'utf8')).toContain('round 1');
    expect(() => planWorkload(repo, { modify: 150, add: 0, remove: 100 }, 1)).toThrow(/workload of 250/);
  });

  it('removes loose objects only', () => {
    const dir = scratch();
    const repo = generateRepo(path.join(dir, 'r'), 50, 1);
    const blob = git(repo.dir, ['hash-object', '-w', '--stdin'], { ...process.env }).trim();
    expect(existsSync(path.join(repo.dir, '.git', 'objects', blob.slice(0, 2)))).toBe(true);
    removeLooseObjects(path.join(repo.dir, '.git'));
    expect(existsSync(path.join(repo.dir, '.git', 'objects', blob.slice(0, 2)))).toBe(false);
    expect(git(repo.dir, ['fsck', '--no-dangling'])).toBe('');
  });

  it('draws the same numbers from the same seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const draws = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(draws);
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('bench timing', () => {
  it('summarizes min, median and max', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(summarize([5, 1, 3])).toMatchObject({ runs: 3, minMs: 1, medianMs: 3, maxMs: 5 });
  });

  it('alternates contestants A B, B A, … after an untimed warm-up round', async () => {
    const calls: string[] = [];
    const contestant = (name: string, ms: number) => ({
      name,
      prepare: (round: number) => calls.push(`${name}:prepare:${round}`),
      run: (round: number) => {
        calls.push(`${name}:${round}`);
        return ms + round;
      },
    });
    const series = await alternate([contestant('A', 10), contestant('B', 20)], 3);
    expect(calls.filter((c) => !c.includes('prepare'))).toEqual([
      'A:-1',
      'B:-1',
      'A:0',
      'B:0',
      'B:1',
      'A:1',
      'A:2',
      'B:2',
    ]);
    expect(series.A?.samplesMs).toEqual([10, 11, 12]);
    expect(series.B?.medianMs).toBe(21);
  });
});
