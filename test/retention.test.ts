/**
 * The pure parts of retention and policy: which checkpoints selection prunes, how tool
 * declarations resolve, how a policy parses with defaults.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  protectedCheckpoints,
  type RetentionCandidate,
  retentionWindow,
  selectPrunable,
} from '../src/checkpoint/retention.js';
import { resolveToolDeclaration } from '../src/checkpoint/tool-declarations.js';
import { UsageError } from '../src/core/errors.js';
import { PlanPolicy } from '../src/plan/model.js';
import { parsePolicy } from '../src/plan/plan-service.js';
import { expectError } from './helpers/savepoint.js';

/** Checkpoints #1..#n, all manual except #1 (initial) and the given safety ones. */
function plan(n: number, safety: Record<number, number | undefined> = {}): RetentionCandidate[] {
  return Array.from({ length: n }, (_, i) => {
    const seq = i + 1;
    if (seq in safety) {
      const target = safety[seq];
      return {
        checkpointId: `c${seq}`,
        seq,
        kind: 'safety' as const,
        rollbackTarget: target === undefined ? undefined : `c${target}`,
      };
    }
    return { checkpointId: `c${seq}`, seq, kind: seq === 1 ? ('initial' as const) : ('manual' as const) };
  });
}

const seqs = (chosen: RetentionCandidate[]) => chosen.map((c) => c.seq);
const none = new Set<string>();

describe('selectPrunable', () => {
  it('prunes nothing when the plan holds max or fewer', () => {
    expect(selectPrunable(plan(5), { max: 5, pinned: none })).toEqual([]);
    expect(selectPrunable(plan(1), { max: 1, pinned: none })).toEqual([]);
    expect(selectPrunable([], { max: 3, pinned: none })).toEqual([]);
  });

  it('prunes the oldest others, never the first or the most recent', () => {
    expect(seqs(selectPrunable(plan(8), { max: 5, pinned: none }))).toEqual([2, 3, 4]);
  });

  it('max 1: keeps the first and the most recent (the protected ones exceed max)', () => {
    expect(seqs(selectPrunable(plan(2), { max: 1, pinned: none }))).toEqual([]);
    expect(seqs(selectPrunable(plan(6), { max: 1, pinned: none }))).toEqual([2, 3, 4, 5]);
  });

  it('max 2: exactly the first and the most recent remain', () => {
    expect(seqs(selectPrunable(plan(3), { max: 2, pinned: none }))).toEqual([2]);
    expect(seqs(selectPrunable(plan(10), { max: 2, pinned: none }))).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('keeps the latest safety checkpoint and the checkpoint its rollback went to', () => {
    const candidates = plan(10, { 4: 1, 7: 3 });
    const chosen = seqs(selectPrunable(candidates, { max: 4, pinned: none }));
    // Protected: #1 first, #10 latest, #7 latest safety, #3 its target. #4 is an older safety: prunable.
    expect(chosen).toEqual([2, 4, 5, 6, 8, 9]);
    expect(Object.fromEntries(protectedCheckpoints(candidates, none))).toEqual({
      c1: ['first'],
      c10: ['latest'],
      c7: ['latest-safety'],
      c3: ['latest-rollback-target'],
    });
  });

  it('never prunes a pinned checkpoint (the hook for decisions)', () => {
    const chosen = seqs(selectPrunable(plan(8), { max: 4, pinned: new Set(['c2', 'c3']) }));
    expect(chosen).toEqual([4, 5, 6, 7]);
  });

  it('keeps every protected one when they alone exceed max, and prunes all the others', () => {
    const chosen = seqs(selectPrunable(plan(6, { 5: 2 }), { max: 2, pinned: new Set(['c3']) }));
    expect(chosen).toEqual([4]);
  });

  it('ties: checkpoints sharing a timestamp, overlapping protections and input order do not matter', () => {
    // The latest checkpoint is also the latest safety checkpoint, and its target is the first.
    const candidates = plan(6, { 6: 1 }).reverse();
    expect(seqs(selectPrunable(candidates, { max: 3, pinned: new Set(['c1', 'c6']) }))).toEqual([2, 3, 4]);
    expect(protectedCheckpoints(candidates, none).get('c1')).toEqual(['first', 'latest-rollback-target']);
    expect(protectedCheckpoints(candidates, none).get('c6')).toEqual(['latest', 'latest-safety']);
  });

  it('given only the window the store reads, selects exactly what it selects over the whole plan', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 3 }),
        (n, max, safetySeqs, pinnedSeqs) => {
          const safety: Record<number, number | undefined> = {};
          for (const s of safetySeqs) if (s <= n) safety[s] = s > 1 ? s - 1 : undefined;
          const all = plan(n, safety);
          const pinned = new Set(pinnedSeqs.filter((s) => s <= n).map((s) => `c${s}`));
          const whole = selectPrunable(all, { max, pinned });
          const window = all.slice(0, retentionWindow(n, max, pinned.size));
          const latestSafety = all.filter((c) => c.kind === 'safety').at(-1);
          const extra = [all.at(-1), latestSafety].filter((c): c is RetentionCandidate => c !== undefined);
          const partial = selectPrunable([...window, ...extra], { max, pinned, total: n });
          expect(partial).toEqual(whole);
          // At most max remain unless protected ones alone exceed it.
          const kept = n - whole.length;
          expect(kept <= max || whole.length === n - protectedCheckpoints(all, pinned).size).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('retentionWindow', () => {
  it('is 0 when nothing is to prune, else the excess plus room for the protected', () => {
    expect(retentionWindow(5, 5, 0)).toBe(0);
    expect(retentionWindow(3, 5, 2)).toBe(0);
    expect(retentionWindow(6, 5, 0)).toBe(5);
    expect(retentionWindow(200, 5, 1)).toBe(200);
  });
});

describe('resolveToolDeclaration', () => {
  const tools = {
    'Read*': 'skip',
    ReadSecrets: 'checkpoint',
    'Re*': 'checkpoint',
    'mcp__*__read': 'skip',
    'Gre?': 'skip',
  } as const;

  it('defaults to checkpoint when nothing matches', () => {
    expect(resolveToolDeclaration(tools, 'Edit')).toEqual({ declaration: 'checkpoint', pattern: null });
    expect(resolveToolDeclaration({}, 'Read')).toEqual({ declaration: 'checkpoint', pattern: null });
  });

  it('an exact name wins over any glob', () => {
    expect(resolveToolDeclaration(tools, 'ReadSecrets')).toEqual({
      declaration: 'checkpoint',
      pattern: 'ReadSecrets',
    });
  });

  it('the most specific glob wins (most literal characters)', () => {
    expect(resolveToolDeclaration(tools, 'ReadFile')).toEqual({ declaration: 'skip', pattern: 'Read*' });
    expect(resolveToolDeclaration(tools, 'Rewrite')).toEqual({ declaration: 'checkpoint', pattern: 'Re*' });
    expect(resolveToolDeclaration(tools, 'mcp__fs__read')).toEqual({
      declaration: 'skip',
      pattern: 'mcp__*__read',
    });
    expect(resolveToolDeclaration(tools, 'Grep')).toEqual({ declaration: 'skip', pattern: 'Gre?' });
    expect(resolveToolDeclaration(tools, 'Greps').pattern).toBeNull();
  });

  it('is case-sensitive and treats regex characters literally', () => {
    expect(resolveToolDeclaration(tools, 'readFile').pattern).toBeNull();
    expect(resolveToolDeclaration({ 'a.b*': 'skip' }, 'axb').pattern).toBeNull();
    expect(resolveToolDeclaration({ 'a.b*': 'skip' }, 'a.bc').declaration).toBe('skip');
  });

  it('does not depend on the order of the keys', () => {
    const a = resolveToolDeclaration({ 'A*': 'skip', '*B': 'checkpoint' }, 'AxB');
    const b = resolveToolDeclaration({ '*B': 'checkpoint', 'A*': 'skip' }, 'AxB');
    expect(a).toEqual(b);
  });
});

describe('PlanPolicy', () => {
  it('fills every default into an empty policy (rows written before the fields existed)', () => {
    expect(PlanPolicy.parse({})).toEqual({
      retention: { max: 50 },
      tools: {},
      head: 'restore',
      defaultType: 'commit',
    });
    expect(PlanPolicy.parse({ retention: {} })).toEqual({
      retention: { max: 50 },
      tools: {},
      head: 'restore',
      defaultType: 'commit',
    });
  });

  it('keeps given fields and unknown keys', () => {
    expect(
      PlanPolicy.parse({ retention: { max: 5 }, untrackedSizeCap: 0, head: 'keep', defaultType: 'patch' }),
    ).toEqual({ retention: { max: 5 }, tools: {}, untrackedSizeCap: 0, head: 'keep', defaultType: 'patch' });
  });

  it('refuses bad values with a usage error naming the field', async () => {
    for (const bad of [
      { retention: { max: 0 } },
      { retention: { max: 2.5 } },
      { tools: { Read: 'maybe' } },
      { tools: { '': 'skip' } },
      { untrackedSizeCap: -1 },
      { head: 'detach' },
      { defaultType: 'stash' },
    ]) {
      await expectError(() => parsePolicy(bad), UsageError, 'USAGE', 2);
    }
    const error = await expectError(() => parsePolicy({ retention: { max: 0 } }), UsageError, 'USAGE', 2);
    expect(error.message).toContain('retention.max');
  });
});
