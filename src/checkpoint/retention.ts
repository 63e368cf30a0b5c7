/**
 * Retention selection (DESIGN §4 step 6): which checkpoints of a plan to prune so that at
 * most `max` remain. A pure function over plain data; the store reads only the rows it needs
 * (see {@link retentionWindow}) and the services delete what it returns.
 */
import type { CheckpointKind } from './model.js';

/** What selection needs to know about one checkpoint. */
export interface RetentionCandidate {
  readonly checkpointId: string;
  /** 1-based position in the plan; unique per plan, so it orders checkpoints without ties. */
  readonly seq: number;
  readonly kind: CheckpointKind;
  /** For a safety checkpoint: the checkpoint its rollback went to. */
  readonly rollbackTarget?: string | undefined;
}

/** Options of {@link selectPrunable}. */
export interface RetentionOptions {
  /** Checkpoints to keep at most (≥ 1). */
  max: number;
  /**
   * Checkpoints that must never be pruned, whatever their age: those decisions point to
   * (see `CheckpointService.pinned`).
   */
  pinned: ReadonlySet<string>;
  /**
   * How many checkpoints the plan holds. Default `candidates.length` (candidates are the whole
   * plan). When candidates are only a window of the plan, pass the plan's count.
   */
  total?: number;
}

/** Why a checkpoint is never pruned. */
export type RetentionProtection = 'first' | 'latest' | 'latest-safety' | 'latest-rollback-target' | 'pinned';

/**
 * How many of a plan's oldest checkpoints {@link selectPrunable} needs to see, besides the
 * latest one and the latest safety checkpoint: the excess over `max`, plus room for every
 * checkpoint that may be protected among them. 0 when nothing needs pruning.
 *
 * @param total checkpoints the plan holds
 * @param max checkpoints to keep at most
 * @param pinnedCount size of the pinned set
 */
export function retentionWindow(total: number, max: number, pinnedCount: number): number {
  const excess = total - max;
  // first, latest, latest safety and its rollback target: at most 4 protected besides pinned.
  return excess <= 0 ? 0 : excess + 4 + pinnedCount;
}

/**
 * The protected checkpoints among `candidates` and why: the first (lowest `seq`), the most
 * recent (highest `seq`), the latest safety checkpoint (the undo handle of the latest
 * rollback) and the checkpoint that rollback went to (the state the sandbox was restored
 * to), and every pinned one.
 */
export function protectedCheckpoints(
  candidates: readonly RetentionCandidate[],
  pinned: ReadonlySet<string>,
): Map<string, RetentionProtection[]> {
  const reasons = new Map<string, RetentionProtection[]>();
  const protect = (id: string | undefined, why: RetentionProtection) => {
    if (id === undefined) return;
    reasons.set(id, [...(reasons.get(id) ?? []), why]);
  };
  const bySeq = [...candidates].sort((a, b) => a.seq - b.seq);
  protect(bySeq[0]?.checkpointId, 'first');
  protect(bySeq.at(-1)?.checkpointId, 'latest');
  const safety = bySeq.filter((c) => c.kind === 'safety').at(-1);
  protect(safety?.checkpointId, 'latest-safety');
  protect(safety?.rollbackTarget, 'latest-rollback-target');
  for (const id of pinned) protect(id, 'pinned');
  return reasons;
}

/**
 * Selects the checkpoints to prune so that at most `max` remain: the oldest unprotected
 * ones, by `seq` (never by time: two checkpoints may share a timestamp). Protected
 * checkpoints ({@link protectedCheckpoints}) are never selected; when they alone exceed
 * `max`, they are all kept and only the others are pruned.
 *
 * Precondition when `candidates` is a window of the plan (`total` given): it holds the
 * plan's {@link retentionWindow} oldest checkpoints, its latest checkpoint and its latest
 * safety checkpoint.
 *
 * @returns the candidates to prune, oldest first; empty when the plan holds ≤ `max`
 */
export function selectPrunable(
  candidates: readonly RetentionCandidate[],
  options: RetentionOptions,
): RetentionCandidate[] {
  const total = options.total ?? candidates.length;
  let excess = total - options.max;
  if (excess <= 0) return [];
  const keep = protectedCheckpoints(candidates, options.pinned);
  const seen = new Set<string>();
  const prune: RetentionCandidate[] = [];
  for (const candidate of [...candidates].sort((a, b) => a.seq - b.seq)) {
    if (excess === 0) break;
    if (keep.has(candidate.checkpointId) || seen.has(candidate.checkpointId)) continue;
    seen.add(candidate.checkpointId);
    prune.push(candidate);
    excess -= 1;
  }
  return prune;
}
