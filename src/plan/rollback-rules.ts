/**
 * Pure rules of rollback, kept apart from I/O so they are tested over plain data.
 */
import type { HeadState, TreeChange } from '../core/ports.js';
import { HeadMovedError } from './errors.js';

/** `restore`: move HEAD back to the checkpoint's commit; `keep`: leave HEAD where it is. */
export type HeadMode = 'restore' | 'keep';

/** What rollback does with HEAD. */
export type HeadAction =
  | { action: 'unchanged' }
  | { action: 'kept' }
  | { action: 'move'; from: HeadState; to: HeadState };

/** File counts of a rollback report. */
export interface RestoreCounts {
  added: number;
  modified: number;
  deleted: number;
  total: number;
}

/** Counts changes by kind. */
export function countChanges(changes: readonly TreeChange[]): RestoreCounts {
  const counts: RestoreCounts = { added: 0, modified: 0, deleted: 0, total: changes.length };
  for (const { change } of changes) counts[change] += 1;
  return counts;
}

/**
 * Decides what happens to HEAD when rolling back from `current` to the checkpoint's `recorded` HEAD.
 * HEAD only moves within the branch it is on (or within a detached HEAD); switching branches
 * is never what a rollback should do silently.
 *
 * @throws {HeadMovedError} `HEAD_MOVED` (exit 4) when HEAD is on another branch and mode is `restore`
 */
export function decideHead(recorded: HeadState, current: HeadState, mode: HeadMode): HeadAction {
  if (recorded.ref === current.ref && recorded.sha === current.sha) return { action: 'unchanged' };
  if (mode === 'keep') return { action: 'kept' };
  if (recorded.ref !== current.ref) throw new HeadMovedError(recorded.ref, current.ref);
  return { action: 'move', from: current, to: recorded };
}

/** True when a `.gitignore` file differs, i.e. the target's ignore rules may differ from today's. */
export function rulesChanged(changes: readonly TreeChange[]): boolean {
  return changes.some((c) => c.path === '.gitignore' || c.path.endsWith('/.gitignore'));
}

/** Paths a change list removes. */
export function deletedPaths(changes: readonly TreeChange[]): string[] {
  return changes.filter((c) => c.change === 'deleted').map((c) => c.path);
}

/**
 * Of the paths a rollback deletes, those whose ignore status must be asked of git. When the
 * ignore rules are today's (`rulesDiffer` false) and `untrackedNow` (paths the real index does
 * not hold) is known, a deleted path untracked now is in the current tree only because the
 * scan found it not ignored by exactly those rules: only tracked ones can be ignored.
 */
export function ignoreCandidates(
  deleted: readonly string[],
  rulesDiffer: boolean,
  untrackedNow: ReadonlySet<string> | null,
): string[] {
  if (rulesDiffer || untrackedNow === null) return [...deleted];
  return deleted.filter((file) => !untrackedNow.has(file));
}

/** Of `ignored`, those that can stay: not under a path the rollback turns into a file. */
export function keepable(changes: readonly TreeChange[], ignored: readonly string[]): string[] {
  const added = changes.filter((c) => c.change !== 'deleted').map((c) => c.path);
  return ignored.filter((file) => !added.some((dir) => file.startsWith(`${dir}/`)));
}

/** True when one path is the other or lies under it (relative, `/`-separated). */
export function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}
